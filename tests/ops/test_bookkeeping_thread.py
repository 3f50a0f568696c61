"""With ``bookkeeping_thread`` (as under ``ascn-kg serve``) metrics and log lines are written by a
thread of the process; /metrics waits for it, so a scrape still sees every request it answered."""

from __future__ import annotations

import json
from urllib.parse import quote

from ascn_kg.ops.bookkeeping import EXTENSION_KEY

URL = "/sparql?query=" + quote("ASK { ?s ?p ?o }")


def test_requests_are_counted_and_logged_by_the_bookkeeping_thread(built, make_app, capfd):
    app = make_app(dist_dir=built.dist, bookkeeping_thread=True)
    client = app.test_client()
    capfd.readouterr()
    for _ in range(5):
        with client.get(URL, headers={"Accept": "application/sparql-results+json"}) as response:
            assert response.status_code == 200
    with client.get("/metrics") as scrape:
        text = scrape.get_data(as_text=True)
    line = next(x for x in text.splitlines()
                if x.startswith("ascn_kg_http_requests_total{") and 'route="/sparql"' in x and 'status="200"' in x)
    assert float(line.rsplit(" ", 1)[1]) == 5.0
    app.extensions[EXTENSION_KEY].drain()
    logged = [json.loads(x) for x in capfd.readouterr().err.splitlines() if '"sparql_query"' in x]
    assert [entry["outcome"] for entry in logged] == ["ok", "cached", "cached", "cached", "cached"]
