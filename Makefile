# Two commands from a fresh clone:  make run  |  make test
# Everything else the project needs is installed from here: uv (into .tools/),
# the locked environment (into .venv/), and the local services the tests use.

SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
STAMP := $(VENV)/.installed-stamp
DATA_DIR ?= data

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Precompile .pyc at install: with PYTHONDONTWRITEBYTECODE set (as on CI machines)
# every process would otherwise recompile pandas, GX and Airflow on import.
export UV_COMPILE_BYTECODE := 1

.PHONY: install run test test-fast bench services airflow lock clean help

help:
	@echo "make run    install into .venv/ and run the pipeline on the bundled sample"
	@echo "make test   install if needed and run the whole test suite"
	@echo "make airflow  a local Airflow 3 (Postgres metadata DB, Redis event bus) with this repo's DAGs"
	@echo "make bench  run the benchmark at SIZES (bench/bench_sizes.py) and update BENCHMARKS.md"

$(UV):
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { \
	  echo "python3 lacks venv/ensurepip; installing python3-venv"; \
	  apt-get update -qq && apt-get install -y -qq python3-venv; }
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

# Chromium from Debian's packages, for the report's browser tests (playwright drives it; never
# `playwright install`, which downloads a browser). Installed only where it is missing.
CHROMIUM := /usr/bin/chromium
CHROMIUM_STAMP := $(VENV)/.chromium-stamp

$(CHROMIUM_STAMP): | $(STAMP)
	@test -x $(CHROMIUM) || { echo "installing chromium (Debian package) for the report's browser tests"; \
	  apt-get install -y -qq chromium || { apt-get update -qq && apt-get install -y -qq chromium; }; }
	@touch $@

install: $(STAMP) $(CHROMIUM_STAMP)

run: install
	$(VENV)/bin/pipeline run --source sample --data-dir $(DATA_DIR)
	$(VENV)/bin/pipeline profile "Liu Ziyin" --data-dir $(DATA_DIR)
	$(VENV)/bin/pipeline report --data-dir $(DATA_DIR)

# The e2e tests use the machine's PostgreSQL (Airflow metadata DB) and Redis.
services:
	@bash scripts/ensure_services.sh

# Creates the metadata DB if missing, migrates, sets the pool, unpauses the DAGs, starts
# api-server, scheduler, dag-processor and triggerer; prints the UI URL and login. Ctrl-C stops all.
airflow: install services
	@bash scripts/airflow_local.sh

test: install services
	$(VENV)/bin/python -m pytest

test-fast: install
	$(VENV)/bin/python -m pytest -m "not e2e" --ignore=tests/e2e

# make bench [SIZES="100000 1000000 2000000"] [SNAPSHOT_DIR=folder of kept snapshots] [SEED=1] [PHASES_MAX=300000]
#            [BEFORE=commit]
# One run_bench.py run per size on the same files: raw typed DuckDB read, `pipeline run`, dlt; then
# the scaling table, the targets and bench/scaling.png. BEFORE: also that commit's code, up to PHASES_MAX. dlt comes from the `bench` dependency group,
# which only this target installs (uv sync keeps the dev group; `make install` does not add it).
SIZES ?= 100000
SEED ?= 1
PHASES_MAX ?= 300000
SNAPSHOT_DIR ?=
BEFORE ?=
BENCH_ARGS ?=

bench: install
	$(UV) sync --frozen --group bench --python $(PYTHON)
	$(VENV)/bin/python bench/bench_sizes.py --sizes "$(SIZES)" --seed $(SEED) --phases-max $(PHASES_MAX) \
	  $(foreach d,$(SNAPSHOT_DIR),--snapshot-dir $(d)) $(if $(BEFORE),--before $(BEFORE)) $(BENCH_ARGS)

lock: | $(UV)
	$(UV) lock

clean:
	rm -rf $(VENV) $(TOOLS) $(DATA_DIR) .pytest_cache
