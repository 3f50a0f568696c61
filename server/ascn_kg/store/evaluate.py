"""Evaluation of a public query on an open pyoxigraph store, answered as serialized bytes.

Called in a killable pool worker (:mod:`ascn_kg.store.pool`), or in-process by the embedded
store for a request proven cheap.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from ascn_kg.store.protocol import (
    QueryFailed,
    QueryMemoryExceeded,
    QueryOutcome,
    QueryRequest,
    QuerySyntaxError,
    StoreError,
    one_line,
)
from ascn_kg.store.results import boolean_outcome, streamed_solutions, streamed_triples


def evaluate_safely(store: ox.Store, request: QueryRequest) -> QueryOutcome:
    """:func:`evaluate`, with any failure reported as a :class:`StoreError` (never a crash)."""
    try:
        return evaluate(store, request)
    except StoreError:
        raise
    except MemoryError:  # a Python allocation past the process's limit (Rust's abort the process)
        raise QueryMemoryExceeded("the query ran out of memory and was stopped") from None
    except Exception as error:  # e.g. a serializer refusing a term (JSON-LD and RDF 1.2)
        raise QueryFailed(f"{type(error).__name__}: {one_line(error)}") from error


def evaluate(store: ox.Store, request: QueryRequest) -> QueryOutcome:
    """Run a public query on a pyoxigraph store and serialize it (called in a pool worker)."""
    dataset: dict[str, Any] = {}
    if request.default_graphs or request.named_graphs:
        dataset["default_graph"] = [ox.NamedNode(g) for g in request.default_graphs]
        dataset["named_graphs"] = [ox.NamedNode(g) for g in request.named_graphs]
    elif not request.query.has_dataset:
        dataset["use_default_graph_as_union"] = True
    if request.base_iri:  # relative IRIs resolve against the request's IRI (a BASE in the text wins)
        dataset["base_iri"] = request.base_iri
    try:
        result = store.query(request.query.text, **dataset)
    except SyntaxError as error:
        raise QuerySyntaxError(str(error)) from error
    except OSError as error:
        raise QueryFailed(str(error)) from error
    if isinstance(result, ox.QueryBoolean):
        return boolean_outcome(bool(result), request.media_type)
    if isinstance(result, ox.QuerySolutions):
        return streamed_solutions(result, request.media_type, request.max_rows, request.max_bytes)
    return streamed_triples(result, request, request.query.form)
