"""The store seam: one protocol, two backends (embedded pyoxigraph, remote SPARQL endpoint).

The rest of the application talks to :class:`Store` only; :func:`open_store` chooses the
backend, in this one place. ``select``/``ask``/``construct`` are for cheap internal queries
(rdflib terms in and out, values bound after parsing, never formatted into the text);
``execute`` is the public /sparql path: a query already passed by :mod:`ascn_kg.safety`,
answered as bytes in the requested format, with at most ``max_rows`` rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

from .safety import CheckedQuery, where_group

if TYPE_CHECKING:
    from rdflib import Graph
    from rdflib.term import Node

    from .config import Settings

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
JSON_RESULTS = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
QUAD_FORMATS = frozenset({"application/trig", "application/n-quads"})


# --- errors: each maps to one HTTP status in ascn_kg.sparql ------------------------------


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


@dataclass(frozen=True)
class QueryOutcome:
    """A serialized answer: body, its media type, rows (or triples) and truncation."""

    body: bytes
    media_type: str
    rows: int
    truncated: bool = False
    form: str = field(default="SELECT")


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

    def close(self) -> None:
        """Release workers and connections."""
        ...


def open_store(settings: Settings) -> Store:
    """The backend the settings ask for: a remote endpoint if ``backend_url`` is set."""
    if settings.backend_url:
        return RemoteStore(settings)
    return EmbeddedStore(settings)


def one_line(error: BaseException) -> str:
    """An error's message on one line."""
    return " ".join(str(error).split()) or type(error).__name__


def read_version(dist_dir: Path) -> str:
    """The content hash in ``dist/VERSION``, or "" if there is none."""
    try:
        return (dist_dir / "VERSION").read_text(encoding="utf-8").strip()
    except OSError:
        return ""


VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
COUNT_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def query_base(query: CheckedQuery, request_iri: str | None, fallback: str) -> str | None:
    """The base IRI a query's relative IRIs resolve against: the IRI of the request that
    carried it (``fallback`` without one), or None for a query without relative IRIs."""
    if not query.relative:
        return None
    return request_iri or fallback


def timeout_message(limit: float) -> str:
    """The client-facing message for a query stopped at the time limit."""
    return f"query exceeded the {limit:g} s time limit and was stopped"


def bind_values(query: str, bindings: Mapping[str, Node] | None, *, with_bind: bool = False) -> str:
    """Bind variables to parsed rdflib terms with a VALUES block opening the WHERE clause.

    Both backends bind this way, so a query means the same on each (pyoxigraph's own
    ``substitutions`` only accept projected variables). Terms are written by rdflib's
    ``n3()``, which escapes literals and rejects invalid IRIs; blank nodes cannot be bound.
    ``with_bind`` opens the clause with ``BIND(term AS ?name)`` instead, which means the same
    (one solution, before anything else in the group): Virtuoso plans some queries carrying a
    VALUES block badly (the catalogue's events-in-month: 10 s instead of under one).
    Not for the short form ``CONSTRUCT WHERE``, whose pattern is also its template.
    """
    if not bindings:
        return query
    from rdflib import BNode, Variable

    if any(isinstance(v, BNode) for v in bindings.values()):
        raise TypeError("blank nodes cannot be bound")
    for name in bindings:
        if not VARIABLE_NAME.fullmatch(name):
            raise ValueError(f"not a variable name: {name!r}")
    names = [Variable(name) for name in bindings]
    if with_bind:
        block = " ".join(f"BIND({bindings[str(v)].n3()} AS {v.n3()})" for v in names)
    else:
        head = " ".join(v.n3() for v in names)
        row = " ".join(bindings[str(v)].n3() for v in names)
        block = f"VALUES ({head}) {{ ({row}) }}"
    inside = where_group(query)
    return f"{query[:inside]} {block} {query[inside:]}"


def json_term(value: Mapping[str, Any]) -> Node:
    """A term of the SPARQL JSON results format as an rdflib term."""
    from rdflib import BNode, Literal, URIRef

    kind = value["type"]
    if kind == "uri":
        return URIRef(value["value"])
    if kind == "bnode":
        return BNode(value["value"])
    if kind in {"literal", "typed-literal"}:
        datatype = value.get("datatype")
        if value.get("xml:lang"):
            return Literal(value["value"], lang=value["xml:lang"])
        return Literal(value["value"], datatype=URIRef(datatype) if datatype else None)
    raise TypeError(f"unsupported term type {kind!r}")


def term_json(term: Any) -> dict[str, Any]:
    """A pyoxigraph term in the SPARQL 1.1 JSON results format."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {
        "type": "triple",
        "value": {
            "subject": term_json(term.subject),
            "predicate": term_json(term.predicate),
            "object": term_json(term.object),
        },
    }


def to_rdflib(term: Any) -> Node:
    """A pyoxigraph term as an rdflib term (called per result cell: imports at module level)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return Literal(term.value, datatype=None if datatype == XSD_STRING else URIRef(datatype))
    raise TypeError(f"cannot convert {term!r} to an rdflib term")


def to_oxigraph(node: Node) -> Any:
    """An rdflib term as a pyoxigraph term."""
    if isinstance(node, URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, BNode):
        return ox.BlankNode(str(node))
    if isinstance(node, Literal):
        if node.language:
            return ox.Literal(str(node), language=node.language)
        if node.datatype is not None:
            return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)))
        return ox.Literal(str(node))
    raise TypeError(f"cannot convert {node!r} to a pyoxigraph term")


# The backends, re-exported: ``from ascn_kg.store import EmbeddedStore`` keeps working.
from .store_embedded import EmbeddedStore, evaluate  # noqa: E402
from .store_remote import RemoteStore, graph_url  # noqa: E402

__all__ = [
    "BackendUnavailable", "EmbeddedStore", "QueryFailed", "QueryOutcome", "QueryRequest",
    "QuerySyntaxError", "QueryTimeout", "RemoteStore", "Store", "StoreBusy", "StoreError",
    "StoreMissing", "bind_values", "evaluate", "graph_url", "json_term", "one_line", "open_store", "query_base",
    "read_version",
    "term_json", "timeout_message", "to_oxigraph", "to_rdflib",
]
