"""The query catalogue: one competency question per ``queries/NAME.rq``, with a strict header.

A catalogue file starts with a header of ``#+ field: value`` lines (grlc style)::

    #+ title: Priority projects of a city
    #+ question_en: What priority projects did a given pilot city put forward?
    #+ question_ko: 특정 시범도시가 제안한 우선 프로젝트는 무엇인가?
    #+ reproduces: Annex 1
    #+ tags: projects, pilot cities
    #+ param: city | city key or its English or Korean name | default: kuala-lumpur

``title``, ``question_en``, ``question_ko`` and ``reproduces`` are required, ``tags`` and
``param`` optional; any other field, a repeated field or a malformed line raises
:class:`CatalogueError` naming the file and line. Each parameter NAME is bound by exactly one
line ``VALUES ?NAME_param { "default" }`` in the query, whose literal is the declared default;
:func:`render` replaces that literal with the caller's value, escaped as a SPARQL string
literal, so a value can never become query syntax. The queries themselves decide how the
string is matched (a key, a label in English or Korean, an abbreviation).

``python -m ascn_kg.catalogue [QUERIES_DIR]`` rewrites ``QUERIES_DIR/README.md``.
"""

from __future__ import annotations

import difflib
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ascn_kg.config import source_root

HEADER_LINE = re.compile(r"^#\+\s*(?P<field>[A-Za-z_]+)\s*:\s*(?P<value>.*?)\s*$")
PARAM_VALUE = re.compile(r"^(?P<description>[^|]+?)\s*\|\s*default:\s*(?P<default>.*?)$")
PARAM_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
REQUIRED = ("title", "question_en", "question_ko", "reproduces")
OPTIONAL = ("tags",)
FIELDS = (*REQUIRED, *OPTIONAL, "param")
README = "README.md"


class CatalogueError(Exception):
    """A catalogue file whose header does not parse; the message names file and line."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


class UnknownQuery(LookupError):
    """No catalogue query of that name."""


@dataclass(frozen=True)
class Param:
    """A declared parameter: its name, what it accepts, its default value."""

    name: str
    description: str
    default: str

    @property
    def variable(self) -> str:
        return f"{self.name}_param"


@dataclass(frozen=True)
class Entry:
    """One catalogue query."""

    name: str
    title: str
    question_en: str
    question_ko: str
    reproduces: str
    tags: tuple[str, ...]
    params: tuple[Param, ...]
    text: str
    path: Path

    def param(self, name: str) -> Param:
        for param in self.params:
            if param.name == name:
                return param
        raise KeyError(name)


# --- parsing -------------------------------------------------------------------------------


def _values_line(name: str) -> re.Pattern[str]:
    """The one line that binds parameter ``name``: ``VALUES ?name_param { "…" }``."""
    return re.compile(
        r'^(?P<lead>\s*VALUES\s+\?' + re.escape(name) + r'_param\s*\{\s*)'
        r'(?P<literal>"(?:[^"\\\n]|\\.)*")(?P<tail>\s*\}\s*)$'
    )


def _unquote(literal: str) -> str:
    """The value of a short double-quoted SPARQL string literal."""
    escapes = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(0)), literal[1:-1])


def quote(value: str) -> str:
    """``value`` as a double-quoted SPARQL string literal (every special character escaped)."""
    escapes = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
    return '"' + "".join(escapes.get(c, c) for c in value) + '"'


def _parse_param(path: Path, number: int, value: str) -> Param:
    name, bar, rest = value.partition("|")
    match = PARAM_VALUE.match(rest.strip())
    if not bar or not match or not PARAM_NAME.match(name.strip()):
        raise CatalogueError(
            path, number, "a param line reads `#+ param: NAME | description | default: VALUE`"
        )
    return Param(name.strip(), match.group("description").strip(), match.group("default").strip())


def _check_binding(path: Path, lines: list[str], param: Param, header_line: int) -> None:
    pattern = _values_line(param.name)
    found = [(i, m) for i, line in enumerate(lines, 1) if (m := pattern.match(line))]
    if len(found) != 1:
        raise CatalogueError(
            path, header_line,
            f"parameter {param.name!r} needs exactly one line `VALUES ?{param.variable} {{ \"…\" }}`"
            f" (found {len(found)})",
        )
    number, match = found[0]
    if _unquote(match.group("literal")) != param.default:
        raise CatalogueError(
            path, number, f"the VALUES literal of {param.name!r} differs from its declared default"
        )


def _read_header(path: Path, lines: list[str]) -> tuple[dict[str, str], list[tuple[int, Param]], int]:
    """The header's fields, its parameters (with their line numbers) and the first line after it."""
    fields: dict[str, str] = {}
    params: list[tuple[int, Param]] = []
    number = 0
    for number, line in enumerate(lines, 1):
        if not line.startswith("#+"):
            return fields, params, number
        match = HEADER_LINE.match(line)
        if not match:
            raise CatalogueError(path, number, "a header line reads `#+ field: value`")
        field_name, value = match.group("field"), match.group("value")
        if field_name not in FIELDS:
            raise CatalogueError(path, number, f"unknown header field {field_name!r} (known: {', '.join(FIELDS)})")
        if not value:
            raise CatalogueError(path, number, f"header field {field_name!r} is empty")
        if field_name == "param":
            param = _parse_param(path, number, value)
            if any(p.name == param.name for _, p in params):
                raise CatalogueError(path, number, f"parameter {param.name!r} is declared twice")
            params.append((number, param))
        elif field_name in fields:
            raise CatalogueError(path, number, f"header field {field_name!r} is repeated")
        else:
            fields[field_name] = value
    return fields, params, number + 1


def _check_body(path: Path, lines: list[str], start: int) -> None:
    """A query follows the header, and no header line hides further down."""
    body = lines[start - 1:]
    for number, line in enumerate(body, start):
        if line.startswith("#+"):
            raise CatalogueError(path, number, "a header line after the header (the header must be unbroken)")
    if not "".join(line for line in body if not line.lstrip().startswith("#")).strip():
        raise CatalogueError(path, start, "no query after the header")


def parse_entry(path: Path | str) -> Entry:
    """Parse one catalogue file; raise :class:`CatalogueError` on any header problem."""
    path = Path(path)
    if not NAME.match(path.stem):
        raise CatalogueError(path, 1, f"file name {path.stem!r} must be lower-case letters, digits and dashes")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogueError(path, 1, f"cannot read: {error}") from error
    lines = text.splitlines()
    fields, params, start = _read_header(path, lines)
    missing = [f for f in REQUIRED if f not in fields]
    if missing:
        raise CatalogueError(path, start, f"header lacks {', '.join(missing)}")
    _check_body(path, lines, start)
    for line_number, param in params:
        _check_binding(path, lines, param, line_number)
    return Entry(
        name=path.stem,
        title=fields["title"],
        question_en=fields["question_en"],
        question_ko=fields["question_ko"],
        reproduces=fields["reproduces"],
        tags=tuple(t.strip() for t in fields.get("tags", "").split(",") if t.strip()),
        params=tuple(p for _, p in params),
        text=text,
        path=path,
    )


def load_catalogue(queries_dir: Path | str) -> list[Entry]:
    """Every ``*.rq`` of ``queries_dir``, parsed strictly, sorted by name."""
    return [parse_entry(path) for path in sorted(Path(queries_dir).glob("*.rq"))]


def closest_names(name: str, queries_dir: Path | str, n: int = 3) -> list[str]:
    """The ``n`` catalogue names most like ``name``: names containing it first, then by similarity."""
    names = sorted(path.stem for path in Path(queries_dir).glob("*.rq"))
    wanted = name.strip().lower()

    def likeness(candidate: str) -> tuple[bool, float]:
        return wanted in candidate, difflib.SequenceMatcher(None, wanted, candidate).ratio()

    return sorted(names, key=likeness, reverse=True)[:n]


def resolve(name: str, queries_dir: Path | str) -> Entry:
    """The catalogue entry called ``name``; :class:`UnknownQuery` (naming the closest) if there is none."""
    path = Path(queries_dir) / f"{name}.rq"
    if not NAME.match(name) or not path.is_file():
        close = closest_names(name, queries_dir)
        hint = f"; the closest are {', '.join(close)}" if close else ""
        raise UnknownQuery(f"no catalogue query named {name!r} in {queries_dir}{hint} "
                           "(`ascn-kg query --list` lists them all)")
    return parse_entry(path)


# --- rendering -----------------------------------------------------------------------------


def check_value(name: str, value: object) -> None:
    """Refuse a parameter value that is not a plain one-line string without backslashes.

    Keys and labels never contain a backslash or a control character; refusing them keeps a
    bound value inert even for SPARQL processors that expand ``\\u`` escapes before parsing.
    """
    if not isinstance(value, str):
        raise ValueError(f"parameter {name!r} must be a string")
    if "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValueError(f"parameter {name!r} may not contain a backslash or a control character")


def render(entry: Entry, params: dict[str, str] | None = None) -> str:
    """The executable query, each parameter bound to its value (or default) as a literal.

    Raises ValueError for a parameter the entry does not declare, or a value :func:`check_value`
    refuses. The value replaces the literal of the parameter's ``VALUES`` line, escaped by
    :func:`quote`; the query decides what it matches (a key, a label in either language).
    """
    params = dict(params or {})
    known = {p.name for p in entry.params}
    unknown = sorted(set(params) - known)
    if unknown:
        accepted = ", ".join(sorted(known)) or "none"
        raise ValueError(
            f"query {entry.name!r} has no parameter {', '.join(map(repr, unknown))} (it accepts: {accepted})"
        )
    lines = entry.text.splitlines(keepends=True)
    for param in entry.params:
        value = params.get(param.name, param.default)
        check_value(param.name, value)
        pattern = _values_line(param.name)
        for i, line in enumerate(lines):
            ending = line[len(line.rstrip("\r\n")):]
            match = pattern.match(line.rstrip("\r\n"))
            if match:
                lines[i] = match.group("lead") + quote(value) + match.group("tail") + ending
    return "".join(lines)


# --- the command line: name, file or text -------------------------------------------------


def _existing_file(candidate: str) -> Path | None:
    """``candidate`` as a path if it names an existing file (a query text never does)."""
    if "\n" in candidate or len(candidate) > 1024:
        return None
    try:
        path = Path(candidate)
        return path if path.is_file() else None
    except (OSError, ValueError):  # a name too long for the file system, a NUL character
        return None


def query_text(name_file_or_text: str, params: dict[str, str], queries_dir: Path | str) -> str:
    """The executable query for ``ascn-kg query``: a catalogue name, a query file or query text.

    Parameters are bound with :func:`render`; they need a catalogue header to declare them.
    Raises :class:`UnknownQuery` for a name not in the catalogue (or a missing ``.rq`` file),
    ValueError for parameters the query does not declare, :class:`CatalogueError` for a bad header.
    """
    candidate = name_file_or_text.strip()
    path = _existing_file(candidate)
    if path is not None and path.read_text(encoding="utf-8").startswith("#+"):
        return render(parse_entry(path), params)
    if path is not None:
        text = path.read_text(encoding="utf-8")
    elif NAME.match(candidate):
        return render(resolve(candidate, queries_dir), params)
    elif candidate.endswith((".rq", ".sparql")) and "\n" not in candidate:
        raise UnknownQuery(f"no query file {candidate}")
    else:
        text = name_file_or_text
    if params:
        raise ValueError("parameters can only be bound in a query with a catalogue header (#+ param: …)")
    return text


# --- the index -----------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_index(entries: list[Entry]) -> str:
    """The Markdown index of the catalogue (``queries/README.md``)."""
    out = [
        "# Query catalogue",
        "",
        "<!-- generated by `python -m ascn_kg.catalogue`; do not edit by hand -->",
        "",
        f"{len(entries)} SPARQL queries, each answering one question the 2018 report answers. "
        "Run one with `ascn-kg query NAME [--param name=value]`; the expected answer of each is in "
        "`expected/NAME.csv`. A parameter accepts an entity key or an exact English or Korean label "
        "(see its description) and is bound as a string literal, never pasted into the query.",
        "",
        "The queries run unchanged on the built pyoxigraph store and on any SPARQL 1.1 endpoint whose "
        "default graph is the union of the named graphs (Oxigraph: `oxigraph serve --union-default-graph`); "
        "`ascn-kg query NAME --endpoint URL` asks such an endpoint.",
        "",
        "| name | title | question | 질문 | reproduces | parameters |",
        "|---|---|---|---|---|---|",
    ]
    for entry in entries:
        params = "<br>".join(
            f"`{p.name}`: {_cell(p.description)} (default `{_cell(p.default)}`)" for p in entry.params
        ) or "–"
        out.append(
            f"| [`{entry.name}`]({entry.name}.rq) | {_cell(entry.title)} | {_cell(entry.question_en)} | "
            f"{_cell(entry.question_ko)} | {_cell(entry.reproduces)} | {params} |"
        )
    return "\n".join(out) + "\n"


def write_index(queries_dir: Path | str) -> Path:
    """Rewrite ``queries_dir/README.md`` from the catalogue; return its path."""
    target = Path(queries_dir) / README
    target.write_text(render_index(load_catalogue(queries_dir)), encoding="utf-8")
    return target


def main(argv: list[str] | None = None, out: IO[str] | None = None) -> int:
    """``python -m ascn_kg.catalogue [QUERIES_DIR]``: rewrite the index; 1 if a header is bad."""
    args = sys.argv[1:] if argv is None else argv
    queries_dir = Path(args[0]) if args else source_root() / "queries"
    out = out or sys.stdout
    try:
        target = write_index(queries_dir)
    except CatalogueError as error:
        print(f"catalogue: {error}", file=sys.stderr)
        return 1
    print(f"wrote {target}", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
