"""The one gate every public query passes before any backend sees it.

A single linear scan of the query text (no parser: pyoxigraph crashes the process on
deeply nested input) that skips strings, IRIs and comments and refuses: SPARQL Update,
``SERVICE`` to an IRI not on the allow-list, over-long text, too-deep nesting, too-long
operator chains, and text that is not a query at all. Syntax errors proper are reported
by the backend's parser, which only ever sees text that passed here. Verdicts are cached
by query text.

Where the scan and the SPARQL grammar could read ``<…>`` differently (an IRI, or a
less-than operator followed by code), the query is refused unless both readings agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from ascn_kg.bounded_cache import BoundedCache, text_bytes
from ascn_kg.errors import Refusal

UPDATE_KEYWORDS = frozenset(
    ["INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH", "USING"]
)
QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_MESSAGE = "SPARQL Update is not accepted here: this endpoint is read-only"
# Operators and keywords the parser turns into deep trees when repeated (10,000 ``!`` or
# 7,500 ``+`` in a row crash pyoxigraph 0.5.13 within the default length limit).
CHAIN_TOKENS = frozenset({"+", "*", "/", "|", "||", "&&", "!", "UNION", "MINUS", "OPTIONAL", "-"})
OPENERS = {"{": "}", "(": ")", "[": "]"}
# Functions whose value changes from one evaluation to the next: a query calling one can
# neither be cached nor trusted to cost the same twice.
VOLATILE_FUNCTIONS = ("RAND", "NOW", "UUID", "STRUUID", "BNODE")
VERDICT_ENTRIES = 2048

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
              |"(?:[^"\\\r\n]|\\.)*"|'(?:[^'\\\r\n]|\\.)*')
  | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\[uU])*>)
  | (?P<var>[?$][0-9A-Za-z_\u00B7-\U0010FFFF]+)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<word>(?:[0-9A-Za-z_.:%\u00B7-\U0010FFFF-]|\\.)+)
  | (?P<op>\|\||&&|[{}()\[\]]|.)
    """,
    re.VERBOSE | re.DOTALL,
)
_SCHEME_AUTHORITY = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_RISKY_IN_AMBIGUOUS = frozenset("#'\"(){}[]\\")
_OPERAND_END = frozenset({"var", "string", "iri", "word", "lang"})
_TERMS = frozenset({"var", "string", "iri", "word"})
_ALPHA_RUN = re.compile(r"[A-Za-z]+")


def _without_silent(text: str) -> str:
    """``text`` without a leading SILENT keyword (any case)."""
    return text[len("SILENT"):] if text.upper().startswith("SILENT") else text


class QueryRefused(Refusal):
    """A query refused before evaluation; ``status`` is the HTTP status to answer with.

    ``offset`` is where in the query the scan stopped (None when the whole query is at
    fault); ``message`` then ends with ``(at line:column)`` and ``plain`` is without it.
    """

    def __init__(
        self, message: str, status: int = 400, reason: str = "other", offset: int | None = None,
        text: str = "",
    ) -> None:
        self.plain = message
        self.offset = offset
        self.text = text
        super().__init__(f"{message} (at {position(text, offset)})" if offset is not None else message,
                         status, reason)


@dataclass(frozen=True)
class Limits:
    """The limits the scan enforces (from :class:`ascn_kg.config.Settings`)."""

    max_query_length: int = 20_000
    max_nesting: int = 64
    max_chain: int = 1_000
    service_allowlist: tuple[str, ...] = ()
    cache_bytes: int = field(default=4_000_000, compare=False)  # bytes of verdicts kept

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        """Take the fields of the same names from a settings object (and its verdict cache budget)."""
        names = ("max_query_length", "max_nesting", "max_chain", "service_allowlist")
        limits = cls(**{n: getattr(settings, n) for n in names if hasattr(settings, n)})
        budgets = getattr(settings, "cache_budgets", None)
        return replace(limits, cache_bytes=budgets["verdicts"]) if budgets else limits


@dataclass(frozen=True)
class DatasetClause:
    """A ``FROM`` or ``FROM NAMED`` clause: its graph (an IRI as written, relative or not)
    and where the clause stands in the text, so that a remote backend can take it out of
    the text and name the graph in the protocol instead."""

    named: bool
    iri: str
    start: int
    end: int


@dataclass(frozen=True)
class CheckedQuery:
    """A query that passed :func:`check`: its text, form and the services it calls."""

    text: str
    form: str
    services: tuple[str, ...] = ()
    has_dataset: bool = False  # FROM / FROM NAMED in the query itself
    volatile: bool = False  # calls RAND, NOW, UUID, STRUUID or BNODE (conservatively: names them)
    # The FROM clauses as read; None when one could not be read (a backend must refuse then).
    dataset: tuple[DatasetClause, ...] | None = ()
    relative: bool = False  # an IRI without a scheme: resolved against a base IRI
    has_base: bool = False  # the query declares its own BASE
    declared_base: str = ""  # the IRI of its (last) BASE, as written

    @property
    def repeatable(self) -> bool:
        """Whether another evaluation gives the same answer at the same cost (no volatile
        function, no remote service)."""
        return not self.volatile and not self.services


def check(text: str, limits: Limits) -> CheckedQuery:
    """Return the checked query or raise :class:`QueryRefused` (status and message)."""
    verdict = _verdict(text, limits)
    if isinstance(verdict, QueryRefused):
        raise QueryRefused(verdict.plain, verdict.status, verdict.reason, verdict.offset, verdict.text)
    return verdict


# Verdicts by query text, within the bytes of the last limits used (the settings' "verdicts" budget).
_VERDICTS: BoundedCache[CheckedQuery | QueryRefused] = BoundedCache(VERDICT_ENTRIES, Limits.cache_bytes)


def _verdict(text: str, limits: Limits) -> CheckedQuery | QueryRefused:
    _VERDICTS.max_bytes = limits.cache_bytes
    key = (text, limits)
    verdict = _VERDICTS.get(key)
    if verdict is None:
        try:
            verdict = _check(text, limits)
        except QueryRefused as refused:
            verdict = refused
        _VERDICTS.put(key, verdict, text_bytes(text))  # the verdict holds the same text
    return verdict


NO_FORM = "not a SPARQL query"  # the refusal of a text with no query form

def _check(text: str, limits: Limits) -> CheckedQuery:
    if len(text) > limits.max_query_length:
        raise QueryRefused(
            f"query is {len(text):,} characters long; the limit is {limits.max_query_length:,}",
            413,
            "size",
        )
    if not text.strip():
        raise QueryRefused("empty query", reason="syntax")
    scan = _Scan(text, limits)
    scan.run()
    if scan.form is None:
        raise QueryRefused(f"{NO_FORM}: expected SELECT, ASK, CONSTRUCT or DESCRIBE after the prologue")
    dataset = tuple(scan.dataset) if len(scan.dataset) == scan.from_keywords else None
    return CheckedQuery(text, scan.form, tuple(scan.services), scan.has_dataset, scan.volatile, dataset,
                        scan.relative, scan.has_base, scan.declared_base)


def where_group(text: str) -> int:
    """The offset just inside the ``{`` that opens a query's WHERE clause.

    That is the ``{`` after a top-level WHERE, or else (WHERE is optional) the first
    top-level ``{`` after the query form. Raises ValueError if there is none.
    """
    depth, seen_form, after_where = 0, False, False
    for match in _TOKEN.finditer(text):
        kind, value = match.lastgroup, match.group()
        if kind == "word" and depth == 0:
            keyword = value.upper()
            seen_form = seen_form or keyword in QUERY_FORMS
            after_where = after_where or keyword == "WHERE"
            if keyword == "CONSTRUCT":
                seen_form = False  # its first group is the template
        elif kind == "op" and value in OPENERS:
            if depth == 0 and value == "{" and (after_where or seen_form):
                return match.end()
            if depth == 0 and value == "{":
                seen_form = True  # a CONSTRUCT template: the next group is the pattern
            depth += 1
        elif kind == "op" and value in "})]":
            depth = max(0, depth - 1)
    raise ValueError("no WHERE clause found in the query")


def tokens(text: str) -> list[tuple[str, str, int]]:
    """The scan's tokens of ``text``: (kind, text, offset), whitespace and comments included.

    The explanation of parser errors reads the query with the same tokenizer as the gate.
    """
    return [(m.lastgroup or "", m.group(), m.start()) for m in _TOKEN.finditer(text)]


def position(text: str, offset: int) -> str:
    """``line:column`` (1-based) of a character offset."""
    line = text.count("\n", 0, offset) + 1
    return f"{line}:{offset - (text.rfind(chr(10), 0, offset) + 1) + 1}"


class _Scan:
    """One pass over the tokens; raises :class:`QueryRefused` at the first problem."""

    def __init__(self, text: str, limits: Limits) -> None:
        self.text = text
        self.limits = limits
        self.stack: list[tuple[str, int]] = []  # open bracket, operator count in group
        self.chain = 0
        self.form: str | None = None
        self.services: list[str] = []
        self.prefixes: dict[str, str] = {}
        self.previous: tuple[str, str] = ("", "")
        self.has_dataset = False
        self.volatile = False
        self.dataset: list[DatasetClause] = []
        self.from_keywords = 0
        self.relative = False
        self.has_base = False
        self.declared_base = ""

    def refuse(self, message: str, offset: int, reason: str = "other") -> None:
        raise QueryRefused(message, 400, reason, offset, self.text)

    def run(self) -> None:
        tokens = _TOKEN.finditer(self.text)
        for match in tokens:
            kind, value = match.lastgroup or "", match.group()
            if kind in {"ws", "comment"}:
                continue
            if kind == "iri":
                self.check_ambiguous(value, match.start())
                self.note_iri(value)
            elif kind == "op":
                self.bracket(value, match.start())
            elif kind == "word":
                self.word(value, match.start(), tokens)
            in_parentheses = bool(self.stack) and self.stack[-1][0] == "("
            if (value in CHAIN_TOKENS or value.upper() in CHAIN_TOKENS
                    or (in_parentheses and kind in _TERMS)):  # (1 2 3 …) collections nest too
                self.count_chain(match.start())
            self.previous = (kind, value)

    def bracket(self, value: str, offset: int) -> None:
        if value in OPENERS:
            self.stack.append((value, self.chain))
            self.chain = 0
            if len(self.stack) > self.limits.max_nesting:
                limit = self.limits.max_nesting
                self.refuse(f"query nests deeper than {limit} levels", offset, "nesting")
        elif value in "})]" and self.stack:
            self.chain = self.stack.pop()[1]

    def count_chain(self, offset: int) -> None:
        self.chain += 1
        if self.chain > self.limits.max_chain:
            self.refuse(
                f"more than {self.limits.max_chain} chained operators or items in one group",
                offset,
                "nesting",
            )

    def check_ambiguous(self, iri: str, offset: int) -> None:
        """Refuse ``<…>`` that the grammar could read as a less-than operator hiding code."""
        in_expression = bool(self.stack) and self.stack[-1][0] == "("
        if not in_expression or self.previous[0] not in _OPERAND_END:
            return
        content = iri[1:-1]
        if _SCHEME_AUTHORITY.match(content) or not _RISKY_IN_AMBIGUOUS.intersection(content):
            return
        self.refuse(
            "ambiguous '<': write a space after a less-than operator, or use a prefixed name",
            offset,
        )

    def word(self, value: str, offset: int, tokens: Iterable[re.Match[str]]) -> None:
        """Keywords, including those the grammar reads out of glued text (``1.SERVICE``)."""
        head, colon, _ = value.partition(":")
        for piece in _ALPHA_RUN.finditer(head):
            keyword = piece.group().upper()
            if keyword in UPDATE_KEYWORDS and not colon:
                self.refuse(f"{UPDATE_MESSAGE}; found {keyword}", offset, "update")
            at = keyword.find("SERVICE")  # pyoxigraph reads trueSERVICEex: as true SERVICE ex:
            if at >= 0:
                self.service(offset, tokens, value[piece.start() + at + len("SERVICE") :])
                return
            if colon:
                continue
            if any(name in keyword for name in VOLATILE_FUNCTIONS):  # also glued: 1+RAND()
                self.volatile = True
            if keyword == "FROM":
                self.has_dataset = True
                self.from_keywords += 1
                if value.upper() == "FROM" and not self.stack:
                    self.dataset_clause(offset, tokens)
            elif keyword == "BASE" and self.form is None:
                self.has_base = True
                self.base_declaration(tokens)
            elif keyword == "PREFIX" and self.form is None:
                self.prefix(tokens)
            elif keyword in QUERY_FORMS and self.form is None:
                if self.stack:
                    self.refuse(f"{keyword} in brackets before the query form", offset, "syntax")
                self.form = keyword

    def next_token(self, tokens: Iterable[re.Match[str]]) -> re.Match[str] | None:
        for match in tokens:
            if match.lastgroup not in {"ws", "comment"}:
                return match
        return None

    def prefix(self, tokens: Iterable[re.Match[str]]) -> None:
        name, iri = self.next_token(tokens), self.next_token(tokens)
        if name is not None and iri is not None and iri.lastgroup == "iri":
            self.prefixes[name.group().rstrip(":")] = iri.group()[1:-1]
            self.note_iri(iri.group())
        self.previous = ("iri", "")

    def base_declaration(self, tokens: Iterable[re.Match[str]]) -> None:
        """Record the IRI of ``BASE <iri>``."""
        iri = self.next_token(tokens)
        if iri is not None and iri.lastgroup == "iri":
            self.declared_base = iri.group()[1:-1]
            self.note_iri(iri.group())
        self.previous = ("iri", "")

    def note_iri(self, token: str) -> None:
        """Remember whether an IRI is relative (it then needs a base IRI to mean anything)."""
        if not _SCHEME.match(token[1:-1]):
            self.relative = True

    def dataset_clause(self, offset: int, tokens: Iterable[re.Match[str]]) -> None:
        """Record ``FROM [NAMED] <iri>`` (or a prefixed name); an unreadable one stays unrecorded."""
        target = self.next_token(tokens)
        named = target is not None and target.lastgroup == "word" and target.group().upper() == "NAMED"
        if named:
            target = self.next_token(tokens)
        self.previous = ("iri", "")
        if target is None or "\\" in target.group():
            return
        if target.lastgroup == "iri":
            self.note_iri(target.group())
            iri: str | None = target.group()[1:-1]
        else:
            iri = self.pname_iri(target.group()) if target.lastgroup == "word" else None
        if iri is not None:
            self.dataset.append(DatasetClause(named, iri, offset, target.end()))

    def service(self, offset: int, tokens: Iterable[re.Match[str]], glued: str) -> None:
        """Refuse ``SERVICE`` unless its target is an allow-listed IRI.

        ``glued`` is what followed the keyword in the same word (``SILENTex:`` …).
        """
        glued = _without_silent(glued)
        if not glued:
            target = self.next_token(tokens)
            if target is not None and target.lastgroup == "word":
                glued = _without_silent(target.group())
                if not glued:  # a separate SILENT: the target comes next
                    target = self.next_token(tokens)
            if not glued:
                shown = target.group() if target else "nothing"
                self.allow(self.service_iri(target), shown, offset)
                return
        self.allow(self.pname_iri(glued), glued, offset)

    def allow(self, iri: str | None, shown: str, offset: int) -> None:
        """Record an allow-listed service IRI, or refuse the query."""
        if iri is None or iri not in self.limits.service_allowlist:
            self.refuse(
                f"SERVICE {shown} is not allowed: federated queries are disabled", offset,
                "service",
            )
        self.services.append(iri or "")
        self.previous = ("iri", "")

    def service_iri(self, target: re.Match[str] | None) -> str | None:
        if target is None or "\\" in target.group():
            return None
        if target.lastgroup == "iri":
            return target.group()[1:-1]
        if target.lastgroup == "word":
            return self.pname_iri(target.group())
        return None

    def pname_iri(self, pname: str) -> str | None:
        prefix, colon, local = pname.partition(":")
        if not colon or prefix not in self.prefixes or "\\" in pname:
            return None
        return self.prefixes[prefix] + local
