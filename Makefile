# Démarrage rapide: `make setup` then `make run`; `make test` runs the test suite.
# PYTHON: the first of python3.11, python3.12, python3.13 that runs (or PYTHON=/path/to/python3.x).
# VENV: the virtualenv (.venv); PORT: the port of `make run` (8000), used by every absolute link.
PYTHON_CANDIDATES := python3.11 python3.12 python3.13
PYTHON ?= $(firstword $(foreach p,$(PYTHON_CANDIDATES),$(shell $(p) -c "" >/dev/null 2>&1 && echo $(p))))
VENV ?= .venv
PORT ?= 8000
PY := $(VENV)/bin/python

.PHONY: setup run test worker bench browser clean

setup:
	@test -n "$(PYTHON)" || { echo "Python 3.11, 3.12 ou 3.13 est requis : aucun de $(PYTHON_CANDIDATES) n'a été trouvé. Installez-en un ou indiquez-le : make setup PYTHON=/chemin/vers/python3.12"; exit 1; }
	@$(PYTHON) -c "import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))" 2>/dev/null || { echo "Python 3.11, 3.12 ou 3.13 est requis ($(PYTHON) ne convient pas)."; exit 1; }
	@echo "Python : $$($(PYTHON) --version) ($(PYTHON)) → $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@echo "Installation terminée. Lancez : make run"

run:
	$(PY) manage.py serve --port $(PORT)

worker:
	$(PY) manage.py rundramatiq --processes 1 --threads 4

test:
	$(PY) -m pytest $(PYTEST_ARGS)

bench:
	$(PY) bench/run_all.py

# Installs Debian's Chromium for the end-to-end browser test (no browser download is possible).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

clean:
	rm -rf $(VENV) staticfiles
