# Démarrage rapide: `make setup` then `make run`; `make test` runs the test suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup run test worker bench browser clean

setup:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 est requis ($(PYTHON) introuvable)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@echo "Installation terminée. Lancez : make run"

run:
	$(PY) manage.py serve

worker:
	$(PY) manage.py rundramatiq --processes 1 --threads 4

test:
	$(PY) -m pytest

bench:
	$(PY) bench/run_all.py

# Installs Debian's Chromium for the end-to-end browser test (no browser download is possible).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

clean:
	rm -rf $(VENV) staticfiles
