"""Where each artifact lives in a run folder: the names one step writes and another reads.

A name is relative to ``artifacts/`` (``RunFolder.artifact(name)``); the step that writes
it is the first part. ``pipelines/daily.yaml`` declares each step's artifacts; a step reads
another step's file only by one of these names, never by a path of its own making.
"""

from __future__ import annotations

MANIFEST = "manifest.json"
NOTEBOOKS = "notebooks"
ARTIFACTS = "artifacts"
VERSIONS = "versions"

FRESHNESS = "quality/freshness.json"  # the freshness gate's verdict (the runner reads it)
AGENT_REPORTS = "agents/reports.json"
AGENT_SIGNALS = "agents/signals.parquet"
STRATEGY_SIGNALS = "strategies/signals.parquet"
STRATEGY_SOURCES = "strategies/sources.json"  # freshness and skips by strategy
BOOK_WEIGHTS = "book/weights.parquet"  # the target book
BOOK_SUMMARY = "book/summary.json"
PNL = "attribution/pnl.json"
ANCHOR = "audit/anchor.json"
HEALTH_CARDS = "health/cards.json"
PACK_HTML = "morning_pack/morning_pack.html"
PACK_FACTS = "morning_pack/facts.json"
SUFFIXES = (".parquet", ".csv", ".json", ".html")  # what ``RunFolder.find`` looks for
