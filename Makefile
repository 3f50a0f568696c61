# ASCN-KG — every target creates what it needs (virtual environment, system packages).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8080
WORKERS ?= 2
STAMP := $(VENV)/.installed

GRLC_VENV := .venv-grlc
GRLC_STAMP := $(GRLC_VENV)/.installed
GRLC_VERSION := 1.3.11

.PHONY: setup test-setup system-deps browser-deps engine-deps grlc-env apt-install run build serve test lint bench loadtest clean

setup: system-deps $(STAMP)
test-setup: setup browser-deps engine-deps grlc-env

# Java for the HermiT reasoner; installed with apt when missing (as root).
system-deps:
	@$(MAKE) --no-print-directory apt-install NEED="$$(command -v java >/dev/null || echo default-jre-headless)"

# Debian's chromium and CJK fonts, for the browser tests only.
browser-deps:
	@$(MAKE) --no-print-directory apt-install NEED="$$(command -v chromium >/dev/null || echo chromium) \
	  $$(dpkg -s fonts-noto-cjk >/dev/null 2>&1 || echo fonts-noto-cjk)"

# OpenLink Virtuoso, the second external store the tests run against (Oxigraph server is on PyPI).
engine-deps:
	@$(MAKE) --no-print-directory apt-install NEED="$$(command -v virtuoso-t >/dev/null || echo virtuoso-opensource)"

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
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else echo "please install:$$missing (apt-get)"; exit 2; fi; \
	fi

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

build: setup
	$(BIN)/ascn-kg build

serve: setup
	$(BIN)/ascn-kg serve --port $(PORT) --workers $(WORKERS)

run: build serve

# lint, the whole test suite, then the load test in its short form (15 s; the p99/p50
# latency target is reported, not gating, on a shared 2-core machine: `make loadtest` gates it)
test: test-setup
	$(BIN)/ruff check server tests
	$(BIN)/python -m pytest -q -p no:cacheprovider
	$(BIN)/ascn-kg build
	$(BIN)/python -m ascn_kg.loadtest --duration 15 --latency-advisory

lint: setup
	$(BIN)/ruff check server tests

bench: setup
	$(BIN)/python -m ascn_kg.bench

loadtest: test-setup
	$(BIN)/python -m ascn_kg.loadtest --duration 60

clean:
	rm -rf dist .dist-builds .pytest_cache .ruff_cache $(GRLC_VENV)
