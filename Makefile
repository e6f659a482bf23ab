# Two commands a newcomer needs: `make run` (app with demo data) and `make test` (whole suite).
SHELL := /bin/bash
PYTHON_BIN ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= --durations=15  # the slowest tests end the log, to keep the suite's time in view

.PHONY: run test bench stop services venv messages check lint browser-deps clean

$(VENV)/.installed: pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON_BIN) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.lock
	@touch $@

venv: $(VENV)/.installed

services:
	@scripts/services.sh start

messages: venv
	@$(MANAGE) compilemessages --ignore=.venv --ignore=.run -v 0

run: venv services messages
	$(MANAGE) migrate --noinput -v 0
	$(MANAGE) seed_demo
	@scripts/run.sh $(HOST) $(PORT)

browser-deps:
	@scripts/browser_deps.sh

check: venv
	$(MANAGE) makemigrations --check --dry-run -v 1
	$(PY) scripts/check_rules.py
	$(VENV)/bin/ruff check --output-format concise .

test: venv services messages browser-deps check
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: venv services messages
	$(MANAGE) migrate --noinput -v 0
	$(PY) bench/run.py

stop:
	@-pkill -f "$(CURDIR)/.venv/bin/celery" 2>/dev/null || true
	@-pkill -f "$(CURDIR)/manage.py runserver" 2>/dev/null || true
	@scripts/services.sh stop

clean: stop
	rm -rf .run
