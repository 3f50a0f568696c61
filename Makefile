# ASCN-KG — every target creates what it needs (virtual environment, system packages).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8080
HOST ?= $(or $(ASCN_KG_HOST),127.0.0.1)
WORKERS ?= 1
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# Long steps announce themselves with the time they usually take (2-core machine, fast network).
SAY := @printf '\n==> %s\n'

GRLC_VENV := .venv-grlc
GRLC_STAMP := $(GRLC_VENV)/.installed
GRLC_VERSION := 1.3.11

.PHONY: setup test-setup system-deps browser-deps engine-deps grlc-env apt-install check-port run build serve test lint bench loadtest editor clean

setup: system-deps $(STAMP)
test-setup: setup $(TEST_STAMP) browser-deps engine-deps grlc-env

# Java for the HermiT reasoner; installed with apt when missing (as root).
system-deps:
	@$(MAKE) --no-print-directory apt-install NEED="$$(command -v java >/dev/null || echo default-jre-headless)" \
	  WHAT="Java for the HermiT reasoner (usually 1 to 2 minutes)"

# Debian's chromium and CJK fonts, for the browser tests only.
browser-deps:
	@$(MAKE) --no-print-directory apt-install NEED="$$(command -v chromium >/dev/null || echo chromium) \
	  $$(dpkg -s fonts-noto-cjk >/dev/null 2>&1 || echo fonts-noto-cjk)" \
	  WHAT="chromium and the CJK fonts for the browser tests (usually 2 to 4 minutes)"

# OpenLink Virtuoso, the second external store the tests run against (Oxigraph server is on PyPI).
engine-deps:
	@$(MAKE) --no-print-directory apt-install NEED="$$(command -v virtuoso-t >/dev/null || echo virtuoso-opensource)" \
	  WHAT="OpenLink Virtuoso for the external-store tests (usually 1 to 2 minutes)"

# grlc, whose parser the tests run on queries/: its pinned Flask, rdflib and gunicorn clash with
# ours, so it gets an environment of its own (tests/test_query_api.py calls it in a subprocess).
grlc-env: $(GRLC_STAMP)

$(GRLC_STAMP):
	test -d $(GRLC_VENV) || $(PYTHON) -m venv $(GRLC_VENV)
	$(GRLC_VENV)/bin/pip install -q grlc==$(GRLC_VERSION)
	touch $(GRLC_STAMP)

apt-install:
	@missing="$$(echo $(NEED))"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    printf '\n==> Installing %s with apt: %s\n' "$(WHAT)" "$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	  else echo "please install:$$missing (apt-get)"; exit 2; fi; \
	fi

# What serving needs; the tests' tools (pytest, playwright, locust, ...) only for `make test`.
$(STAMP): pyproject.toml
	$(SAY) "Installing the Python packages into $(VENV) (usually 30 s to 1 minute; pip shows each package)"
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(SAY) "Installing the test tools into $(VENV) (usually 30 s to 1 minute)"
	$(BIN)/pip install -e '.[test]'
	touch $(TEST_STAMP)

# A port in use stops `make run` at once, before any installing or building, and says how to
# choose another. The system's Python runs the check (the file imports only the standard library).
check-port:
	@$(PYTHON) server/ascn_kg/ops/ports.py --host $(HOST) --port $(PORT)

build: setup
	$(SAY) "Building the graph into dist/: tables, HermiT reasoning, SHACL, dumps, store (usually 5 to 15 s)"
	$(BIN)/ascn-kg build

serve: setup
	$(SAY) "Serving on http://$(HOST):$(PORT)/ (Ctrl+C stops it; another port: make run PORT=8081)"
	$(BIN)/ascn-kg serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

run: check-port build serve

# lint, the whole test suite, then the load test in its short form (15 s; the p99/p50
# latency target is reported, not gating, on a shared 2-core machine: `make loadtest` gates it)
test: test-setup
	$(SAY) "Lint: ruff (a few seconds)"
	$(BIN)/ruff check server tests benchmarks
	$(SAY) "The test suite: pytest, with real servers and chromium (usually 5 to 8 minutes)"
	$(BIN)/python -m pytest -q -p no:cacheprovider
	$(SAY) "Building dist/ for the load test (usually 5 to 15 s)"
	$(BIN)/ascn-kg build
	$(SAY) "The load test, short form (15 s of load, about 30 s in all)"
	$(BIN)/python -m benchmarks.loadtest --duration 15 --latency-advisory

lint: setup $(TEST_STAMP)
	$(BIN)/ruff check server tests benchmarks

bench: setup $(TEST_STAMP)
	$(BIN)/python -m benchmarks.bench

loadtest: test-setup
	$(BIN)/python -m benchmarks.loadtest --duration 60

# The query editor's bundle (committed; only needed to change it): Node 18+ and npm.
editor:
	$(SAY) "Rebuilding static/query-editor.js from server/editor (npm ci and esbuild: usually under a minute)"
	cd server/editor && npm ci && npm run build

clean:
	rm -rf dist .dist-builds .pytest_cache .ruff_cache $(GRLC_VENV)
