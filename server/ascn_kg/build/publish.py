"""Load the built dataset into any SPARQL 1.1 Graph Store Protocol endpoint, graph by graph.

The quads are read from ``dist/store``, the store the embedded server answers from, so a
backend holds exactly what the embedded store holds (the dataset's named graphs and its
VoID description), on any engine. Each named graph is sent with ``PUT {endpoint}?graph=IRI``
as N-Triples (triples of the default graph, if any, with ``?default``), so publishing again
replaces rather than adds.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox

from ascn_kg.store.remote import graph_url

__all__ = ["PublishError", "graph_url", "graphs_of", "publish", "put_graph"]

N_TRIPLES = "application/n-triples"


class PublishError(OSError):
    """The dataset could not be read, or the endpoint could not be reached or refused a graph."""


def graphs_of(store_dir: Path) -> dict[str | None, list[ox.Triple]]:
    """The triples of each graph of a built store (None: the default graph)."""
    graphs: dict[str | None, list[ox.Triple]] = defaultdict(list)
    try:
        store = ox.Store.read_only(str(store_dir))
        for quad in store.quads_for_pattern(None, None, None, None):
            name = None if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name
            if isinstance(name, ox.BlankNode):
                raise PublishError(f"{store_dir}: a blank-node graph name cannot be published")
            graphs[None if name is None else name.value].append(quad.triple)
    except (OSError, RuntimeError) as error:
        raise PublishError(f"cannot read {store_dir}: {error}") from error
    return dict(graphs)


def put_graph(endpoint: str, graph: str | None, triples: list[ox.Triple], timeout: float) -> None:
    """Replace one graph at the endpoint."""
    body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    request = urllib.request.Request(
        graph_url(endpoint, graph), data=body, method="PUT",
        headers={"Content-Type": N_TRIPLES},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as error:
        detail = error.read().decode("utf-8", "replace").strip()[:500]
        raise PublishError(f"{graph or 'default graph'}: HTTP {error.code} {detail}") from error
    except OSError as error:
        raise PublishError(f"cannot reach {endpoint}: {error}") from error


def publish(dist_dir: Path, to_url: str, timeout: float = 60.0) -> dict[str, int]:
    """Upload every graph of the store in ``dist_dir`` to the GSP endpoint ``to_url``.

    Returns the number of triples sent per graph ("" for the default graph).
    """
    graphs = graphs_of(Path(dist_dir) / "store")
    sent: dict[str, int] = {}
    for graph, triples in sorted(graphs.items(), key=lambda item: item[0] or ""):
        put_graph(to_url, graph, triples, timeout)
        sent[graph or ""] = len(triples)
    return sent
