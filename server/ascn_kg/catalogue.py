"""The query catalogue: one competency question per ``queries/NAME.rq``, with a strict header.

A catalogue file starts with a header in grlc's decorator syntax: ``#+`` lines that, with the
``#+`` taken off, are a YAML mapping (grlc, the tool that turns a folder of ``.rq`` files into
a web API, reads them the same way)::

    #+ summary: Priority projects of a city
    #+ summary_ko: 도시별 우선 프로젝트
    #+ description: What priority projects did a given pilot city put forward?
    #+ question_ko: 특정 시범도시가 제안한 우선 프로젝트는 무엇인가?
    #+ reproduces: Annex 1
    #+ reproduces_ko: 첨부 1
    #+ tags:
    #+   - projects
    #+   - pilot cities
    #+ defaults:
    #+   - city: kuala-lumpur
    #+ param_descriptions:
    #+   - city: city key or any English or Korean name of it (case is ignored)
    #+ param_descriptions_ko:
    #+   - city: 도시 키 또는 영문이나 국문 이름(대소문자 무시)

``summary`` and ``description`` are grlc's; ``summary_ko`` and ``question_ko`` (the title and
the question in Korean), ``reproduces`` and ``reproduces_ko`` (the part of the report
answered, in each language), ``param_descriptions``, ``param_descriptions_ko`` and
``param_patterns`` (a regular expression a value must match, where a parameter has a form,
such as a month) are ours, keys grlc ignores. ``tags``, ``defaults`` and ``enumerate`` (the
values a parameter may take) are grlc's, in grlc's shapes. A parameter is a variable
``?_name`` in the query, as in grlc (found by grlc's own pattern); each needs a default and a
description in each language. Any other key, a repeated key, a value of the wrong shape, YAML
that does not parse, an optional (``?__name``) or typed (``?_name_iri`` …) parameter raises
:class:`CatalogueError` naming the file and line: the build fails, where grlc would only warn
and show empty metadata.

Values are bound as terms after parsing (:mod:`ascn_kg.catalogue_bind`), never pasted
into the query text. The queries themselves decide how the string is matched (a key, a
label in English or Korean, an abbreviation).

``python -m ascn_kg.catalogue [QUERIES_DIR]`` rewrites ``QUERIES_DIR/README.md``.
"""

from __future__ import annotations

import difflib
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import yaml

from ascn_kg.config import source_root

# grlc's pattern for parameters (grlc.gquery.get_parameters), so both find the same ones.
GRLC_PARAMETER = re.compile(
    r"\?(?P<required>[_]{1,2})(?P<name>[a-zA-Z0-9]+)([_](?P<type>(iri)|(number)|(literal)|(integer)))?"
    r"([_](?P<prefix>[a-zA-Z0-9]+)[_](?P<userdefined>[a-zA-Z0-9]+))?([_](?P<lang>[a-zA-Z0-9]+))?"
)
NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
REQUIRED = ("summary", "summary_ko", "description", "question_ko", "reproduces", "reproduces_ko")
OPTIONAL = ("tags", "defaults", "enumerate", "param_descriptions", "param_descriptions_ko", "param_patterns")
FIELDS = (*REQUIRED, *OPTIONAL)
GRLC_UNUSED = ("endpoint", "pagination", "method", "transform", "endpoint_in_url")
README = "README.md"
STRING_TAG = "tag:yaml.org,2002:str"


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
    """A declared parameter: its name, what it accepts, its default value, its allowed values."""

    name: str
    description: str
    default: str
    choices: tuple[str, ...] = ()  # from ``enumerate``; empty: any string
    description_ko: str = ""
    pattern: str = ""  # from ``param_patterns``: a regular expression the whole value must match

    def described(self, lang: str) -> str:
        """What the parameter accepts, in ``lang`` (``en`` or ``ko``)."""
        return self.description_ko if lang == "ko" and self.description_ko else self.description

    @property
    def variable(self) -> str:
        """The query's variable (``?_name``), without the question mark."""
        return f"_{self.name}"


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
    title_ko: str = ""
    reproduces_ko: str = ""

    def titled(self, lang: str) -> str:
        """The short title in ``lang`` (``en`` or ``ko``)."""
        return self.title_ko if lang == "ko" and self.title_ko else self.title

    def question(self, lang: str) -> str:
        """The question in ``lang``."""
        return self.question_ko if lang == "ko" else self.question_en

    def where(self, lang: str) -> str:
        """The parts of the report the query reproduces, named in ``lang``."""
        return self.reproduces_ko if lang == "ko" and self.reproduces_ko else self.reproduces

    def param(self, name: str) -> Param:
        for param in self.params:
            if param.name == name:
                return param
        raise KeyError(name)


# --- parsing -------------------------------------------------------------------------------


class _Header:
    """The YAML nodes of a header, read strictly; every error names the file and line."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, node: yaml.Node | None, message: str) -> CatalogueError:
        return CatalogueError(self.path, node.start_mark.line + 1 if node is not None else 1, message)

    def text(self, node: yaml.Node, what: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != STRING_TAG:
            raise self.fail(node, f"{what} must be text (quote it if YAML reads it as something else)")
        if not node.value.strip():
            raise self.fail(node, f"{what} is empty")
        return node.value.strip()

    def texts(self, node: yaml.Node, what: str) -> tuple[str, ...]:
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            raise self.fail(node, f"{what} must be a list (`- item` lines)")
        return tuple(self.text(item, f"an item of {what}") for item in node.value)

    def per_param(self, node: yaml.Node, what: str, many: bool = False) -> dict[str, tuple[yaml.Node, object]]:
        """grlc's shape ``- name: value`` (a list of one-key mappings), by parameter name."""
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            raise self.fail(node, f"{what} must be a list of `- name: value` lines")
        out: dict[str, tuple[yaml.Node, object]] = {}
        for item in node.value:
            if not isinstance(item, yaml.MappingNode) or len(item.value) != 1:
                raise self.fail(item, f"each item of {what} is one `name: value`")
            key, value = item.value[0]
            name = self.text(key, f"a parameter name in {what}")
            if name in out:
                raise self.fail(key, f"parameter {name!r} appears twice in {what}")
            label = f"{what} of {name!r}"
            out[name] = (key, self.texts(value, label) if many else self.text(value, label))
        return out


def _header_lines(lines: list[str]) -> list[str]:
    """The header: the leading ``#+`` lines, with ``#+`` taken off as grlc does."""
    header = []
    for line in lines:
        if not line.startswith("#+"):
            break
        header.append(line.lstrip("#+"))
    return header


def _read_header(path: Path, lines: list[str]) -> tuple[dict[str, tuple[yaml.Node, yaml.Node]], int]:
    """The header's fields (key node, value node) and the number of its first line after it."""
    header = _header_lines(lines)
    reader = _Header(path)
    try:
        root = yaml.compose("\n".join(header), Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        # a key without its colon is noticed on the next line; the key's own line is the one to fix
        keyless = (error.context or "").startswith("while scanning a simple key")
        mark = (error.context_mark if keyless else None) or error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise CatalogueError(path, line, f"the header is not valid YAML: {error.problem or error.context}") from None
    if root is None:
        raise CatalogueError(path, 1, "no header: a catalogue query starts with `#+ summary: …` lines")
    if not isinstance(root, yaml.MappingNode):
        raise reader.fail(root, "the header is a mapping of `#+ key: value` lines")
    fields: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key, value in root.value:
        name = reader.text(key, "a header key")
        if name in fields:
            raise reader.fail(key, f"header field {name!r} is repeated")
        if name in GRLC_UNUSED:
            raise reader.fail(key, f"grlc's decorator {name!r} is not used by this catalogue")
        if name not in FIELDS:
            raise reader.fail(key, f"unknown header field {name!r} (known: {', '.join(FIELDS)})")
        fields[name] = (key, value)
    return fields, len(header) + 1


def _check_body(path: Path, lines: list[str], start: int) -> None:
    """A query follows the header, and no header line hides further down."""
    body = lines[start - 1:]
    for number, line in enumerate(body, start):
        if line.startswith("#+"):
            raise CatalogueError(path, number, "a header line after the header (the header must be unbroken)")
    if not "".join(line for line in body if not line.lstrip().startswith("#")).strip():
        raise CatalogueError(path, start, "no query after the header")


def _found_params(path: Path, text: str) -> dict[str, int]:
    """The parameters grlc finds in the query (name → line of first use), plain strings only."""
    found: dict[str, int] = {}
    for match in GRLC_PARAMETER.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if match.group("required") != "_":
            raise CatalogueError(path, line, f"{match.group()}: optional parameters are not used here; "
                                 "write ?_name and give a default")
        if match.group("type") or match.group("prefix") or match.group("lang"):
            raise CatalogueError(path, line, f"{match.group()}: typed parameters are not used here; "
                                 "the catalogue binds plain strings (?_name)")
        found.setdefault(match.group("name"), line)
    return found


def _params(path: Path, text: str, fields: dict[str, tuple[yaml.Node, yaml.Node]]) -> tuple[Param, ...]:
    reader = _Header(path)
    found = _found_params(path, text)
    sections = {key: reader.per_param(fields[key][1], key, many=key == "enumerate") if key in fields else {}
                for key in ("defaults", "param_descriptions", "param_descriptions_ko", "enumerate", "param_patterns")}
    for key, section in sections.items():
        for name, (node, _value) in section.items():
            if name not in found:
                raise reader.fail(node, f"{key} names {name!r}, but the query has no parameter ?_{name}")
    params = []
    for name, line in found.items():
        for key in ("defaults", "param_descriptions", "param_descriptions_ko"):
            if name not in sections[key]:
                raise CatalogueError(path, line, f"parameter ?_{name} needs an entry in {key}")
        default = str(sections["defaults"][name][1])
        choices = tuple(sections["enumerate"].get(name, (None, ()))[1])  # type: ignore[arg-type]
        if choices and default not in choices:
            raise reader.fail(sections["defaults"][name][0],
                              f"the default of {name!r} is not one of its enumerate values")
        pattern = _pattern(reader, sections["param_patterns"].get(name), default)
        params.append(Param(name, str(sections["param_descriptions"][name][1]), default, choices,
                            str(sections["param_descriptions_ko"][name][1]), pattern))
    return tuple(params)


def _pattern(reader: _Header, declared: tuple[yaml.Node, object] | None, default: str) -> str:
    """A parameter's ``param_patterns`` entry, checked: it compiles and its default matches it."""
    if declared is None:
        return ""
    node, pattern = declared
    try:
        compiled = re.compile(str(pattern))
    except re.error as error:
        raise reader.fail(node, f"param_patterns: {pattern!r} is not a regular expression ({error})") from error
    if not compiled.fullmatch(default):
        raise reader.fail(node, f"param_patterns: the default {default!r} does not match {pattern!r}")
    return str(pattern)


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
    fields, start = _read_header(path, lines)
    missing = [f for f in REQUIRED if f not in fields]
    if missing:
        raise CatalogueError(path, start, f"header lacks {', '.join(missing)}")
    _check_body(path, lines, start)
    reader = _Header(path)
    values = {key: reader.text(fields[key][1], key) for key in REQUIRED}
    tags = reader.texts(fields["tags"][1], "tags") if "tags" in fields else ()
    return Entry(
        name=path.stem,
        title=values["summary"],
        title_ko=values["summary_ko"],
        question_en=values["description"],
        question_ko=values["question_ko"],
        reproduces=values["reproduces"],
        reproduces_ko=values["reproduces_ko"],
        tags=tags,
        params=_params(path, text, fields),
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


# --- parameter values ----------------------------------------------------------------------


def check_value(name: str, value: object) -> None:
    """Refuse a parameter value that is not a plain one-line string without backslashes.

    Keys and labels never contain a backslash or a control character; refusing them keeps a
    bound value inert even for SPARQL processors that expand ``\\u`` escapes before parsing.
    """
    if not isinstance(value, str):
        raise ValueError(f"parameter {name!r} must be a string")
    if "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValueError(f"parameter {name!r} may not contain a backslash or a control character")


def bindings(entry: Entry, params: dict[str, str] | None = None) -> dict[str, str]:
    """Each parameter's variable (``_name``) and its value: the caller's, or the default.

    Raises ValueError for a parameter the entry does not declare, a value :func:`check_value`
    refuses, one outside the parameter's ``enumerate`` values or not matching its pattern.
    """
    params = dict(params or {})
    known = {p.name for p in entry.params}
    unknown = sorted(set(params) - known)
    if unknown:
        accepted = ", ".join(sorted(known)) or "none"
        raise ValueError(
            f"query {entry.name!r} has no parameter {', '.join(map(repr, unknown))} (it accepts: {accepted})"
        )
    bound = {}
    for param in entry.params:
        value = params.get(param.name, param.default)
        check_value(param.name, value)
        if param.choices and value not in param.choices:
            raise ValueError(f"parameter {param.name!r} must be one of {', '.join(param.choices)}")
        if param.pattern and not re.fullmatch(param.pattern, value):
            raise ValueError(f"parameter {param.name!r} must be {param.description} (given {value!r})")
        bound[param.variable] = value
    return bound


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
        "`expected/NAME.csv`. A parameter accepts an entity key or any English or Korean name of it, in any case "
        "(see its description) and is bound as a string literal, never pasted into the query.",
        "",
        "Each header is in grlc's decorator syntax (`#+ summary:`, `#+ description:`, `#+ tags:`, "
        "`#+ defaults:`; a parameter is a `?_name` variable), so grlc reads this folder as it is; "
        "the `_ko` keys (the title, question, parts and parameters in Korean), `reproduces` and "
        "`param_descriptions` are our own. The server answers each query "
        "at `/api/queries/NAME?param=value` as JSON or CSV.",
        "",
        "The queries run unchanged on the built pyoxigraph store, on Oxigraph server and on Virtuoso behind "
        "`ascn-kg serve --backend URL`, which names the dataset's graphs in every query; "
        "`ascn-kg query NAME --endpoint URL` asks such an endpoint the same way.",
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
