"""What the dataset holds, counted one way for every place that says it.

The dataset is what the build writes to ``dist/ascn.nq``: its triples, each in one of its
named graphs. The store the server answers from holds one graph more, ``graph/void``: the
dataset's own description (VoID and DCAT, from ``dist/void.ttl``), loaded beside the data
so that SPARQL can read it. It is not part of the dumps, so it is counted apart. The home
page, the download page, the service description and ``/metrics`` (through the stores'
``triple_count``) all take their numbers from :func:`dataset_counts`; VoID counts the
same quads at build time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ascn_kg.iris import graph

DESCRIPTION_GRAPH = "void"  # {base}graph/void: the dataset's description, served beside it
GRAPH_COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


@dataclass(frozen=True)
class DatasetCounts:
    """Triples per named graph of the dataset, and the description graph's apart."""

    per_graph: tuple[tuple[str, int], ...]  # (graph IRI, triples), sorted by IRI
    description_graph: str
    description_triples: int  # 0 when the store has no description graph

    @property
    def triples(self) -> int:
        """Triples in the dataset's named graphs: the lines of ``dist/ascn.nq``."""
        return sum(n for _, n in self.per_graph)

    @property
    def graphs(self) -> int:
        return len(self.per_graph)


def description_graph(base_iri: str) -> str:
    """The IRI of the graph holding the dataset's description (``{base}graph/void``)."""
    return str(graph(DESCRIPTION_GRAPH, base_iri))


def dataset_counts(store: Any, base_iri: str) -> DatasetCounts:
    """Count the store's named graphs with one SELECT (a scan of every quad), the description
    graph apart; kept per store and dataset version, since a build never changes."""
    version = store.version()
    if not version:
        return _count(store, base_iri)
    return _counted(store, version, base_iri)


@lru_cache(maxsize=8)
def _counted(store: Any, version: str, base_iri: str) -> DatasetCounts:
    return _count(store, base_iri)


def _count(store: Any, base_iri: str) -> DatasetCounts:
    described = description_graph(base_iri)
    per_graph = {str(row["g"]): int(row["n"]) for row in store.select(GRAPH_COUNTS)}
    description = per_graph.pop(described, 0)
    return DatasetCounts(tuple(sorted(per_graph.items())), described, description)
