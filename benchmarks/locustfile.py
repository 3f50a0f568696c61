"""The locust user of ``make loadtest`` (see :mod:`benchmarks.loadtest`, which fills :data:`WORKLOAD`).

Importing this module imports locust, which monkey-patches the standard library with gevent:
import it only in a process that runs the load test. It also works with the locust command
line (``locust -f server/ascn_kg/locustfile.py``) given ``ASCN_LOADTEST_WORKLOAD``, a JSON
file of the same shape as :data:`WORKLOAD`.
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

from locust import HttpUser, between, task

# kind → list of [path, accept]; kind "expensive" must end at the time limit (504).
WORKLOAD: dict[str, list[list[str]]] = {}
WEIGHTS = {"catalogue": 50, "page": 20, "search": 15, "dump": 3, "expensive": 2}
TIME_LIMIT_STATUS = 504


def load_workload() -> dict[str, list[list[str]]]:
    """The workload set by the runner, or read from ``ASCN_LOADTEST_WORKLOAD``."""
    if not WORKLOAD and os.environ.get("ASCN_LOADTEST_WORKLOAD"):
        with open(os.environ["ASCN_LOADTEST_WORKLOAD"], encoding="utf-8") as handle:
            WORKLOAD.update(json.load(handle))
    return WORKLOAD


class AscnUser(HttpUser):
    """A visitor mixing catalogue queries (every format), pages, search, dumps and runaway queries."""

    wait_time = between(0.05, 0.4)

    def on_start(self) -> None:
        self.work = load_workload()
        kinds = [k for k in WEIGHTS if self.work.get(k)]
        self.kinds = kinds
        self.weights = [WEIGHTS[k] for k in kinds]

    @task
    def one_request(self) -> None:
        kind = random.choices(self.kinds, self.weights)[0]
        path, accept = random.choice(self.work[kind])
        expected = (TIME_LIMIT_STATUS,) if kind == "expensive" else (200,)
        with self.client.get(path, headers={"Accept": accept}, name=kind, catch_response=True,
                             allow_redirects=False, timeout=30) as response:
            _judge(response, expected)


def _judge(response: Any, expected: tuple[int, ...]) -> None:
    if response.status_code in expected:
        response.success()
    else:
        response.failure(f"HTTP {response.status_code}")
