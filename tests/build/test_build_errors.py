"""Broken tables and an inconsistent ontology fail the build clearly and leave dist/ untouched."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ascn_kg.build.pipeline import build, builds_dir
from ascn_kg.config import load_settings
from support import REPO
from ascn_kg.build.tables import DataError, load_tables


def snapshot(dist: Path) -> dict[str, str]:
    """The link target and a hash of every file of a dist folder."""
    found = {"->": os.readlink(dist)}
    for path in sorted(dist.resolve().rglob("*")):
        if path.is_file():
            found[str(path.relative_to(dist.resolve()))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def edit_cell(data: Path, table: str, row_id: str, column: str, value: str) -> int:
    """Set one cell of a table (row found by its first column); return the row's line number."""
    path = data / f"{table}.csv"
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    header = rows[0]
    for line, row in enumerate(rows[1:], start=2):
        if row[0] == row_id:
            row[header.index(column)] = value
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerows(rows)
            path.write_text(out.getvalue(), encoding="utf-8")
            return line
    raise AssertionError(f"{row_id} not in {table}")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ascn_kg.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_unknown_state_fails_the_cli_build_and_keeps_dist(built, project_settings, data_copy):
    before = snapshot(built.dist)
    line = edit_cell(data_copy, "cities", "kuching", "state", "atlantis")
    done = run_cli("--data-dir", str(data_copy), "--dist-dir", str(project_settings.dist_dir), "build")
    assert done.returncode == 1
    assert (
        f"cities.csv, line {line}, column 'state': unknown state 'atlantis' "
        "[rule: reference to states]" in done.stderr
    )
    assert "Traceback" not in done.stderr
    assert snapshot(built.dist) == before
    assert not list(builds_dir(built.dist).glob("tmp-*"))


@pytest.mark.parametrize(
    ("table", "row_id", "column", "value", "expected"),
    [
        ("indicators", "population-density-manila", "value", "dense",
         "column 'value': 'dense' is not a number [rule: decimal]"),
        ("cities", "manila", "name_en", "", "column 'name_en': a value is required [rule: required]"),
        ("projects", "phuket-eagle-eyes", "id", "phuket-city-data-platform",
         "column 'id': duplicate key 'phuket-city-data-platform'"),
        ("events", "amm-51", "start", "August 2018",
         "column 'start': 'August 2018' is not YYYY, YYYY-MM or YYYY-MM-DD [rule: date]"),
        ("cities", "yangon", "pilot_city", "maybe", "column 'pilot_city': 'maybe' is not yes or no"),
    ],
)
def test_broken_cell_is_named(data_copy, table, row_id, column, value, expected):
    line = edit_cell(data_copy, table, row_id, column, value)
    with pytest.raises(DataError) as caught:
        load_tables(data_copy)
    assert f"{table}.csv, line {line}, {expected}" in str(caught.value)


def test_missing_column_is_named(data_copy):
    path = data_copy / "states.csv"
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([r[:3] + r[4:] for r in rows])
    path.write_text(out.getvalue(), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_tables(data_copy)
    # the fourth column of states.csv is member_state (alternative names moved to alt_names.csv)
    assert "states.csv, line 1, column 'member_state': header mismatch: missing member_state" in str(
        caught.value
    )


def test_inconsistent_ontology_names_the_individuals(tmp_path, built):
    ontology = tmp_path / "ontology"
    shutil.copytree(REPO / "ontology", ontology)
    with (ontology / "ascn.ttl").open("a", encoding="utf-8") as handle:
        handle.write("\nascn:PilotCity owl:disjointWith ascn:CapitalCity .\n")
    before = snapshot(built.dist)
    done = run_cli("--ontology-dir", str(ontology), "--dist-dir", str(built.dist), "build")
    assert done.returncode == 1
    assert "the ontology and data are inconsistent; individuals involved:" in done.stderr
    involved = done.stderr.split("individuals involved: ", 1)[1].splitlines()[0]
    assert "https://kg.ascn.example/id/organisation/ascn" in involved
    capitals = {"bandar-seri-begawan", "phnom-penh", "jakarta", "vientiane", "kuala-lumpur",
                "nay-pyi-taw", "manila", "singapore", "bangkok", "ha-noi"}
    assert any(f"https://kg.ascn.example/id/city/{c}" in involved for c in capitals)
    assert snapshot(built.dist) == before


def test_validate_writes_nothing(tmp_path):
    dist = tmp_path / "dist"
    done = run_cli("--dist-dir", str(dist), "validate")
    assert done.returncode == 0, done.stderr
    assert "valid:" in done.stdout and "8 SHACL warnings" in done.stdout
    assert not dist.exists() and not builds_dir(dist).exists()


def test_build_is_deterministic(built, tmp_path):
    again = build(load_settings(dist_dir=tmp_path / "dist"))
    for name in ("ascn.nq", "ascn.nt"):
        assert (again.dist / name).read_bytes() == (built.dist / name).read_bytes()
    assert again.version == built.version


def test_base_iri_is_configurable(tmp_path):
    result = build(load_settings(dist_dir=tmp_path / "dist", base_iri="http://localhost:9999/kg/"))
    text = (result.dist / "ascn.nt").read_text(encoding="utf-8")
    assert "<http://localhost:9999/kg/id/city/kuala-lumpur>" in text
    assert "<http://localhost:9999/kg/def/ascn#PilotCity>" in text
    assert "kg.ascn.example" not in text


def test_build_prints_the_time_of_each_stage(tmp_path):
    done = run_cli("--dist-dir", str(tmp_path / "dist"), "build")
    assert done.returncode == 0, done.stderr
    for stage in ("load tables", "convert", "reason", "validate", "serialize", "store"):
        assert f"  {stage}" in done.stdout
    assert "built version" in done.stdout


def test_broken_catalogue_header_fails_the_build(tmp_path, built):
    queries = tmp_path / "queries"
    shutil.copytree(REPO / "queries", queries)
    path = queries / "timeline.rq"
    path.write_text(path.read_text(encoding="utf-8").replace("#+ summary:", "#+ sumary:"), encoding="utf-8")
    before = snapshot(built.dist)
    done = run_cli("--queries-dir", str(queries), "--dist-dir", str(built.dist), "build")
    assert done.returncode == 1
    assert "timeline.rq:1:" in done.stderr
    assert snapshot(built.dist) == before
