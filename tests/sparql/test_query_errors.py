"""Query errors in plain words: the explanation of pyoxigraph's messages, and what a person
sees on /sparql (text and HTML) and on the query page, in English and in Korean."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pyoxigraph as ox
import pytest

from ascn_kg.build.pipeline import BuildResult
from ascn_kg.sparql.query_errors import explain, one_line_raw, parse_raw, split_expected
from ascn_kg.store.protocol import QuerySyntaxError
from ascn_kg.store.safety import Limits, QueryRefused, check
from liveserver import running_server

BASE = "https://kg.ascn.example/"


def syntax_error(query: str) -> QuerySyntaxError:
    """The error pyoxigraph's own parser raises for ``query``, as the stores pass it on."""
    try:
        ox.Store().query(query)
    except SyntaxError as error:
        return QuerySyntaxError(str(error))
    raise AssertionError(f"the query parses: {query!r}")


def refusal(query: str) -> QueryRefused:
    with pytest.raises(QueryRefused) as caught:
        check(query, Limits())
    return caught.value


# --- reading the parser's message --------------------------------------------------------


def test_the_expected_list_is_split_at_top_level_commas_only() -> None:
    line, column, items = parse_raw(str(syntax_error("SELECT * WHERE { ?s ?p ?o } GROUP BY")))
    assert (line, column) == (1, 37)
    assert items[:5] == ['"$"', '"("', '":"', '"<"', '"?"']
    assert items[5].startswith("['A' ..= 'Z'") and items[-1] == "[_]"
    assert split_expected('",", ".", "}", LATERAL') == ['","', '"."', '"}"', "LATERAL"]
    assert parse_raw("the endpoint said no") is None


# --- the mistakes named exactly ----------------------------------------------------------

CASES = [  # query, line, column, marked text, English words, Korean words
    ("SELECT * WHERE { ?s ?p ?o } LIMT 3", 1, 29, "LIMT",
     "“LIMT” is not a SPARQL keyword. Did you mean LIMIT?",
     "SPARQL 키워드가 아닙니다: “LIMT”. 혹시 다음을 뜻했나요: LIMIT"),
    ("SELECT * WHERE {\n  ?s ?p ?o .\n\tOPTINAL { ?s ?p ?o }\n}", 3, 2, "OPTINAL",
     "Did you mean OPTIONAL?", "혹시 다음을 뜻했나요: OPTIONAL"),
    ("SELECT * WHERE { ?s a ascn:PilotCity }", 1, 23, "ascn",
     f"the prefix “ascn:” is not declared. Add this line at the top: PREFIX ascn: <{BASE}def/ascn#>",
     f"선언되지 않은 접두어입니다: “ascn:”. 질의 맨 앞에 다음 줄을 넣으세요: PREFIX ascn: <{BASE}def/ascn#>"),
    ("SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?o = \"a)\n}", 3, 15, '"',
     "the string that starts here is never closed", "여기서 시작한 문자열이 닫히지 않았습니다"),
    # the words after an unclosed quote are its text, not misspelt keywords
    ('SELECT * WHERE { ?s ?p "abc }', 1, 24, '"', "the string that starts here is never closed",
     "여기서 시작한 문자열이 닫히지 않았습니다"),
    ("SELECT * WHERE { ?s ?p 'abc }", 1, 24, "'", "the string that starts here is never closed",
     "여기서 시작한 문자열이 닫히지 않았습니다"),
    ('SELECT * WHERE { ?s ?p """abc }', 1, 24, '"""', "the string that starts here is never closed",
     "여기서 시작한 문자열이 닫히지 않았습니다"),
    ('SELECT * WHERE { ?s ?p ?o FILTER(?o = "x) }', 1, 39, '"', "the string that starts here is never closed",
     "여기서 시작한 문자열이 닫히지 않았습니다"),
    ("SELECT * WHERE { ?s ?p ?o", 1, 16, "{",
     "the query ends before this “{” is closed: add the matching “}”.",
     "이 여는 괄호(“{”)가 닫히기 전에 질의가 끝났습니다"),
    ("SELECT * WHERE { ?s ?p ?o }}}", 1, 28, "}",
     "this “}” closes nothing", "이 닫는 괄호(“}”)에 짝이 되는 여는 괄호가 없습니다"),
    ("SELECT * WHERE { ?s ?p ?o FILTER(?o > 3 }", 1, 41, "}",
     "the “(” before this is not closed yet: add “)” before this “}”.", "앞의 여는 괄호(“(”)가 아직 닫히지 않았습니다"),
    ("SELECT * WHERE { ?s <rel> ?o }", 1, 21, "<rel>",
     "“<rel>” is not a valid IRI here", "올바른 IRI가 아닙니다: “<rel>”"),
    ("SELECT (COUNT(?s) AS ?n) ?p WHERE { ?s ?p ?o }", 1, 46, "}",
     "a variable in SELECT is neither grouped (GROUP BY) nor inside an aggregate",
     "SELECT의 변수가 GROUP BY로 묶이지도 않았고"),
    ("SELECT * WHERE { ?s ?p }", 1, 24, "}",
     "the query cannot be read from “}” on. The parser expected, among others: the keyword LATERAL or SERVICE.",
     "“}” 부분부터 질의를 읽을 수 없습니다. 이 자리에 올 수 있는 것(예): 키워드 LATERAL 또는 SERVICE."),
    ("SELECT DISTINCT WHERE { ?s ?p ?o }", 1, 17, "WHERE",
     "The parser expected, among others: a variable (?x), “(”", "이 자리에 올 수 있는 것(예): 변수(?x), “(”"),
    ("SELECT * WHERE { ?s ?p ?o FILTER(?o > ) }", 1, 41, "}",
     "an expression (a value, a variable or a function such as STR or REGEX)",
     "식(값, 변수, 또는 STR이나 REGEX 같은 함수)"),
]


@pytest.mark.parametrize("query,line,column,marked,english,korean", CASES)
def test_mistakes_are_named_at_their_place(query: str, line: int, column: int, marked: str,
                                            english: str, korean: str) -> None:
    error = syntax_error(query)
    for lang, words, label, place in (("en", english, "malformed query", f"line {line}, column {column}"),
                                      ("ko", korean, "잘못된 질의", f"{line}행 {column}열")):
        problem = explain(error, query, lang)
        assert (problem.line, problem.column) == (line, column)
        assert problem.source_line == query.splitlines()[line - 1]
        assert problem.pieces[1] == marked
        assert words in problem.detail
        text = problem.text().splitlines()
        assert text[0] == f"{label}: {place}: {problem.detail}"
        assert text[1] == f"  {line} | {problem.source_line}"
        assert text[2] == f"    | {problem.caret}"
        assert problem.raw == one_line_raw(str(error)) and problem.raw.startswith("error at ")
        parser = "파서의 메시지" if lang == "ko" else "parser's message"
        assert text[3] == f"{parser}: {problem.raw}"


def test_the_caret_stands_under_the_place_with_korean_and_tabs_before_it() -> None:
    query = 'SELECT * WHERE {\n\t?s ?p "한국어" . ?x }'
    problem = explain(syntax_error(query), query, "en")
    assert problem.pieces == ('\t?s ?p "한국어" . ?x ', "}", "")
    # a Korean syllable takes two columns of a terminal; the tab stays a tab
    assert problem.caret == "\t" + " " * (len('?s ?p "') + 6 + len('" . ?x ')) + "^"


def test_refusals_of_the_gate_are_explained_too() -> None:
    nested = "SELECT * WHERE " + "{" * 70 + "}" * 70
    problem = explain(refusal(nested), nested, "ko")
    assert problem.label == "거부된 질의" and problem.detail == "질의의 괄호 중첩이 64단계보다 깊습니다."
    assert (problem.line, problem.column) == (1, 16 + 64) and problem.pieces[1] == "{"
    update = "PREFIX ex: <http://example.org/>\nINSERT DATA { ex:a ex:b ex:c }"
    english = explain(refusal(update), update, "en")
    assert english.summary == ("query refused: line 2, column 1: SPARQL Update is not accepted here: "
                               "this endpoint is read-only; found INSERT")
    korean = explain(refusal(update), update, "ko")
    assert korean.detail == "이 엔드포인트는 읽기 전용이어서 SPARQL Update를 받지 않습니다."
    empty = explain(refusal("  "), "  ", "ko")
    assert empty.text() == "잘못된 질의: 질의가 비어 있습니다." and empty.line is None


@pytest.mark.parametrize(("query", "column", "word", "english", "korean"), [
    ("SELEC * WHERE { ?s ?p ?o }", 1, "SELEC", "“SELEC” is not a SPARQL keyword. Did you mean SELECT?",
     "SPARQL 키워드가 아닙니다: “SELEC”. 혹시 다음을 뜻했나요: SELECT"),
    ("PREFIX ex: <http://example.org/>\nCONSTRCT { ?s ?p ?o } WHERE { ?s ?p ?o }", 1, "CONSTRCT",
     "“CONSTRCT” is not a SPARQL keyword. Did you mean CONSTRUCT?", "혹시 다음을 뜻했나요: CONSTRUCT"),
    ("PREFIX ex: <http://example.org/> selct * {}", 34, "selct", "Did you mean SELECT?", "SELECT"),
])
def test_a_misspelt_query_form_is_named_with_the_closest_keyword(query: str, column: int, word: str, english: str,
                                                                  korean: str) -> None:
    """The gate finds no query form; the answer names the misspelt word at its place, not a bare refusal."""
    for lang, words, label in (("en", english, "malformed query"), ("ko", korean, "잘못된 질의")):
        problem = explain(refusal(query), query, lang)
        assert problem.label == label and words in problem.detail
        assert problem.column == column and problem.pieces[1] == word
        assert problem.raw.startswith("error at ")  # the parser's own message, as for every malformed query
    hello = explain(refusal("hello"), "hello", "en")
    assert hello.detail == "“hello” is not a SPARQL keyword."


def test_a_remote_oxigraphs_message_is_read_after_its_own_words() -> None:
    query = "SELECT * WHERE { ?s ?p ?o } LIMT 3"
    remote = QuerySyntaxError(f"Invalid SPARQL query: {syntax_error(query)}")
    problem = explain(remote, query, "en")
    assert (problem.line, problem.column, problem.pieces[1]) == (1, 29, "LIMT")


def test_a_message_that_is_not_pyoxigraphs_is_shown_as_it_is() -> None:
    problem = explain(QuerySyntaxError("QueryBadFormed: the endpoint refused it"), "SELECT", "en")
    assert problem.text() == "malformed query: QueryBadFormed: the endpoint refused it"


# --- what a person sees over HTTP ----------------------------------------------------------


@pytest.fixture(scope="module")
def base(built: BuildResult, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(built.dist, base_iri=BASE, permalink_dir=tmp_path_factory.mktemp("links")) as url:
        yield url


def get(url: str, headers: dict[str, str]) -> tuple[int, str, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get_content_type(), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read().decode()


BROKEN = ("PREFIX ascn: <https://kg.ascn.example/def/ascn#>\n"
          "SELECT ?city WHERE {\n  ?city a ascn:PilotCity\n  FILTR(?city)\n}")


@pytest.mark.parametrize("lang,first,place", [
    ("en", "malformed query: line 4, column 3: “FILTR” is not a SPARQL keyword. Did you mean FILTER?", "  4 |   FILTR"),
    ("ko", "잘못된 질의: 4행 3열: SPARQL 키워드가 아닙니다: “FILTR”. 혹시 다음을 뜻했나요: FILTER", "  4 |   FILTR"),
])
def test_sparql_answers_in_plain_words_with_line_column_and_caret(base: str, lang: str, first: str,
                                                                   place: str) -> None:
    status, media, body = get(f"{base}/sparql?{urllib.parse.urlencode({'query': BROKEN})}",
                              {"Accept-Language": lang})
    lines = body.splitlines()
    assert (status, media) == (400, "text/plain")
    assert lines[0] == first
    assert lines[1].startswith(place) and lines[2] == "    |   ^^^^^"
    assert re.match(r"^(parser's message|파서의 메시지): error at \d+:\d+: expected", lines[3])


def test_sparql_and_the_query_page_show_the_same_explanation_in_html(base: str) -> None:
    query = urllib.parse.urlencode({"query": BROKEN})
    for url, lang in ((f"{base}/sparql?{query}", "en"), (f"{base}/query?run=1&{query}", "ko")):
        status, media, body = get(url, {"Accept": "text/html", "Accept-Language": lang})
        assert (status, media) == (400, "text/html")
        box = re.search(r'<div class="query-error" role="alert" lang="(\w+)" data-line="4" data-column="3" '
                        r'data-length="5">(.*?)</div>', body, re.S)
        assert box is not None and box.group(1) == lang, body[:2000]
        assert "<mark>FILTR</mark>" in box.group(2)
        assert ("Did you mean FILTER?" if lang == "en" else "혹시 다음을 뜻했나요: FILTER") in box.group(2)
        assert re.search(r"<details><summary>[^<]+</summary><code>error at \d+:\d+: expected", box.group(2))
