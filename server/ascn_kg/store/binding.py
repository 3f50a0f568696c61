"""Binding values into internal queries, after parsing, never by formatting text."""

from __future__ import annotations

import re
from collections.abc import Mapping

from rdflib import BNode, Variable
from rdflib.term import Node

from ascn_kg.store.safety import where_group

VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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
