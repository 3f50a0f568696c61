"""The source tables: their columns, their rules, and loading with row-level errors.

Every rule a table must keep is declared once here, as a :class:`Column` of a
:class:`Table`. :func:`load_tables` reads ``data/*.csv``, checks every cell and
cross-table reference, and raises :class:`DataError` naming file, line, column
and rule for each broken cell.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ascn_kg.build import locators as places
from ascn_kg.config import source_root
from ascn_kg.iris import is_valid_key

DATE_PATTERN = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")

# entity kind (as in IRIs and prefixed references) -> table holding its keys
KIND_TABLES: dict[str, str] = {
    "state": "states",
    "city": "cities",
    "organisation": "organisations",
    "person": "people",
    "role": "roles",
    "post": "posts",
    "event": "events",
    "project": "projects",
    "threshold": "thresholds",
    "source": "sources",
    "element": "core_elements",
    "partnership": "partnerships",
    "initiative": "initiatives",
    "note": "notes",
    "focus-area": "focus_areas",
    "figure": "figures",
    "theme": "themes",
}


@dataclass(frozen=True)
class Column:
    """One column: its type and the rules its cells keep."""

    name: str
    kind: str = "text"  # text|key|int|decimal|date|bool|choice|ref|refs|kindrefs|kindref|range|locators|locrefs
    required: bool = False
    ref: str | None = None  # table name for ref/refs
    choices: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()  # allowed kinds for kindref/kindrefs
    doc: str = ""


@dataclass(frozen=True)
class Table:
    """A source table: file name, key columns and columns."""

    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    doc: str = ""

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"


@dataclass(frozen=True)
class Problem:
    """One broken cell (or row) of a source table."""

    file: str
    line: int
    column: str
    rule: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file}, line {self.line}, column '{self.column}': {self.message}"
            f" [rule: {self.rule}]"
        )


class DataError(Exception):
    """The source tables break one or more rules."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in the source tables:\n{shown}{more}")


Row = dict[str, Any]


@dataclass
class Tables:
    """Loaded, typed rows of every table, by table name."""

    rows: dict[str, list[Row]] = field(default_factory=dict)

    def __getitem__(self, name: str) -> list[Row]:
        return self.rows[name]

    def keys_of(self, name: str) -> set[str]:
        table = TABLES[name]
        return {row[table.key[0]] for row in self.rows.get(name, [])}


SOURCE = Column("source", "ref", True, ref="sources", doc="report part the row comes from")
LOCATOR = Column(
    "locator", "locators", True, doc="the places in that part (rows of `locators.csv` with this source) it rests on"
)
LABEL_EN = Column("label_en", required=True, doc="English name")


def printed_at(column: str) -> Column:
    """The companion of a column whose value the row's own part does not print."""
    return Column(f"{column}_at", "locrefs", doc=f"where `{column}` is printed, when not in the row's own part")


def _t(name: str, key: tuple[str, ...], *columns: Column, doc: str = "") -> Table:
    return Table(name, key, columns, doc)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        _t(
            "sources",
            ("id",),
            Column("id", "key", True),
            Column("kind", "choice", True, choices=("chart", "annex", "section", "illustration", "title-page")),
            LABEL_EN,
            Column("label_ko", required=True),
            Column("short_en", required=True, doc="short name, the start of its locators' names (Annex 2)"),
            Column("short_ko", required=True, doc="short Korean name (첨부 2)"),
            Column("lines_en", "range", doc="line ranges in the English text; empty when only the Korean has it"),
            Column("lines_ko", "range", doc="line ranges in the Korean text; empty when only the English has it"),
            Column("cited_source", doc="the document the report cites for this part"),
            doc="Parts of the report; each is the source of one named graph.",
        ),
        _t(
            "locators",
            ("source", "id"),
            Column("source", "ref", True, ref="sources", doc="the part the place is in"),
            Column("id", "key", True, doc="unique within the part (row-14, para-3, fn-4, …)"),
            Column("kind", "choice", True, choices=places.KINDS),
            Column("number_en", "range", doc="its number in the English edition (row 14, paragraph 3, rows 10-13)"),
            Column("number_ko", "range", doc="its number in the Korean edition, where it differs or is alone"),
            Column("lines_en", "range", doc="its lines in the English text, within the part's"),
            Column("lines_ko", "range", doc="its lines in the Korean text, within the part's"),
            doc="Places inside the parts (rows, paragraphs, footnotes, captions) that statements cite; "
            "a place that only one edition prints has lines in that edition only.",
        ),
        _t(
            "states",
            ("id",),
            Column("id", "key", True, doc="lower case; the report prints no codes"),
            Column("name_en", required=True),
            Column("name_ko", required=True),
            Column("member_state", "bool", True, doc="yes for the ten ASEAN Member States"),
            Column("pilot_city_order", "int", doc="order of the state in Chart 3"),
            SOURCE,
            LOCATOR,
            doc="Countries: the ten member states and the others the report names.",
        ),
        _t(
            "cities",
            ("id",),
            Column("id", "key", True),
            Column("name_en", required=True),
            Column("name_ko", required=True),
            printed_at("name_ko"),
            Column("state", "ref", True, ref="states"),
            Column("pilot_city", "bool", True),
            Column("chart3_no", "int", doc="number in Chart 3"),
            Column("capital", "bool", doc="correct reading: capital of its state"),
            Column("capital_chart3_en", "bool", doc="capital mark in the English Chart 3"),
            Column("capital_chart3_ko", "bool", doc="capital mark in the Korean Chart 3"),
            SOURCE,
            LOCATOR,
            doc="Pilot cities (Chart 3) and the typology's reference cities (Chart 5).",
        ),
        _t(
            "alt_names",
            ("entity", "lang", "name"),
            Column("entity", "kindref", True,
                   kinds=("state", "city", "organisation", "role", "element", "initiative", "event")),
            Column("lang", "choice", True, choices=("en", "ko")),
            Column("name", required=True, doc="exactly as printed"),
            SOURCE,
            LOCATOR,
            doc="Other names and misspellings the report prints, each where it prints it (skos:altLabel).",
        ),
        _t(
            "focus_areas",
            ("id",),
            Column("id", "key", True),
            LABEL_EN,
            Column("label_ko", required=True, doc="the project's Korean rendering"),
            Column("report_spellings", "list", True, doc="every spelling in Annex 1"),
            Column("definition_en", required=True),
            Column("definition_ko", required=True),
            SOURCE,
            LOCATOR,
            doc="The normalised classification column of Annex 1 (a SKOS scheme).",
        ),
        _t(
            "city_focus_areas",
            ("city", "position"),
            Column("city", "ref", True, ref="cities"),
            Column("position", "int", True),
            Column("focus_area", "ref", True, ref="focus_areas"),
            Column("as_printed", required=True),
            SOURCE,
            LOCATOR,
            doc="Annex 1's classification of each city, one row per printed value.",
        ),
        _t(
            "themes",
            ("id",),
            Column("id", "key", True),
            Column("scheme", "choice", True, choices=("priority-sectors", "action-plan-themes")),
            Column("position", "int", True),
            LABEL_EN,
            Column("label_ko", required=True),
            Column("of", "kindref", True, kinds=("organisation", "element")),
            SOURCE,
            LOCATOR,
            doc="Fields the report names as focuses: the network's priority sectors and the action plans' themes.",
        ),
        _t(
            "projects",
            ("id",),
            Column("id", "key", True),
            Column("city", "ref", True, ref="cities"),
            Column("position", "int", True),
            Column("name_en", required=True),
            Column("name_ko", required=True),
            Column("report_spelling_en", doc="the printed name where it was corrected"),
            SOURCE,
            LOCATOR,
            doc="Priority projects of Annex 1.",
        ),
        _t(
            "organisations",
            ("id",),
            Column("id", "key", True),
            Column("name_en", required=True),
            Column("name_ko"),
            Column("abbreviation", doc="only as the report prints it"),
            printed_at("abbreviation"),
            Column(
                "kind",
                "choice",
                True,
                doc="what the report says it is; `organisation` when it says no more",
                choices=(
                    "organisation",
                    "intergovernmental",
                    "network",
                    "network-body",
                    "asean-body",
                    "ministry",
                    "agency",
                    "city-administration",
                    "department",
                    "company",
                    "business-association",
                    "government-committee",
                ),
            ),
            Column("parent", "ref", ref="organisations"),
            Column("state", "ref", ref="states"),
            Column("founded", "date"),
            SOURCE,
            LOCATOR,
            doc="Ministries, city halls, agencies, ASEAN bodies, companies.",
        ),
        _t(
            "roles",
            ("id",),
            Column("id", "key", True),
            LABEL_EN,
            Column("label_ko", required=True),
            Column("abbreviation"),
            printed_at("abbreviation"),
            Column("seniority_en"),
            Column("seniority_ko"),
            SOURCE,
            LOCATOR,
            doc="Roles of the network (Chart 4).",
        ),
        _t(
            "role_duties",
            ("role", "duty", "element"),
            Column("role", "ref", True, ref="roles"),
            Column("duty", "choice", True, choices=("takes-part-in", "leads-delegation-at", "is-responsible-for")),
            Column("element", "ref", True, ref="core_elements"),
            SOURCE,
            LOCATOR,
            doc="What each role does in the network's core elements (Chart 4's responsibilities).",
        ),
        _t(
            "people",
            ("id",),
            Column("id", "key", True),
            Column("name", required=True, doc="as in Annex 2, without honorific or degree"),
            Column("name_ko"),
            Column("honorific", doc="as printed before the name (Dr., H.E., Ir., Hajah)"),
            Column("honorific_ko", doc="the title the Korean text gives with the name (대통령)"),
            Column("degree", doc="as printed after the name (MA)"),
            Column("designation", required=True, doc="title and organisation, corrected"),
            Column("designation_as_printed", doc="the printed designation where corrected"),
            Column("organisation", "ref", ref="organisations"),
            SOURCE,
            LOCATOR,
            doc="People named in the report.",
        ),
        _t(
            "posts",
            ("id",),
            Column("id", "key", True),
            Column("role", "ref", True, ref="roles"),
            Column("state", "ref", ref="states"),
            Column("city", "ref", ref="cities"),
            Column("organisation", "ref", True, ref="organisations"),
            Column("status_as_printed", doc="what the report prints for a vacant post"),
            SOURCE,
            LOCATOR,
            doc="Posts: one NR post per member state, one CSCO post per pilot city, and more.",
        ),
        _t(
            "post_holders",
            ("post", "person"),
            Column("post", "ref", True, ref="posts"),
            Column("person", "ref", True, ref="people"),
            Column("annex2_order", "int"),
            Column("role_as_printed"),
            SOURCE,
            LOCATOR,
            doc="Who holds which post, as the report states it (derived holders are in `derived_facts.csv`).",
        ),
        _t(
            "events",
            ("id",),
            Column("id", "key", True),
            Column("chart1_order", "int"),
            LABEL_EN,
            Column("label_ko", required=True),
            Column("start", "date", True),
            Column("end", "date"),
            Column("place", "ref", ref="cities"),
            printed_at("place"),
            Column("participants", "kindrefs", kinds=("state", "organisation", "person", "role")),
            printed_at("participants"),
            Column("organiser", "kindrefs", kinds=("state", "organisation")),
            printed_at("organiser"),
            Column("description_en", required=True),
            Column("description_ko", required=True),
            SOURCE,
            LOCATOR,
            doc="Dated events: the timeline of Chart 1 and others the text dates.",
        ),
        _t(
            "indicators",
            ("id",),
            Column("id", "key", True),
            Column("kind", "choice", True, choices=("gdp-per-capita", "population-density")),
            Column("subject", "kindref", True, kinds=("state", "city")),
            Column("value", "decimal", True),
            Column("as_printed", required=True),
            Column("subject_as_printed"),
            Column("year", "date"),
            Column("unit", "choice", True, choices=("USD", "per-km2")),
            Column("publisher", "ref", ref="organisations"),
            Column("annex3_order", "int"),
            SOURCE,
            LOCATOR,
            doc="GDP per capita of states and population density of cities.",
        ),
        _t(
            "thresholds",
            ("id",),
            Column("id", "key", True),
            Column("indicator_kind", "choice", True, choices=("gdp-per-capita", "population-density")),
            Column("value", "decimal", True),
            Column("as_printed", required=True),
            Column("comparison_above", required=True),
            Column("basis_en", required=True),
            Column("basis_ko", required=True),
            Column("reference", "kindref", kinds=("state",)),
            SOURCE,
            LOCATOR,
            doc="The two cut-offs of the city typology.",
        ),
        _t(
            "typology",
            ("id",),
            Column("id", "key", True),
            LABEL_EN,
            Column("label_ko", required=True),
            Column("density", "choice", True, choices=("high", "low")),
            Column("economy", "choice", True, choices=("developed", "emerging")),
            Column("example_city", "ref", True, ref="cities"),
            Column("stated_count", "int", True),
            Column("stated_cities", "refs", ref="cities"),
            printed_at("stated"),
            SOURCE,
            LOCATOR,
            doc="Chart 5's four classes, with what the text says of each (`stated_at`: count and cities).",
        ),
        _t(
            "core_elements",
            ("id",),
            Column("id", "key", True),
            Column("position", "int", True),
            LABEL_EN,
            Column("label_ko", required=True),
            Column("period_start", "date"),
            Column("period_end", "date"),
            Column("description_en", required=True),
            Column("description_ko", required=True),
            printed_at("description"),
            SOURCE,
            LOCATOR,
            doc="The four core elements of the network (Chart 2).",
        ),
        _t(
            "reporting_chain",
            ("from", "relation", "to"),
            Column("from", "ref", True, ref="organisations"),
            Column("relation", "choice", True, choices=("reports-to", "monitors", "comprises")),
            Column("to", "ref", True, ref="organisations"),
            Column("position", "int", True),
            Column("description_en", required=True),
            SOURCE,
            LOCATOR,
            doc="Who reports to whom, who monitors, and who sits in the JCM (Chart 2, section 4).",
        ),
        _t(
            "partnerships",
            ("id",),
            Column("id", "key", True),
            LABEL_EN,
            Column("label_ko", required=True),
            Column("partner", "refs", True, ref="organisations"),
            Column("city", "ref", True, ref="cities"),
            Column("project", "ref", ref="projects"),
            Column("programme", "ref", True, ref="core_elements"),
            Column("date", "date"),
            Column("description_en", required=True),
            Column("description_ko", required=True),
            SOURCE,
            LOCATOR,
            doc="Twinning Programme partnerships the report names.",
        ),
        _t(
            "initiatives",
            ("id",),
            Column("id", "key", True),
            LABEL_EN,
            Column("label_ko", required=True),
            Column("actors", "kindrefs", kinds=("state", "organisation", "person")),
            Column("place", "ref", ref="cities"),
            Column("start", "date"),
            Column("end", "date"),
            Column("description_en", required=True),
            Column("description_ko", required=True),
            SOURCE,
            LOCATOR,
            doc="Other named initiatives of the smart-city context.",
        ),
        _t(
            "figures",
            ("id",),
            Column("id", "key", True),
            Column("subject", "kindref", True, kinds=("state", "city", "organisation")),
            Column("measure_en", required=True),
            Column("measure_ko", required=True),
            Column("value", "decimal", True),
            Column("as_printed", required=True),
            Column("unit", required=True),
            Column("attributed_to", "kindref", kinds=("organisation",)),
            SOURCE,
            LOCATOR,
            doc="Counts and amounts stated in the text.",
        ),
        _t(
            "assessments",
            ("subject", "source"),
            Column("subject", "kindref", True, kinds=("state", "city", "organisation")),
            Column("text_en", required=True),
            Column("text_ko", required=True),
            SOURCE,
            LOCATOR,
            doc="What the text says of a country's or city's standing, in the project's words (schema:description).",
        ),
        _t(
            "derived_facts",
            ("id",),
            Column("id", "key", True),
            LABEL_EN,
            Column("label_ko", required=True),
            Column("rule_en", required=True, doc="how the premises give the fact"),
            Column("rule_ko", required=True),
            Column("subject", "kindref", True, kinds=("person", "element")),
            Column("relation", "choice", True, choices=("holds", "period-start")),
            Column("object", required=True, doc="`post:key` for holds, a year for period-start"),
            Column("premises", "locrefs", True, doc="the places the rule reads"),
            doc="Facts the report implies without stating them: each goes to graph/inferred with its rule.",
        ),
        _t(
            "notes",
            ("id",),
            Column("id", "key", True),
            Column(
                "category",
                "choice",
                True,
                choices=(
                    "contradiction",
                    "spelling",
                    "naming",
                    "figure",
                    "omission",
                    "exception",
                    "reference",
                    "translation",
                    "adjustment",
                ),
            ),
            Column("title_en", required=True),
            Column("title_ko", required=True),
            Column("correct_reading_en", required=True),
            Column("correct_reading_ko", required=True),
            Column("entities", "kindrefs", True, kinds=tuple(KIND_TABLES)),
            Column("source", "ref", True, ref="sources", doc="the part the note is filed under"),
            doc="Data-quality notes: where the report contradicts itself or misspells.",
        ),
        _t(
            "note_claims",
            ("note", "source", "lang", "says"),
            Column("note", "ref", True, ref="notes"),
            SOURCE,
            LOCATOR,
            Column("lang", "choice", True, choices=("en", "ko")),
            Column("says", required=True, doc="as printed, or a short transcription"),
            Column("about", "kindrefs", kinds=tuple(KIND_TABLES),
                   doc="the entities it is about; empty: all the note's"),
            doc="What each part of the report says on a note's matter, and where (the locator's lines in `lang`).",
        ),
    )
}

# tables whose rows reference others must load after them; order of TABLES is fine.


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _check_cell(table: Table, col: Column, raw: str, line: int) -> tuple[Any, Problem | None]:
    """Parse one cell; return its typed value or the rule it breaks."""

    def bad(rule: str, message: str) -> tuple[Any, Problem]:
        return None, Problem(table.file_name, line, col.name, rule, message)

    cell = raw.strip()
    if cell != raw:
        return bad("no-surrounding-space", f"value {raw!r} has leading or trailing spaces")
    if not cell:
        if col.required:
            return bad("required", "a value is required")
        return ([] if col.kind in {"list", "refs", "kindrefs", "locators", "locrefs"} else None), None
    if col.kind == "key" and not is_valid_key(cell):
        return bad("key-format", f"{cell!r} is not a key (lower-case words joined by hyphens)")
    if col.kind == "int":
        if not re.fullmatch(r"\d+", cell):
            return bad("integer", f"{cell!r} is not a whole number")
        return int(cell), None
    if col.kind == "decimal":
        try:
            number = Decimal(cell)
        except InvalidOperation:
            return bad("decimal", f"{cell!r} is not a number")
        if not number.is_finite() or number < 0:
            return bad("decimal", f"{cell!r} is not a non-negative number")
        return number, None
    if col.kind == "date" and not DATE_PATTERN.match(cell):
        return bad("date", f"{cell!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    if col.kind == "bool":
        if cell not in {"yes", "no"}:
            return bad("yes-no", f"{cell!r} is not yes or no")
        return cell == "yes", None
    if col.kind == "choice" and cell not in col.choices:
        return bad("choice", f"{cell!r} is not one of {', '.join(col.choices)}")
    if col.kind == "range":
        try:
            places.parse_ranges(cell)
        except ValueError as exc:
            return bad("line-range", str(exc))
        return cell, None
    if col.kind == "locators":
        ids = _split(cell)
        wrong = [i for i in ids if not is_valid_key(i)]
        if wrong:
            return bad("key-format", f"{wrong[0]!r} is not a locator id (lower-case words joined by hyphens)")
        return ids, None
    if col.kind == "locrefs":
        refs = _split(cell)
        wrong = [r for r in refs if r.count("/") != 1 or not all(map(is_valid_key, r.split("/")))]
        if wrong:
            return bad("locator-reference", f"{wrong[0]!r} is not part/locator (annex-1/row-12)")
        return [tuple(r.split("/")) for r in refs], None
    if col.kind in {"list", "refs", "kindrefs"}:
        return _split(cell), None
    return cell, None


def _check_refs(
    table: Table, row: Row, line: int, keys: dict[str, set[str]], spots: set[tuple[str, str]]
) -> Iterator[Problem]:
    """Cross-table references of one row (``spots``: the (part, id) of every locator)."""
    for col in table.columns:
        value = row.get(col.name)
        if value in (None, []):
            continue
        if col.kind == "locators":
            for item in value:
                if (row.get("source"), item) not in spots:
                    yield Problem(table.file_name, line, col.name, "reference to locators",
                                  f"no locator {item!r} in {row.get('source')!r}")
        if col.kind == "locrefs":
            for part, item in value:
                if (part, item) not in spots:
                    yield Problem(table.file_name, line, col.name, "reference to locators",
                                  f"no locator {item!r} in {part!r}")
            if col.name.endswith("_at") and len({part for part, _ in value}) > 1:
                yield Problem(table.file_name, line, col.name, "one part",
                              "the places of one value must lie in one part")
        if col.kind in {"ref", "refs"}:
            for item in value if isinstance(value, list) else [value]:
                if item not in keys[col.ref or ""]:
                    noun = col.ref.rstrip("s") if col.ref else "entity"
                    yield Problem(
                        table.file_name,
                        line,
                        col.name,
                        f"reference to {col.ref}",
                        f"unknown {noun} {item!r}",
                    )
        if col.kind in {"kindref", "kindrefs"}:
            for item in value if isinstance(value, list) else [value]:
                kind, _, key = item.partition(":")
                if kind not in col.kinds:
                    yield Problem(
                        table.file_name,
                        line,
                        col.name,
                        "kind-prefixed reference",
                        f"{item!r} must start with one of {', '.join(k + ':' for k in col.kinds)}",
                    )
                elif key not in keys[KIND_TABLES[kind]]:
                    yield Problem(
                        table.file_name,
                        line,
                        col.name,
                        f"reference to {KIND_TABLES[kind]}",
                        f"unknown {kind} {key!r}",
                    )


def _read_table(table: Table, path: Path) -> tuple[list[tuple[int, Row]], list[Problem]]:
    """Read and type one CSV file, checking header and cells."""
    problems: list[Problem] = []
    if not path.exists():
        return [], [Problem(table.file_name, 0, "-", "file-present", f"{path} is missing")]
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return [], [Problem(table.file_name, 0, "-", "utf-8", f"not valid UTF-8: {exc}")]
    reader = csv.reader(text.splitlines())
    header = next(reader, [])
    expected = [c.name for c in table.columns]
    if header != expected:
        missing = [c for c in expected if c not in header]
        extra = [c for c in header if c not in expected]
        detail = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unexpected {', '.join(extra)}" if extra else "",
                "columns out of order" if not missing and not extra else "",
            )
            if part
        )
        column = (missing or extra or ["-"])[0]
        return [], [Problem(table.file_name, 1, column, "header", f"header mismatch: {detail}")]
    rows: list[tuple[int, Row]] = []
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(expected):
            problems.append(
                Problem(
                    table.file_name,
                    line,
                    "-",
                    "column-count",
                    f"{len(cells)} cells where the header has {len(expected)}",
                )
            )
            continue
        row: Row = {}
        for col, raw in zip(table.columns, cells, strict=True):
            value, problem = _check_cell(table, col, raw, line)
            if problem:
                problems.append(problem)
            row[col.name] = value
        rows.append((line, row))
    return rows, problems


def load_tables(data_dir: Path) -> Tables:
    """Read, type and check every source table; raise DataError listing every problem."""
    problems: list[Problem] = []
    read: dict[str, list[tuple[int, Row]]] = {}
    for table in TABLES.values():
        rows, table_problems = _read_table(table, data_dir / table.file_name)
        read[table.name] = rows
        problems += table_problems
    keys = {
        name: {row[TABLES[name].key[0]] for _, row in rows if row.get(TABLES[name].key[0])}
        for name, rows in read.items()
    }
    spots = {(row["source"], row["id"]) for _, row in read["locators"] if row.get("source") and row.get("id")}
    for table in TABLES.values():
        seen: dict[tuple[Any, ...], int] = {}
        for line, row in read[table.name]:
            key = tuple(str(row.get(k)) for k in table.key)
            if None not in (row.get(k) for k in table.key):
                if key in seen:
                    problems.append(
                        Problem(
                            table.file_name,
                            line,
                            table.key[0],
                            "unique-key",
                            f"duplicate key {'/'.join(key)!r} (first on line {seen[key]})",
                        )
                    )
                seen.setdefault(key, line)
            problems += _check_refs(table, row, line, keys, spots)
    if not problems:
        problems += _check_places(read)
    if problems:
        raise DataError(problems)
    return Tables({name: [row for _, row in rows] for name, rows in read.items()})


def _check_places(read: dict[str, list[tuple[int, Row]]]) -> list[Problem]:
    """Locators lie inside their part in each edition and are named; claims and facts fit."""
    problems: list[Problem] = []
    parts = {row["id"]: row for _, row in read["sources"]}
    spots = {(row["source"], row["id"]): row for _, row in read["locators"]}
    for line, row in read["locators"]:
        part = parts[row["source"]]

        def bad(column: str, rule: str, message: str, line: int = line) -> None:
            problems.append(Problem("locators.csv", line, column, rule, message))

        if not row["lines_en"] and not row["lines_ko"]:
            bad("lines_en", "lines", "a locator has lines in at least one edition")
        for lang in ("en", "ko"):
            lines, outer = row[f"lines_{lang}"], part[f"lines_{lang}"]
            if lines and not (outer and places.lies_within(lines, outer)):
                bad(f"lines_{lang}", "inside its part",
                    f"lines {lines} are not inside {row['source']} ({outer or 'none'})")
            if row[f"number_{lang}"] and not lines:
                bad(f"number_{lang}", "number with lines", f"a number in the {lang} edition needs lines there")
        if "{n}" in places.PHRASES[row["kind"]][0] and not (row["number_en"] or row["number_ko"]):
            bad("number_en", "numbered", f"a {row['kind']} has a number in at least one edition")
    for line, row in read["note_claims"]:
        for item in row["locator"]:
            if not spots[(row["source"], item)][f"lines_{row['lang']}"]:
                problems.append(Problem("note_claims.csv", line, "locator", "claim in its edition",
                                        f"{row['source']}/{item} has no {row['lang']} lines for a {row['lang']} claim"))
    for line, row in read["derived_facts"]:
        wanted = {"holds": r"^post:[a-z0-9-]+$", "period-start": r"^\d{4}$"}[row["relation"]]
        if not re.match(wanted, row["object"]):
            problems.append(Problem("derived_facts.csv", line, "object", "object of the relation",
                                    f"{row['object']!r} does not fit {row['relation']}"))
    return problems


KIND_DOCS = {
    "text": "text",
    "key": "key (lower-case words joined by hyphens)",
    "int": "whole number",
    "decimal": "decimal number (no thousands separator)",
    "date": "date: YYYY, YYYY-MM or YYYY-MM-DD",
    "bool": "yes / no",
    "choice": "one of the listed values",
    "list": "list, `;`-separated",
    "ref": "key of a row of another table",
    "refs": "keys of rows of another table, `;`-separated",
    "kindref": "`kind:key` reference",
    "kindrefs": "`kind:key` references, `;`-separated",
    "range": "line or number range: `304`, `300-304`, `244-305,316`",
    "locators": "ids of rows of `locators.csv` in the row's `source`, `;`-separated",
    "locrefs": "`part/locator` references, `;`-separated (`annex-1/row-12`)",
}

README_INTRO = """# The source tables

Generated from `server/ascn_kg/build/tables.py` by `python -m ascn_kg.build.tables`; do not edit by hand
(a test fails when this file and the declarations differ).

Each table transcribes one kind of fact from the 2018 report. Conventions:

- Files are UTF-8 CSV with a header row; `ascn-kg build` checks every cell against the rules
  below and stops with the file, line, column and rule of each broken cell.
- `id` columns are keys: they become IRIs (`{base}id/{kind}/{key}`) and never change.
- Names are spelled as the report prints them. A misprint of a common word is corrected
  (`Baord` → Board) with a data-quality note; a proper name is never corrected from outside
  knowledge (`Oke Otrip`, `AT Kearny` stay as printed). Other printed spellings of a name are
  rows of `alt_names.csv`, each where it is printed, and become `skos:altLabel`; a corrected
  value keeps its printed form in a `report_spelling_*` or `*_as_printed` column.
- Korean names are those of the Korean part of the report; where it gives none the cell is
  empty. Korean labels of focus areas are this project's rendering. The text extracted from
  the PDF puts a space wherever the script changes (`제 32 차`, `ASCN 의 4 가지`); Korean names
  and labels are written with standard spacing (`제32차`, `ASCN의 4가지`), while quotations
  (`note_claims.csv`) and `*_as_printed` cells keep the extracted text as it stands.
- `source` names the part of the report (a row of `sources.csv`) the row comes from; each
  source becomes a named graph `{base}graph/{source}`. `locator` names the places in that
  part (rows of `locators.csv`: a row of a chart or annex, a paragraph or footnote) the row
  rests on, and each statement the row gives cites them (`prov:wasDerivedFrom`). A value
  printed in another part has a companion `*_at` column naming where (`annex-1/row-12`);
  its statements go to that part's graph and cite that place.
- What the report implies but does not state is in `derived_facts.csv`, with the rule and
  the places of its premises; it goes to `graph/inferred`, never to a part's graph.
- `kind:key` references point into the table of that kind (`state:` → states, `city:` →
  cities, `organisation:`, `person:`, `role:`, `post:`, `event:`, `project:`, `note:`, …).
- Descriptions are written in the project's own words, never copied from the report.
"""


def render_readme() -> str:
    """The documentation of every table and column (data/README.md)."""
    parts = [README_INTRO]
    for table in TABLES.values():
        parts.append(f"\n## `{table.file_name}`\n\n{table.doc}\n\nKey: `{'` + `'.join(table.key)}`.\n")
        parts.append("\n| column | type | required | rule / meaning |\n|---|---|---|---|\n")
        for col in table.columns:
            rule = col.doc
            if col.choices:
                rule = (rule + "; " if rule else "") + "one of " + ", ".join(f"`{c}`" for c in col.choices)
            if col.ref:
                rule = (rule + "; " if rule else "") + f"refers to `{col.ref}.csv`"
            if col.kinds and len(col.kinds) < 6:
                rule = (rule + "; " if rule else "") + "kinds " + ", ".join(f"`{k}:`" for k in col.kinds)
            required = "yes" if col.required else ""
            parts.append(f"| `{col.name}` | {KIND_DOCS[col.kind]} | {required} | {rule} |\n")
    return "".join(parts)


if __name__ == "__main__":  # pragma: no cover
    # ``python -m ascn_kg.build.tables``: rewrite data/README.md of the checkout (or package) built
    (source_root() / "data" / "README.md").write_text(render_readme(), encoding="utf-8")
