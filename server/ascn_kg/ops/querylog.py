"""Structured logging: one JSON object per line, and the per-query log record.

All of ASCN-KG logs under the ``ascn_kg`` logger; :func:`configure_logging` gives it
one JSON handler writing to stderr or to ``settings.log_file`` at ``settings.log_level``.
SPARQL requests are logged on ``ascn_kg.query`` by :func:`query_fields` +
:func:`log_query`: INFO normally, WARNING when slow or stopped at the time limit,
ERROR for server errors (with the traceback). Refused queries (client errors, a client
past its share, a busy server) never carry a traceback.
"""

from __future__ import annotations

import hashlib
import json
import logging
import logging.handlers
import sys
import threading
import time
from typing import Any

from ascn_kg.config import Settings

LOGGER_NAME = "ascn_kg"
QUERY_LOGGER_NAME = "ascn_kg.query"
USER_AGENT_BYTES = 256
CLIENT_BYTES = 64
_OURS = "_ascn_kg_handler"
_ENCODER = json.JSONEncoder(default=str)  # made once: json.dumps(default=…) builds one per call


def iso_time(created: float, _cache: list[Any] = [None, ""]) -> str:  # noqa: B006
    """``created`` (epoch seconds) as ISO-8601 UTC with milliseconds: ``…T13:40:43.123Z``.

    The date-time part is formatted once per second (logging is on the request path).
    """
    second = int(created)
    cached_second, prefix = _cache
    if second != cached_second:
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _cache[:] = [second, prefix]
    return f"{prefix}.{int((created - second) * 1000):03d}Z"


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON (``ts``, ``level``, ``logger``, then fields)."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": iso_time(record.created),
            "level": record.levelname,
            "logger": record.name,
        }
        fields = getattr(record, "ascn", None)
        if fields is not None:
            data.update(fields)
        else:
            data["message"] = record.getMessage()
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return _ENCODER.encode(data)


class _StderrHandler(logging.StreamHandler):
    """Write to whatever ``sys.stderr`` is at the time (so test capture and redirection work)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


class _FileHandler(logging.handlers.WatchedFileHandler):
    """Append to a file; notice logrotate moving it (checked at most once a second)."""

    _checked = 0.0

    def reopenIfNeeded(self) -> None:
        now = time.monotonic()
        if now - self._checked >= 1.0:
            self._checked = now
            super().reopenIfNeeded()


def parse_level(name: str) -> int:
    """A logging level from its name (``INFO``, ``debug``…); ValueError when unknown."""
    level = logging.getLevelNamesMapping().get(str(name).strip().upper())
    if level is None:
        raise ValueError(f"unknown log level {name!r}")
    return level


def close_logging() -> None:
    """Remove and close the handler :func:`configure_logging` installed (tests, shutdown)."""
    logger = logging.getLogger(LOGGER_NAME)
    for old in [h for h in logger.handlers if getattr(h, _OURS, False)]:
        logger.removeHandler(old)
        old.close()


def configure_logging(settings: Settings) -> logging.Handler:
    """Give the ``ascn_kg`` logger one JSON handler, replacing the one set up before.

    Logging is process-wide: the last app configured decides the destination. A log file
    is opened in append mode (one ``write`` per line, so the server's workers can share it)
    and reopened when logrotate moves it.
    """
    level = parse_level(settings.log_level)
    close_logging()
    logger = logging.getLogger(LOGGER_NAME)
    handler: logging.Handler = (
        _FileHandler(settings.log_file, encoding="utf-8") if settings.log_file
        else _StderrHandler()
    )
    handler.setFormatter(JsonFormatter())
    setattr(handler, _OURS, True)
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler


def query_hash(query: str) -> str:
    """The first 16 hex digits of the SHA-256 of the query text: joins log lines to queries."""
    return hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def clip_utf8(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, at a character boundary."""
    if len(text) * 4 <= limit:  # even four bytes a character would fit
        return text
    raw = text.encode("utf-8", "surrogatepass")
    return text if len(raw) <= limit else raw[:limit].decode("utf-8", "ignore")


def query_fields(
    *,
    outcome: str,
    duration_s: float,
    rows: int | None,
    query: str,
    client: str | None,
    user_agent: str | None,
    reason: str | None,
    cached: bool,
    truncated: bool,
    slow: bool,
    query_bytes: int,
) -> dict[str, Any]:
    """The fields of one query log line; client-supplied text is capped in bytes."""
    return {
        "event": "sparql_query",
        "query_hash": query_hash(query),
        "query": clip_utf8(query, query_bytes),
        "query_length": len(query),
        "duration_ms": round(duration_s * 1000.0, 3),
        "rows": rows,
        "outcome": outcome,
        "reason": reason,
        "cached": cached,
        "truncated": truncated,
        "slow": slow,
        "client": clip_utf8(client, CLIENT_BYTES) if client else client,
        "user_agent": clip_utf8(user_agent, USER_AGENT_BYTES) if user_agent else user_agent,
    }


class RepeatFilter:
    """At most one line a second for each client and refusal of a kind that comes in floods (a
    client past its share, a busy server); the line says how many were left out before it.

    A flooding client is answered thousands of times a second: each refusal is counted in the
    metrics, but the log gets one line a second, so it grows with time, not with the flood.
    """

    FLOODING = frozenset({"client", "busy"})

    def __init__(self, interval_s: float = 1.0) -> None:
        self.interval_s = interval_s
        self._last: dict[tuple[str | None, str], list[float | int]] = {}  # key → [time logged, left out]
        self._lock = threading.Lock()

    def admit(self, client: str | None, reason: str | None, now: float) -> int | None:
        """None: leave this line out; else how many were left out since the last line."""
        if reason not in self.FLOODING:
            return 0
        key = (client, reason)
        with self._lock:
            entry = self._last.get(key)
            if entry is not None and now - entry[0] < self.interval_s:
                entry[1] += 1
                return None
            if len(self._last) > 10_000:  # clients gone quiet are forgotten
                self._last = {k: v for k, v in self._last.items() if now - v[0] < self.interval_s}
            self._last[key] = [now, 0]
            return int(entry[1]) if entry is not None else 0


def query_level(outcome: str, slow: bool, reason: str | None = None) -> int:
    """INFO (refusals and overload too), WARNING for slow queries and queries stopped at the time
    or memory limit, ERROR for server errors."""
    if outcome == "error":
        return logging.ERROR
    if slow or outcome == "timeout" or reason == "memory":
        return logging.WARNING
    return logging.INFO


def log_query(
    logger: logging.Logger,
    level: int,
    fields: dict[str, Any],
    error: BaseException | None = None,
    created: float | None = None,
) -> None:
    """Emit one query line; a traceback only for server errors.

    The record is made directly (no caller lookup, which walks the stack): this runs
    once per SPARQL request.
    """
    exc_info = None
    if error is not None:
        fields["error"] = f"{type(error).__name__}: {error}"[:500]
        if fields["outcome"] == "error":
            exc_info = (type(error), error, error.__traceback__)
    record = logger.makeRecord(
        logger.name, level, __file__, 0, "sparql query", None, exc_info, extra={"ascn": fields}
    )
    if created is not None:  # when the query happened, not when the line is written
        record.created = created
        record.msecs = (created - int(created)) * 1000.0
    logger.handle(record)
