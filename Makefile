# ASCN-KG — every target creates what it needs (virtual environment, system packages).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8080
WORKERS ?= 2
STAMP := $(VENV)/.installed

.PHONY: setup test-setup system-deps browser-deps apt-install run build serve test lint bench loadtest clean

setup: system-deps $(STAMP)
test-setup: setup browser-deps

# Java for the HermiT reasoner; installed with apt when missing (as root).
system-deps:
	@$(MAKE) --no-print-directory apt-install NEED="$$(command -v java >/dev/null || echo default-jre-headless)"

# Debian's chromium and CJK fonts, for the browser tests only.
browser-deps:
	@$(MAKE) --no-print-directory apt-install NEED="$$(command -v chromium >/dev/null || echo chromium) \
	  $$(dpkg -s fonts-noto-cjk >/dev/null 2>&1 || echo fonts-noto-cjk)"

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
	$(BIN)/ruff check server tests benchmarks
	$(BIN)/python -m pytest -q -p no:cacheprovider
	$(BIN)/ascn-kg build
	$(BIN)/python -m benchmarks.loadtest --duration 15 --latency-advisory

lint: setup
	$(BIN)/ruff check server tests benchmarks

bench: setup
	$(BIN)/python -m benchmarks.bench

loadtest: test-setup
	$(BIN)/python -m benchmarks.loadtest --duration 60

clean:
	rm -rf dist .dist-builds .pytest_cache .ruff_cache
