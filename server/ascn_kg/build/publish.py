"""Load dist/ascn.trig into any SPARQL 1.1 Graph Store Protocol endpoint, graph by graph.

Each named graph is sent with ``PUT {endpoint}?graph=IRI`` as N-Triples (triples of the
default graph, if any, with ``?default``), so publishing again replaces rather than adds.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox

N_TRIPLES = "application/n-triples"


class PublishError(OSError):
    """The dataset could not be read, or the endpoint could not be reached or refused a graph."""


def graphs_of(trig: Path) -> dict[str | None, list[ox.Triple]]:
    """The triples of each graph of a TriG file (None: the default graph)."""
    graphs: dict[str | None, list[ox.Triple]] = defaultdict(list)
    try:
        for quad in ox.parse(path=str(trig), format=ox.RdfFormat.TRIG):
            name = None if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name
            if isinstance(name, ox.BlankNode):
                raise PublishError(f"{trig}: a blank-node graph name cannot be published")
            graphs[None if name is None else name.value].append(quad.triple)
    except (OSError, SyntaxError) as error:
        raise PublishError(f"cannot read {trig}: {error}") from error
    return dict(graphs)


def graph_url(endpoint: str, graph: str | None) -> str:
    """The Graph Store Protocol URL of a graph (``?graph=…``, or ``?default``)."""
    query = "default" if graph is None else urllib.parse.urlencode({"graph": graph})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


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
    """Upload every graph of ``dist_dir/ascn.trig`` to the GSP endpoint ``to_url``.

    Returns the number of triples sent per graph ("" for the default graph).
    """
    graphs = graphs_of(Path(dist_dir) / "ascn.trig")
    sent: dict[str, int] = {}
    for graph, triples in sorted(graphs.items(), key=lambda item: item[0] or ""):
        put_graph(to_url, graph, triples, timeout)
        sent[graph or ""] = len(triples)
    return sent
