# The README's commands. Each target creates or reuses .venv, so a fresh
# machine with only Python 3.11 needs nothing else.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export FDI_HOME ?= $(CURDIR)/.fdi

.PHONY: setup demo test ui bench docs clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)  ## generate a small economy and run the whole pipeline on it
	$(BIN)/fdi demo

test: $(STAMP)  ## run the test suite against a throwaway embedded PostgreSQL
	@# the workbench's browser tests drive Debian's chromium (Playwright's own download fails on a closed network)
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

ui: $(STAMP)  ## the Dagster UI on the same definitions
	$(BIN)/fdi ui

bench: $(STAMP)  ## time parse, validate and load at scale
	$(BIN)/fdi bench

docs: $(STAMP)
	$(BIN)/fdi docs

clean:
	-$(BIN)/fdi db stop
	rm -rf $(VENV) .fdi
