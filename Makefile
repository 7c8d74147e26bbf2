# Two commands on a fresh machine: `make run` and `make test`. Both build .venv from uv.lock first.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
# Every command uses the repo's own Dagster instance; the user never sets DAGSTER_HOME.
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
# The webserver's port (`make dev PORT=3001` runs a second instance beside another).
PORT ?= 3000
# Test workers (pytest-xdist): a module, or the tests sharing one dg dev, per worker.
WORKERS ?= 2
PYTEST := $(VENV)/bin/python -m pytest -n $(WORKERS) --dist loadgroup

.PHONY: run test check lint dev bench env clean deploy-test

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --all-extras --compile-bytecode --quiet
	touch $@

$(DAGSTER_HOME)/dagster.yaml: deploy/dagster.local.yaml
	mkdir -p $(DAGSTER_HOME)
	cp deploy/dagster.local.yaml $@

env: $(VENV)/.synced $(DAGSTER_HOME)/dagster.yaml

run: env  ## materialize every asset for 2011-2025 on the embedded data
	$(VENV)/bin/python -m analytics_assets.run_pipeline

lint: env  ## ruff (lint and format at 120 columns), mypy, and the code location loading as dg dev loads it
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(VENV)/bin/dg check defs

check: lint  ## the inner loop (about 3 min): lint, the unit tier and the integration tests that are not slow
	$(PYTEST) -m "(unit or integration) and not slow" $(PYTEST_ARGS)

test: lint  ## every tier (about 8 min on 2 cores); installs the system packages it needs when run as root
	scripts/test_prerequisites.sh
	$(PYTEST) $(PYTEST_ARGS)

dev: env  ## Dagster UI on 127.0.0.1:$(PORT) with the daemon
	@# dg dev runs in a process group of its own, stopped as a whole on Ctrl-C or SIGTERM.
	VIRTUAL_ENV=$(CURDIR)/$(VENV) exec $(VENV)/bin/python scripts/dev_server.py -- $(VENV)/bin/dg dev --host 127.0.0.1 --port $(PORT)

bench: env  ## speed, memory and scale side by side (15 min or more; BENCH_ARGS="--quick" for a smoke pass)
	$(VENV)/bin/python benchmarks/run.py $(BENCH_ARGS)

deploy-test:  ## build the compose deployment and run it for real (root or sudo; 5 to 15 min, see README)
	$(PYTHON) deploy/ci/deploy_test.py

clean:
	rm -rf $(VENV) $(TOOLS) .dagster_home data/analytics.duckdb data/reports
