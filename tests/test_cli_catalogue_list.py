"""``ascn-kg query --list``: the catalogue with its questions (English or Korean) and parameters;
an unknown name answers with the closest names; ``--help`` names every query."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ascn_kg.catalogue import closest_names, load_catalogue
from ascn_kg.config import Settings
from support import REPO

QUERIES = REPO / "queries"
CLI = [sys.executable, "-m", "ascn_kg.cli"]


def cli(*args: str, lang: str = "C.UTF-8") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASCN_KG_", "LC_", "LANG"))}
    env["LANG"] = lang
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60, env=env, check=False)


def listed(stdout: str) -> dict[str, list[str]]:
    """Each listed name with its lines (the question line, then one line per parameter)."""
    out: dict[str, list[str]] = {}
    name = ""
    for line in stdout.splitlines():
        if line and not line.startswith(" ") and "  " in line:
            name, _, question = line.partition("  ")
            out[name] = [question.strip()]
        elif line.startswith(" ") and name:
            out[name].append(line.strip())
    return out


@pytest.mark.parametrize("args,lang,field", [
    (("--list",), "C.UTF-8", "question_en"),
    (("--list", "--lang", "ko"), "C.UTF-8", "question_ko"),
    (("--list",), "ko_KR.UTF-8", "question_ko"),
])
def test_list_prints_every_query_with_its_question_and_parameters(args: tuple[str, ...], lang: str,
                                                                   field: str) -> None:
    result = cli("query", *args, lang=lang)
    assert result.returncode == 0, result.stderr
    entries = load_catalogue(QUERIES)
    shown = listed(result.stdout)
    assert list(shown) == [entry.name for entry in entries]
    assert len(shown) == 36  # the catalogue: 36 queries in queries/
    for entry in entries:
        lines = shown[entry.name]
        assert lines[0] == getattr(entry, field)
        assert lines[1:] == [f"--param {p.name}=…  {p.description} (default: {p.default})" for p in entry.params]
    assert shown["city-projects"][1] == ("--param city=…  city key or any English or Korean name of it "
                                         "(case is ignored) (default: kuala-lumpur)")
    assert result.stdout.rstrip().endswith("36 queries. Run one with: ascn-kg query NAME [--param NAME=VALUE]")


def test_an_unknown_name_answers_with_the_closest_names() -> None:
    result = cli("query", "city-project")
    assert result.returncode == 2
    assert result.stderr.startswith("ascn-kg: no catalogue query named 'city-project' in ")
    assert "the closest are city-projects, city-posts, " in result.stderr
    assert "(`ascn-kg query --list` lists them all)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert closest_names("pilot", QUERIES, 2) == ["pilot-cities", "pilot-cities-per-state"]
    assert closest_names("officers", QUERIES, 1) == ["chief-smart-city-officers"]


def test_help_names_every_query_without_cutting_a_name() -> None:
    result = cli("query", "--help")
    assert result.returncode == 0
    help_text = result.stdout
    assert "--list" in help_text and "--lang [en|ko]" in help_text
    tail = help_text.split("Catalogue queries (`--list` shows their questions and parameters):", 1)[1]
    named = [name.strip() for name in tail.replace("\n", " ").split(",")]
    assert named == [entry.name for entry in load_catalogue(QUERIES)]


def test_no_query_and_no_list_is_a_usage_error() -> None:
    result = cli("query")
    assert result.returncode == 2
    assert "or --list to see the catalogue" in result.stderr


def test_serve_help_gives_the_settings_defaults() -> None:
    defaults = Settings()
    text = " ".join(cli("serve", "--help").stdout.split())
    for option, value in (("--workers", defaults.workers), ("--threads", defaults.threads),
                          ("--port", defaults.port), ("--host", defaults.host)):
        assert f"(default {value})" in text.split(option, 1)[1].split("--", 1)[0], option
