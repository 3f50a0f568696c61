"""Labels: the one rule for which label to show, free of the web layer.

:func:`choose_label`: a label in the requested language, else in the other of English and
Korean, else any label (sorted, so always the same one), else the IRI's local name.
:func:`label_map`: the labels of many IRIs with one SELECT, IRIs bound through VALUES.
The interface language of a request is chosen in :mod:`ascn_kg.web.language`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from rdflib import Literal, URIRef
from rdflib.namespace import RDFS, SKOS

LANGUAGES = ("en", "ko")
# An absolute IRI that is safe to write between < > in SPARQL (no spaces, quotes, braces…).
IRI_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>\"{}|\\^`\x7f]*$")
LABEL_QUERY = """PREFIX rdfs: <{rdfs}>
PREFIX skos: <{skos}>
SELECT DISTINCT ?s ?label WHERE {{
  VALUES ?s {{ {values} }}
  {{ ?s rdfs:label|skos:prefLabel ?label }} UNION {{ GRAPH ?g {{ ?s rdfs:label|skos:prefLabel ?label }} }}
}}"""
# (A path, not ``VALUES ?p``: pyoxigraph joins a two-variable VALUES block by scanning every
# triple, 5 s for 200 IRIs on a million-triple graph; the path is answered from the index.)


def _primary(lang: str | None) -> str:
    return (lang or "").split("-", 1)[0].lower()


def local_name(iri: str) -> str:
    """The part after the last ``#`` or ``/``, percent-decoded, hyphens as spaces."""
    tail = re.split(r"[#/]", iri.rstrip("/#"))[-1]
    return unquote(tail).replace("-", " ").strip() or iri


def choose_label(labels: Iterable[Any], lang: str, iri: str) -> str:
    """The label to show for ``iri`` in ``lang`` (the project's one language rule)."""
    candidates = sorted(
        (_primary(label.language), str(label))
        for label in labels
        if isinstance(label, Literal) and str(label).strip()
    )
    wanted = _primary(lang)
    order = [wanted] + [other for other in LANGUAGES if other != wanted]
    for language in order:
        for tag, text in candidates:
            if tag == language:
                return text
    if candidates:
        return candidates[0][1]
    return local_name(iri)


def supported(lang: str | None) -> str | None:
    """The supported language named by ``lang`` (``ko-KR`` → ``ko``), or None."""
    primary = _primary(lang)
    return primary if primary in LANGUAGES else None


def _valid_iris(iris: Iterable[str]) -> list[str]:
    return sorted({str(iri) for iri in iris if IRI_PATTERN.match(str(iri))})


def label_query(iris: Iterable[str]) -> str:
    """The SELECT for the labels of ``iris`` (already-validated IRIs, written with ``n3()``)."""
    values = " ".join(URIRef(iri).n3() for iri in _valid_iris(iris))
    return LABEL_QUERY.format(rdfs=RDFS, skos=SKOS, values=values)


def _get(row: Any, name: str) -> Any:
    """A variable's value in a result row (dict, rdflib ResultRow, pyoxigraph solution)."""
    try:
        return row[name]
    except (KeyError, IndexError):
        return None


def _term_str(term: Any) -> str:
    return str(getattr(term, "value", term))


def _as_literal(term: Any) -> Literal | None:
    if term is None:
        return None
    if isinstance(term, Literal):
        return term
    language = getattr(term, "language", None)
    value = getattr(term, "value", None)
    if value is None:
        return None
    return Literal(value, lang=language) if language else Literal(value)


def label_map(store: Any, iris: Iterable[str], lang: str) -> dict[str, str]:
    """A label for every IRI in ``iris`` (rdfs:label, skos:prefLabel), by :func:`choose_label`.

    One SELECT through ``store.select``, whose rows map variable names to terms. IRIs
    that are not well-formed are not queried; they get their local name.
    """
    wanted = [str(iri) for iri in iris]
    found: dict[str, list[Literal]] = {iri: [] for iri in wanted}
    valid = _valid_iris(wanted)
    if valid:
        for row in store.select(label_query(valid)):
            literal = _as_literal(_get(row, "label"))
            subject = _term_str(_get(row, "s"))
            if literal is not None and subject in found:
                found[subject].append(literal)
    return {iri: choose_label(found[iri], lang, iri) for iri in wanted}
