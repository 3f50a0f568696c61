"""Engine profiles and dataset scoping, without a running engine.

The live behaviour is in ``test_engines.py``; here each documented deviation is fed to its
profile as the engine sends it (the documents and headers below are Virtuoso 7.2's and
Oxigraph's own), and the remote store's rewriting of a query's dataset is read back.
"""

from __future__ import annotations

import pytest

from ascn_kg.config import Settings
from ascn_kg.store.engines import GENERIC, OXIGRAPH, VIRTUOSO, detect, named_engine
from ascn_kg.store.protocol import QueryRequest, QuerySyntaxError, QueryTimeout
from ascn_kg.store.remote import EMPTY_GRAPH, RemoteStore
from ascn_kg.store.safety import Limits, check

BASE = "https://kg.ascn.example/"
OURS = (f"{BASE}graph/a", f"{BASE}graph/b")
ASK_ROW = {"head": {"vars": ["__ASK_RETVAL"]},
           "results": {"bindings": [{"__ASK_RETVAL": {"type": "typed-literal", "value": "1",
                                                     "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}]}}


def test_engines_are_found_by_their_server_header() -> None:
    assert detect("Virtuoso/07.20.3229 (Linux) x86_64-pc-linux-gnu  ") is VIRTUOSO
    assert detect("Oxigraph/0.5.13") is OXIGRAPH
    assert detect("Apache-Jena-Fuseki") is detect(None) is GENERIC
    assert named_engine("auto") is None and named_engine("virtuoso") is VIRTUOSO
    with pytest.raises(ValueError, match="backend_engine must be auto or one of generic, oxigraph, virtuoso"):
        named_engine("blazegraph")


def test_an_ask_answered_as_one_row_reads_as_a_boolean() -> None:
    assert VIRTUOSO.boolean(ASK_ROW) is True
    zero = {"head": {}, "results": {"bindings": [{"__ASK_RETVAL": {"type": "literal", "value": "0"}}]}}
    assert VIRTUOSO.boolean(zero) is False
    assert VIRTUOSO.boolean({"head": {}, "results": {"bindings": []}}) is False
    assert GENERIC.boolean({"head": {}, "boolean": True}) is True
    with pytest.raises(ValueError, match="without a boolean"):
        GENERIC.boolean(ASK_ROW)  # only an engine documented to do so may answer this way


def test_booleans_written_as_digits_become_canonical() -> None:
    boolean = "http://www.w3.org/2001/XMLSchema#boolean"
    document = {"results": {"bindings": [{"x": {"type": "typed-literal", "datatype": boolean, "value": "1"},
                                          "n": {"type": "typed-literal", "value": "1",
                                                "datatype": "http://www.w3.org/2001/XMLSchema#integer"}},
                                         {"x": {"type": "typed-literal", "datatype": boolean, "value": "0"}}]}}
    rows = VIRTUOSO.normalised(document)["results"]["bindings"]
    assert [r["x"]["value"] for r in rows] == ["true", "false"] and rows[0]["n"]["value"] == "1"


def test_partial_answers_and_time_limit_messages_are_timeouts() -> None:
    with pytest.raises(QueryTimeout, match="own time limit"):
        VIRTUOSO.check_complete({"X-SQL-State": "S1TAT", "X-SQL-Message": "RC...: Returning incomplete results"})
    VIRTUOSO.check_complete({"Content-Type": "application/sparql-results+json"})
    GENERIC.check_complete({"X-SQL-State": "S1TAT"})  # not a header other engines define
    assert VIRTUOSO.is_timeout("Virtuoso S1T00 Error SR171: Transaction timed out")
    assert VIRTUOSO.is_timeout("Virtuoso 42000 Error The estimated execution time 22297 (sec) exceeds the limit")
    assert not VIRTUOSO.is_timeout("Virtuoso 37000 Error SP030: SPARQL compiler, line 1: syntax error")
    assert VIRTUOSO.message("Virtuoso 37000 Error SP030: syntax error\n\nSPARQL query:\ndefine input:…") == (
        "Virtuoso 37000 Error SP030: syntax error")


def test_graph_store_endpoints_beside_the_query_endpoint() -> None:
    assert VIRTUOSO.graph_store_url("http://h:8890/sparql") == "http://h:8890/sparql-graph-crud"
    assert VIRTUOSO.graph_store_url("http://h:8890/sparql/") == "http://h:8890/sparql-graph-crud"
    assert OXIGRAPH.graph_store_url("http://h:7878/query") == "http://h:7878/store"
    assert OXIGRAPH.graph_store_url("http://h:7878/sparql") is None
    assert GENERIC.graph_store_url("http://h/sparql") is None


class Scoped(RemoteStore):
    """A remote store whose graphs are known without asking an engine."""

    def dataset_graphs(self) -> tuple[str, ...]:
        return OURS


def scoped(query: str, *, default: tuple[str, ...] = (), named: tuple[str, ...] = (),
           base: str | None = None) -> tuple[str, tuple]:
    store = Scoped(Settings(backend_url="http://h/sparql", base_iri=BASE))
    return store.scoped(QueryRequest(check(query, Limits()), "application/sparql-results+json",
                                     default, named, base_iri=base))


def test_every_query_names_our_graphs_and_only_ours() -> None:
    assert scoped("SELECT * WHERE { ?s ?p ?o }") == ("SELECT * WHERE { ?s ?p ?o }", (OURS, OURS))
    text, dataset = scoped(f"SELECT * FROM <{OURS[1]}> FROM NAMED <http://other/g> WHERE {{ ?s ?p ?o }}")
    assert text == "SELECT *     WHERE { ?s ?p ?o }"
    assert dataset == ((OURS[1],), (EMPTY_GRAPH,))  # a graph not ours is an empty one
    assert scoped("SELECT * WHERE { ?s ?p ?o }", default=("http://www.openlinksw.com/schemas/virtrdf#",))[1] == (
        (EMPTY_GRAPH,), (EMPTY_GRAPH,))
    # the protocol's graphs win over the query's own
    assert scoped(f"SELECT * FROM <{OURS[0]}> {{ }}", named=(OURS[1],))[1] == ((EMPTY_GRAPH,), (OURS[1],))


def test_relative_iris_get_the_request_iri_as_base() -> None:
    text, dataset = scoped("SELECT * FROM <graph/a> WHERE { <x> ?p ?o }", base=BASE + "sparql")
    assert text == f"BASE <{BASE}sparql> SELECT *   WHERE {{ <x> ?p ?o }}" and dataset == ((OURS[0],), (EMPTY_GRAPH,))
    text, dataset = scoped(f"BASE <{BASE}graph/> SELECT * FROM <b> {{ }}", base="http://elsewhere/sparql")
    assert text.startswith(f"BASE <{BASE}graph/> SELECT") and dataset == ((OURS[1],), (EMPTY_GRAPH,))
    text, _ = scoped("PREFIX g: <https://kg.ascn.example/graph/>\nSELECT * FROM\n  g:a WHERE { ?s ?p ?o }")
    assert text.count("\n") == 2  # the clause's line break is kept, so positions in errors still match


def test_an_unreadable_from_clause_is_refused() -> None:
    with pytest.raises(QuerySyntaxError, match="FROM clause"):
        scoped("SELECT * FROM nope:g WHERE { ?s ?p ?o }")
