"""Source tables to RDF: one small function per table, each row into its source's graph.

Every function takes the loaded :class:`~ascn_kg.build.tables.Tables` and an
:class:`Emitter`, and adds quads whose graph is ``{base}graph/{row's source}``. Each
statement is added with a :class:`Cite`: the graph it goes to and the places (locators)
it rests on. When the conversion ends, every subject of a part's graph gets
``prov:wasDerivedFrom`` to each place its statements in that graph cite, in that graph:
one link per subject and place, not per statement (see the README's architecture).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from ascn_kg import iris
from ascn_kg.build import locators as places
from ascn_kg.build.tables import Row, Tables
from ascn_kg.namespaces import ORG, SCHEMA, ascn_namespace

Quad = tuple[Node, Node, Node, URIRef]
Place = tuple[str, str]  # (part, locator id)

ORGANISATION_CLASSES = {
    "organisation": "Organisation",
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
UNIT_TEXT = {"USD": ("USD", "미국 달러"), "per-km2": ("inhabitants per km²", "km²당 인구")}  # (en, ko)
NOTES_GRAPH = "data-quality"
SOURCES_GRAPH = "sources"
INFERRED_GRAPH = "inferred"
THEME_SCHEMES = {
    "priority-sectors": (
        "Priority sectors of the network", "ASCN 중점 산업분야",
        "The sectors the concept note names as examples of fields a member city may focus on.",
        "구축안이 시범도시가 집중할 수 있는 분야의 예로 든 산업분야.",
    ),
    "action-plan-themes": (
        "Main themes of the city action plans", "도시별 시행 계획의 주요 분야",
        "The fields most of the city action plans' projects concentrate on.",
        "도시별 시행 계획의 프로젝트가 주로 다루는 분야.",
    ),
}
DUTIES = {"takes-part-in": "takesPartIn", "leads-delegation-at": "leadsDelegationAt",
          "is-responsible-for": "isResponsibleFor"}
DERIVED = {"holds": (ORG.holds, "post"), "period-start": (None, "year")}


class ProvenanceError(Exception):
    """A statement in a part's graph cites no place in that part."""


@dataclass(frozen=True)
class Cite:
    """Where statements go (a named graph) and the places in the report they rest on."""

    graph: str
    places: tuple[Place, ...] = ()


def date_literal(value: str) -> Literal:
    """YYYY, YYYY-MM or YYYY-MM-DD as xsd:gYear, xsd:gYearMonth or xsd:date."""
    datatype = {4: XSD.gYear, 7: XSD.gYearMonth, 10: XSD.date}[len(value)]
    return Literal(value, datatype=datatype)


def decimal_literal(value: Decimal) -> Literal:
    """An xsd:decimal literal in its XSD 1.1 canonical form (no exponent, no trailing zeros, no
    decimal point for a whole number), the form the store keeps, so dumps and answers agree."""
    text = format(value.normalize(), "f") if value else "0"
    return Literal(text, datatype=XSD.decimal)


@dataclass
class Emitter:
    """Collects quads for one base IRI, and the places each subject's statements cite per graph."""

    base: str
    quads: set[Quad] = field(default_factory=set)
    cited: dict[tuple[Node, str], set[Place]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ascn = ascn_namespace(self.base)

    def at(self, row: Row, column: str | None = None) -> Cite:
        """The row's part and locators; for ``column``, its ``{column}_at`` places when the row has them."""
        elsewhere = row.get(f"{column}_at") if column else None
        if elsewhere:
            return Cite(elsewhere[0][0], tuple(elsewhere))
        return Cite(row["source"], tuple((row["source"], item) for item in row["locator"]))

    def place(self, part: str, locator: str) -> URIRef:
        return self.thing("locator", places.key(part, locator))

    def thing(self, kind: str, key: str) -> URIRef:
        return iris.thing(kind, key, self.base)

    def ref(self, kind_and_key: str) -> URIRef:
        kind, _, key = kind_and_key.partition(":")
        return self.thing(kind, key)

    def graph(self, name: str) -> URIRef:
        return iris.graph(name, self.base)

    def add(self, s: Node, p: Node, o: Node | None, at: Cite) -> None:
        if o is not None:
            self.quads.add((s, p, o, self.graph(at.graph)))
            if at.places:
                self.cited.setdefault((s, at.graph), set()).update(at.places)

    def text(self, s: Node, p: Node, value: str | None, lang: str | None, at: Cite) -> None:
        if value:
            self.add(s, p, Literal(value, lang=lang), at)

    def texts(self, s: Node, p: Node, values: Iterable[str], lang: str, at: Cite) -> None:
        for value in values:
            self.text(s, p, value, lang, at)

    def labels(self, s: Node, en: str | None, ko: str | None, at: Cite) -> None:
        """rdfs:label and skos:prefLabel in both languages."""
        for prop in (RDFS.label, SKOS.prefLabel):
            self.text(s, prop, en, "en", at)
            self.text(s, prop, ko, "ko", at)

    def described(self, s: Node, cls: Node, row: Row, at: Cite) -> None:
        """A typed subject with the row's labels and schema:description in both languages."""
        self.add(s, RDF.type, cls, at)
        self.labels(s, row["label_en"], row["label_ko"], at)
        self.text(s, SCHEMA.description, row["description_en"], "en", at)
        self.text(s, SCHEMA.description, row["description_ko"], "ko", at)

    def integer(self, s: Node, p: Node, value: int | None, at: Cite) -> None:
        if value is not None:
            self.add(s, p, Literal(value, datatype=XSD.integer), at)

    def date(self, s: Node, p: Node, value: str | None, at: Cite) -> None:
        if value:
            self.add(s, p, date_literal(value), at)

    def derivations(self) -> None:
        """Each subject of a graph to every place its statements there cite (prov:wasDerivedFrom)."""
        for (subject, graph), cited in self.cited.items():
            for part, locator in cited:
                self.quads.add((subject, PROV.wasDerivedFrom, self.place(part, locator), self.graph(graph)))


def convert_sources(t: Tables, e: Emitter) -> None:
    at = Cite(SOURCES_GRAPH)
    report = e.thing("source", "report")
    e.add(report, RDF.type, SCHEMA.Report, at)
    e.labels(
        report,
        "ASEAN Smart Cities Network: Deepening Cooperation and Providing Opportunities",
        "‘아세안 스마트시티 네트워크’, 기회와 협력방안",
        at,
    )
    e.text(report, DCTERMS.creator, "Lee Eun-young", "en", at)
    e.add(report, DCTERMS.creator, e.thing("person", "lee-eun-young"), at)
    e.add(report, DCTERMS.publisher, e.thing("organisation", "asean-korea-centre"), at)
    e.add(report, DCTERMS.issued, Literal("2018", datatype=XSD.gYear), at)
    for lang, text in REPORT_DATE.items():
        e.text(report, SCHEMA.description, text, lang, at)
    e.add(report, DCTERMS.created, Literal("2018-07", datatype=XSD.gYearMonth), at)
    e.add(report, PROV.wasDerivedFrom, e.place(*REPORT_DATE_PLACE), at)
    e.text(report, DCTERMS.language, "en", None, at)
    e.text(report, DCTERMS.language, "ko", None, at)
    for row in t["sources"]:
        s = e.thing("source", row["id"])
        e.add(s, RDF.type, e.ascn.ReportPart, at)
        e.labels(s, row["label_en"], row["label_ko"], at)
        e.add(s, DCTERMS.isPartOf, report, at)
        e.text(s, DCTERMS.type, row["kind"], None, at)
        e.text(s, e.ascn.linesEnglish, row["lines_en"], None, at)
        e.text(s, e.ascn.linesKorean, row["lines_ko"], None, at)
        for cited in (row["cited_source"] or "").split(";"):
            e.text(s, DCTERMS.source, cited.strip(), "en", at)


REPORT_DATE = {
    "en": "The report says it was written in mid-July 2018 (footnote 1 of the core elements section).",
    "ko": "보고서는 2018년 7월 중순경 작성되었다고 밝힌다(핵심 요소 절의 주석).",
}
REPORT_DATE_PLACE = ("section-core-elements", "fn-1")


def convert_locators(t: Tables, e: Emitter) -> None:
    """Every place statements cite, in the graph of the report and its parts."""
    at = Cite(SOURCES_GRAPH)
    parts = {row["id"]: row for row in t["sources"]}
    for row in t["locators"]:
        part = parts[row["source"]]
        s = e.place(row["source"], row["id"])
        e.add(s, RDF.type, e.ascn.Locator, at)
        en, ko = places.labels(row["kind"], part["short_en"], part["short_ko"], row["number_en"], row["number_ko"])
        e.labels(s, en, ko, at)
        e.add(s, DCTERMS.isPartOf, e.thing("source", row["source"]), at)
        e.text(s, DCTERMS.type, row["kind"], None, at)
        e.text(s, e.ascn.numberEnglish, row["number_en"], None, at)
        e.text(s, e.ascn.numberKorean, row["number_ko"], None, at)
        e.text(s, e.ascn.linesEnglish, row["lines_en"], None, at)
        e.text(s, e.ascn.linesKorean, row["lines_ko"], None, at)


def convert_states(t: Tables, e: Emitter) -> None:
    for row in t["states"]:
        s, at = e.thing("state", row["id"]), e.at(row)
        e.add(s, RDF.type, e.ascn.MemberState if row["member_state"] else e.ascn.Country, at)
        e.labels(s, row["name_en"], row["name_ko"], at)
        e.integer(s, e.ascn.listPosition, row["pilot_city_order"], at)
        if row["member_state"]:
            e.add(s, ORG.memberOf, e.thing("organisation", "asean"), at)


def convert_cities(t: Tables, e: Emitter) -> None:
    ascn_network = e.thing("organisation", "ascn")
    for row in t["cities"]:
        s, at = e.thing("city", row["id"]), e.at(row)
        state = e.thing("state", row["state"])
        e.add(s, RDF.type, e.ascn.City, at)
        e.labels(s, row["name_en"], None, at)
        e.labels(s, None, row["name_ko"], e.at(row, "name_ko"))
        e.add(s, e.ascn.isLocatedIn, state, at)
        e.integer(s, e.ascn.listPosition, row["chart3_no"], at)
        if row["pilot_city"]:
            e.add(s, e.ascn.isPilotCityOf, ascn_network, at)
            e.add(s, e.ascn.nominatedBy, state, at)
        if row["capital"]:
            e.add(s, e.ascn.isCapitalOf, state, at)
        for column, prop in (("capital_chart3_en", e.ascn.printedCapitalMarkEnglish),
                             ("capital_chart3_ko", e.ascn.printedCapitalMarkKorean)):
            if row[column] is not None:
                e.add(s, prop, Literal(row[column]), at)


def convert_alt_names(t: Tables, e: Emitter) -> None:
    for row in t["alt_names"]:
        e.text(e.ref(row["entity"]), SKOS.altLabel, row["name"], row["lang"], e.at(row))


def convert_focus_areas(t: Tables, e: Emitter) -> None:
    scheme = e.thing("scheme", "focus-areas")
    rows = t["focus_areas"]
    cited = tuple(sorted({place for row in rows for place in e.at(row).places}))
    scheme_at = Cite(rows[0]["source"], cited)
    e.add(scheme, RDF.type, SKOS.ConceptScheme, scheme_at)
    e.labels(scheme, "Focus areas of the pilot cities", "시범도시 중점 분야", scheme_at)
    e.text(
        scheme,
        SKOS.definition,
        "The fields under which Annex 1 classifies the cities' priority projects, "
        "with spelling variants merged into one concept each.",
        "en",
        scheme_at,
    )
    e.text(
        scheme, SKOS.definition, "첨부 1이 시범도시 프로젝트를 분류한 분야를 정규화한 체계.", "ko", scheme_at
    )
    for row in rows:
        s, at = e.thing("focus-area", row["id"]), e.at(row)
        e.add(s, RDF.type, SKOS.Concept, at)
        e.add(s, SKOS.inScheme, scheme, at)
        e.add(s, SKOS.topConceptOf, scheme, at)
        e.add(scheme, SKOS.hasTopConcept, s, scheme_at)
        e.labels(s, row["label_en"], row["label_ko"], at)
        e.text(s, SKOS.definition, row["definition_en"], "en", at)
        e.text(s, SKOS.definition, row["definition_ko"], "ko", at)
        for spelling in row["report_spellings"]:
            if spelling != row["label_en"]:
                e.text(s, SKOS.hiddenLabel, spelling, "en", at)
    for row in t["city_focus_areas"]:
        city = e.thing("city", row["city"])
        e.add(city, e.ascn.hasFocusArea, e.thing("focus-area", row["focus_area"]), e.at(row))


def convert_themes(t: Tables, e: Emitter) -> None:
    """The network's priority sectors and the action plans' main themes: two small SKOS schemes."""
    for row in t["themes"]:
        s, at = e.thing("theme", row["id"]), e.at(row)
        scheme = e.thing("scheme", row["scheme"])
        label_en, label_ko, definition_en, definition_ko = THEME_SCHEMES[row["scheme"]]
        e.add(scheme, RDF.type, SKOS.ConceptScheme, at)
        e.labels(scheme, label_en, label_ko, at)
        e.text(scheme, SKOS.definition, definition_en, "en", at)
        e.text(scheme, SKOS.definition, definition_ko, "ko", at)
        e.add(scheme, SKOS.hasTopConcept, s, at)
        e.add(s, RDF.type, SKOS.Concept, at)
        e.add(s, SKOS.inScheme, scheme, at)
        e.add(s, SKOS.topConceptOf, scheme, at)
        e.labels(s, row["label_en"], row["label_ko"], at)
        e.integer(s, e.ascn.listPosition, row["position"], at)
        e.add(e.ref(row["of"]), e.ascn.hasTheme, s, at)


def convert_projects(t: Tables, e: Emitter) -> None:
    for row in t["projects"]:
        s, at = e.thing("project", row["id"]), e.at(row)
        e.add(s, RDF.type, e.ascn.PriorityProject, at)
        e.labels(s, row["name_en"], row["name_ko"], at)
        e.text(s, SKOS.altLabel, row["report_spelling_en"], "en", at)
        e.add(s, e.ascn.isProjectOf, e.thing("city", row["city"]), at)
        e.integer(s, e.ascn.listPosition, row["position"], at)


def convert_organisations(t: Tables, e: Emitter) -> None:
    for row in t["organisations"]:
        s, at = e.thing("organisation", row["id"]), e.at(row)
        cls = ORGANISATION_CLASSES[row["kind"]]
        e.add(s, RDF.type, ORG.Organization if cls == "Organisation" else e.ascn[cls], at)
        e.labels(s, row["name_en"], row["name_ko"], at)
        e.text(s, e.ascn.abbreviation, row["abbreviation"], None, e.at(row, "abbreviation"))
        if row["parent"]:
            e.add(s, ORG.subOrganizationOf, e.thing("organisation", row["parent"]), at)
        if row["state"]:
            e.add(s, e.ascn.operatesIn, e.thing("state", row["state"]), at)
        e.date(s, SCHEMA.foundingDate, row["founded"], at)


def convert_roles_and_posts(t: Tables, e: Emitter) -> None:
    for row in t["roles"]:
        s, at = e.thing("role", row["id"]), e.at(row)
        e.add(s, RDF.type, ORG.Role, at)
        e.labels(s, row["label_en"], row["label_ko"], at)
        e.text(s, e.ascn.abbreviation, row["abbreviation"], None, e.at(row, "abbreviation"))
        e.text(s, e.ascn.seniority, row["seniority_en"], "en", at)
        e.text(s, e.ascn.seniority, row["seniority_ko"], "ko", at)
    for row in t["role_duties"]:
        e.add(e.thing("role", row["role"]), e.ascn[DUTIES[row["duty"]]], e.thing("element", row["element"]),
              e.at(row))
    roles = {row["id"]: row for row in t["roles"]}
    places_ = {row["id"]: row for row in t["cities"]} | {row["id"]: row for row in t["states"]}
    for row in t["posts"]:
        s, at = e.thing("post", row["id"]), e.at(row)
        role = roles[row["role"]]
        e.add(s, RDF.type, ORG.Post, at)
        e.add(s, ORG.role, e.thing("role", row["role"]), at)
        e.add(s, ORG.postIn, e.thing("organisation", row["organisation"]), at)
        place = places_.get(row["city"] or row["state"] or "")
        suffix_en = f" ({place['name_en']})" if place else ""
        suffix_ko = f" ({place['name_ko']})" if place else ""
        e.labels(s, role["label_en"] + suffix_en, role["label_ko"] + suffix_ko, at)
        if row["state"]:
            e.add(s, e.ascn.forCountry, e.thing("state", row["state"]), at)
        if row["city"]:
            e.add(s, e.ascn.forCity, e.thing("city", row["city"]), at)
        e.text(s, e.ascn.statusAsPrinted, row["status_as_printed"], None, at)
    for row in t["post_holders"]:
        person, post = e.thing("person", row["person"]), e.thing("post", row["post"])
        e.add(person, ORG.holds, post, e.at(row))


def convert_people(t: Tables, e: Emitter) -> None:
    for row in t["people"]:
        s, at = e.thing("person", row["id"]), e.at(row)
        e.add(s, RDF.type, FOAF.Person, at)
        e.labels(s, row["name"], row["name_ko"], at)
        e.text(s, FOAF.name, row["name"], None, at)
        e.text(s, SCHEMA.honorificPrefix, row["honorific"], None, at)
        e.text(s, SCHEMA.honorificPrefix, row["honorific_ko"], "ko", at)
        e.text(s, SCHEMA.honorificSuffix, row["degree"], None, at)
        e.text(s, SCHEMA.jobTitle, row["designation"], "en", at)
        if row["designation_as_printed"]:
            e.text(s, e.ascn.asPrinted, row["designation_as_printed"], None, at)
        if row["organisation"]:
            e.add(s, ORG.memberOf, e.thing("organisation", row["organisation"]), at)


def convert_events(t: Tables, e: Emitter) -> None:
    for row in t["events"]:
        s, at = e.thing("event", row["id"]), e.at(row)
        timeline = row["chart1_order"] is not None
        e.described(s, e.ascn.TimelineEvent if timeline else e.ascn.Event, row, at)
        e.integer(s, e.ascn.listPosition, row["chart1_order"], at)
        e.date(s, SCHEMA.startDate, row["start"], at)
        e.date(s, SCHEMA.endDate, row["end"], at)
        if row["place"]:
            e.add(s, SCHEMA.location, e.thing("city", row["place"]), e.at(row, "place"))
        for ref in row["participants"]:
            e.add(s, e.ascn.involves, e.ref(ref), e.at(row, "participants"))
        for ref in row["organiser"]:
            e.add(s, SCHEMA.organizer, e.ref(ref), e.at(row, "organiser"))


def convert_indicators(t: Tables, e: Emitter) -> None:
    shortcut = {"gdp-per-capita": e.ascn.gdpPerCapitaUSD, "population-density": e.ascn.populationDensityPerKm2}
    copied: set[tuple[str, str]] = set()
    for row in t["indicators"]:
        s, at = e.thing("indicator", row["id"]), e.at(row)
        subject = e.ref(row["subject"])
        value = decimal_literal(row["value"])
        e.add(s, RDF.type, e.ascn[INDICATOR_CLASSES[row["kind"]]], at)
        name = subject_name(t, row["subject"])
        measure_en = {"gdp-per-capita": "GDP per capita", "population-density": "Population density"}
        measure_ko = {"gdp-per-capita": "1인당 국내총생산", "population-density": "인구밀도"}
        year = f" ({row['year']})" if row["year"] else ""
        again = (row["subject"], row["kind"]) in copied  # the same measure cited elsewhere: say where
        source = next(r for r in t["sources"] if r["id"] == row["source"]) if again else None
        e.labels(
            s,
            f"{measure_en[row['kind']]} of {name[0]}{year}" + (f", as cited in {source['short_en']}" if source else ""),
            (f"{source['short_ko']}에 인용된 " if source else "") + f"{name[1]} {measure_ko[row['kind']]}{year}",
            at,
        )
        e.add(s, e.ascn.isIndicatorOf, subject, at)
        e.add(s, e.ascn.value, value, at)
        e.text(s, e.ascn.asPrinted, row["as_printed"], None, at)
        for text, lang in zip(UNIT_TEXT[row["unit"]], ("en", "ko"), strict=True):
            e.text(s, SCHEMA.unitText, text, lang, at)
        e.date(s, e.ascn.referenceYear, row["year"], at)
        e.integer(s, e.ascn.listPosition, row["annex3_order"], at)
        if row["publisher"]:
            e.add(s, PROV.wasAttributedTo, e.thing("organisation", row["publisher"]), at)
        e.add(s, DCTERMS.source, e.thing("source", row["source"]), at)
        if (row["subject"], row["kind"]) not in copied:  # one value per place: the first row's (Annex 3)
            copied.add((row["subject"], row["kind"]))
            e.add(subject, shortcut[row["kind"]], value, at)


def subject_name(t: Tables, ref: str) -> tuple[str, str]:
    """English and Korean name of a ``kind:key`` reference to a state or city."""
    kind, _, key = ref.partition(":")
    table = {"state": "states", "city": "cities"}[kind]
    row = next(r for r in t[table] if r["id"] == key)
    return row["name_en"], row["name_ko"] or row["name_en"]


def convert_typology(t: Tables, e: Emitter) -> None:
    measures = {"gdp-per-capita": e.ascn.GdpPerCapita, "population-density": e.ascn.PopulationDensity}
    for row in t["thresholds"]:
        s, at = e.thing("threshold", row["id"]), e.at(row)
        e.add(s, RDF.type, e.ascn.Threshold, at)
        e.labels(
            s,
            f"Threshold for a {row['comparison_above']}",
            {"developed economy": "선진국 기준값", "dense city": "인구밀도가 높은 도시 기준값"}.get(
                row["comparison_above"], row["comparison_above"]
            ),
            at,
        )
        e.add(s, e.ascn.value, decimal_literal(row["value"]), at)
        e.text(s, e.ascn.asPrinted, row["as_printed"], None, at)
        e.add(s, e.ascn.appliesToMeasure, measures[row["indicator_kind"]], at)
        e.text(s, SKOS.scopeNote, row["basis_en"], "en", at)
        e.text(s, SKOS.scopeNote, row["basis_ko"], "ko", at)
        if row["reference"]:
            e.add(s, PROV.wasDerivedFrom, e.ref(row["reference"]), at)
    for row in t["typology"]:
        cls, at, stated = e.ascn[TYPOLOGY_CLASSES[row["id"]]], e.at(row), e.at(row, "stated")
        e.add(cls, e.ascn.exampleCity, e.thing("city", row["example_city"]), at)
        e.text(cls, e.ascn.densityLevel, row["density"], None, at)
        e.text(cls, e.ascn.economyLevel, row["economy"], None, at)
        e.add(cls, e.ascn.statedCount, Literal(row["stated_count"], datatype=XSD.integer), stated)
        for city in row["stated_cities"]:
            e.add(cls, e.ascn.statedMember, e.thing("city", city), stated)


def convert_governance(t: Tables, e: Emitter) -> None:
    network = e.thing("organisation", "ascn")
    for row in t["core_elements"]:
        s, at, described = e.thing("element", row["id"]), e.at(row), e.at(row, "description")
        e.add(s, RDF.type, e.ascn.CoreElement, at)
        e.labels(s, row["label_en"], row["label_ko"], at)
        e.text(s, SKOS.definition, row["description_en"], "en", described)
        e.text(s, SKOS.definition, row["description_ko"], "ko", described)
        e.integer(s, e.ascn.listPosition, row["position"], at)
        e.date(s, e.ascn.periodStart, row["period_start"], at)
        e.date(s, e.ascn.periodEnd, row["period_end"], at)
        e.add(network, e.ascn.hasCoreElement, s, at)
    relation = {"reports-to": e.ascn.reportsTo, "monitors": e.ascn.monitors, "comprises": e.ascn.comprises}
    for row in t["reporting_chain"]:
        e.add(
            e.thing("organisation", row["from"]),
            relation[row["relation"]],
            e.thing("organisation", row["to"]),
            e.at(row),
        )


def convert_partnerships_and_initiatives(t: Tables, e: Emitter) -> None:
    for row in t["partnerships"]:
        s, at = e.thing("partnership", row["id"]), e.at(row)
        e.described(s, e.ascn.Partnership, row, at)
        for partner in row["partner"]:
            e.add(s, e.ascn.hasPartner, e.thing("organisation", partner), at)
        e.add(s, e.ascn.concernsCity, e.thing("city", row["city"]), at)
        if row["project"]:
            e.add(s, e.ascn.concernsProject, e.thing("project", row["project"]), at)
        e.add(s, e.ascn.underProgramme, e.thing("element", row["programme"]), at)
        e.date(s, SCHEMA.startDate, row["date"], at)
    for row in t["initiatives"]:
        s, at = e.thing("initiative", row["id"]), e.at(row)
        e.described(s, e.ascn.Initiative, row, at)
        for ref in row["actors"]:
            e.add(s, e.ascn.involves, e.ref(ref), at)
        if row["place"]:
            e.add(s, SCHEMA.location, e.thing("city", row["place"]), at)
        e.date(s, SCHEMA.startDate, row["start"], at)
        e.date(s, SCHEMA.endDate, row["end"], at)


def convert_figures(t: Tables, e: Emitter) -> None:
    for row in t["figures"]:
        s, at = e.thing("figure", row["id"]), e.at(row)
        e.add(s, RDF.type, e.ascn.StatedFigure, at)
        e.labels(s, row["measure_en"], row["measure_ko"], at)
        e.add(s, e.ascn.isFigureAbout, e.ref(row["subject"]), at)
        e.add(s, e.ascn.value, decimal_literal(row["value"]), at)
        e.text(s, e.ascn.asPrinted, row["as_printed"], None, at)
        e.text(s, SCHEMA.unitText, row["unit"], None, at)
        if row["attributed_to"]:
            e.add(s, PROV.wasAttributedTo, e.ref(row["attributed_to"]), at)
    for row in t["assessments"]:
        at = e.at(row)
        e.text(e.ref(row["subject"]), SCHEMA.description, row["text_en"], "en", at)
        e.text(e.ref(row["subject"]), SCHEMA.description, row["text_ko"], "ko", at)


def convert_derived_facts(t: Tables, e: Emitter) -> None:
    """Facts the report implies, in graph/inferred, each derived from its rule, the rule from its premises."""
    for row in t["derived_facts"]:
        rule, subject = e.thing("rule", row["id"]), e.ref(row["subject"])
        e.add(rule, RDF.type, e.ascn.DerivationRule, Cite(INFERRED_GRAPH, tuple(row["premises"])))
        e.labels(rule, row["label_en"], row["label_ko"], Cite(INFERRED_GRAPH))
        e.text(rule, SKOS.definition, row["rule_en"], "en", Cite(INFERRED_GRAPH))
        e.text(rule, SKOS.definition, row["rule_ko"], "ko", Cite(INFERRED_GRAPH))
        prop, kind = DERIVED[row["relation"]]
        if kind == "post":
            e.add(subject, prop, e.ref(row["object"]), Cite(INFERRED_GRAPH))
        else:
            e.date(subject, e.ascn.periodStart, row["object"], Cite(INFERRED_GRAPH))
        e.add(subject, PROV.wasDerivedFrom, rule, Cite(INFERRED_GRAPH))


def convert_notes(t: Tables, e: Emitter) -> None:
    g = Cite(NOTES_GRAPH)
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
    sources = {row["id"]: row for row in t["sources"]}
    spots = {(row["source"], row["id"]): row for row in t["locators"]}
    for row in t["note_claims"]:
        counters[row["note"]] = counters.get(row["note"], 0) + 1
        claim = e.thing("note", f"{row['note']}-claim-{counters[row['note']]}")
        note = e.thing("note", row["note"])
        at = Cite(NOTES_GRAPH, e.at(row).places)
        e.add(note, e.ascn.hasClaim, claim, g)
        e.add(claim, RDF.type, e.ascn.SourceClaim, at)
        source, spot = sources[row["source"]], spots[(row["source"], row["locator"][0])]
        en, ko = places.labels(spot["kind"], source["short_en"], source["short_ko"],
                               spot["number_en"], spot["number_ko"])
        lang_name = {"en": ("English", "영문"), "ko": ("Korean", "국문")}[row["lang"]]
        e.labels(claim, f"{en} ({lang_name[0]})", f"{ko} ({lang_name[1]})", at)
        e.add(claim, e.ascn.claimSource, e.thing("source", row["source"]), at)
        e.text(claim, e.ascn.claimText, row["says"], row["lang"], at)
        for ref in row["about"]:
            e.add(claim, e.ascn.claimConcerns, e.ref(ref), at)


CONVERTERS: tuple[Callable[[Tables, Emitter], None], ...] = (
    convert_sources,
    convert_locators,
    convert_states,
    convert_cities,
    convert_alt_names,
    convert_focus_areas,
    convert_themes,
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
    convert_derived_facts,
    convert_notes,
)


def convert(tables: Tables, base: str) -> set[Quad]:
    """All quads of the source tables under ``base``; every statement of a part's graph cites a place."""
    emitter = Emitter(base)
    for converter in CONVERTERS:
        converter(tables, emitter)
    emitter.derivations()
    parts = {iris.graph(row["id"], base): row["id"] for row in tables["sources"]}
    for s, p, o, g in sorted(emitter.quads, key=str):
        if g in parts and (s, parts[g]) not in emitter.cited:
            raise ProvenanceError(f"<{s}> <{p}> {o.n3()} in graph {parts[g]} cites no place in that part")
    return emitter.quads
