"""A synthetic ASCN-shaped dataset of about a million triples, for benchmarks and load tests.

The generator is seeded and deterministic: the same ``(triples, seed, base)`` give the same
N-Quads, byte for byte. The shape follows the real graph: member states with a GDP
indicator, a national representative and their post; pilot cities with English and Korean
labels, focus areas, typology classes (in ``graph/inferred``), a population-density
indicator, a chief smart city officer and their post, priority projects; data-quality
notes; provenance links; the real ontology in ``graph/ontology``. The named graphs are the
real ones (``graph/annex-1`` … ``graph/provenance``). As in the real graph, every subject of a
part's graph cites a row of that part (``prov:wasDerivedFrom`` an ``ascn:Locator``), one row
per city or state shared by the statements written from it.

One entity is deliberately huge, like ``id/organisation/ascn`` in the real graph but far
bigger: it has thousands of statements and tens of thousands of inbound links (every city
is a pilot city of it), for the paging of entity pages.

``python -m benchmarks.synthetic OUT_DIR [--triples N] [--seed S]`` writes a dist-like folder
(``ascn.nq``, ``VERSION``, ``void.ttl``, ``store/``) that ``ascn-kg serve --dist-dir OUT_DIR``
and ``tests/liveserver.running_server(OUT_DIR)`` can serve.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ascn_kg.config import DEFAULT_BASE_IRI
from ascn_kg.store.label_index import INDEX_FILE, index_dist
from benchmarks import REPO

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ORG = "http://www.w3.org/ns/org#"
SCHEMA = "https://schema.org/"
PROV = "http://www.w3.org/ns/prov#"
XSD = "http://www.w3.org/2001/XMLSchema#"
HUB_KEY = "ascn"  # the network: the entity with thousands of statements and inbound links
HUB_OUTBOUND = 3_000  # ascn:comprises statements on the hub
FOCUS_AREAS = (
    "civic-and-social", "health-and-well-being", "safety-and-security", "quality-environment",
    "built-infrastructure", "industry-and-innovation", "waste-management", "transport",
    "water", "e-governance", "smart-city",
)
TYPOLOGY = (
    ("DenseCity", "DenseEmergingEconomyCity"), ("DenseCity", "DenseDevelopedEconomyCity"),
    ("LowDensityCity", "LowDensityEmergingEconomyCity"),
    ("LowDensityCity", "LowDensityDevelopedEconomyCity"),
)
PART_GRAPHS = frozenset({"annex-1", "annex-2", "annex-3", "chart-1", "chart-2", "chart-3", "chart-4", "chart-5",
                         "section-smart-cities"})
GRAPHS = (
    "annex-1", "annex-2", "annex-3", "chart-1", "chart-2", "chart-3", "chart-4", "chart-5",
    "data-quality", "inferred", "ontology", "provenance", "sources", "section-smart-cities",
)
SYLLABLES = (
    "ka", "lu", "pur", "ban", "dar", "se", "ri", "be", "ga", "wan", "ma", "ni", "la", "jo",
    "hor", "ya", "gon", "phn", "om", "penh", "da", "nang", "ha", "noi", "chi", "ang", "mai",
    "sur", "ba", "ya", "cebu", "pa", "ku", "ching", "vien", "tiane", "lu", "ang", "sa",
    "bang", "kok", "phu", "ket", "ma", "kas", "sar", "tan", "to", "ren", "vin", "sol",
)
PER_CITY = 94  # triples one city brings (with its indicator, post, officer, projects, rows cited…)
PER_STATE = 57
FIXED = 1_500  # the hub, focus areas, sources and the ontology


@dataclass(frozen=True)
class Shape:
    """How many of each kind of thing a dataset of about ``triples`` triples holds."""

    states: int
    cities: int
    projects_per_city: int = 2
    notes: int = 0

    @classmethod
    def for_triples(cls, triples: int) -> Shape:
        states = max(3, min(200, triples // 5_000))
        notes = max(2, triples // 500)
        remaining = max(0, triples - FIXED - states * PER_STATE - notes * 9)
        return cls(states=states, cities=max(states, remaining // PER_CITY), notes=notes)


class _Writer:
    """Collects N-Quads lines for one base IRI; terms are written without escaping (ours are safe)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.ascn = f"{base}def/ascn#"
        self.lines: list[str] = []
        self.row = 0  # the row of each part that the statements being written come from
        self.cited: set[tuple[str, str]] = set()
        self.rows: set[str] = set()

    def thing(self, kind: str, key: str) -> str:
        return f"<{self.base}id/{kind}/{key}>"

    def graph(self, name: str) -> str:
        return f"<{self.base}graph/{name}>"

    def add(self, s: str, p: str, o: str, g: str) -> None:
        self.lines.append(f"{s} {p} {o} {g} .\n")
        part = g[len(self.base) + 7:-1]  # <{base}graph/{part}>
        if part in PART_GRAPHS and (s, g) not in self.cited:
            self.cited.add((s, g))
            self.add(s, f"<{PROV}wasDerivedFrom>", self.place(part), g)

    def place(self, part: str) -> str:
        """The current row of ``part`` (an ascn:Locator in graph/sources, written once)."""
        place = self.thing("locator", f"{part}-row-{self.row}")
        if place not in self.rows:
            self.rows.add(place)
            g = self.graph("sources")
            self.a(place, f"<{self.ascn}Locator>", g)
            self.add(place, "<http://purl.org/dc/terms/isPartOf>", self.thing("source", part), g)
            self.labels(place, f"{part}, row {self.row}", f"{part}, {self.row}행", g)
            self.add(place, f"<{self.ascn}linesEnglish>", f'"{self.row}"', g)
        return place

    def a(self, s: str, cls: str, g: str) -> None:
        self.add(s, f"<{RDF_TYPE}>", cls, g)

    def labels(self, s: str, en: str, ko: str, g: str) -> None:
        for p in (f"<{RDFS_LABEL}>", f"<{SKOS}prefLabel>"):
            self.add(s, p, f'"{en}"@en', g)
            self.add(s, p, f'"{ko}"@ko', g)


def literal(value: object, datatype: str) -> str:
    """A typed literal in N-Quads syntax."""
    return f'"{value}"^^<{XSD}{datatype}>'


class _Names:
    """Deterministic English and Korean names."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def english(self, words: int = 1) -> str:
        parts = []
        for _ in range(words):
            count = self.rng.choice((2, 2, 3))
            parts.append("".join(self.rng.choice(SYLLABLES) for _ in range(count)).capitalize())
        return " ".join(parts)

    def korean(self) -> str:
        return "".join(chr(0xAC00 + self.rng.randrange(11_172)) for _ in range(self.rng.choice((2, 3, 4))))


def generate(triples: int = 1_000_000, seed: int = 2018, base: str = DEFAULT_BASE_IRI) -> Iterator[str]:
    """N-Quads lines of a synthetic dataset of about ``triples`` quads, deterministically."""
    rng = random.Random(seed)
    names = _Names(rng)
    shape = Shape.for_triples(triples)
    w = _Writer(base)
    yield from _ontology(base)
    hub = _hub(w)
    states = [_state(w, names, i, hub) for i in range(shape.states)]
    yield from _flush(w)
    cities: list[str] = []
    for i in range(shape.cities):
        cities.append(_city(w, names, rng, i, states[i % len(states)], hub, shape))
        if len(w.lines) > 50_000:
            yield from _flush(w)
    for city in cities[:HUB_OUTBOUND]:
        w.add(hub, f"<{w.ascn}comprises>", city, w.graph("section-smart-cities"))
    for i in range(shape.notes):
        _note(w, names, rng, i, cities)
    yield from _flush(w)


def _flush(w: _Writer) -> Iterator[str]:
    lines, w.lines = w.lines, []
    yield from lines


def _ontology(base: str) -> Iterator[str]:
    """The real ontology's triples in ``graph/ontology`` (empty if the file is missing)."""
    import pyoxigraph as ox

    path = REPO / "ontology" / "ascn.ttl"
    if not path.exists():
        return
    text = path.read_text(encoding="utf-8").replace(DEFAULT_BASE_IRI, base)
    graph = ox.NamedNode(f"{base}graph/ontology")
    for triple in ox.parse(text.encode(), format=ox.RdfFormat.TURTLE):
        yield f"{ox.Quad(triple.subject, triple.predicate, triple.object, graph)} .\n"


def _hub(w: _Writer) -> str:
    hub = w.thing("organisation", HUB_KEY)
    g = w.graph("section-smart-cities")
    w.a(hub, f"<{w.ascn}Network>", g)
    w.labels(hub, "ASEAN Smart Cities Network", "아세안 스마트시티 네트워크", g)
    w.add(hub, f"<{w.ascn}abbreviation>", '"ASCN"', g)
    for key in FOCUS_AREAS:
        area = w.thing("focus-area", key)
        label = key.replace("-", " ").capitalize()
        w.a(area, f"<{SKOS}Concept>", w.graph("annex-1"))
        w.labels(area, label, label, w.graph("annex-1"))
    for name in GRAPHS:
        source = w.thing("source", name)
        w.a(source, f"<{w.ascn}ReportPart>", w.graph("sources"))
        w.labels(source, f"Report part {name}", f"보고서 {name}", w.graph("sources"))
    return hub


def _state(w: _Writer, names: _Names, i: int, hub: str) -> str:
    w.row = i + 1
    key = f"s{i:03d}"
    state = w.thing("state", key)
    g = w.graph("chart-1")
    en = names.english()
    w.a(state, f"<{w.ascn}MemberState>", g)
    w.a(state, f"<{w.ascn}Country>", w.graph("inferred"))
    w.a(state, f"<{w.ascn}EmergingEconomy>", w.graph("inferred"))
    w.labels(state, en, names.korean(), g)
    w.add(state, f"<{ORG}memberOf>", hub, g)
    gdp = 1000 + (i * 7919) % 60_000
    w.add(state, f"<{w.ascn}gdpPerCapitaUSD>", literal(gdp, "decimal"), w.graph("annex-3"))
    w.add(state, f"<{w.ascn}listPosition>", literal(i + 1, "integer"), g)
    indicator = w.thing("indicator", f"gdp-per-capita-{key}-2016")
    ig = w.graph("annex-3")
    w.a(indicator, f"<{w.ascn}GdpPerCapita>", ig)
    w.a(indicator, f"<{w.ascn}Indicator>", w.graph("inferred"))
    w.labels(indicator, f"GDP per capita of {en} (2016)", "1 인당 국내총생산 (2016)", ig)
    w.add(indicator, f"<{w.ascn}isIndicatorOf>", state, ig)
    w.add(indicator, f"<{w.ascn}value>", literal(gdp, "decimal"), ig)
    w.add(indicator, f"<{w.ascn}referenceYear>", literal(2016, "gYear"), ig)
    w.add(indicator, f"<{SCHEMA}unitText>", '"USD"', ig)
    w.add(indicator, f"<{PROV}wasAttributedTo>", w.thing("source", "annex-3"), ig)
    post = w.thing("post", f"national-representative-{key}")
    person = w.thing("person", f"representative-{key}")
    _holder(w, names, post, person, state, "NationalRepresentative", "annex-2")
    return state


def _holder(w: _Writer, names: _Names, post: str, person: str, place: str, role: str, graph: str) -> None:
    g = w.graph(graph)
    w.a(post, f"<{ORG}Post>", g)
    w.a(post, f"<{w.ascn}{role}Post>", w.graph("inferred"))
    w.labels(post, f"{role} post", f"{role} 직위", g)
    w.add(post, f"<{ORG}role>", w.thing("role", role.lower()), g)
    w.add(post, f"<{ORG}postIn>", place, g)
    w.add(post, f"<{w.ascn}forCountry>", place, g)
    full = names.english(2)
    w.a(person, f"<{SCHEMA}Person>", g)
    w.a(person, f"<{w.ascn}{role}>", w.graph("inferred"))
    w.labels(person, full, names.korean(), g)
    w.add(person, f"<{SCHEMA}name>", f'"{full}"', g)
    w.add(person, f"<{SCHEMA}jobTitle>", f'"{role}"', g)
    w.add(person, f"<{ORG}holds>", post, g)
    w.add(person, f"<{ORG}memberOf>", place, g)


def _city(w: _Writer, names: _Names, rng: random.Random, i: int, state: str, hub: str, shape: Shape) -> str:
    w.row = i + 1
    en = names.english(rng.choice((1, 1, 2)))
    key = f"{en.lower().replace(' ', '-')}-{i}"
    city = w.thing("city", key)
    g, inferred = w.graph("chart-3"), w.graph("inferred")
    w.a(city, f"<{w.ascn}City>", g)
    for cls in ("PilotCity", *rng.choice(TYPOLOGY)):
        w.a(city, f"<{w.ascn}{cls}>", inferred)
    w.labels(city, en, names.korean(), g)
    w.add(city, f"<{SKOS}altLabel>", f'"{names.korean()}"@ko', g)
    for area in rng.sample(FOCUS_AREAS, 2):
        w.add(city, f"<{w.ascn}hasFocusArea>", w.thing("focus-area", area), w.graph("annex-1"))
    for p in ("isLocatedIn", "nominatedBy"):
        w.add(city, f"<{w.ascn}{p}>", state, g)
    w.add(city, f"<{w.ascn}isPilotCityOf>", hub, g)
    w.add(city, f"<{w.ascn}listPosition>", literal(i + 1, "integer"), g)
    density = round(rng.uniform(50, 25_000), 1)
    w.add(city, f"<{w.ascn}populationDensityPerKm2>", literal(density, "decimal"), w.graph("annex-3"))
    indicator = w.thing("indicator", f"population-density-{key}")
    ig = w.graph("annex-3")
    w.a(indicator, f"<{w.ascn}PopulationDensity>", ig)
    w.a(indicator, f"<{w.ascn}Indicator>", inferred)
    w.labels(indicator, f"Population density of {en}", "인구밀도", ig)
    w.add(indicator, f"<{w.ascn}isIndicatorOf>", city, ig)
    w.add(indicator, f"<{w.ascn}value>", literal(density, "decimal"), ig)
    w.add(indicator, f"<{SCHEMA}unitText>", '"inhabitants per km²"', ig)
    w.add(indicator, f"<{PROV}wasAttributedTo>", w.thing("source", "annex-3"), ig)
    w.add(indicator, f"<{w.ascn}asPrinted>", f'"{density:,}"', ig)
    _holder(w, names, w.thing("post", f"csco-{key}"), w.thing("person", f"csco-{key}"), city,
            "ChiefSmartCityOfficer", "annex-2")
    for n in range(shape.projects_per_city):
        project = w.thing("project", f"{key}-project-{n + 1}")
        pg = w.graph("annex-1")
        w.a(project, f"<{w.ascn}PriorityProject>", pg)
        w.labels(project, f"{en} {names.english()} project", f"{names.korean()} 사업", pg)
        w.add(project, f"<{w.ascn}isProjectOf>", city, pg)
        w.add(project, f"<{w.ascn}listPosition>", literal(n + 1, "integer"), pg)
    w.add(city, f"<{PROV}wasDerivedFrom>", w.thing("source", "chart-3"), w.graph("provenance"))
    return city


def _note(w: _Writer, names: _Names, rng: random.Random, i: int, cities: list[str]) -> None:
    note = w.thing("note", f"note-{i}")
    g = w.graph("data-quality")
    w.a(note, f"<{w.ascn}DataQualityNote>", g)
    w.labels(note, f"Spelling of {names.english()}", "표기 차이", g)
    for city in rng.sample(cities, min(2, len(cities))):
        w.add(note, f"<{w.ascn}concerns>", city, g)
    w.add(note, f"<{w.ascn}noteCategory>", '"spelling"', g)


# --- a dist-like folder -------------------------------------------------------------------


@dataclass(frozen=True)
class SyntheticDist:
    """A written synthetic dist: where, its version and size, and what it cost."""

    path: Path
    version: str
    quads: int
    generate_s: float
    load_s: float
    hub: str


def write_dist(
    target: Path, triples: int = 1_000_000, seed: int = 2018, base: str = DEFAULT_BASE_IRI,
) -> SyntheticDist:
    """Write ``ascn.nq``, ``VERSION``, ``void.ttl`` and a pyoxigraph ``store/`` into ``target``."""
    import pyoxigraph as ox

    target.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    digest = hashlib.sha256()
    count = 0
    nquads = target / "ascn.nq"
    with nquads.open("w", encoding="utf-8") as out:
        chunk: list[str] = []
        for line in generate(triples, seed, base):
            chunk.append(line)
            if len(chunk) >= 20_000:
                text = "".join(chunk)
                out.write(text)
                digest.update(text.encode())
                count += len(chunk)
                chunk = []
        text = "".join(chunk)
        out.write(text)
        digest.update(text.encode())
        count += len(chunk)
    version = digest.hexdigest()[:16]
    (target / "VERSION").write_text(version + "\n", encoding="utf-8")
    (target / "void.ttl").write_text(_void(base, count, version), encoding="utf-8")
    generated = time.perf_counter()
    store = ox.Store(str(target / "store"))
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    store.bulk_load(path=str(target / "void.ttl"), format=ox.RdfFormat.TURTLE,
                    to_graph=ox.NamedNode(f"{base}graph/void"))
    store.optimize()
    store.flush()
    del store
    index_dist(target, base)
    loaded = time.perf_counter()
    return SyntheticDist(target, version, count, generated - started, loaded - generated,
                         f"{base}id/organisation/{HUB_KEY}")


def _void(base: str, triples: int, version: str) -> str:
    return (
        "@prefix void: <http://rdfs.org/ns/void#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix dcterms: <http://purl.org/dc/terms/> .\n"
        f"<{base}dataset> a void:Dataset ;\n"
        '  rdfs:label "ASCN-KG synthetic benchmark dataset"@en ;\n'
        f'  dcterms:hasVersion "{version}" ;\n'
        f"  void:triples {triples} ;\n"
        f"  void:sparqlEndpoint <{base}sparql> ;\n"
        f'  void:uriSpace "{base}id/" .\n'
    )


def cached_dist(cache_dir: Path, triples: int = 1_000_000, seed: int = 2018,
                base: str = DEFAULT_BASE_IRI) -> SyntheticDist:
    """A synthetic dist under ``cache_dir``, written once per ``(triples, seed, base)``."""
    tag = hashlib.sha256(f"{triples}|{seed}|{base}|{PER_CITY}".encode()).hexdigest()[:10]
    target = cache_dir / f"synthetic-{triples}-{tag}"
    done = target / "DONE"
    if done.exists():
        if not (target / INDEX_FILE).exists():  # written by an older version of this module
            index_dist(target, base)
        version = (target / "VERSION").read_text(encoding="utf-8").strip()
        count = int(done.read_text(encoding="utf-8").strip() or 0)
        return SyntheticDist(target, version, count, 0.0, 0.0, f"{base}id/organisation/{HUB_KEY}")
    if target.exists():
        import shutil

        shutil.rmtree(target)
    made = write_dist(target, triples, seed, base)
    done.write_text(f"{made.quads}\n", encoding="utf-8")
    return made


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.synthetic OUT_DIR [--triples N] [--seed S] [--base-iri IRI]``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.synthetic", description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write (a dist-like folder)")
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--base-iri", default=DEFAULT_BASE_IRI)
    args = parser.parse_args(argv)
    if (args.out / "store").exists():
        print(f"synthetic: {args.out}/store exists; choose an empty folder", file=sys.stderr)
        return 2
    made = write_dist(args.out, args.triples, args.seed, args.base_iri)
    print(f"wrote {made.quads:,} quads (version {made.version}) to {made.path}: "
          f"generate {made.generate_s:.1f} s, load {made.load_s:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
