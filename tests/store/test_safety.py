"""The query gate: updates, SERVICE, size, nesting and ambiguity are refused before parsing."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ascn_kg.store.safety import Limits, QueryRefused, check, position

LIMITS = Limits(max_query_length=3_000_000)
PATH_P = "<http://example.org/p>"


def refused(query: str, limits: Limits = LIMITS) -> QueryRefused:
    with pytest.raises(QueryRefused) as caught:
        check(query, limits)
    return caught.value


UPDATES = [
    "INSERT DATA { <http://a> <http://b> <http://c> }",
    "insert data { <http://a> <http://b> <http://c> }",
    "InSeRt DaTa { <http://a> <http://b> <http://c> }",
    "DELETE DATA { <http://a> <http://b> <http://c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "delete { ?s ?p ?o } insert { ?s ?p 1 } where { ?s ?p ?o }",
    "WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "LOAD <http://example.org/data.ttl>",
    "LOAD SILENT <http://example.org/data.ttl> INTO GRAPH <http://g>",
    "CLEAR ALL",
    "clear default",
    "DROP GRAPH <http://g>",
    "drop silent all",
    "CREATE GRAPH <http://g>",
    "ADD DEFAULT TO <http://g>",
    "MOVE <http://a> TO <http://b>",
    "COPY <http://a> TO DEFAULT",
    "PREFIX ex: <http://example.org/>\nINSERT DATA { ex:a ex:b ex:c }",
    "# a comment\n  BASE <http://x/> INSERT DATA { <a> <b> <c> }",
    "SELECT * WHERE { ?s ?p ?o } ; INSERT DATA { <http://a> <http://b> <http://c> }",
    "SELECT * WHERE { ?s ?p ?o }.DROP ALL",
]


@pytest.mark.parametrize("update", UPDATES)
def test_every_form_of_update_is_refused(update: str) -> None:
    error = refused(update)
    assert error.status == 400
    assert error.reason == "update"
    assert "SPARQL Update is not accepted" in error.message


@pytest.mark.parametrize(
    "query",
    [
        'SELECT ?x WHERE { BIND("INSERT DATA { <a> <b> <c> }" AS ?x) }',
        "SELECT ?x WHERE { BIND('''DROP ALL\nCLEAR ALL''' AS ?x) }",
        "SELECT * WHERE { ?s <http://example.org/delete/drop> ?o }",
        "SELECT * WHERE { ?s ?p ?o } # DELETE WHERE { ?s ?p ?o }",
        "PREFIX insert: <http://example.org/> SELECT * WHERE { ?s insert:load ?o }",
        "SELECT ?insert ?delete WHERE { ?insert ?delete ?o }",
        "SELECT ?x WHERE { BIND(\"x\"@en-with AS ?x) }",
        'SELECT ?x WHERE { BIND("a \\" SERVICE <http://x> {}" AS ?x) }',
    ],
)
def test_keywords_in_strings_iris_comments_and_names_are_fine(query: str) -> None:
    assert check(query, LIMITS).form == "SELECT"


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "select * where { service silent <http://example.org/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { ?svc ?p ?o SERVICE ?svc { ?s ?p ?o } }",
        "PREFIX : <http://example.org/> SELECT * WHERE { SERVICE:sparql { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p 1.SERVICE <http://example.org/sparql> { } }",
        "SELECT * WHERE { ?s ?p ?o.SERVICE<http://example.org/sparql>{} }",
        "ASK { FILTER EXISTS { SERVICE <http://example.org/sparql> { } } }",
    ],
)
def test_service_is_refused_unless_allow_listed(query: str) -> None:
    error = refused(query)
    assert error.reason == "service"
    assert "SERVICE" in error.message and "not allowed" in error.message


def test_allow_listed_service_passes_by_iri_and_by_prefixed_name() -> None:
    limits = Limits(service_allowlist=("http://example.org/sparql",))
    by_iri = check("SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", limits)
    assert by_iri.services == ("http://example.org/sparql",)
    by_name = "PREFIX ex: <http://example.org/> SELECT * { SERVICE SILENT ex:sparql { } }"
    assert check(by_name, limits).services == ("http://example.org/sparql",)
    refused("SELECT * { SERVICE <http://example.org/other> { } }", limits)


def nested(kind: str, depth: int) -> str:
    if kind == "braces":
        return "SELECT * WHERE " + "{" * depth + "}" * depth
    if kind == "parentheses":
        return "SELECT * WHERE { FILTER(" + "(" * depth + "1" + ")" * depth + ") }"
    if kind == "subselects":
        return "SELECT * WHERE " + "{ SELECT * WHERE " * depth + "{}" + " }" * depth
    if kind == "path":
        return "SELECT * WHERE { ?s " + "(" * depth + PATH_P + ")" * depth + " ?o }"
    return "SELECT * WHERE { ?s " + f"[ {PATH_P} " * depth + "]" * depth + " }"


KINDS = ["braces", "parentheses", "subselects", "path", "brackets"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("depth", [3_000, 100_000])
def test_deep_nesting_is_refused_quickly(kind: str, depth: int) -> None:
    query = nested(kind, depth)
    started = time.perf_counter()
    error = refused(query)
    assert time.perf_counter() - started < 0.25  # linear and stopping early: ~0.1 ms
    assert error.reason == "nesting"
    assert "nests deeper than 64 levels" in error.message


@pytest.mark.parametrize("kind", KINDS)
def test_nesting_below_the_limit_passes(kind: str) -> None:
    assert check(nested(kind, 20), LIMITS).form == "SELECT"


def test_long_operator_chains_are_refused() -> None:
    # 7,500 chained additions crash pyoxigraph's parser; the gate stops at max_chain.
    error = refused("SELECT * WHERE { FILTER(" + "+".join(["1"] * 7_500) + ") }")
    assert error.reason == "nesting" and "chained operators" in error.message
    collection = "SELECT * WHERE { ?s ?p (" + " 1" * 9_000 + ") }"  # crashes pyoxigraph
    assert refused(collection).reason == "nesting"
    negations = "SELECT * WHERE { FILTER(" + "!" * 10_000 + "true) }"
    assert refused(negations).reason == "nesting"
    unions = "SELECT * WHERE { " + " UNION ".join(["{}"] * 2_000) + " }"
    assert refused(unions).reason == "nesting"
    assert check("SELECT * WHERE { FILTER(" + "+".join(["1"] * 500) + ") }", LIMITS)


def test_length_is_capped_with_413() -> None:
    error = refused("SELECT * WHERE { ?s ?p ?o }" + " " * 200, Limits(max_query_length=100))
    assert error.status == 413
    assert "the limit is 100" in error.message


@pytest.mark.parametrize(
    "query",
    [
        # '<' read as an IRI by a naive scan, as less-than + comment by the grammar
        "SELECT ?x WHERE { BIND(1 AS ?x) FILTER(?x<?x&&#>\n true) }",
        "SELECT * WHERE { FILTER(?a<?b)SERVICE#>\n<http://example.org/> {} }",
        "SELECT * WHERE { FILTER(?a<(((1)))&&?c>?b) }",
        "SELECT * WHERE { FILTER(?a<?b&&'''>\n} SERVICE <http://x/> {} #''') }",
    ],
)
def test_ambiguous_less_than_is_refused(query: str) -> None:
    assert "ambiguous '<'" in refused(query).message


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?s <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> ?o }",
        "SELECT * WHERE { ?s ?p ?o FILTER(?o != <urn:x:a#b>) }",
        "SELECT * WHERE { ?s ?p ?o FILTER(?o < 3 && ?o > 1) }",
        "SELECT * WHERE { ?s ?p ?o FILTER(IN(?o, <http://a#b>, <http://c#d>)) }",
        "SELECT * WHERE { ?s ?p ?o FILTER(?o <?p) }",
    ],
)
def test_ordinary_iris_and_comparisons_pass(query: str) -> None:
    assert check(query, LIMITS).form == "SELECT"


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ("PREFIX ex: <http://e/>\nBASE <http://b/>\nselect * { ?s ?p ?o }", "SELECT"),
        ("ASK {}", "ASK"),
        ("ASK{}", "ASK"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("DESCRIBE <http://x>", "DESCRIBE"),
    ],
)
def test_query_forms_are_recognised(query: str, form: str) -> None:
    assert check(query, LIMITS).form == form


@pytest.mark.parametrize("text", ["", "   ", "hello world", "{ SELECT * {} }", "PREFIX x: <y>"])
def test_text_that_is_not_a_query_is_refused(text: str) -> None:
    assert refused(text).status == 400


def test_dataset_clause_is_noticed() -> None:
    assert check("SELECT * FROM <http://g> WHERE { ?s ?p ?o }", LIMITS).has_dataset
    assert not check("SELECT * WHERE { ?s ?p ?o }", LIMITS).has_dataset


def test_positions_are_line_and_column() -> None:
    assert position("ab\ncd", 4) == "2:2"
    assert "(at 2:1)" in refused("PREFIX a: <http://a/>\nINSERT DATA {}").message


def test_verdicts_are_cached() -> None:
    query = "SELECT * WHERE { ?s ?p ?o } # cache probe"
    assert check(query, LIMITS) is check(query, LIMITS)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("{}()[]<>\"'#\\?:. \nSELCTINRVa1+|&")), max_size=200))
def test_any_text_gets_a_verdict_not_a_crash(text: str) -> None:
    try:
        check(text, LIMITS)
    except QueryRefused as error:
        assert error.status in {400, 413}


# --- differential: whatever the gate passes, pyoxigraph must not send to a SERVICE ------

OPENERS_TRICKS = [
    "", "# ", '"', "'", '"""', "'''", "<", "FILTER(?a<?b&&#>", "FILTER(?a<?b)", "ex:a\\#",
    "ex:a\\' ", "1.", "?o.", "SILENT", "x", "?s ?p true", "?s ?p false", "?s ?p 1",
    "FILTER(?a<?b&&'''>", "BIND(\"x\\\"\" AS ?q) ", "<urn:x#",
    "FILTER(?a<ex:b)", "{", "}", "(", "[", "\n", " . ",
]
CLOSERS_TRICKS = ["", "\n", "#", '"', "'''", '"""', ">", ")", "}", " .", "\n#'''"]


@settings(max_examples=1000, deadline=None)
@given(
    before=st.lists(st.sampled_from(OPENERS_TRICKS), max_size=3),
    after=st.lists(st.sampled_from(CLOSERS_TRICKS), max_size=3),
    glue=st.sampled_from([" ", "", "\n"]),
    target=st.sampled_from(["<{url}>", "ex:", "?svc", "SILENT <{url}>", "SILENTex:", "SILENT ex:",
                            "ex:x", "s:"]),
)
def test_nothing_the_gate_passes_reaches_a_service(before, after, glue, target) -> None:
    import pyoxigraph as ox

    url = "http://127.0.0.1:9/sparql"  # pyoxigraph refuses port 9 with a message naming it
    clause = f"SERVICE{glue}{target.format(url=url)} {{ ?s ?p ?o }}"
    query = (f"PREFIX ex: <{url}>\nSELECT * WHERE {{ ?svc ?p ?o . "
             + "".join(before) + clause + "".join(after) + " }")
    try:
        check(query, LIMITS)
    except QueryRefused:
        return
    store = ox.Store()  # data that every pattern of the generated queries matches
    xsd = "http://www.w3.org/2001/XMLSchema#"
    for value in (ox.NamedNode(url), ox.Literal("true", datatype=ox.NamedNode(xsd + "boolean")),
                  ox.Literal("false", datatype=ox.NamedNode(xsd + "boolean")),
                  ox.Literal("1", datatype=ox.NamedNode(xsd + "integer"))):
        store.add(ox.Quad(ox.NamedNode(url), ox.NamedNode(url), value))
    try:
        result = store.query(query)
        if not isinstance(result, ox.QueryBoolean):
            list(result)
    except SyntaxError:
        return
    except OSError as error:
        assert "port 9" not in str(error), f"SERVICE reached past the gate: {query!r}"


@pytest.mark.parametrize(("query", "volatile"), [
    ("SELECT (RAND() AS ?r) {}", True),
    ("SELECT * { ?s ?p ?o FILTER(SECONDS(now()) < 30) }", True),
    ("SELECT ?x { BIND(1+rand() AS ?x) }", True),
    ("SELECT (STRUUID() AS ?u) (UUID() AS ?v) {}", True),
    ("CONSTRUCT { ?s <urn:p> ?b } WHERE { ?s ?p ?o BIND(BNODE() AS ?b) }", True),
    ('SELECT * { ?s <http://x/RAND> "NOW()" } # RAND()', False),
    ("PREFIX now: <urn:x:> SELECT * { ?s now:rand ?o }", False),
    ("ASK {}", False),
])
def test_volatile_functions_are_noticed(query: str, volatile: bool) -> None:
    """A query calling RAND, NOW, UUID, STRUUID or BNODE is neither cached nor run in-process."""
    checked = check(query, Limits())
    assert checked.volatile is volatile
    assert checked.repeatable is not volatile
