"""Benchmarks and load tests of ASCN-KG, kept outside the installed package.

``make bench`` runs :mod:`benchmarks.bench` (our server beside Oxigraph server and the floor of
the required stack, :mod:`benchmarks.floor`, on the report graph and on a synthetic graph from
:mod:`benchmarks.synthetic`); ``make loadtest`` runs :mod:`benchmarks.loadtest` with the locust
user of :mod:`benchmarks.locustfile`. Run them from the checkout (``python -m benchmarks.bench``).
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
