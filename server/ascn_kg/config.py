"""Settings: code defaults, then a TOML file, then ``ASCN_KG_*`` variables, then overrides.

Every tunable of the build and the server lives here, once. Flask reads the same
values from ``app.config`` (upper-case keys), the CLI from :func:`load_settings`.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_BASE_IRI = "https://kg.ascn.example/"
ENV_PREFIX = "ASCN_KG_"
SOURCE_FOLDERS = ("data", "ontology", "queries")
PROJECT_NAME = 'name = "ascn-kg"'


def is_source_root(folder: Path) -> bool:
    """Whether ``folder`` is an ASCN-KG checkout: its pyproject and the three source folders."""
    try:
        project = (folder / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return False
    return PROJECT_NAME in project and all((folder / name).is_dir() for name in SOURCE_FOLDERS)


def checkout_root(start: Path | None = None) -> Path | None:
    """The ASCN-KG checkout holding ``start`` (default: the working folder), or None."""
    here = (start or Path.cwd()).resolve()
    return next((folder for folder in (here, *here.parents) if is_source_root(folder)), None)


def bundled_root() -> Path:
    """Where the installed package keeps the ontology, the source tables and the catalogue.

    A wheel carries them in ``ascn_kg/bundled/``; an editable install reads the source tree.
    """
    packaged = Path(__file__).resolve().parent / "bundled"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2]


def source_root() -> Path:
    """The folder whose ``data/``, ``ontology/`` and ``queries/`` are built and served.

    A curator's checkout, found from the working folder, wins: its edited tables are built.
    Anywhere else, the copies the package carries.
    """
    return checkout_root() or bundled_root()


def _source(name: str) -> Path:
    return source_root() / name


@dataclass(frozen=True)
class Settings:
    """All settings of ASCN-KG, with safe defaults."""

    base_iri: str = DEFAULT_BASE_IRI
    data_dir: Path = field(default_factory=lambda: _source("data"))
    ontology_dir: Path = field(default_factory=lambda: _source("ontology"))
    queries_dir: Path = field(default_factory=lambda: _source("queries"))
    dist_dir: Path = field(default_factory=lambda: Path.cwd() / "dist")
    # server
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1  # worker processes; queries are evaluated outside the GIL, so one uses every core
    threads: int = 16  # threads per worker answering requests (pages must not queue behind queries)
    header_timeout: float = 10.0  # seconds a connection may take to send its request headers
    # A connection whose client stops reading the answer for this long is dropped (the kernel's
    # TCP_USER_TIMEOUT on the listening socket, inherited by every connection).
    send_timeout: float = 30.0
    # Addresses (or networks, CIDR) of reverse proxies whose X-Forwarded-For names the client.
    trusted_proxies: tuple[str, ...] = ()
    backend_url: str | None = None
    backend_update_url: str | None = None
    # The engine behind backend_url (auto: from its Server header; generic, oxigraph, virtuoso),
    # and its Graph Store Protocol endpoint for the web nodes' shared state (permalinks);
    # unset: the engine's usual one beside backend_url.
    backend_engine: str = "auto"
    backend_store_url: str | None = None
    # query limits
    query_timeout: float = 10.0
    max_query_length: int = 20_000
    max_result_rows: int = 10_000
    max_nesting: int = 64
    max_chain: int = 1_000  # operators chained in one bracket group (left-deep parse trees)
    max_body_bytes: int = 1_000_000  # every request, every route: larger bodies get 413 before they are read
    max_result_bytes: int = 10_000_000  # an answer is cut (whole rows) to this many bytes, like the row cap
    query_memory_bytes: int = 1_000_000_000  # the memory (RLIMIT_DATA) of each query process
    service_allowlist: tuple[str, ...] = ()
    query_workers: int = 0  # query processes per web worker, started when needed; 0: automatic
    # A query the pool answered within this many ms on this dataset runs in-process next time
    # (the same query on the same read-only data does the same work); 0: always the pool.
    inline_query_ms: float = 20.0
    result_cache_size: int = 256
    result_cache_bytes: int = 64_000_000  # whole answers (and the lane's replays of them), each cache
    plan_cache_bytes: int = 16_000_000  # the lane's plans, safety verdicts, proven-cheap queries
    result_max_age: int = 300  # Cache-Control max-age of /sparql answers, seconds
    # fairness: what one client (an address) may take of a web worker
    client_queries: int = 2  # its queries evaluating, waiting for a query process or streaming at once; 0: no cap
    client_query_seconds: float = 60.0  # its query time in any minute; 0: no budget
    query_threads: int = 0  # threads of a web worker that queries may hold; 0: half of `threads`
    # permalinks
    permalink_max_bytes: int = 32_000  # a link's query and parameters (UTF-8)
    permalink_rate: int = 30  # links one client may make per minute
    permalink_store_bytes: int = 100_000_000  # the permalink store's size on disk
    # operations
    log_level: str = "INFO"
    log_file: str | None = None
    log_query_bytes: int = 500  # query text in a log line (UTF-8, cut at a character boundary)
    slow_query_seconds: float = 1.0
    metrics_enabled: bool = True
    query_log_enabled: bool = True
    bookkeeping_thread: bool = False  # `ascn-kg serve` turns it on: metrics and logs off the request thread
    serving: bool = False  # set by `ascn-kg serve` in its workers: SIGHUP reopens the store, the pool starts early
    permalink_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def permalink_folder(self) -> Path:
        """Where the embedded permalink file lives: ``permalink_dir``, else beside ``dist``."""
        return self.permalink_dir or self.dist_dir.parent / "instance" / "permalinks"

    @property
    def query_pool_size(self) -> int:
        """Query processes per web worker: ``query_workers``, or the machine's cores shared out
        (at least two, so that one slow query never holds up every other, and one more than a
        client may use at once, so that no client can hold them all)."""
        return self.query_workers or max(2, (os.cpu_count() or 1) // max(1, self.workers), self.client_queries + 1)

    @property
    def query_capacity(self) -> int:
        """Threads of a web worker that queries may hold at once (``query_threads``, or half of
        ``threads``); the others stay free for pages, search and the probes."""
        if self.query_threads:
            return max(1, min(self.query_threads, self.threads - 1))
        return max(1, self.threads // 2)

    @property
    def cache_budgets(self) -> dict[str, int]:
        """The bytes each in-memory cache of a web worker may hold; their sum bounds them all."""
        plans = self.plan_cache_bytes
        return {"answers": self.result_cache_bytes, "results": self.result_cache_bytes,
                "plans": plans // 2, "verdicts": plans // 4, "proven": plans // 4}

    @property
    def store_dir(self) -> Path:
        """The pyoxigraph store written by ``ascn-kg build``."""
        return self.dist_dir / "store"

    def with_overrides(self, **overrides: Any) -> Settings:
        """Return a copy with the given settings replaced (values coerced)."""
        return replace(self, **{k: _coerce(k, v) for k, v in overrides.items()})

    def as_flask_config(self) -> dict[str, Any]:
        """Upper-case mapping for ``app.config``."""
        return {k.upper(): v for k, v in asdict(self).items()} | {"SETTINGS": self}


_FIELD_TYPES = {f.name: f.type for f in fields(Settings)}


def _coerce(name: str, value: Any) -> Any:
    """Turn a string (from the environment or a file) into the field's type."""
    if name not in _FIELD_TYPES:
        raise KeyError(f"unknown setting {name!r}")
    kind = str(_FIELD_TYPES[name])
    if value is None or not isinstance(value, str):
        if "tuple" in kind and isinstance(value, list):
            return tuple(value)
        if "Path" in kind and value is not None:
            return Path(value).absolute()  # a page or a download never depends on the working folder
        return value
    if "Path" in kind:
        return Path(value).absolute() if value else None
    if kind.startswith("int"):
        return int(value)
    if kind.startswith("float"):
        return float(value)
    if kind.startswith("bool"):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if "tuple" in kind:
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if name in {"backend_url", "backend_update_url", "backend_store_url", "log_file"}:
        return value or None
    return value


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Layer the defaults, a TOML file (``ASCN_KG_CONFIG``), the environment and overrides."""
    settings = Settings()
    path = config_file or os.environ.get(f"{ENV_PREFIX}CONFIG")
    if path:
        with open(path, "rb") as handle:
            settings = settings.with_overrides(**tomllib.load(handle))
    from_env = {
        name: os.environ[f"{ENV_PREFIX}{name.upper()}"]
        for name in _FIELD_TYPES
        if f"{ENV_PREFIX}{name.upper()}" in os.environ and name != "extra"
    }
    settings = settings.with_overrides(**from_env)
    clean = {k: v for k, v in overrides.items() if v is not None}
    settings = settings.with_overrides(**clean)
    if not settings.base_iri.endswith("/"):
        settings = replace(settings, base_iri=settings.base_iri + "/")
    return settings
