"""The benchmark code: ``python -m benchmarks.bench --quick`` runs end to end on tiny settings (no timing is
asserted), and the load test judges its outcomes as it says."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from benchmarks.loadtest import summarise

from ascn_kg.build.pipeline import BuildResult
from support import REPO

pytestmark = pytest.mark.slow


def test_bench_quick_runs_end_to_end(built: BuildResult, tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    argv = [sys.executable, "-m", "benchmarks.bench", "--quick", "--triples", "3000", "--requests", "3",
            "--throughput-s", "0.3", "--pairs", "20", "--dist", str(built.dist), "--cache-dir", str(tmp_path),
            "--json", str(out)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    table = done.stdout
    for measure in ("cache off (median / p95)", "cache on, 304", "throughput / Oxigraph's, cache off",
                    "throughput / Oxigraph's, cache on", "median latency / Oxigraph's, cache off",
                    "median latency / Oxigraph's, cache on", "peak RSS of the server", "start → first 200",
                    "safety check as served", "safety check first sight", "metrics+log on vs off", "search",
                    "bare pyoxigraph in granian (the stack's floor)", "bare pyoxigraph in granian / Oxigraph",
                    "entity pages"):
        assert measure in table, measure
    assert "| PASS" in table or "| FAIL" in table or "| SKIP" in table
    raw = json.loads(out.read_text())
    assert raw["synthetic"]["quads"] > 1_000
    assert raw["report.rates"]["oxigraph"] > 0 and raw["report.rates"]["ours (cache off)"] > 0
    ratios = raw["report.latency_ratios.off"]
    assert set(ratios) == {path.stem for path in (Path(__file__).parents[1] / "queries").glob("*.rq")}
    assert all(value > 0 for value in ratios.values())


def test_the_load_test_counts_a_limit_stopping_a_runaway_as_success_and_nothing_else() -> None:
    def seen(expensive: dict[str, int], catalogue: dict[str, int]) -> dict:
        return {"expensive": {"ms": [2000.0] * sum(expensive.values()), "status": expensive},
                "catalogue": {"ms": [3.0] * sum(catalogue.values()), "status": catalogue}}

    assert summarise(seen({"504": 9, "503": 4}, {"200": 50}), (100, 100), False) == []
    assert summarise(seen({"504": 9, "500": 1}, {"200": 50}), (100, 100), False) == [
        "expensive: answers other than a limit's 504 or 503: {'504': 9, '500': 1}"]
    assert summarise(seen({"504": 9}, {"200": 50, "503": 1}), (100, 100), False) == [
        "catalogue: server errors {'503': 1}"]
