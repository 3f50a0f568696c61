"""The package's plan holds: no import circles, imports run one way, benchmarks stay outside.

Every ``import`` of every module of ``ascn_kg`` (at module level or inside a function) is read
with :mod:`ast`. A module imports another when it names it, or names something from it; a
package counts only when a name is taken from its ``__init__`` itself.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import ascn_kg

PACKAGE = Path(ascn_kg.__file__).resolve().parent
# The parts, lowest first; a module may import its own part and the parts listed under it.
MAY_IMPORT: dict[str, frozenset[str]] = {
    "ground": frozenset({"ground"}),
    "store": frozenset({"store", "ground"}),
    "build": frozenset({"build", "store", "ground"}),
    "ops": frozenset({"ops", "store", "ground"}),
    "sparql": frozenset({"sparql", "ops", "store", "ground"}),
    "web": frozenset({"web", "sparql", "ops", "store", "ground"}),
    "top": frozenset({"top", "web", "sparql", "ops", "store", "build", "ground"}),
}
TOP = frozenset({"ascn_kg", "ascn_kg.app", "ascn_kg.cli", "ascn_kg.querycli"})


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def part_of(module: str) -> str:
    if module in TOP:
        return "top"
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 2 else "ground"


def imports_of(module: str) -> set[str]:
    """The modules of ``ascn_kg`` that ``module`` imports."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in MODULES}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            for alias in node.names:
                if f"{source}.{alias.name}" in MODULES:
                    found.add(f"{source}.{alias.name}")
                elif source in MODULES:
                    found.add(source)
    return found - {module}


GRAPH = {module: imports_of(module) for module in MODULES}


def test_every_part_is_read() -> None:
    assert {part_of(m) for m in MODULES} == set(MAY_IMPORT)
    assert len(MODULES) > 50


def test_no_import_circles() -> None:
    """Depth-first search; a circle is named in the failure, module by module."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(GRAPH[module]):
            if state.get(target) == 1:
                circle = [*path[path.index(target):], target]
                pytest.fail("import circle: " + " → ".join(circle))
            if target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)


def test_imports_run_one_way() -> None:
    upward = [f"{m} ({part_of(m)}) imports {t} ({part_of(t)})"
              for m, targets in sorted(GRAPH.items()) for t in sorted(targets)
              if part_of(t) not in MAY_IMPORT[part_of(m)]]
    assert upward == []


def test_only_the_command_line_imports_the_build() -> None:
    users = sorted(m for m, targets in GRAPH.items() if part_of(m) != "build"
                   and any(part_of(t) == "build" for t in targets))
    assert users == ["ascn_kg.cli"]


def test_the_build_never_loads_flask() -> None:
    """Importing the whole build pipeline (and publishing) leaves Flask unloaded."""
    code = ("import sys, ascn_kg.build.pipeline, ascn_kg.build.publish, ascn_kg.cli; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'werkzeug', 'jinja2'}))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def test_benchmarks_live_outside_the_package() -> None:
    names = {m.rsplit(".", 1)[-1] for m in MODULES}
    assert not names & {"bench", "floor", "bench_floor", "loadtest", "locustfile", "synthetic"}
    assert (PACKAGE.parents[1] / "benchmarks" / "bench.py").is_file()
