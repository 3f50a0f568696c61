"""Property-based mutations of data/: every breakage is a DataError naming file, line and column."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support import REPO
from ascn_kg.build.tables import TABLES, DataError, load_tables

REQUIRED = [(t.name, c.name) for t in TABLES.values() for c in t.columns if c.required]
TYPED = [
    (t.name, c.name, c.kind)
    for t in TABLES.values()
    for c in t.columns
    if c.kind in {"int", "decimal", "date", "bool", "choice", "ref", "kindref"} and c.required
]
LOCATION = re.compile(r"(\w+)\.csv, line (\d+), column '([^']+)': .+ \[rule: .+\]")


def read(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_text(encoding="utf-8").splitlines()))


def write(path: Path, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("pristine") / "data"
    shutil.copytree(REPO / "data", target)
    return target


def fresh_copy(pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("mutated") / "data"
    shutil.copytree(pristine, target)
    return target


def problems_of(data: Path) -> list[tuple[str, int, str]]:
    with pytest.raises(DataError) as caught:
        load_tables(data)
    found = []
    for line in str(caught.value).splitlines()[1:]:
        match = LOCATION.search(line)
        if match:
            found.append((match.group(1), int(match.group(2)), match.group(3)))
    assert found, str(caught.value)
    return found


FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(target=st.sampled_from(REQUIRED), row=st.integers(min_value=0, max_value=1000))
def test_blank_required_cell(pristine, tmp_path_factory, target, row):
    table, column = target
    data = fresh_copy(pristine, tmp_path_factory)
    rows = read(data / f"{table}.csv")
    index = 1 + row % (len(rows) - 1)
    rows[index][rows[0].index(column)] = ""
    write(data / f"{table}.csv", rows)
    assert (table, index + 1, column) in problems_of(data)


@FAST
@given(target=st.sampled_from(TYPED), row=st.integers(min_value=0, max_value=1000),
       junk=st.sampled_from(["n/a", "12,5", "-", "yes please", "2018/07/08", "<b>x</b>"]))
def test_wrong_type_or_unknown_reference(pristine, tmp_path_factory, target, row, junk):
    table, column, _ = target
    data = fresh_copy(pristine, tmp_path_factory)
    rows = read(data / f"{table}.csv")
    index = 1 + row % (len(rows) - 1)
    rows[index][rows[0].index(column)] = junk
    write(data / f"{table}.csv", rows)
    assert (table, index + 1, column) in problems_of(data)


@FAST
@given(table=st.sampled_from(sorted(TABLES)), column=st.integers(min_value=0, max_value=20))
def test_dropped_column(pristine, tmp_path_factory, table, column):
    data = fresh_copy(pristine, tmp_path_factory)
    rows = read(data / f"{table}.csv")
    drop = column % len(rows[0])
    name = rows[0][drop]
    write(data / f"{table}.csv", [r[:drop] + r[drop + 1 :] for r in rows])
    assert (table, 1, name) in problems_of(data)


@FAST
@given(table=st.sampled_from(sorted(TABLES)), row=st.integers(min_value=0, max_value=1000))
def test_duplicated_key(pristine, tmp_path_factory, table, row):
    data = fresh_copy(pristine, tmp_path_factory)
    rows = read(data / f"{table}.csv")
    index = 1 + row % (len(rows) - 1)
    rows.append(list(rows[index]))
    write(data / f"{table}.csv", rows)
    found = problems_of(data)
    assert (table, len(rows), TABLES[table].key[0]) in found


@FAST
@given(row=st.integers(min_value=0, max_value=1000), state=st.sampled_from(["xyz", "fra", "kor-north"]))
def test_unknown_state(pristine, tmp_path_factory, row, state):
    data = fresh_copy(pristine, tmp_path_factory)
    rows = read(data / "cities.csv")
    index = 1 + row % (len(rows) - 1)
    rows[index][rows[0].index("state")] = state
    write(data / "cities.csv", rows)
    assert ("cities", index + 1, "state") in problems_of(data)


def test_data_readme_is_generated_from_the_declarations():
    from ascn_kg.build.tables import render_readme

    assert (REPO / "data" / "README.md").read_text(encoding="utf-8") == render_readme()
