# The README's commands. Each target creates or reuses .venv, so a fresh
# machine with only Python 3.11 needs nothing else.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export FDI_HOME ?= $(CURDIR)/.fdi

.PHONY: setup demo test test-fast lint ui bench docs clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)  ## generate a small economy and run the whole pipeline on it
	$(BIN)/fdi demo

test: lint  ## lint, then run every test against a throwaway embedded PostgreSQL
	@# the workbench's browser tests drive Debian's chromium (Playwright's own download fails on a closed network)
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: lint  ## the edit loop: every test but the end-to-end runs (a few minutes)
	$(BIN)/python -m pytest -m "not e2e" $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff, the import layers (import-linter), yamllint, sqlfluff on the dbt project
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/yamllint --strict .
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/tests dbt_project/macros --processes 2 --disable-progress-bar 2>/dev/null

ui: $(STAMP)  ## the Dagster UI on the same definitions
	$(BIN)/fdi ui

bench: $(STAMP)  ## time parse, validate and load at scale
	$(BIN)/fdi bench

docs: $(STAMP)
	$(BIN)/fdi docs

clean:
	-$(BIN)/fdi db stop
	rm -rf $(VENV) .fdi
