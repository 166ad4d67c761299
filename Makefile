# Two commands matter (see README): `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

## Build the sample lake (parquet_lake/), print a point-in-time summary, run the five agents,
## build the book with its risk.
run: $(STAMP)
	$(BIN)/workbench sample-lake
	$(BIN)/workbench agents run --as-of $${WORKBENCH_SAMPLE_END:-2026-10-30}
	$(BIN)/workbench book --as-of $${WORKBENCH_SAMPLE_END:-2026-10-30}
	@echo "Done. The lake is in $${WORKBENCH_LAKE_PATH:-parquet_lake}/ (inspect: $(BIN)/workbench lake info); agent reports in $${WORKBENCH_LAKE_PATH:-parquet_lake}/artifacts/agents/; the book and its risk in $${WORKBENCH_LAKE_PATH:-parquet_lake}/artifacts/book/$${WORKBENCH_SAMPLE_END:-2026-10-30}/"

## Lint, format check, type check, then every test (notebooks included).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

## Benchmarks (peers from the [bench] extra); results are printed, not asserted.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python benchmarks/pit_asof.py
	$(BIN)/python benchmarks/agents.py
	$(BIN)/python benchmarks/backtest.py
	$(BIN)/python benchmarks/risk.py
	$(BIN)/python benchmarks/pms.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
