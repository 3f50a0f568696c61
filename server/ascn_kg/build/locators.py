"""Places in the report: line ranges, and the names of rows, paragraphs and footnotes.

A *locator* is one place inside a report part (a row of a chart or annex, a paragraph or
footnote of running text, a caption, a column, a source note), with its number and its
lines in the English and in the Korean edition of the extracted text. This module holds
the pure rules: how a line range is written and compared, and how a locator is named in
each language ("Annex 2, row 14" / "첨부 2, 14행"). Both the table checks and the
conversion to RDF call them, so there is one place for each rule.
"""

from __future__ import annotations

import re

# "304", "300-304", or several of those joined by commas ("244-305,316")
RANGES_PATTERN = re.compile(r"^\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*$")
NUMBER_PATTERN = re.compile(r"^\d+(?:-\d+)?$")

KINDS: tuple[str, ...] = (
    "title", "caption", "heading", "row", "column", "paragraph", "footnote", "source-note",
)
# kind -> (English, Korean) phrase; {n} is the number, which may be a range such as 10–13
PHRASES: dict[str, tuple[str, str]] = {
    "title": ("title", "제목"),
    "caption": ("caption", "제목"),
    "heading": ("column headings", "머리글"),
    "row": ("row {n}", "{n}행"),
    "column": ("column {n}", "{n}열"),
    "paragraph": ("paragraph {n}", "{n}문단"),
    "footnote": ("footnote {n}", "주석 {n}"),
    "source-note": ("source note", "출처 표기"),
}
PLURAL_EN = {"row": "rows {n}", "column": "columns {n}", "paragraph": "paragraphs {n}"}


def parse_ranges(text: str) -> list[tuple[int, int]]:
    """``"244-305,316"`` → ``[(244, 305), (316, 316)]``; ValueError when malformed or reversed."""
    if not RANGES_PATTERN.match(text):
        raise ValueError(f"{text!r} is not a line range such as 304, 300-304 or 244-305,316")
    ranges = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        low, high = int(first), int(last or first)
        if high < low:
            raise ValueError(f"{part!r} runs backwards")
        ranges.append((low, high))
    return ranges


def lies_within(inner: str, outer: str) -> bool:
    """True when every line of the range ``inner`` lies in one of the ranges of ``outer``."""
    spans = parse_ranges(outer)
    return all(
        any(low >= a and high <= b for a, b in spans) for low, high in parse_ranges(inner)
    )


def _number(phrase: str, number: str, kind: str) -> str:
    if "-" in number and kind in PLURAL_EN and "{n}" in phrase and not phrase.startswith("{n}"):
        phrase = PLURAL_EN[kind]
    return phrase.format(n=number.replace("-", "–"))


def labels(kind: str, part_en: str, part_ko: str, number_en: str | None, number_ko: str | None) -> tuple[str, str]:
    """English and Korean name of a locator: ``("Annex 2, row 14", "첨부 2, 14행")``.

    Where the editions number the place differently, or only one edition has it, the name
    says so, so that a reader of either edition can find it."""
    en_phrase, ko_phrase = PHRASES[kind]
    if "{n}" not in en_phrase:
        return f"{part_en}, {en_phrase}", f"{part_ko}, {ko_phrase}"
    if number_en and number_ko and number_en != number_ko:
        en = f"{_number(en_phrase, number_en, kind)} (Korean edition: {_number(en_phrase, number_ko, kind)})"
        ko = f"{_number(ko_phrase, number_ko, kind)} (영문판 {_number(ko_phrase, number_en, kind)})"
    elif number_en and number_ko:
        en, ko = _number(en_phrase, number_en, kind), _number(ko_phrase, number_ko, kind)
    elif number_ko:
        en = f"{_number(en_phrase, number_ko, kind)} of the Korean edition"
        ko = f"{_number(ko_phrase, number_ko, kind)} (국문판)"
    elif number_en:
        en = f"{_number(en_phrase, number_en, kind)} of the English edition"
        ko = f"영문판 {_number(ko_phrase, number_en, kind)}"
    else:
        raise ValueError(f"a {kind} locator needs a number in at least one edition")
    return f"{part_en}, {en}", f"{part_ko}, {ko}"


def key(part: str, locator: str) -> str:
    """The key of a locator's IRI (``id/locator/{key}``): its part and its id within the part."""
    return f"{part}-{locator}"
