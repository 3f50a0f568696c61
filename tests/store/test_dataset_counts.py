"""One set of numbers: the home page, VoID, the service description, /metrics and the download
page all count what ``dist/ascn.nq`` holds; the store's own description (graph/void) apart."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, VOID

from ascn_kg.build.pipeline import BuildResult
from ascn_kg.namespaces import SD
from liveserver import running_server

BASE = "https://kg.ascn.example/"
DESCRIPTION = f"{BASE}graph/void"


@pytest.fixture(scope="module")
def base(built: BuildResult, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(built.dist, base_iri=BASE, permalink_dir=tmp_path_factory.mktemp("links")) as url:
        yield url


@pytest.fixture(scope="module")
def dump(built: BuildResult) -> dict[str, int]:
    """Quads per named graph of dist/ascn.nq, read with pyoxigraph's own parser."""
    counts: dict[str, int] = {}
    for quad in ox.parse(path=str(built.dist / "ascn.nq"), format=ox.RdfFormat.N_QUADS):
        counts[quad.graph_name.value] = counts.get(quad.graph_name.value, 0) + 1
    return counts


def fetch(url: str, accept: str = "text/html", lang: str = "en") -> str:
    request = urllib.request.Request(url, headers={"Accept": accept, "Accept-Language": lang})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read().decode()


def test_the_dump_is_what_the_build_reported(built: BuildResult, dump: dict[str, int]) -> None:
    lines = (built.dist / "ascn.nq").read_bytes().count(b"\n")
    # 9,304 quads in 24 graphs: one graph per part of the report with its statements and their
    # places (locators), plus ontology, inferred, data-quality, provenance and sources
    assert sum(dump.values()) == lines == built.triples == 9304
    assert len(dump) == built.graphs == 24
    assert DESCRIPTION not in dump


def test_the_dump_holds_the_very_terms_the_store_answers_with(built: BuildResult) -> None:
    """The same literals, byte for byte: the store keeps canonical forms (xsd:decimal 1450, not
    1450.0), so a dump written in another form would disagree with STR(), sameTerm and diffs."""
    def ground(quads: set[ox.Quad]) -> set[ox.Quad]:  # blank nodes are named afresh by each parser
        return {q for q in quads if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)}

    dumped = set(ox.parse(path=str(built.dist / "ascn.nq"), format=ox.RdfFormat.N_QUADS))
    store = ox.Store.read_only(str(built.dist / "store"))
    stored = {q for q in store if q.graph_name != ox.NamedNode(DESCRIPTION)}
    assert len(dumped) == len(stored) == 9304
    assert ground(dumped) == ground(stored), sorted(map(str, ground(dumped) ^ ground(stored)))[:6]
    assert len(ground(dumped)) > 9000


@pytest.mark.parametrize("path", ["/", "/download/"])
def test_the_home_and_download_pages_say_what_the_dump_holds(base: str, built: BuildResult, dump: dict[str, int],
                                                             path: str) -> None:
    described = len(Graph().parse(built.dist / "void.ttl", format="turtle"))
    english = fetch(base + path)
    size = re.search(r'<p class="meta dataset-size">([\d,]+) triples in (\d+) named graphs, as in the dumps', english)
    assert size is not None and (int(size.group(1).replace(",", "")), int(size.group(2))) == \
        (sum(dump.values()), len(dump))
    apart = re.search(r'<p class="meta description-apart">The SPARQL endpoint also serves the dataset&#39;s own '
                      r"description \(VoID and DCAT\) in graph/void: ([\d,]+) triples more", english)
    assert apart is not None and int(apart.group(1).replace(",", "")) == described
    korean = fetch(base + path, lang="ko")
    assert f"이름 있는 그래프 {len(dump)}개에 트리플 {sum(dump.values()):,}개 (덤프와 같음)" in korean
    assert f"트리플 {described:,}개가 더 있으며" in korean


def test_void_counts_the_dump(base: str, dump: dict[str, int]) -> None:
    void = Graph().parse(data=fetch(base + "/.well-known/void", "text/turtle"), format="turtle")
    dataset = URIRef(f"{BASE}dataset")
    assert void.value(dataset, VOID.triples) == Literal(sum(dump.values()))
    subsets = {str(g): int(void.value(g, VOID.triples)) for g in void.objects(dataset, VOID.subset)}
    assert subsets == dump
    assert (URIRef(DESCRIPTION), RDF.type, SD.Graph) in void  # the description names its own graph


def test_the_service_description_counts_the_dump_and_the_description_apart(base: str, built: BuildResult,
                                                                           dump: dict[str, int]) -> None:
    sd = Graph().parse(data=fetch(base + "/sparql", "text/turtle"), format="turtle")
    dataset = next(sd.objects(None, SD.defaultDataset))
    assert sd.value(dataset, VOID.triples) == Literal(sum(dump.values()))
    graphs = {}
    for named in sd.objects(dataset, SD.namedGraph):
        graphs[str(sd.value(named, SD.name))] = int(sd.value(sd.value(named, SD.graph), VOID.triples))
    described = len(Graph().parse(built.dist / "void.ttl", format="turtle"))
    assert graphs == {**dump, DESCRIPTION: described}
    note = next(o for o in sd.objects(dataset, URIRef("http://purl.org/dc/terms/description")))
    assert f"{sum(dump.values())} triples in {len(dump)} named graphs" in note and DESCRIPTION in note


def test_metrics_count_the_dump(base: str, dump: dict[str, int]) -> None:
    text = fetch(base + "/metrics", "text/plain")
    gauge = re.search(r"^ascn_kg_dataset_triples ([\d.e+]+)$", text, re.M)
    assert gauge is not None and float(gauge.group(1)) == sum(dump.values())
    assert "graph/void, served beside the data, is not counted" in text
