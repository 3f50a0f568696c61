"""Query errors in plain words, in English or Korean, with their place in the query.

One function, :func:`explain`, turns what went wrong with a query (the parser's
``SyntaxError`` text, or a refusal of the safety gate) into a :class:`QueryProblem`: a
headline naming the line and column, a sentence saying what was found and what was
expected, the query line with a caret under the place, and the parser's own message for
experts. ``/sparql`` (text and HTML), the query page and the editor (which marks the
place) all show the same explanation.

pyoxigraph reports the furthest point its parser reached and a sample of the tokens it
could have accepted there (``error at 1:25: expected one of LATERAL, SERVICE, [_]``).
That point is often just past the real mistake, so before the generic reading the text
is checked for the mistakes that explain most failures, each pointed at exactly: a word
that is not a SPARQL keyword (with the closest keyword), a prefix that is not declared
(with the line declaring it), a string never closed, a bracket never closed or closing
nothing, and an IRI that is not absolute.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

import pyoxigraph as ox
from flask import current_app, has_app_context

from ascn_kg.namespaces import prefixes
from ascn_kg.store.safety import NO_FORM, OPENERS, QueryRefused, tokens


def width(text: str) -> int:
    """Terminal (and caret) columns of ``text``: wide characters, such as Korean, take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

# pyoxigraph's message; an Oxigraph server behind --backend sends it after words of its own.
RAW_POSITION = re.compile(r"error at (?P<line>\d+):(?P<column>\d+): expected (?:one of )?(?P<expected>.*)\Z",
                          re.DOTALL)
NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\.?$")
CLOSERS = {closer: opener for opener, closer in OPENERS.items()}
FUNCTION_NAMES = """
ABS ADJUST AVG BNODE BOUND CEIL COALESCE CONCAT CONTAINS COUNT DATATYPE DAY ENCODE_FOR_URI EXISTS FLOOR
GROUP_CONCAT HASLANG HASLANGDIR HOURS IF IRI ISBLANK ISIRI ISLITERAL ISNUMERIC ISTRIPLE ISURI LANG LANGDIR
LANGMATCHES LCASE MAX MD5 MIN MINUTES MONTH NOT NOW OBJECT PREDICATE RAND REGEX REPLACE ROUND SAMETERM SAMPLE
SECONDS SHA1 SHA256 SHA384 SHA512 STR STRAFTER STRBEFORE STRDT STRENDS STRLANG STRLANGDIR STRLEN STRSTARTS
STRUUID SUBJECT SUBSTR SUM TIMEZONE TRIPLE TZ UCASE URI UUID YEAR
"""
OTHER_KEYWORDS = """
A ADD ALL AS ASC ASK BASE BIND BY CLEAR CONSTRUCT COPY CREATE DATA DEFAULT DELETE DESC DESCRIBE DISTINCT DROP
FALSE FILTER FROM GRAPH GROUP HAVING IN INSERT INTO LATERAL LIMIT LOAD MINUS MOVE NAMED OFFSET OPTIONAL ORDER
PREFIX REDUCED SELECT SEPARATOR SERVICE SILENT TO TRUE UNDEF UNION USING VALUES VERSION WHERE WITH
"""
FUNCTIONS = frozenset(FUNCTION_NAMES.split())
KEYWORDS = FUNCTIONS | frozenset(OTHER_KEYWORDS.split())  # SPARQL 1.1 and 1.2, upper case
# Keywords offered when a word is misspelt: the query keywords people type, not every function.
SUGGESTIONS = ("ASK", "BIND", "BY", "CONSTRUCT", "DESCRIBE", "DISTINCT", "FILTER", "FROM", "GRAPH", "GROUP",
               "HAVING", "LIMIT", "MINUS", "NAMED", "NOT", "EXISTS", "OFFSET", "OPTIONAL", "ORDER", "PREFIX",
               "SELECT", "SERVICE", "UNION", "VALUES", "WHERE", "COUNT", "REGEX", "CONTAINS", "LANG",
               "LANGMATCHES", "STR", "SAMPLE", "DESC", "ASC", "AS", "BOUND", "LCASE", "UCASE", "GROUP_CONCAT")

# What a token of pyoxigraph's "expected" list means, in words: token → (English, Korean).
WORDS: dict[str, tuple[str, str]] = {
    "variable": ("a variable (?x)", "변수(?x)"),
    "iri": ("an IRI (<https://…>)", "IRI(<https://…>)"),
    "pname": ("a prefixed name (ascn:PilotCity)", "접두어 이름(ascn:PilotCity)"),
    "string": ("a string (\"…\")", "문자열(\"…\")"),
    "number": ("a number", "숫자"),
    "boolean": ("true or false", "true 또는 false"),
    "blank": ("a blank node", "빈 노드"),
    "operator": ("an operator (such as =, && or +)", "연산자(=, &&, + 등)"),
    "lang": ("a language tag (@en)", "언어 태그(@en)"),
    "datatype": ("a datatype (^^xsd:integer)", "데이터 타입(^^xsd:integer)"),
    "expression": ("an expression (a value, a variable or a function such as STR or REGEX)",
                   "식(값, 변수, 또는 STR이나 REGEX 같은 함수)"),
    "more": ("more of the query", "질의의 나머지 부분"),
    "end": ("the end of the query", "질의의 끝"),
}
TOKEN_CATEGORY = {
    '"?"': "variable", '"$"': "variable", '"<"': "iri", '":"': "pname", '"_:"': "blank", '"["': "blank",
    '"\\""': "string", "\"'\"": "string", "\"'''\"": "string", '"\\"\\"\\""': "string",
    '"true"': "boolean", '"false"': "boolean", "['0'..='9']": "number", '"@"': "lang", '"^^"': "datatype",
    **{f'"{op}"': "operator" for op in ("&&", "||", "=", "!=", "<=", ">=", ">", "*", "+", "-", "/", "!")},
}
PUNCTUATION = frozenset('"{}()[].;,')
NOISE = ('"<<"', '"<<("', '"{|"', '"~"', '"\\\\"', '"\\\\u"', '"\\\\U"', "['%']", "['.']", "[':']",
         "['\\\\']", "['_']")
# pyoxigraph's own sentences in the "expected" list → (English, Korean).
SENTENCES: dict[str, tuple[str, str]] = {
    "The SELECT contains a variable that is unbound": (
        "a variable in SELECT is neither grouped (GROUP BY) nor inside an aggregate such as COUNT or SAMPLE.",
        "SELECT의 변수가 GROUP BY로 묶이지도 않았고 COUNT나 SAMPLE 같은 집계 함수 안에 있지도 않습니다."),
    "Duplicated variable name in SELECT": (
        "a variable is named twice in SELECT.", "SELECT에 같은 변수가 두 번 나옵니다."),
    "The SELECT overrides an existing variable using an expression": (
        "an expression in SELECT (… AS ?x) reuses the name of a variable the pattern already binds.",
        "SELECT의 식(… AS ?x)이 패턴에서 이미 쓰는 변수 이름을 다시 씁니다."),
}
# The safety gate's refusals (English, from safety.py) → Korean, by the start of the message.
REFUSALS_KO: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), k) for p, k in (
    (r"^SPARQL Update is not accepted here.*?(?:; found (?P<w>\w+))?$",
     "이 엔드포인트는 읽기 전용이어서 SPARQL Update를 받지 않습니다."),
    (r"^SERVICE (?P<w>.+) is not allowed", "SERVICE {w}: 연합 질의는 허용되지 않습니다."),
    (r"^query nests deeper than (?P<w>\d+) levels", "질의의 괄호 중첩이 {w}단계보다 깊습니다."),
    (r"^more than (?P<w>\d+) chained operators", "한 괄호 묶음 안에 연산자나 항목이 {w}개보다 많이 이어집니다."),
    (r"^ambiguous '<'", "모호한 '<': 작다 연산자 뒤에는 공백을 넣거나 접두어 이름을 쓰세요."),
    (r"^(?P<w>\w+) in brackets before the query form", "질의 형식보다 앞의 괄호 안에 {w}가 있습니다."),
    (r"^empty query", "질의가 비어 있습니다."),
    (rf"^{NO_FORM}",
     "SPARQL 질의가 아닙니다: 프롤로그 다음에 SELECT, ASK, CONSTRUCT 또는 DESCRIBE가 와야 합니다."),
    (r"^query is (?P<n>[\d,]+) characters long; the limit is (?P<w>[\d,]+)",
     "질의가 {n}자로, 제한인 {w}자보다 깁니다."),
))
TEXT: dict[str, tuple[str, str]] = {
    "malformed": ("malformed query", "잘못된 질의"),
    "refused": ("query refused", "거부된 질의"),
    "where": ("line {line}, column {column}", "{line}행 {column}열"),
    "parser": ("parser's message", "파서의 메시지"),
    "unknown_word": ("{found} is not a SPARQL keyword.", "SPARQL 키워드가 아닙니다: {found}."),
    "did_you_mean": (" Did you mean {suggestion}?", " 혹시 다음을 뜻했나요: {suggestion}"),
    "prefix": ("the prefix {found} is not declared. Add this line at the top: {declaration}",
               "선언되지 않은 접두어입니다: {found}. 질의 맨 앞에 다음 줄을 넣으세요: {declaration}"),
    "prefix_unknown": ("the prefix {found} is not declared: declare it with PREFIX {found} <namespace IRI>.",
                       "선언되지 않은 접두어입니다: {found}. PREFIX {found} <네임스페이스 IRI> 로 선언하세요."),
    "string": ("the string that starts here is never closed: add the closing {quote}.",
               "여기서 시작한 문자열이 닫히지 않았습니다. 닫는 따옴표({quote})를 넣으세요."),
    "unclosed": ("the query ends before this {found} is closed: add the matching {closer}.",
                 "이 여는 괄호({found})가 닫히기 전에 질의가 끝났습니다. 짝이 되는 닫는 괄호({closer})를 넣으세요."),
    "mismatch": ("the {opener} before this is not closed yet: add {closer} before this {found}.",
                 "앞의 여는 괄호({opener})가 아직 닫히지 않았습니다. 이 {found} 앞에 닫는 괄호({closer})를 넣으세요."),
    "stray": ("this {found} closes nothing: remove it, or add the {opener} it belongs to.",
              "이 닫는 괄호({found})에 짝이 되는 여는 괄호가 없습니다. 지우거나 여는 괄호({opener})를 넣으세요."),
    "iri": ("{found} is not a valid IRI here: write an absolute IRI such as <https://…> without spaces, "
            "or a prefixed name.",
            "올바른 IRI가 아닙니다: {found}. 공백 없는 절대 IRI(<https://…> 등)나 접두어 이름을 쓰세요."),
    "generic": ("the query cannot be read from {found} on. The parser expected, among others: {expected}.",
                "{found} 부분부터 질의를 읽을 수 없습니다. 이 자리에 올 수 있는 것(예): {expected}."),
    "generic_end": ("the query ends too early. The parser expected, among others: {expected}.",
                    "질의가 너무 일찍 끝납니다. 이 자리에 올 수 있는 것(예): {expected}."),
    "keywords": ("the keyword {words}", "키워드 {words}"),
    "or": (" or ", " 또는 "),
}


@dataclass(frozen=True)
class QueryProblem:
    """A query error explained: what to show a person, and where it is."""

    lang: str  # the language of the words: "en" or "ko"
    label: str  # "malformed query" / "잘못된 질의"
    headline: str  # "line 3, column 7" (empty when the whole query is at fault)
    detail: str  # one or two sentences in plain words
    raw: str  # the parser's (or the gate's) own message
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based, in characters
    length: int = 1  # characters to mark from the column
    source_line: str = ""  # the query's line at ``line``

    @property
    def caret(self) -> str:
        """Spaces (tabs where the line has tabs) up to the column, then ``^`` under the place."""
        if self.line is None or self.column is None:
            return ""
        before = self.source_line[: self.column - 1]
        pad = "".join("\t" if c == "\t" else " " * width(c) for c in before)
        marked = self.source_line[self.column - 1: self.column - 1 + self.length]
        return pad + "^" * max(1, width(marked))

    @property
    def pieces(self) -> tuple[str, str, str]:
        """The query line cut around the marked place: before, marked, after."""
        if self.column is None:
            return self.source_line, "", ""
        start, end = self.column - 1, self.column - 1 + self.length
        return self.source_line[:start], self.source_line[start:end], self.source_line[end:]

    @property
    def summary(self) -> str:
        """One line: label, place and plain words."""
        place = f"{self.headline}: " if self.headline else ""
        return f"{self.label}: {place}{self.detail}"

    @property
    def parser_label(self) -> str:
        return say("parser", self.lang)

    def text(self) -> str:
        """The plain-text form: the summary, the query line with a caret, the parser's message."""
        lines = [self.summary]
        if self.line is not None:
            number = str(self.line)
            lines.append(f"  {number} | {self.source_line}")
            lines.append(f"  {' ' * len(number)} | {self.caret}")
        if self.raw and self.raw != self.detail:
            lines.append(f"{self.parser_label}: {self.raw}")
        return "\n".join(lines)


def say(key: str, lang: str, **values: str) -> str:
    """An explanation string in ``lang`` (Korean for ``ko``, else English)."""
    text = TEXT[key][1 if lang == "ko" else 0]
    return text.format(**values) if values else text


def code(text: str) -> str:
    """A piece of the query quoted in a sentence."""
    return f"“{text}”"


def explain(error: Exception, query: str | None, lang: str = "en") -> QueryProblem:
    """The one explanation of a query error (a parser ``SyntaxError`` text or a gate refusal)."""
    if isinstance(error, QueryRefused):
        return explain_refusal(error, query or "", lang)
    return explain_syntax_error(query or "", one_line_raw(str(error)), lang)


def one_line_raw(message: str, limit: int = 300) -> str:
    """The parser's message on one line, cut after ``limit`` characters."""
    flat = " ".join(message.split())
    return flat if len(flat) <= limit else flat[:limit].rstrip() + " …"


def parser_message(query: str) -> str:
    """What pyoxigraph's parser says of ``query``, on one line ("" if it reads it).

    Only for a text the safety gate has scanned whole (its length, nesting and chains are within
    the limits) and found no query form in: it is parsed against an empty store, never run."""
    try:
        ox.Store().query(query)
    except SyntaxError as error:
        return one_line_raw(str(error))
    return ""


def misspelt(found: str, lang: str) -> str:
    """``found`` is no SPARQL keyword, with the closest keyword when there is one."""
    detail = say("unknown_word", lang, found=code(found))
    close = difflib.get_close_matches(found.upper(), SUGGESTIONS, n=1, cutoff=0.6)
    return detail + say("did_you_mean", lang, suggestion=close[0]) if close else detail


def explain_refusal(error: QueryRefused, query: str, lang: str) -> QueryProblem:
    """A refusal of the safety gate, in ``lang``, placed where the scan stopped.

    A query with no query form is most often a misspelt one (``SELEC *``): the first word that
    is no keyword is named, at its place, with the closest keyword."""
    if error.plain.startswith(NO_FORM):
        word = unknown_word(meaningful(query), len(query))
        if word is not None:
            return placed(say("malformed", lang), misspelt(word[0], lang), parser_message(query), query, word[1],
                          len(word[0]), lang)
    detail = error.plain
    if lang == "ko":
        for pattern, korean in REFUSALS_KO:
            found = pattern.match(error.plain)
            if found:
                detail = korean.format(**{k: v or "" for k, v in found.groupdict().items()})
                break
    label = say("refused", lang) if error.reason not in {"syntax"} else say("malformed", lang)
    if error.offset is None:  # no parser took part: there is no parser's message to show
        return QueryProblem(lang, label, "", detail, "")
    return placed(label, detail, "", query, error.offset, 1, lang)


def placed(label: str, detail: str, raw: str, query: str, offset: int, length: int, lang: str) -> QueryProblem:
    """A problem at ``offset`` of ``query`` (line, column and the line's text)."""
    offset = max(0, min(offset, len(query)))
    line = query.count("\n", 0, offset) + 1
    start = query.rfind("\n", 0, offset) + 1
    end = query.find("\n", offset)
    source = query[start: end if end >= 0 else len(query)].rstrip("\r")
    column = offset - start + 1
    length = max(1, min(length, len(source) - column + 1)) if column <= len(source) else 1
    headline = say("where", lang, line=str(line), column=str(column))
    return QueryProblem(lang, label, headline, detail, raw, line, column, length, source)


# --- reading pyoxigraph's message ---------------------------------------------------------


def parse_raw(raw: str) -> tuple[int, int, list[str]] | None:
    """(line, column, expected tokens) of a pyoxigraph message, or None if it is not one."""
    found = RAW_POSITION.search(raw.strip())
    if not found:
        return None
    return int(found["line"]), int(found["column"]), split_expected(found["expected"])


def split_expected(text: str) -> list[str]:
    """The items of an "expected" list: quoted tokens, [character classes], words or sentences."""
    items, current, depth, quote, escaped = [], [], 0, "", False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif quote:
            quote = "" if char == quote and depth == 0 else quote
        elif char == '"' and depth == 0:
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    items.append("".join(current).strip())
    return [item for item in items if item]


def offset_of(query: str, line: int, column: int) -> int:
    """The character offset of a 1-based line and column (columns count characters)."""
    starts = [0] + [m.end() for m in re.finditer("\n", query)]
    if line - 1 >= len(starts):
        return len(query)
    return min(len(query), starts[line - 1] + column - 1)


# --- the mistakes read from the text ------------------------------------------------------


def meaningful(query: str) -> list[tuple[str, str, int]]:
    """The query's tokens without whitespace and comments."""
    return [t for t in tokens(query) if t[0] not in {"ws", "comment"}]


def unknown_word(toks: list[tuple[str, str, int]], until: int) -> tuple[str, int] | None:
    """The first bare word up to ``until`` that is no SPARQL keyword (SPARQL has no other bare words)."""
    for kind, value, offset in toks:
        if offset > until:
            return None
        word = value.strip(".")
        if kind == "word" and ":" not in word and not NUMBER.match(value) \
                and any(c.isalpha() for c in word) and word.upper() not in KEYWORDS:
            return word, offset + value.index(word)
    return None


def declared_prefixes(toks: list[tuple[str, str, int]]) -> set[str]:
    """Prefixes declared by ``PREFIX p: <…>`` lines."""
    names = set()
    for i, (kind, value, _) in enumerate(toks[:-1]):
        if kind == "word" and value.upper() == "PREFIX" and toks[i + 1][0] == "word":
            names.add(toks[i + 1][1].split(":", 1)[0])
    return names


def undeclared_prefix(toks: list[tuple[str, str, int]]) -> tuple[str, int] | None:
    """The first prefixed name whose prefix no PREFIX line declares."""
    declared = declared_prefixes(toks)
    for i, (kind, value, offset) in enumerate(toks):
        if kind != "word" or ":" not in value or (i and toks[i - 1][1].upper() == "PREFIX"):
            continue
        prefix = value.split(":", 1)[0]
        if prefix != "_" and prefix not in declared and not NUMBER.match(prefix):
            return prefix + ":", offset
    return None


def unclosed_string(query: str, toks: list[tuple[str, str, int]]) -> tuple[str, int] | None:
    """A quote that opens no complete string (the tokenizer saw it as a lone character)."""
    for kind, value, offset in toks:
        if kind == "op" and value in {'"', "'"}:
            if query.startswith(value * 3, offset):
                return value * 3, offset
            if offset >= 2 and query[offset - 2:offset] == value * 2:  # read as an empty string, then a quote
                return value * 3, offset - 2
            return value, offset
    return None


def bracket_problem(toks: list[tuple[str, str, int]], until: int) -> tuple[str, str, str, int] | None:
    """The first bracket up to ``until`` that closes nothing ("stray", "}", "{", offset) or closes
    the wrong one ("mismatch", "}", "(", offset); else one never closed ("unclosed", "{", "{", offset)."""
    stack: list[tuple[str, int]] = []
    for kind, value, offset in toks:
        if kind != "op" or offset > until:
            continue
        if value in OPENERS:
            stack.append((value, offset))
        elif value in CLOSERS:
            if not stack:
                return "stray", value, CLOSERS[value], offset
            if stack[-1][0] != CLOSERS[value]:
                return "mismatch", value, stack[-1][0], offset
            stack.pop()
    if stack:
        return "unclosed", stack[-1][0], stack[-1][0], stack[-1][1]
    return None


def bad_iri(query: str, offset: int) -> tuple[str, int] | None:
    """The ``<…>`` around or just before ``offset``."""
    start = query.rfind("<", 0, offset + 1)
    if start < 0:
        return None
    end = query.find(">", start)
    end = end + 1 if end >= 0 else min(len(query), start + 40)
    return query[start:end], start


def token_at(toks: list[tuple[str, str, int]], query: str, offset: int) -> tuple[str, int] | None:
    """The token the parser stopped at: the one at ``offset``, or the one before it when
    ``offset`` is in the spaces after a token or right behind it (the parser looks one
    character ahead); None at the end of a query that ends with spaces."""
    before = None
    for _, value, start in toks:
        if start <= offset < start + len(value):
            return value, start
        if start + len(value) <= offset:
            before = (value, start)
    rest_blank = not query[offset:].strip()
    if before is None:
        return None
    adjacent = before[1] + len(before[0]) == offset
    if rest_blank and not adjacent:
        return None
    return before


def expected_words(items: list[str], at_end: bool, lang: str) -> str:
    """pyoxigraph's expected tokens as words in ``lang`` (categories, punctuation, keywords)."""
    index = 1 if lang == "ko" else 0
    words: list[str] = []
    keywords: list[str] = []
    for item in items:
        if item in NOISE:
            continue
        category = TOKEN_CATEGORY.get(item)
        if category is None and item.startswith("['A' ..= 'Z'"):
            category = "pname"
        if category is None and item.startswith("['-' | '0'"):
            continue  # the rest of a name: implied by the name itself
        if category is not None:
            phrase = WORDS[category][index]
        elif len(item) == 3 and item[0] == item[2] == '"' and item[1] in PUNCTUATION:
            phrase = code(item[1])
        elif item.startswith('"') and item.endswith('"'):
            phrase = code(item[1:-1])
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", item):
            keywords.append(item)
            continue
        else:
            continue  # [_]: handled below; other character classes say nothing to a person
        if phrase not in words:
            words.append(phrase)
    functions = [k for k in keywords if k.upper() in FUNCTIONS]
    if len(functions) >= 3:  # a sample of the built-in functions: an expression was expected
        keywords = [k for k in keywords if k.upper() not in FUNCTIONS]
        words.insert(0, WORDS["expression"][index])
    if keywords:
        shown = keywords[:6]
        joined = ", ".join(shown[:-1]) + say("or", lang) + shown[-1] if len(shown) > 1 else shown[0]
        words.append(say("keywords", lang, words=joined))
    if not words:
        words.append(WORDS["more" if at_end else "end"][index])
    return ", ".join(words)


def explain_syntax_error(query: str, raw: str, lang: str) -> QueryProblem:
    """The parser's message read against the query: the mistake, its place, in ``lang``."""
    label = say("malformed", lang)
    parsed = parse_raw(raw)
    if parsed is None or not query:
        return QueryProblem(lang, label, "", raw, raw)
    line, column, expected = parsed
    offset = offset_of(query, line, column)
    toks = meaningful(query)
    at_end = not query[offset:].strip()

    def problem(detail: str, where: int, length: int) -> QueryProblem:
        return placed(label, detail, raw, query, where, length, lang)

    if "IRI parsing failed" in expected:
        iri = bad_iri(query, offset)
        if iri is not None:
            return problem(say("iri", lang, found=code(iri[0])), iri[1], len(iri[0]))
    quote = unclosed_string(query, toks)
    if quote is not None and quote[1] > offset:
        quote = None
    word = unknown_word(toks, offset)
    if word is not None and quote is not None and quote[1] < word[1]:
        word = None  # what follows an unclosed quote is the string's text, not words
    if word is not None:
        return problem(misspelt(word[0], lang), word[1], len(word[0]))
    if "Prefix not found" in expected:
        undeclared = undeclared_prefix(toks)
        if undeclared is not None and undeclared[1] <= offset:
            return problem(prefix_advice(undeclared[0], lang), undeclared[1], len(undeclared[0]) - 1)
    if quote is not None:
        return problem(say("string", lang, quote=code(quote[0])), quote[1], len(quote[0]))
    brackets = bracket_problem(toks, offset)
    if brackets is not None and (brackets[0] != "unclosed" or at_end):
        kind, found, opener, where = brackets
        values = {"found": code(found), "opener": code(opener), "closer": code(OPENERS[opener])}
        return problem(say(kind, lang, **values), where, 1)
    for sentence, words in SENTENCES.items():
        if sentence in expected:
            where = token_at(toks, query, offset)
            start, length = (where[1], len(where[0])) if where else (offset, 1)
            return problem(words[1 if lang == "ko" else 0], start, length)
    found_token = token_at(toks, query, offset)
    described = expected_words(expected, found_token is None, lang)
    if found_token is None:
        return problem(say("generic_end", lang, expected=described), len(query.rstrip()), 1)
    value, start = found_token
    return problem(say("generic", lang, found=code(value), expected=described), start, len(value))


def prefix_advice(prefix: str, lang: str) -> str:
    """What to write to declare ``prefix`` (its namespace when it is one of ours)."""
    known = known_prefixes()
    name = prefix.rstrip(":")
    if name in known:
        return say("prefix", lang, found=code(prefix), declaration=f"PREFIX {prefix} <{known[name]}>")
    return say("prefix_unknown", lang, found=code(prefix))


def known_prefixes() -> dict[str, str]:
    """The prefixes of the running app's base IRI (of the default base outside an app)."""
    if not has_app_context() or "SETTINGS" not in current_app.config:
        return prefixes()
    return prefixes(current_app.config["SETTINGS"].base_iri)
