# Two commands for a new user: `make run` and `make test`. Both create .venv and install first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

# The first interpreter on PATH that is Python >= 3.12 (Django 6 needs it).
FIND_PYTHON := for c in python3.13 python3.12 python3.14 python3 python; do \
	  if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	    command -v $$c; break; fi; done

.PHONY: help run test lint bench install clean

help:
	@echo "make run    set up and serve the API, admin and docs on http://$(HOST):$(PORT), with the worker"
	@echo "make test   set up and run the whole test suite (DATABASE_URL picks the database)"
	@echo "make lint   ruff"
	@echo "make bench  benchmark on PostgreSQL, at most 10 minutes (docs/benchmarks.md)"

$(PY):
	@base="$$($(FIND_PYTHON))"; \
	if [ -z "$$base" ]; then \
	  echo "error: Python 3.12 or newer is needed (Django 6 requires it) and none was found on PATH." >&2; \
	  echo "       Install Python 3.12+ (for example 'pyenv install 3.13') and run make again." >&2; \
	  exit 1; fi; \
	echo "Creating $(VENV) with $$base ($$($$base --version))"; \
	$$base -m venv $(VENV)

# Reinstalls when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check ".[dev]"
	@touch $@

install: $(VENV)/.installed

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py bootstrap_demo --host $(HOST) --port $(PORT)
	@$(PY) manage.py schedule_periodic_tasks
	@# Gunicorn, as in production (config/gunicorn.py); the worker runs beside it and stops with it.
	@$(PY) manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) -m gunicorn -c config/gunicorn.py --bind $(HOST):$(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

# The product against a bare ceiling app, writes, webhooks and tenant scale, on loopback with
# PostgreSQL (DATABASE_URL's server; its own databases); stops by itself within BENCH_BUDGET
# seconds. Knobs and figures: docs/benchmarks.md.
bench: install
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
