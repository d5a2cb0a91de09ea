# Developer commands. `make help` lists them. Everything runs from a local virtualenv in .venv,
# created on first use with the python3 on PATH (3.11+), or PYTHON=/path/to/python3.11.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful install; pyproject.toml newer than it means install again.
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run test lint screenshots bench clean

help: ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11 or newer is needed: run make with PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[dev]'
	@touch $@

install: $(STAMP) ## Create .venv and install the project with its dev dependencies (when pyproject.toml changed)

# Development defaults: DEBUG on (settings then provide a development SECRET_KEY), SQLite, the
# filesystem Celery broker and file-based e-mail under var/ -- unless the environment says otherwise.
run: export DEBUG ?= 1
run: $(STAMP) ## Migrate, load the demo data once, then run web (127.0.0.1:8000), worker and beat; Ctrl-C stops all
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	scripts/run-dev.sh

# Tests run with production settings (DEBUG off) and a throwaway key. DATABASE_URL and REDIS_URL
# are taken from the environment when set (CI: PostgreSQL and Redis), embedded defaults otherwise.
test: export DEBUG = 0
test: export SECRET_KEY ?= test-only-not-secret
# A broker, cache and mail folder of their own: tasks the tests leave queued must not reach a later
# `make run`'s worker, which would look for their notifications in the development database.
test: export ITSM_VAR_DIR ?= $(CURDIR)/var/test
test: lint ## Lint (as make lint), then run the test suite (PYTEST_ARGS="-k sweep -x" passes arguments to pytest)
	scripts/ensure-chromium.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The import contracts (pyproject.toml [tool.importlinter]) hold the map's dependency tree; mypy loads
# the settings (django-stubs), which want a SECRET_KEY when DEBUG is off.
lint: export SECRET_KEY ?= lint-only-not-secret
lint: $(STAMP) ## Run ruff, the import contracts (lint-imports) and mypy
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/mypy

bench: $(STAMP) ## Benchmarks on PostgreSQL in a database of their own: a table, and bench/results.json (BENCH_ARGS="--tickets 20000")
	$(BIN)/python bench/run.py $(BENCH_ARGS)

screenshots: $(STAMP) ## Save a screenshot of each role's main page, with the demo data, to docs/screenshots/
	scripts/ensure-chromium.sh
	$(BIN)/python scripts/screenshots.py docs/screenshots

# Leaves var/ (the local database, broker and mail) alone: delete it by hand to start afresh.
clean: ## Remove the virtualenv, collected static files and caches (not var/)
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .hypothesis .mypy_cache .import_linter_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
