"""Catalogue queries made executable: each parameter's value bound as a term after parsing.

The catalogue (:mod:`ascn_kg.catalogue`) checks the values; here they become rdflib
literals, bound to their ``?_name`` variables by the store's binding
(:func:`ascn_kg.store.bind_values`, in its ``BIND`` form, which every engine plans well),
so a value is never pasted into the query text and can never become query syntax.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from rdflib import Literal

from ascn_kg.catalogue import NAME as CATALOGUE_NAME
from ascn_kg.catalogue import Entry, UnknownQuery, bindings, parse_entry, resolve
from ascn_kg.store.binding import bind_values
from ascn_kg.store.protocol import Store

# What a catalogue parameter may name: a key (the last segment of an IRI), or any rdfs:label,
# skos:altLabel or ascn:abbreviation, case ignored, as the catalogue's queries match them.
NAMES = """SELECT DISTINCT ?text WHERE {
  { ?s ?label ?name .
    FILTER(isLiteral(?name) && (?label IN (<http://www.w3.org/2000/01/rdf-schema#label>,
                                           <http://www.w3.org/2004/02/skos/core#altLabel>)
                                || STRENDS(STR(?label), "/def/ascn#abbreviation")))
    BIND(STR(?name) AS ?text) }
  UNION { ?s a ?type . FILTER(isIRI(?s)) BIND(REPLACE(STR(?s), "^.*/", "") AS ?text) }
}"""


def render(entry: Entry, params: dict[str, str] | None = None) -> str:
    """The executable query, each parameter bound to its value (or default) as a literal.

    Raises ValueError for a parameter the entry does not declare or a value the catalogue refuses.
    """
    values = {name: Literal(value) for name, value in bindings(entry, params).items()}
    return bind_values(entry.text, values, with_bind=True)


def _existing_file(candidate: str) -> Path | None:
    """``candidate`` as a path if it names an existing file (a query text never does)."""
    if "\n" in candidate or len(candidate) > 1024:
        return None
    try:
        path = Path(candidate)
        return path if path.is_file() else None
    except (OSError, ValueError):  # a name too long for the file system, a NUL character
        return None


def query_text(name_file_or_text: str, params: dict[str, str], queries_dir: Path | str) -> str:
    """The executable query for ``ascn-kg query``: a catalogue name, a query file or query text.

    Parameters are bound with :func:`render`; they need a catalogue header to declare them.
    Raises :class:`UnknownQuery` for a name not in the catalogue (or a missing ``.rq`` file),
    ValueError for parameters the query does not declare, :class:`CatalogueError` for a bad header.
    """
    candidate = name_file_or_text.strip()
    path = _existing_file(candidate)
    if path is not None and path.read_text(encoding="utf-8").startswith("#+"):
        return render(parse_entry(path), params)
    if path is not None:
        text = path.read_text(encoding="utf-8")
    elif CATALOGUE_NAME.match(candidate):
        return render(resolve(candidate, queries_dir), params)
    elif candidate.endswith((".rq", ".sparql")) and "\n" not in candidate:
        raise UnknownQuery(f"no query file {candidate}")
    else:
        text = name_file_or_text
    if params:
        raise ValueError("parameters can only be bound in a query with a catalogue header (#+ defaults: …)")
    return text


def parameter_names(store: Store) -> dict[str, str]:
    """Every key, label, alternative name and abbreviation in the graph, by its case-folded form
    (one scan: callers keep it for as long as they serve the same store)."""
    return {str(row["text"]).casefold(): str(row["text"]) for row in store.select(NAMES, {})}


def unmatched(names: dict[str, str], params: dict[str, str], n: int = 3) -> dict[str, list[str]]:
    """The parameters whose value is none of ``names`` (:func:`parameter_names`), each with up to
    ``n`` closest names: for a query that found no rows, tells a misspelt name from a real one."""
    return {
        key: [names[c] for c in difflib.get_close_matches(value.casefold(), list(names), n=n, cutoff=0.6)]
        for key, value in params.items()
        if value.casefold() not in names
    }
