"""The store seam: one protocol, two backends (embedded pyoxigraph, remote SPARQL endpoint).

The rest of the application talks to :class:`Store` only; :func:`ascn_kg.store.backend.open_store`
chooses the backend, in that one place. ``select``/``ask``/``construct`` are for cheap internal queries
(rdflib terms in and out, values bound after parsing, never formatted into the text);
``execute`` is the public /sparql path: a query already passed by :mod:`ascn_kg.store.safety`,
answered as bytes in the requested format, with at most ``max_rows`` rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ascn_kg.store.safety import CheckedQuery

if TYPE_CHECKING:
    from rdflib import Graph
    from rdflib.term import Node


JSON_RESULTS = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
QUAD_FORMATS = frozenset({"application/trig", "application/n-quads"})


# --- errors: each maps to one HTTP status in ascn_kg.sparql.errors ------------------------------


class StoreError(Exception):
    """Base of the errors a store raises; ``str()`` is a message fit for the client."""


class QuerySyntaxError(StoreError):
    """The backend's parser refused the query (the message has the position)."""


class QueryTimeout(StoreError):
    """The query ran past the time limit and was stopped."""


class QueryFailed(StoreError):
    """Evaluation failed (an evaluator crash, an I/O error)."""


class BackendUnavailable(StoreError):
    """The remote endpoint could not be reached or answered with an error."""


class StoreBusy(StoreError):
    """Every query worker stayed busy for longer than the time limit."""


class StoreMissing(StoreError):
    """The built store is not there (run ``ascn-kg build``)."""


class QueryMemoryExceeded(StoreError):
    """The query needed more memory than a query process may have; the process was replaced."""


# --- the protocol -------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryRequest:
    """A checked public query and how to answer it."""

    query: CheckedQuery
    media_type: str
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    max_rows: int = 10_000
    prefixes: tuple[tuple[str, str], ...] = ()
    # The IRI relative IRIs of the query resolve against (the request's IRI), when it has any;
    # an explicit BASE in the query wins over it.
    base_iri: str | None = None
    max_bytes: int = 10_000_000  # the answer's body, cut at whole rows like max_rows

    def __hash__(self) -> int:
        """Computed once: a request is looked up (result cache, proven-cheap set) on every answer."""
        found = self.__dict__.get("_hash")
        if found is None:
            found = hash((self.query, self.media_type, self.default_graphs, self.named_graphs, self.max_rows,
                          self.prefixes, self.base_iri))
            object.__setattr__(self, "_hash", found)
        return found

    def __getstate__(self) -> dict[str, object]:
        """Without the kept hash: another process hashes strings differently."""
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}


@dataclass(frozen=True)
class QueryOutcome:
    """A serialized answer: body, its media type, rows (or triples) and truncation."""

    body: bytes
    media_type: str
    rows: int
    truncated: bool = False
    form: str = field(default="SELECT")
    cut_at: str = ""  # the limit a truncated answer was cut at: "rows" or "bytes"


class Store(Protocol):
    """What the application needs from a SPARQL store."""

    def version(self) -> str:
        """The dataset's content hash ("" if unknown: nothing is cached then)."""
        ...

    def select(
        self, query: str, bindings: Mapping[str, Node] | None = None
    ) -> list[dict[str, Node]]:
        """Rows of a SELECT query, as rdflib terms (unbound variables left out)."""
        ...

    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool:
        """The answer of an ASK query."""
        ...

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> Graph:
        """The graph of a CONSTRUCT or DESCRIBE query."""
        ...

    def triple_count(self) -> int:
        """Distinct triples in the union of all graphs."""
        ...

    def graphs(self) -> list[str]:
        """The IRIs of the dataset's named graphs, sorted (engines differ on ``GRAPH ?g {}``)."""
        ...

    def execute(self, request: QueryRequest) -> QueryOutcome:
        """Answer a public query (time-limited, row-capped, serialized)."""
        ...

    def warm(self) -> None:
        """Get ready for the first public query (start what ``execute`` needs)."""
        ...

    def close(self) -> None:
        """Release workers and connections."""
        ...


def one_line(error: BaseException) -> str:
    """An error's message on one line."""
    return " ".join(str(error).split()) or type(error).__name__


def read_version(dist_dir: Path) -> str:
    """The content hash in ``dist/VERSION``, or "" if there is none."""
    try:
        return (dist_dir / "VERSION").read_text(encoding="utf-8").strip()
    except OSError:
        return ""


COUNT_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def timeout_message(limit: float) -> str:
    """The client-facing message for a query stopped at the time limit."""
    return f"query exceeded the {limit:g} s time limit and was stopped"


def memory_message(limit_bytes: int) -> str:
    """The client-facing message for a query stopped at the memory limit of a query process."""
    return (f"query needed more than the {limit_bytes / 1e6:,.0f} MB memory limit of a query process and was "
            "stopped; narrow it (fewer solutions to sort or group, shorter strings)")
