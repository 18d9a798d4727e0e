# The two commands a new user needs are `make run` and `make test` (see README.md).
# Everything installs into .venv from the package index; nothing global but Python >= 3.11.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PORT   ?= 8501
MOCK_PORT ?= 9400
# DEMO=0: a first start (no database yet) creates an empty database instead of loading the
# demo data (`make run DEMO=0`; the same as `dashboard serve --empty`).
DEMO   ?= 1

.PHONY: setup run run-sso test test-fast check bench seeds clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

## Start the dashboard on http://localhost:$(PORT) (loads the demo data on first start;
## `make run DEMO=0` starts with an empty database instead). Loopback only: without sign-in
## ([auth] in .streamlit/secrets.toml) the app refuses any other address (docs/DEPLOY.md).
## MALLOC_ARENA_MAX=2: glibc otherwise keeps freed memory per session thread (bench/results/ui.md).
run: setup
	MALLOC_ARENA_MAX=2 PIPELINE_DEMO=$(DEMO) $(PY) -m streamlit run dashboard/streamlit_app.py --server.address 127.0.0.1 --server.port $(PORT)

## The whole test suite, browser tests included (CI runs exactly this).
test: setup
	$(PY) -m pytest

## Static checks (CI runs them before the tests; configured in pyproject.toml):
## ruff (bugs and dead code, not style), import-linter (the layers' import contracts: no
## streamlit below the pages, queries independent of dashboard, pages never reach duckdb),
## mypy (modules listed as typing debt in pyproject.toml are read but do not fail), and the
## docs test (every path, make target, CLI command and query name in README/docs exists).
check: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) -m pytest -q tests/test_docs.py tests/test_import_hygiene.py

## Everything but the browser tests.
test-fast: setup
	$(PY) -m pytest -m "not browser"

## Benchmarks (slow; results go to bench/results/).
bench: setup
	$(PY) bench/bench_ingest.py
	$(PY) bench/bench_queries.py
	$(PY) bench/bench_ui.py
	$(PY) bench/bench_forecast.py
	$(PY) bench/bench_history.py

## Regenerate the demo exports in seeds/ (deterministic).
seeds: setup
	$(PY) seeds/generate.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

## Sign-in without an identity provider: oidc-provider-mock (test extra) with sample identities
## (admin, head office, a 华东 regional manager, a 华南 regional importer, an unlisted user), a
## database of its own in data/sso-demo/, and the dashboard signed in through it. Open
## http://localhost:$(PORT) (localhost exactly). Never for real people (docs/DEPLOY.md).
run-sso: setup
	PORT=$(PORT) MOCK_PORT=$(MOCK_PORT) $(PY) -m dashboard.sso_demo
