"""What SPARQL engines do differently, in one place: one profile per engine behind ``--backend``.

The remote store speaks the standard protocol and reads the standard result formats; where
an engine deviates from them, its profile here says how, and nothing else in the code knows
the engine. The profile is named by the ``backend_engine`` setting, or found from the
``Server`` header of the backend's first answer (``auto``, the default).

- **Oxigraph server** follows the standards; its Graph Store Protocol endpoint is ``/store``
  beside ``/query``, and it reports its own time limit with a message naming a timeout.
- **OpenLink Virtuoso** (7.2):

  - may answer an ``ASK`` carrying ``VALUES`` with a one-row result set (variable
    ``__ASK_RETVAL``, value 1 or 0) instead of a boolean;
  - writes ``xsd:boolean`` values as 1 and 0 (made canonical here), and types an untyped
    boolean expression as an integer (a query projecting a boolean casts it with
    ``xsd:boolean(…)``);
  - may return a partial answer with HTTP 200 and ``X-SQL-State: S1TAT`` when its own time
    limit strikes (its "anytime" queries), reports that limit as SQL state ``S1T00``, and
    refuses a query whose estimated time exceeds its limit: all are time-limit stops (504);
  - ends its error messages with the query it compiled (with our dataset in it): cut off;
  - takes Graph Store Protocol writes at ``/sparql-graph-crud`` beside ``/sparql``;
  - matches nothing for ``GRAPH ?g {}`` (the store seam lists graphs itself);
  - keeps its own system graphs in its default graph, and adds a query's ``FROM`` to the
    protocol's graphs: the remote store therefore names our graphs in every query, for every
    engine, and never relies on an engine's default graph.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ascn_kg.store.protocol import QueryTimeout

AUTO = "auto"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
BOOLEAN_DIGITS = {"1": "true", "0": "false"}


@dataclass(frozen=True)
class Engine:
    """How one SPARQL engine deviates from the standards (nothing, for ``generic``)."""

    name: str
    server_prefix: str = ""  # the start of its Server header, for ``auto``
    graph_store: tuple[str, str] | None = None  # query path suffix → Graph Store Protocol suffix
    ask_as_row: bool = False  # may answer ASK with a one-row result set
    partial_states: tuple[str, ...] = ()  # X-SQL-State values of a partial, time-limited answer
    timeout_markers: tuple[str, ...] = ()  # text of its error messages for its own time limit
    echo_marker: str = ""  # where its error messages start echoing the query (cut off there)
    boolean_digits: bool = False  # writes xsd:boolean values as 1 and 0

    def graph_store_url(self, query_url: str) -> str | None:
        """The engine's usual Graph Store Protocol endpoint beside ``query_url`` (None: unknown)."""
        if self.graph_store is None:
            return None
        path, store = self.graph_store
        head, _, tail = query_url.partition("?")
        if not head.rstrip("/").endswith(path):
            return None
        root = head.rstrip("/")[: -len(path)]
        return root + store + (f"?{tail}" if tail else "")

    def boolean(self, document: Mapping[str, Any]) -> bool:
        """The answer of an ASK query from its JSON results document."""
        if "boolean" in document:
            return bool(document["boolean"])
        rows = document.get("results", {}).get("bindings")
        if self.ask_as_row and isinstance(rows, list) and len(rows) <= 1:
            cells = list(rows[0].values()) if rows else []
            return bool(cells) and str(cells[0].get("value", "")).lower() in {"1", "true"}
        raise ValueError("the backend answered an ASK query without a boolean")

    def normalised(self, document: dict[str, Any]) -> dict[str, Any]:
        """A JSON results document with the engine's non-canonical values made canonical."""
        if self.boolean_digits:
            for row in document.get("results", {}).get("bindings", ()):
                for term in row.values():
                    if term.get("datatype") == XSD_BOOLEAN and term.get("value") in BOOLEAN_DIGITS:
                        term["value"] = BOOLEAN_DIGITS[term["value"]]
        return document

    def check_complete(self, headers: Mapping[str, str]) -> None:
        """Raise :class:`QueryTimeout` if the engine marked its answer as cut by its time limit."""
        state = headers.get("X-SQL-State", "").strip()
        if state and state in self.partial_states:
            raise QueryTimeout("the SPARQL backend stopped the query at its own time limit")

    def message(self, text: str) -> str:
        """An error message of the engine, without its echo of the query (ours, rewritten)."""
        if self.echo_marker and self.echo_marker in text:
            text = text[: text.index(self.echo_marker)]
        return text.strip()

    def is_timeout(self, message: str) -> bool:
        """Whether an error message of the engine reports its own time limit."""
        return any(marker in message for marker in self.timeout_markers)


GENERIC = Engine("generic")
OXIGRAPH = Engine("oxigraph", server_prefix="Oxigraph", graph_store=("/query", "/store"),
                  timeout_markers=("timeout", "Timeout", "timed out"))
VIRTUOSO = Engine("virtuoso", server_prefix="Virtuoso", graph_store=("/sparql", "/sparql-graph-crud"),
                  ask_as_row=True, partial_states=("S1TAT",),
                  timeout_markers=("S1T00", "S1TAT", "estimated execution time"),
                  echo_marker="SPARQL query:", boolean_digits=True)
ENGINES = {engine.name: engine for engine in (GENERIC, OXIGRAPH, VIRTUOSO)}


def named_engine(name: str) -> Engine | None:
    """The profile a ``backend_engine`` setting names (None for ``auto``); ValueError if unknown."""
    if name == AUTO:
        return None
    if name not in ENGINES:
        raise ValueError(f"backend_engine must be {AUTO} or one of {', '.join(ENGINES)}, not {name!r}")
    return ENGINES[name]


def detect(server_header: str | None) -> Engine:
    """The profile of the engine that sent this ``Server`` header (generic if none fits)."""
    header = (server_header or "").strip()
    return next((e for e in ENGINES.values() if e.server_prefix and header.startswith(e.server_prefix)),
                GENERIC)
