"""Descriptions of the dataset: PROV-O provenance per named graph, VoID + DCAT for dist/."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, VOID, XSD

from ascn_kg import iris
from ascn_kg.build.convert import Quad
from ascn_kg.build.tables import Tables
from ascn_kg.namespaces import SD, ascn_namespace, prefixes
from ascn_kg.store.dataset_counts import description_graph

LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
DOWNLOADS = {
    "ascn.trig": "application/trig",
    "ascn.nq": "application/n-quads",
    "ascn.ttl": "text/turtle",
    "ascn.nt": "application/n-triples",
    "ascn.jsonld": "application/ld+json",
    "ascn.rdf": "application/rdf+xml",
}
GRAPH_TITLES = {
    "ontology": ("The ASCN-KG ontology (TBox)", "ASCN-KG 온톨로지"),
    "inferred": ("Class memberships inferred by the HermiT reasoner, and facts derived by stated rules",
                 "HermiT 추론기가 추론한 클래스 소속과 규칙으로 도출한 사실"),
    "data-quality": ("Data-quality notes on the report", "보고서 데이터 품질 메모"),
    "sources": ("The report and its parts", "보고서와 구성 부분"),
    "provenance": ("Provenance of the named graphs", "이름 있는 그래프의 출처 정보"),
}


def dataset_iri(base: str) -> URIRef:
    return URIRef(f"{base}dataset")


def provenance(quads: set[Quad], tables: Tables, base: str, graph_name: str) -> set[Quad]:
    """PROV-O and Dublin Core statements about every named graph, in their own graph."""
    g = iris.graph(graph_name, base)
    sources = {row["id"]: row for row in tables["sources"]}
    activity, reasoning, rules = (iris.activity(g, name) for name in iris.ACTIVITY_FRAGMENTS)
    out: set[Quad] = {
        (rules, RDF.type, PROV.Activity, g),
        (rules, RDFS.label, Literal("Application of the derivation rules (derived_facts.csv)", lang="en"), g),
        (rules, RDFS.label, Literal("도출 규칙 적용 (derived_facts.csv)", lang="ko"), g),
        *((rules, PROV.used, iris.thing("rule", row["id"], base), g) for row in tables["derived_facts"]),
        (activity, RDF.type, PROV.Activity, g),
        (activity, RDFS.label, Literal("Conversion of the ASCN-KG source tables", lang="en"), g),
        (activity, RDFS.label, Literal("ASCN-KG 원천 표 변환", lang="ko"), g),
        (activity, PROV.used, iris.thing("source", "report", base), g),
        (reasoning, RDF.type, PROV.Activity, g),
        (reasoning, RDFS.label, Literal("OWL reasoning with HermiT over the ontology and the data", lang="en"), g),
        (reasoning, RDFS.label, Literal("온톨로지와 데이터에 대한 HermiT OWL 추론", lang="ko"), g),
    }
    counts = Counter(q[3] for q in quads)
    for graph, count in sorted(counts.items()):
        name = str(graph).rsplit("/", 1)[-1]
        title_en, title_ko = GRAPH_TITLES.get(name, (None, None))
        if name in sources:
            title_en = f"Facts from {sources[name]['label_en']}"
            title_ko = f"{sources[name]['label_ko']}의 사실"
            part = iris.thing("source", name, base)
            out |= {(graph, PROV.wasDerivedFrom, part, g), (graph, DCTERMS.source, part, g)}
        elif name == "inferred":
            out |= {
                (graph, PROV.wasDerivedFrom, iris.graph("ontology", base), g),
                (graph, PROV.wasGeneratedBy, reasoning, g),
                (graph, PROV.wasGeneratedBy, rules, g),
            }
        if name != "inferred":
            out.add((reasoning, PROV.used, graph, g))
        out |= {
            (graph, RDF.type, PROV.Entity, g),
            (graph, RDF.type, SD.Graph, g),
            (graph, PROV.wasGeneratedBy, activity, g),
            (graph, DCTERMS.license, LICENSE, g),
            (graph, VOID.triples, Literal(count, datatype=XSD.integer), g),
            (graph, DCTERMS.title, Literal(title_en or name, lang="en"), g),
            (graph, RDFS.label, Literal(title_en or name, lang="en"), g),
        }
        if title_ko:
            out |= {
                (graph, DCTERMS.title, Literal(title_ko, lang="ko"), g),
                (graph, RDFS.label, Literal(title_ko, lang="ko"), g),
            }
    return out


def dataset_description(quads: set[Quad], folder: Path, base: str, version: str) -> Graph:
    """The VoID + DCAT description of a build, with triple counts and download sizes."""
    d = dataset_iri(base)
    void = Graph()
    for prefix, namespace in prefixes(base).items():
        void.bind(prefix, namespace)
    add = void.add
    add((d, RDF.type, VOID.Dataset))
    add((d, RDF.type, DCAT.Dataset))
    for lang, title in (("en", "ASCN-KG: the ASEAN Smart Cities Network knowledge graph"),
                        ("ko", "ASCN-KG: 아세안 스마트시티 네트워크 지식 그래프")):
        add((d, DCTERMS.title, Literal(title, lang=lang)))
        add((d, RDFS.label, Literal(title, lang=lang)))
    add((d, DCTERMS.description, Literal(
        "Member states, pilot cities, officials, priority projects, governance, timeline, "
        "indicators and typology of the ASEAN Smart Cities Network, transcribed from the "
        "ASEAN-Korea Centre's 2018 report, validated with SHACL and reasoned with OWL.", lang="en")))
    add((d, DCTERMS.license, LICENSE))
    report = iris.thing("source", "report", base)
    add((d, DCTERMS.source, report))
    for lang, title in (("en", "ASEAN Smart Cities Network: Deepening Cooperation and Providing Opportunities"),
                        ("ko", "‘아세안 스마트시티 네트워크’, 기회와 협력방안")):
        add((report, DCTERMS.title, Literal(title, lang=lang)))
    add((report, DCTERMS.issued, Literal("2018", datatype=XSD.gYear)))
    add((report, DCTERMS.created, Literal("2018-07", datatype=XSD.gYearMonth)))  # "written in mid-July" (fn 1)
    add((report, DCTERMS.description, Literal("Written in mid-July 2018, as its footnote 1 says.", lang="en")))
    add((report, DCTERMS.description, Literal("보고서 주석에 따르면 2018년 7월 중순경 작성되었다.", lang="ko")))
    add((d, OWL.versionInfo, Literal(version)))
    add((d, URIRef(f"{DCAT}version"), Literal(version)))
    add((d, VOID.uriSpace, Literal(f"{base}id/")))
    add((d, VOID.sparqlEndpoint, URIRef(f"{base}sparql")))
    add((d, VOID.rootResource, iris.thing("source", "report", base)))
    add((d, VOID.exampleResource, iris.thing("city", "kuala-lumpur", base)))
    add((d, VOID.vocabulary, URIRef(str(ascn_namespace(base)))))
    for vocab in ("http://www.w3.org/ns/org#", str(FOAF), "http://www.w3.org/2004/02/skos/core#",
                  str(PROV), str(DCTERMS), "https://schema.org/"):
        add((d, VOID.vocabulary, URIRef(vocab)))
    add((d, VOID.triples, Literal(len({q[:3] for q in quads}), datatype=XSD.integer)))
    add((d, VOID.entities, Literal(len({q[0] for q in quads if str(q[0]).startswith(f"{base}id/")}),
                                   datatype=XSD.integer)))
    for graph, count in sorted(Counter(q[3] for q in quads).items()):
        add((d, VOID.subset, graph))
        add((graph, RDF.type, VOID.Dataset))
        add((graph, VOID.triples, Literal(count, datatype=XSD.integer)))
    for name, media in DOWNLOADS.items():
        dist = URIRef(f"{base}download/{name}")
        add((d, VOID.dataDump, dist))
        add((d, DCAT.distribution, dist))
        add((dist, RDF.type, DCAT.Distribution))
        add((dist, DCAT.downloadURL, dist))
        add((dist, DCAT.mediaType, URIRef(f"https://www.iana.org/assignments/media-types/{media}")))
        add((dist, DCTERMS["format"], Literal(media)))
        add((dist, DCAT.byteSize, Literal((folder / name).stat().st_size, datatype=XSD.integer)))
    described = URIRef(description_graph(base))  # the graph this description is loaded into, described too
    add((described, RDF.type, SD.Graph))
    add((described, RDF.type, PROV.Entity))
    for lang, title in (("en", "Dataset description (VoID and DCAT)"), ("ko", "데이터셋 기술 (VoID, DCAT)")):
        add((described, RDFS.label, Literal(title, lang=lang)))
        add((described, DCTERMS.title, Literal(title, lang=lang)))
    add((described, FOAF.primaryTopic, d))
    add((described, DCTERMS.description, Literal(
        "Served beside the data by the SPARQL endpoint; not part of the dumps, and not counted in "
        "the dataset's triples.", lang="en")))
    add((described, DCTERMS.description, Literal(
        "SPARQL 엔드포인트가 데이터 곁에 제공하는 기술입니다. "
        "덤프에 들어 있지 않으며 데이터셋의 트리플 수에 세지 않습니다.", lang="ko")))
    return void
