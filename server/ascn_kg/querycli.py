"""``ascn-kg query``: run a query (text, file or catalogue name) and print the answer.

The query passes the same safety checks and limits as /sparql and goes through the same
store seam, so the embedded store, ``backend_url`` or an ``endpoint`` all behave alike.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from ascn_kg.config import Settings
from ascn_kg.namespaces import prefixes
from ascn_kg.sparql.answer import query_base
from ascn_kg.sparql.query_errors import width
from ascn_kg.store.backend import open_store
from ascn_kg.store.protocol import JSON_RESULTS, N_TRIPLES, QueryRequest
from ascn_kg.store.safety import Limits, check
from ascn_kg.store.terms import term_json

FORMATS = ("table", "csv", "json")
CATALOGUE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
Resolver = Callable[[str], str]


def load_query(text_or_file: str, resolver: Resolver | None = None) -> str:
    """The query text: a file's content, a catalogue name through ``resolver``, or the text.

    Only a single word can name a file or a catalogue query; anything else is query text.
    Raises ValueError for a ``.rq``/``.sparql`` file that does not exist.
    """
    candidate = text_or_file.strip()
    if not candidate or any(c.isspace() for c in candidate):
        return text_or_file
    path = Path(candidate)
    if path.is_file():
        return path.read_text(encoding="utf-8")
    if path.suffix in {".rq", ".sparql"}:
        raise ValueError(f"no query file {candidate}")
    if resolver is not None and CATALOGUE_NAME.fullmatch(candidate):
        return resolver(candidate)
    return text_or_file


def compact(iri: str, names: dict[str, str]) -> str:
    """``prefix:local`` when a prefix fits, else ``<iri>``."""
    for prefix, namespace in names.items():
        local = iri[len(namespace):]
        if iri.startswith(namespace) and local and all(c.isalnum() or c in "-_" for c in local):
            return f"{prefix}:{local}"
    return f"<{iri}>"


def show(term: dict[str, Any] | None, names: dict[str, str]) -> str:
    """A JSON-results term as short text."""
    if term is None:
        return ""
    if term["type"] == "uri":
        return compact(term["value"], names)
    if term["type"] == "bnode":
        return f"_:{term['value']}"
    if "xml:lang" in term:
        return f"{term['value']}@{term['xml:lang']}"
    return str(term["value"])


def table_rows(
    outcome_body: bytes, form: str
) -> tuple[list[str], list[list[dict[str, Any] | None]]]:
    """Columns and rows of an answer (JSON results, or N-Triples for graphs)."""
    if form in {"SELECT", "ASK"}:
        document = json.loads(outcome_body)
        if "boolean" in document:
            value = {"type": "literal", "value": str(document["boolean"]).lower()}
            return ["answer"], [[value]]
        columns = document["head"]["vars"]
        return columns, [[b.get(c) for c in columns] for b in document["results"]["bindings"]]
    rows = [[term_json(t.subject), term_json(t.predicate), term_json(t.object)]
            for t in ox.parse(outcome_body, format=ox.RdfFormat.N_TRIPLES)]
    return ["subject", "predicate", "object"], rows


def print_table(columns: list[str], rows: list[list[str]], out: IO[str]) -> None:
    """Aligned text columns with a header rule."""
    widths = [max([width(c), *(width(r[i]) for r in rows)]) for i, c in enumerate(columns)]

    def line(cells: list[str]) -> str:
        padded = (c + " " * (w - width(c)) for c, w in zip(cells, widths, strict=True))
        return "  ".join(padded).rstrip() + "\n"

    out.write(line(columns))
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in rows:
        out.write(line(row))


def print_catalogue(entries: list[Any], lang: str, out: IO[str]) -> None:
    """The catalogue for ``ascn-kg query --list``: name and question, then each parameter."""
    name_width = max((len(entry.name) for entry in entries), default=0)
    for entry in entries:
        question = entry.question_ko if lang == "ko" else entry.question_en
        out.write(f"{entry.name:<{name_width}}  {question}\n")
        for param in entry.params:
            out.write(f"{'':<{name_width}}    --param {param.name}=…  {param.description} "
                      f"(default: {param.default})\n")
    out.write(f"\n{len(entries)} queries. Run one with: ascn-kg query NAME [--param NAME=VALUE]\n")


def run_query(
    settings: Settings,
    query_text_or_file: str,
    endpoint: str | None = None,
    fmt: str = "table",
    resolver: Resolver | None = None,
    out: IO[str] | None = None,
) -> int:
    """Run a query and print it as ``table``, ``csv`` or ``json``; return the row count.

    Raises :class:`ascn_kg.safety.QueryRefused`, :class:`ascn_kg.store.StoreError`, or
    ValueError for an unknown format.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    out = out or sys.stdout
    checked = check(load_query(query_text_or_file, resolver), Limits.from_settings(settings))
    if endpoint:
        settings = settings.with_overrides(backend_url=endpoint)
    media_type = JSON_RESULTS if checked.form in {"SELECT", "ASK"} else N_TRIPLES
    store = open_store(settings)
    try:
        outcome = store.execute(
            QueryRequest(checked, media_type, max_rows=settings.max_result_rows,
                         base_iri=query_base(checked, None, settings))
        )
    finally:
        store.close()
    columns, rows = table_rows(outcome.body, checked.form)
    names = prefixes(settings.base_iri)
    if fmt == "json" and checked.form in {"SELECT", "ASK"}:
        out.write(outcome.body.decode("utf-8") + "\n")
    elif fmt == "json":
        out.write(json.dumps([dict(zip(columns, r, strict=True)) for r in rows], indent=1) + "\n")
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[t["value"] if t else "" for t in row] for row in rows])
    else:
        print_table(columns, [[show(t, names) for t in row] for row in rows], out)
    if outcome.truncated:
        print(f"(cut at the {settings.max_result_rows:,}-row limit)", file=sys.stderr)
    return outcome.rows
