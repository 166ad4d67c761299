# Two commands matter (see README): `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint bench sessions clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

## Run the daily pipeline (pipelines/daily.yaml) for the sample's last date: ingest (replay
## of pipelines/replay: nothing is due at the sample's last date), builds the sample lake in
## parquet_lake/ if it is missing, then quality gate, agents, strategies, book, risk and the
## Morning Pack into runs/<date>/; prints where the Morning Pack is.
run: $(STAMP)
	$(BIN)/workbench pipeline run --as-of $${WORKBENCH_SAMPLE_END:-2026-10-30} --replay pipelines/replay

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
	$(BIN)/python benchmarks/book_backtest.py
	$(BIN)/python benchmarks/strategies.py
	$(BIN)/python benchmarks/cli.py
	$(BIN)/python benchmarks/risk.py
	$(BIN)/python benchmarks/pipeline.py
	$(BIN)/python benchmarks/pms.py

## The B3 and NYSE sessions shipped in research_core/catalog/sessions.npz, written again
## from exchange_calendars (after upgrading it; tests/test_calendars_shipped.py says when).
sessions: $(STAMP)
	$(BIN)/python -c "from research_core.calendars import write_sessions; print(write_sessions())"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
