"""Source tables to RDF: one small function per table, each row into its source's graph.

Every function takes the loaded :class:`~ascn_kg.tables.Tables` and an
:class:`Emitter`, and adds quads whose graph is ``{base}graph/{row's source}``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from ascn_kg import iris
from ascn_kg.namespaces import ORG, SCHEMA, ascn_namespace
from ascn_kg.build.tables import Row, Tables

Quad = tuple[Node, Node, Node, URIRef]

ORGANISATION_CLASSES = {
    "intergovernmental": "InternationalOrganisation",
    "network": "Network",
    "network-body": "AseanBody",
    "asean-body": "AseanBody",
    "ministry": "Ministry",
    "agency": "GovernmentBody",
    "government-committee": "GovernmentBody",
    "city-administration": "LocalGovernmentBody",
    "department": "Organisation",
    "company": "Company",
    "business-association": "BusinessAssociation",
}
TYPOLOGY_CLASSES = {
    "dense-developed": "DenseDevelopedEconomyCity",
    "dense-emerging": "DenseEmergingEconomyCity",
    "low-density-developed": "LowDensityDevelopedEconomyCity",
    "low-density-emerging": "LowDensityEmergingEconomyCity",
}
INDICATOR_CLASSES = {"gdp-per-capita": "GdpPerCapita", "population-density": "PopulationDensity"}
UNIT_TEXT = {"USD": "USD", "per-km2": "inhabitants per km²"}
NOTES_GRAPH = "data-quality"


def date_literal(value: str) -> Literal:
    """YYYY, YYYY-MM or YYYY-MM-DD as xsd:gYear, xsd:gYearMonth or xsd:date."""
    datatype = {4: XSD.gYear, 7: XSD.gYearMonth, 10: XSD.date}[len(value)]
    return Literal(value, datatype=datatype)


def decimal_literal(value: Decimal) -> Literal:
    """A canonical xsd:decimal literal (no exponent, no trailing zeros beyond one)."""
    text = format(value.normalize(), "f")
    if "." not in text:
        text += ".0"
    return Literal(text, datatype=XSD.decimal)


@dataclass
class Emitter:
    """Collects quads for one base IRI."""

    base: str
    quads: set[Quad] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.ascn = ascn_namespace(self.base)

    def thing(self, kind: str, key: str) -> URIRef:
        return iris.thing(kind, key, self.base)

    def ref(self, kind_and_key: str) -> URIRef:
        kind, _, key = kind_and_key.partition(":")
        return self.thing(kind, key)

    def graph(self, name: str) -> URIRef:
        return iris.graph(name, self.base)

    def add(self, s: Node, p: Node, o: Node | None, source: str) -> None:
        if o is not None:
            self.quads.add((s, p, o, self.graph(source)))

    def text(self, s: Node, p: Node, value: str | None, lang: str | None, source: str) -> None:
        if value:
            self.add(s, p, Literal(value, lang=lang), source)

    def texts(self, s: Node, p: Node, values: Iterable[str], lang: str, source: str) -> None:
        for value in values:
            self.text(s, p, value, lang, source)

    def labels(self, s: Node, en: str | None, ko: str | None, source: str) -> None:
        """rdfs:label and skos:prefLabel in both languages."""
        for prop in (RDFS.label, SKOS.prefLabel):
            self.text(s, prop, en, "en", source)
            self.text(s, prop, ko, "ko", source)

    def alt_labels(self, s: Node, row: Row, source: str, en: str, ko: str | None) -> None:
        self.texts(s, SKOS.altLabel, row.get(en) or [], "en", source)
        if ko:
            self.texts(s, SKOS.altLabel, row.get(ko) or [], "ko", source)

    def integer(self, s: Node, p: Node, value: int | None, source: str) -> None:
        if value is not None:
            self.add(s, p, Literal(value, datatype=XSD.integer), source)

    def date(self, s: Node, p: Node, value: str | None, source: str) -> None:
        if value:
            self.add(s, p, date_literal(value), source)


def convert_sources(t: Tables, e: Emitter) -> None:
    report = e.thing("source", "report")
    e.add(report, RDF.type, SCHEMA.Report, "sources")
    e.labels(
        report,
        "ASEAN Smart Cities Network: Deepening Cooperation and Providing Opportunities",
        "‘아세안 스마트시티 네트워크’, 기회와 협력방안",
        "sources",
    )
    e.text(report, DCTERMS.creator, "Lee Eun-young", "en", "sources")
    e.add(report, DCTERMS.creator, e.thing("person", "lee-eun-young"), "sources")
    e.add(report, DCTERMS.publisher, e.thing("organisation", "asean-korea-centre"), "sources")
    e.add(report, DCTERMS.issued, Literal("2018", datatype=XSD.gYear), "sources")
    e.text(report, DCTERMS.language, "en", None, "sources")
    e.text(report, DCTERMS.language, "ko", None, "sources")
    for row in t["sources"]:
        s = e.thing("source", row["id"])
        e.add(s, RDF.type, e.ascn.ReportPart, "sources")
        e.labels(s, row["label_en"], row["label_ko"], "sources")
        e.add(s, DCTERMS.isPartOf, report, "sources")
        e.text(s, DCTERMS.type, row["kind"], None, "sources")
        e.text(s, e.ascn.linesEnglish, row["lines_en"], None, "sources")
        e.text(s, e.ascn.linesKorean, row["lines_ko"], None, "sources")
        for cited in (row["cited_source"] or "").split(";"):
            e.text(s, DCTERMS.source, cited.strip(), "en", "sources")


def convert_states(t: Tables, e: Emitter) -> None:
    for row in t["states"]:
        s, src = e.thing("state", row["id"]), row["source"]
        e.add(s, RDF.type, e.ascn.MemberState if row["member_state"] else e.ascn.Country, src)
        e.labels(s, row["name_en"], row["name_ko"], src)
        e.alt_labels(s, row, src, "alt_names_en", "alt_names_ko")
        e.text(s, e.ascn.isoCode, row["iso_alpha3"], None, src)
        e.integer(s, e.ascn.listPosition, row["pilot_city_order"], src)
        if row["member_state"]:
            e.add(s, ORG.memberOf, e.thing("organisation", "asean"), src)


def convert_cities(t: Tables, e: Emitter) -> None:
    ascn_network = e.thing("organisation", "ascn")
    for row in t["cities"]:
        s, src = e.thing("city", row["id"]), row["source"]
        state = e.thing("state", row["state"])
        e.add(s, RDF.type, e.ascn.City, src)
        e.labels(s, row["name_en"], row["name_ko"], src)
        e.alt_labels(s, row, src, "alt_names_en", "alt_names_ko")
        e.add(s, e.ascn.isLocatedIn, state, src)
        e.integer(s, e.ascn.listPosition, row["chart3_no"], src)
        if row["pilot_city"]:
            e.add(s, e.ascn.isPilotCityOf, ascn_network, src)
            e.add(s, e.ascn.nominatedBy, state, src)
        if row["capital"]:
            e.add(s, e.ascn.isCapitalOf, state, src)


def convert_focus_areas(t: Tables, e: Emitter) -> None:
    scheme = e.thing("scheme", "focus-areas")
    src = "annex-1"
    e.add(scheme, RDF.type, SKOS.ConceptScheme, src)
    e.labels(scheme, "Focus areas of the pilot cities", "시범도시 중점 분야", src)
    e.text(
        scheme,
        SKOS.definition,
        "The fields under which Annex 1 classifies the cities' priority projects, "
        "with spelling variants merged into one concept each.",
        "en",
        src,
    )
    e.text(
        scheme, SKOS.definition, "첨부 1 이 시범도시 프로젝트를 분류한 분야를 정규화한 체계.", "ko", src
    )
    for row in t["focus_areas"]:
        s = e.thing("focus-area", row["id"])
        e.add(s, RDF.type, SKOS.Concept, src)
        e.add(s, SKOS.inScheme, scheme, src)
        e.add(s, SKOS.topConceptOf, scheme, src)
        e.add(scheme, SKOS.hasTopConcept, s, src)
        e.labels(s, row["label_en"], row["label_ko"], src)
        e.text(s, SKOS.definition, row["definition_en"], "en", src)
        e.text(s, SKOS.definition, row["definition_ko"], "ko", src)
        for spelling in row["report_spellings"]:
            if spelling != row["label_en"]:
                e.text(s, SKOS.hiddenLabel, spelling, "en", src)
    for row in t["city_focus_areas"]:
        city = e.thing("city", row["city"])
        e.add(city, e.ascn.hasFocusArea, e.thing("focus-area", row["focus_area"]), row["source"])


def convert_projects(t: Tables, e: Emitter) -> None:
    for row in t["projects"]:
        s, src = e.thing("project", row["id"]), row["source"]
        e.add(s, RDF.type, e.ascn.PriorityProject, src)
        e.labels(s, row["name_en"], row["name_ko"], src)
        e.text(s, SKOS.altLabel, row["report_spelling_en"], "en", src)
        e.add(s, e.ascn.isProjectOf, e.thing("city", row["city"]), src)
        e.integer(s, e.ascn.listPosition, row["position"], src)


def convert_organisations(t: Tables, e: Emitter) -> None:
    for row in t["organisations"]:
        s, src = e.thing("organisation", row["id"]), row["source"]
        cls = ORGANISATION_CLASSES[row["kind"]]
        e.add(s, RDF.type, ORG.Organization if cls == "Organisation" else e.ascn[cls], src)
        e.labels(s, row["name_en"], row["name_ko"], src)
        e.alt_labels(s, row, src, "alt_names_en", "alt_names_ko")
        e.text(s, e.ascn.abbreviation, row["abbreviation"], None, src)
        if row["parent"]:
            e.add(s, ORG.subOrganizationOf, e.thing("organisation", row["parent"]), src)
        if row["state"]:
            e.add(s, e.ascn.operatesIn, e.thing("state", row["state"]), src)
        e.date(s, SCHEMA.foundingDate, row["founded"], src)


def convert_roles_and_posts(t: Tables, e: Emitter) -> None:
    for row in t["roles"]:
        s, src = e.thing("role", row["id"]), row["source"]
        e.add(s, RDF.type, ORG.Role, src)
        e.labels(s, row["label_en"], row["label_ko"], src)
        e.alt_labels(s, row, src, "alt_labels_en", "alt_labels_ko")
        e.text(s, e.ascn.abbreviation, row["abbreviation"], None, src)
        e.text(s, e.ascn.seniority, row["seniority_en"], "en", src)
        e.text(s, e.ascn.seniority, row["seniority_ko"], "ko", src)
    roles = {row["id"]: row for row in t["roles"]}
    places = {row["id"]: row for row in t["cities"]} | {row["id"]: row for row in t["states"]}
    for row in t["posts"]:
        s, src = e.thing("post", row["id"]), row["source"]
        role = roles[row["role"]]
        e.add(s, RDF.type, ORG.Post, src)
        e.add(s, ORG.role, e.thing("role", row["role"]), src)
        e.add(s, ORG.postIn, e.thing("organisation", row["organisation"]), src)
        place = places.get(row["city"] or row["state"] or "")
        suffix_en = f" ({place['name_en']})" if place else ""
        suffix_ko = f" ({place['name_ko']})" if place else ""
        e.labels(s, role["label_en"] + suffix_en, role["label_ko"] + suffix_ko, src)
        if row["state"]:
            e.add(s, e.ascn.forCountry, e.thing("state", row["state"]), src)
        if row["city"]:
            e.add(s, e.ascn.forCity, e.thing("city", row["city"]), src)
        e.text(s, e.ascn.statusAsPrinted, row["status_as_printed"], None, src)
    for row in t["post_holders"]:
        person, post = e.thing("person", row["person"]), e.thing("post", row["post"])
        e.add(person, ORG.holds, post, row["source"])


def convert_people(t: Tables, e: Emitter) -> None:
    for row in t["people"]:
        s, src = e.thing("person", row["id"]), row["source"]
        e.add(s, RDF.type, FOAF.Person, src)
        e.labels(s, row["name"], row["name_ko"], src)
        e.text(s, FOAF.name, row["name"], None, src)
        e.text(s, SCHEMA.honorificPrefix, row["honorific"], None, src)
        e.text(s, SCHEMA.jobTitle, row["designation"], "en", src)
        if row["designation_as_printed"]:
            e.text(s, e.ascn.asPrinted, row["designation_as_printed"], None, src)
        if row["organisation"]:
            e.add(s, ORG.memberOf, e.thing("organisation", row["organisation"]), src)


def convert_events(t: Tables, e: Emitter) -> None:
    for row in t["events"]:
        s, src = e.thing("event", row["id"]), row["source"]
        timeline = row["chart1_order"] is not None
        e.add(s, RDF.type, e.ascn.TimelineEvent if timeline else e.ascn.Event, src)
        e.labels(s, row["label_en"], row["label_ko"], src)
        e.text(s, SCHEMA.description, row["description_en"], "en", src)
        e.text(s, SCHEMA.description, row["description_ko"], "ko", src)
        e.integer(s, e.ascn.listPosition, row["chart1_order"], src)
        e.date(s, SCHEMA.startDate, row["start"], src)
        e.date(s, SCHEMA.endDate, row["end"], src)
        if row["place"]:
            e.add(s, SCHEMA.location, e.thing("city", row["place"]), src)
        for ref in row["participants"]:
            e.add(s, e.ascn.involves, e.ref(ref), src)
        for ref in row["organiser"]:
            e.add(s, SCHEMA.organizer, e.ref(ref), src)


def convert_indicators(t: Tables, e: Emitter) -> None:
    shortcut = {"gdp-per-capita": e.ascn.gdpPerCapitaUSD, "population-density": e.ascn.populationDensityPerKm2}
    copied: set[tuple[str, str]] = set()
    for row in t["indicators"]:
        s, src = e.thing("indicator", row["id"]), row["source"]
        subject = e.ref(row["subject"])
        value = decimal_literal(row["value"])
        e.add(s, RDF.type, e.ascn[INDICATOR_CLASSES[row["kind"]]], src)
        name = subject_name(t, row["subject"])
        measure_en = {"gdp-per-capita": "GDP per capita", "population-density": "Population density"}
        measure_ko = {"gdp-per-capita": "1 인당 국내총생산", "population-density": "인구밀도"}
        year = f" ({row['year']})" if row["year"] else ""
        e.labels(
            s,
            f"{measure_en[row['kind']]} of {name[0]}{year}",
            f"{name[1]} {measure_ko[row['kind']]}{year}",
            src,
        )
        e.add(s, e.ascn.isIndicatorOf, subject, src)
        e.add(s, e.ascn.value, value, src)
        e.text(s, e.ascn.asPrinted, row["as_printed"], None, src)
        e.text(s, SCHEMA.unitText, UNIT_TEXT[row["unit"]], None, src)
        e.date(s, e.ascn.referenceYear, row["year"], src)
        e.integer(s, e.ascn.listPosition, row["annex3_order"], src)
        if row["publisher"]:
            e.add(s, PROV.wasAttributedTo, e.thing("organisation", row["publisher"]), src)
        e.add(s, DCTERMS.source, e.thing("source", src), src)
        if (row["subject"], row["kind"]) not in copied:  # one value per place: the first row's (Annex 3)
            copied.add((row["subject"], row["kind"]))
            e.add(subject, shortcut[row["kind"]], value, src)


def subject_name(t: Tables, ref: str) -> tuple[str, str]:
    """English and Korean name of a ``kind:key`` reference to a state or city."""
    kind, _, key = ref.partition(":")
    table = {"state": "states", "city": "cities"}[kind]
    row = next(r for r in t[table] if r["id"] == key)
    return row["name_en"], row["name_ko"] or row["name_en"]


def convert_typology(t: Tables, e: Emitter) -> None:
    measures = {"gdp-per-capita": e.ascn.GdpPerCapita, "population-density": e.ascn.PopulationDensity}
    for row in t["thresholds"]:
        s, src = e.thing("threshold", row["id"]), row["source"]
        e.add(s, RDF.type, e.ascn.Threshold, src)
        e.labels(
            s,
            f"Threshold for a {row['comparison_above']}",
            {"developed economy": "선진국 기준값", "dense city": "인구밀도가 높은 도시 기준값"}.get(
                row["comparison_above"], row["comparison_above"]
            ),
            src,
        )
        e.add(s, e.ascn.value, decimal_literal(row["value"]), src)
        e.text(s, e.ascn.asPrinted, row["as_printed"], None, src)
        e.add(s, e.ascn.appliesToMeasure, measures[row["indicator_kind"]], src)
        e.text(s, SKOS.scopeNote, row["basis_en"], "en", src)
        e.text(s, SKOS.scopeNote, row["basis_ko"], "ko", src)
        if row["reference"]:
            e.add(s, PROV.wasDerivedFrom, e.ref(row["reference"]), src)
    for row in t["typology"]:
        cls, src = e.ascn[TYPOLOGY_CLASSES[row["id"]]], row["source"]
        e.add(cls, e.ascn.exampleCity, e.thing("city", row["example_city"]), src)
        e.add(cls, e.ascn.statedCount, Literal(row["stated_count"], datatype=XSD.integer), src)
        e.text(cls, e.ascn.densityLevel, row["density"], None, src)
        e.text(cls, e.ascn.economyLevel, row["economy"], None, src)
        for city in row["stated_cities"]:
            e.add(cls, e.ascn.statedMember, e.thing("city", city), "section-typology")


def convert_governance(t: Tables, e: Emitter) -> None:
    network = e.thing("organisation", "ascn")
    for row in t["core_elements"]:
        s, src = e.thing("element", row["id"]), row["source"]
        e.add(s, RDF.type, e.ascn.CoreElement, src)
        e.labels(s, row["label_en"], row["label_ko"], src)
        e.alt_labels(s, row, src, "alt_labels_en", "alt_labels_ko")
        e.text(s, SKOS.definition, row["description_en"], "en", src)
        e.text(s, SKOS.definition, row["description_ko"], "ko", src)
        e.integer(s, e.ascn.listPosition, row["position"], src)
        e.date(s, e.ascn.periodStart, row["period_start"], src)
        e.date(s, e.ascn.periodEnd, row["period_end"], src)
        e.add(network, e.ascn.hasCoreElement, s, src)
    relation = {"reports-to": e.ascn.reportsTo, "monitors": e.ascn.monitors, "comprises": e.ascn.comprises}
    for row in t["reporting_chain"]:
        e.add(
            e.thing("organisation", row["from"]),
            relation[row["relation"]],
            e.thing("organisation", row["to"]),
            row["source"],
        )


def convert_partnerships_and_initiatives(t: Tables, e: Emitter) -> None:
    for row in t["partnerships"]:
        s, src = e.thing("partnership", row["id"]), row["source"]
        e.add(s, RDF.type, e.ascn.Partnership, src)
        e.labels(s, row["label_en"], row["label_ko"], src)
        e.text(s, SCHEMA.description, row["description_en"], "en", src)
        e.text(s, SCHEMA.description, row["description_ko"], "ko", src)
        for partner in row["partner"]:
            e.add(s, e.ascn.hasPartner, e.thing("organisation", partner), src)
        e.add(s, e.ascn.concernsCity, e.thing("city", row["city"]), src)
        if row["project"]:
            e.add(s, e.ascn.concernsProject, e.thing("project", row["project"]), src)
        e.add(s, e.ascn.underProgramme, e.thing("element", row["programme"]), src)
        e.date(s, SCHEMA.startDate, row["date"], src)
    for row in t["initiatives"]:
        s, src = e.thing("initiative", row["id"]), row["source"]
        e.add(s, RDF.type, e.ascn.Initiative, src)
        e.labels(s, row["label_en"], row["label_ko"], src)
        e.alt_labels(s, row, src, "alt_labels_en", None)
        e.text(s, SCHEMA.description, row["description_en"], "en", src)
        e.text(s, SCHEMA.description, row["description_ko"], "ko", src)
        for ref in row["actors"]:
            e.add(s, e.ascn.involves, e.ref(ref), src)
        if row["place"]:
            e.add(s, SCHEMA.location, e.thing("city", row["place"]), src)
        e.date(s, SCHEMA.startDate, row["start"], src)
        e.date(s, SCHEMA.endDate, row["end"], src)


def convert_figures(t: Tables, e: Emitter) -> None:
    for row in t["figures"]:
        s, src = e.thing("figure", row["id"]), row["source"]
        e.add(s, RDF.type, e.ascn.StatedFigure, src)
        e.labels(s, row["measure_en"], row["measure_ko"], src)
        e.add(s, e.ascn.isFigureAbout, e.ref(row["subject"]), src)
        e.add(s, e.ascn.value, decimal_literal(row["value"]), src)
        e.text(s, e.ascn.asPrinted, row["as_printed"], None, src)
        e.text(s, SCHEMA.unitText, row["unit"], None, src)
        if row["attributed_to"]:
            e.add(s, PROV.wasAttributedTo, e.ref(row["attributed_to"]), src)


def convert_notes(t: Tables, e: Emitter) -> None:
    g = NOTES_GRAPH
    for row in t["notes"]:
        s = e.thing("note", row["id"])
        e.add(s, RDF.type, e.ascn.DataQualityNote, g)
        e.labels(s, row["title_en"], row["title_ko"], g)
        e.text(s, e.ascn.noteCategory, row["category"], None, g)
        e.text(s, e.ascn.correctReading, row["correct_reading_en"], "en", g)
        e.text(s, e.ascn.correctReading, row["correct_reading_ko"], "ko", g)
        e.add(s, DCTERMS.source, e.thing("source", row["source"]), g)
        for ref in row["entities"]:
            e.add(s, e.ascn.concerns, e.ref(ref), g)
    counters: dict[str, int] = {}
    for row in t["note_claims"]:
        counters[row["note"]] = counters.get(row["note"], 0) + 1
        claim = e.thing("note", f"{row['note']}-claim-{counters[row['note']]}")
        note = e.thing("note", row["note"])
        e.add(note, e.ascn.hasClaim, claim, g)
        e.add(claim, RDF.type, e.ascn.SourceClaim, g)
        source = next(r for r in t["sources"] if r["id"] == row["source"])
        lang_name = {"en": ("English", "영문"), "ko": ("Korean", "국문")}[row["lang"]]
        e.labels(
            claim,
            f"{source['label_en'].split('.')[0]} ({lang_name[0]})",
            f"{source['label_ko'].split('.')[0]} ({lang_name[1]})",
            g,
        )
        e.add(claim, e.ascn.claimSource, e.thing("source", row["source"]), g)
        e.text(claim, e.ascn.claimText, row["says"], row["lang"], g)


CONVERTERS: tuple[Callable[[Tables, Emitter], None], ...] = (
    convert_sources,
    convert_states,
    convert_cities,
    convert_focus_areas,
    convert_projects,
    convert_organisations,
    convert_roles_and_posts,
    convert_people,
    convert_events,
    convert_indicators,
    convert_typology,
    convert_governance,
    convert_partnerships_and_initiatives,
    convert_figures,
    convert_notes,
)


def convert(tables: Tables, base: str) -> set[Quad]:
    """All quads of the source tables under ``base``."""
    emitter = Emitter(base)
    for converter in CONVERTERS:
        converter(tables, emitter)
    return emitter.quads
