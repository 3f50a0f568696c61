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

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BASE_IRI = "https://kg.ascn.example/"
ENV_PREFIX = "ASCN_KG_"


@dataclass(frozen=True)
class Settings:
    """All settings of ASCN-KG, with safe defaults."""

    base_iri: str = DEFAULT_BASE_IRI
    data_dir: Path = PROJECT_ROOT / "data"
    ontology_dir: Path = PROJECT_ROOT / "ontology"
    queries_dir: Path = PROJECT_ROOT / "queries"
    dist_dir: Path = PROJECT_ROOT / "dist"
    # server
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 2
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
    max_body_bytes: int = 1_000_000
    service_allowlist: tuple[str, ...] = ()
    query_workers: int = 4
    # A query the pool answered within this many ms on this dataset runs in-process next time
    # (the same query on the same read-only data does the same work); 0: always the pool.
    inline_query_ms: float = 20.0
    result_cache_size: int = 256
    result_cache_bytes: int = 64_000_000
    result_max_age: int = 300  # Cache-Control max-age of /sparql answers, seconds
    # operations
    log_level: str = "INFO"
    log_file: str | None = None
    log_query_chars: int = 500
    slow_query_seconds: float = 1.0
    metrics_enabled: bool = True
    query_log_enabled: bool = True
    bookkeeping_thread: bool = False  # `ascn-kg serve` turns it on: metrics and logs off the request thread
    permalink_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

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
            return Path(value)
        return value
    if "Path" in kind:
        return Path(value) if value else None
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
