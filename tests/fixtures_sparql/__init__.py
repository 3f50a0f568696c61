"""A fixture dist/ for the SPARQL tests: TriG, N-Quads, the pyoxigraph store, VoID, VERSION."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyoxigraph as ox

HERE = Path(__file__).parent
BASE = "https://kg.ascn.example/"
GRAPHS = ("cities", "numbers", "people", "states")
NUMBERS = 3000  # triples in graph/numbers: enough for a slow cartesian product
EX = f"{BASE}def/ascn#"


def graph_iri(name: str) -> str:
    """The IRI of a fixture graph."""
    return f"{BASE}graph/{name}"


def numbers_trig(count: int = NUMBERS) -> str:
    """A generated graph of ``count`` numbered things."""
    lines = [f"<{graph_iri('numbers')}> {{"]
    lines += [f"  <{BASE}id/note/n{i}> <{EX}value> {i} ." for i in range(count)]
    return "\n".join(lines) + "\n}\n"


def make_dist(target: Path) -> Path:
    """Write a complete fixture dist/ into ``target`` and return it."""
    target.mkdir(parents=True, exist_ok=True)
    trig = (HERE / "data.trig").read_text(encoding="utf-8") + numbers_trig()
    (target / "ascn.trig").write_text(trig, encoding="utf-8")
    quads = list(ox.parse(trig.encode(), format=ox.RdfFormat.TRIG))
    (target / "ascn.nq").write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
    store = ox.Store(str(target / "store"))
    store.extend(quads)
    store.flush()
    del store
    void = f"<{BASE}.well-known/void> a <http://rdfs.org/ns/void#Dataset> .\n"
    (target / "void.ttl").write_text(void, encoding="utf-8")
    (target / "VERSION").write_text(hashlib.sha256(trig.encode()).hexdigest() + "\n")
    return target
