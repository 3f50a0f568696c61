"""Permalink ids and what may be stored under one: the rules every permalink store shares.

An id is the first 12 characters of the base32 SHA-256 of the normalised query and
parameters, so the same query always gets the same link (a rare collision lengthens it),
whichever store keeps it (a SQLite file, or the backend store shared by many web nodes).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence

from ascn_kg.errors import Refusal

ParamValue = str | Sequence[str]
Params = dict[str, str | list[str]]

ID_LENGTH = 12
ID_PATTERN = re.compile(r"^[a-z2-7]{12,52}$")
PARAM_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
MAX_PARAMS = 16
MAX_PARAM_VALUES = 16
MAX_PARAM_CHARS = 2_000
RESERVED = frozenset({"query", "run"})


class PermalinkError(Refusal, ValueError):
    """The query or its parameters cannot be stored (empty, malformed); HTTP 400."""


class QueryTooLong(PermalinkError):
    """The query is longer than ``settings.max_query_length``; HTTP 413."""

    status = 413


class PermalinkTooLarge(PermalinkError):
    """The query and its parameters take more than ``settings.permalink_max_bytes``; HTTP 413."""

    status = 413


class PermalinkStoreFull(PermalinkError):
    """The permalink store has reached ``settings.permalink_store_bytes``; HTTP 507."""

    status = 507

    def __init__(self, limit: int) -> None:
        super().__init__(f"the permalink store is full ({limit:,} bytes): no new permalink can be made; "
                         "the existing ones keep working", reason="size")


def normalise_query(text: str) -> str:
    """Line endings as LF, outer whitespace removed: the same query gets the same id."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def normalise_params(params: Mapping[str, ParamValue] | None) -> Params:
    """Check keys and values; a single value stays a string, several become a list."""
    clean: Params = {}
    for key, value in (params or {}).items():
        if not isinstance(key, str) or not PARAM_KEY.match(key) or key in RESERVED:
            raise PermalinkError(f"parameter name not allowed: {key!r}")
        values = [value] if isinstance(value, str) else list(value)
        if not values or len(values) > MAX_PARAM_VALUES:
            raise PermalinkError(f"parameter {key!r} needs 1 to {MAX_PARAM_VALUES} values")
        for item in values:
            if not isinstance(item, str) or len(item) > MAX_PARAM_CHARS or not _is_text(item):
                raise PermalinkError(f"parameter {key!r}: value too long or not text")
        clean[key] = values[0] if len(values) == 1 else values
    if len(clean) > MAX_PARAMS:
        raise PermalinkError(f"at most {MAX_PARAMS} parameters")
    return dict(sorted(clean.items()))


def _digest(query: str, params: Params) -> str:
    canonical = json.dumps([query, params], ensure_ascii=False, separators=(",", ":"))
    raw = hashlib.sha256(canonical.encode("utf-8")).digest()
    return base64.b32encode(raw).decode("ascii").lower().rstrip("=")


def prepare(
    query_text: str, extra_params: Mapping[str, ParamValue] | None, max_query_length: int,
    max_bytes: int = 32_000,
) -> tuple[str, Params, str]:
    """The normalised query and parameters of a new link, and their digest; PermalinkError if
    they cannot be stored (more than ``max_bytes`` of UTF-8 together: 413). Every permalink
    store calls this, so ids agree across stores."""
    query = normalise_query(query_text)
    if not query:
        raise PermalinkError("empty query")
    if len(query) > max_query_length:
        raise QueryTooLong(f"query longer than {max_query_length} characters")
    if not _is_text(query):
        raise PermalinkError("query is not valid Unicode text")
    params = normalise_params(extra_params)
    size = link_bytes(query, params)
    if size > max_bytes:
        raise PermalinkTooLarge(f"the query and its parameters take {size:,} bytes; a permalink holds at most "
                                f"{max_bytes:,}")
    return query, params, _digest(query, params)


def link_bytes(query: str, params: Params) -> int:
    """What a link stores: its query and its parameters, in bytes of UTF-8."""
    return len(query.encode("utf-8")) + len(encode_params(params).encode("utf-8"))


def encode_params(params: Params) -> str:
    """Parameters as the compact JSON text stored with a link."""
    return json.dumps(params, ensure_ascii=False, separators=(",", ":"))


def candidate_ids(digest: str) -> Iterator[str]:
    """The ids a link may get, shortest first (a longer one only after a collision)."""
    for length in range(ID_LENGTH, len(digest) + 1, 4):
        yield digest[:length]


def is_valid_id(link_id: str) -> bool:
    """Ids are 12 to 52 lower-case base32 characters."""
    return bool(ID_PATTERN.match(link_id))
