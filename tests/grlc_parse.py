"""Read a folder of queries with grlc's own parser and print what grlc finds, as JSON.

Run by ``tests/test_query_api.py`` with the Python of a separate environment that has the
``grlc`` package (its pinned dependencies clash with ours): ``PYTHON grlc_parse.py QUERIES_DIR``.
It imports nothing of ASCN-KG. For each ``.rq`` file: grlc's API item (summary, description,
tags, parameters with their defaults) and the decorators grlc read (ours among them).
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from pathlib import Path

with contextlib.redirect_stdout(sys.stderr):  # grlc announces its config file on stdout
    from grlc import gquery, swagger
    from grlc.fileLoaders import LocalLoader


def main(folder: str) -> None:
    logging.disable(logging.WARNING)  # grlc logs every step
    loader = LocalLoader(folder)
    found = {}
    for path in sorted(Path(folder).glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        item = swagger.process_sparql_query_text(text, loader, path.stem, ["question_ko", "reproduces"])
        decorators = gquery.get_yaml_decorators(text)
        found[path.stem] = {
            "call_name": item["call_name"], "method": item["method"], "summary": item["summary"],
            "description": item["description"], "tags": item["tags"],
            "question_ko": item.get("question_ko"), "reproduces": item.get("reproduces"),
            "params": [{k: p.get(k) for k in ("name", "required", "type", "default", "enum", "in")}
                       for p in item["params"]],
            "decorators": sorted(k for k in decorators if k != "query"),
        }
    json.dump(found, sys.stdout, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
