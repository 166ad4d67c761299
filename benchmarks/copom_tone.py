"""Validation report: does the masked Copom communiqué tone track the Selic decisions?

On the 185 Copom communiqués of meetings 46-230 (``../shared/data/real/bcb_copom_selic``,
test-only data; see its PROVENANCE.md), each parsed by :class:`CopomText` and scored by
:func:`research_core.tone.score` with the decision sentence masked:

* Spearman correlation of the tone with the Selic change decided at that meeting
  (target on the day after the decision minus the day of it, SGS 432), and hike/hold/cut
  macro-F1 (scikit-learn) with a fixed, a-priori band: tone > +0.1 hike, < -0.1 cut;
  both by era (meetings before 2016, 2016 on) and on the full set.
* The honest question: does the tone at meeting k predict the decision at k+1 better than
  "same as last time"? Macro-F1 of both, and Spearman of the tone with the *change* of
  decision (whether it says something persistence does not).

Nothing is fitted: the lexicon was written before these numbers were computed.
Run ``python benchmarks/copom_tone.py [--data DIR]``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import f1_score

from research_core.connectors.cbtext import CopomText, PolicyText
from research_core.tone import tone

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real" / "bcb_copom_selic"
BAND = 0.1  # a-priori: about one net phrase in a ten-sentence communiqué
ERA_SPLIT = pd.Timestamp("2016-01-01")
LABELS = ["cut", "hold", "hike"]


def load_communiques(data: Path = DATA) -> list[PolicyText]:
    """The shared communiqués, parsed by the connector's own parser (no network)."""
    parser = CopomText()
    try:
        files = sorted(data.joinpath("comunicados").glob("com_*.json"))
        return [parser.parse(json.loads(f.read_text("utf-8"))) for f in files]
    finally:
        parser.close()


def selic_change(data: Path, dates: pd.DatetimeIndex) -> pd.Series:
    """Selic target change (pp) decided on each date: target(date + 1) - target(date)."""
    raw = json.loads(data.joinpath("selic_meta_sgs432_daily.json").read_text("utf-8"))
    target = pd.Series({pd.Timestamp(r["x"]): float(r["y"]) for r in raw}).sort_index()
    after = target.reindex(dates + pd.Timedelta(days=1)).to_numpy()
    before = target.reindex(dates).to_numpy()
    return pd.Series(np.round(after - before, 4), index=dates)


def direction(x: pd.Series, band: float = 0.0) -> pd.Series:
    """ "hike" / "hold" / "cut" by sign beyond ``band``."""
    return pd.Series(np.select([x > band, x < -band], ["hike", "cut"], "hold"), index=x.index)


def table(data: Path = DATA) -> pd.DataFrame:
    """One row per meeting: date, tone, sentences kept/masked, decided change, next change."""
    texts = load_communiques(data)
    rows = []
    for t in texts:
        r = tone(t.text, "pt")
        rows.append({"meeting": t.meeting, "date": t.date, "tone": r.score,
                     "kept": len(r.sentences), "masked": len(r.masked)})  # fmt: skip
    frame = pd.DataFrame(rows).sort_values("meeting").set_index("meeting")
    frame["change"] = selic_change(data, pd.DatetimeIndex(frame["date"])).to_numpy()
    frame["next_change"] = frame["change"].shift(-1)
    return frame


def _stats(part: pd.DataFrame) -> dict[str, Any]:
    rho, p = spearmanr(part["tone"], part["change"])
    f1 = f1_score(direction(part["change"]), direction(part["tone"], BAND), labels=LABELS,
                  average="macro", zero_division=0)  # fmt: skip
    nxt = part.dropna(subset=["next_change"])
    truth = direction(nxt["next_change"])
    f1_tone = f1_score(truth, direction(nxt["tone"], BAND), labels=LABELS, average="macro",
                       zero_division=0)  # fmt: skip
    f1_last = f1_score(truth, direction(nxt["change"]), labels=LABELS, average="macro",
                       zero_division=0)  # fmt: skip
    rho_next, p_next = spearmanr(nxt["tone"], nxt["next_change"])
    rho_surprise, p_surprise = spearmanr(nxt["tone"], nxt["next_change"] - nxt["change"])
    return {
        "n": len(part),
        "scored": int((part["kept"] > 0).sum()),
        "spearman": float(rho),
        "p": float(p),
        "macro_f1": float(f1),
        "next_f1_tone": float(f1_tone),
        "next_f1_same_as_last": float(f1_last),
        "next_spearman": float(rho_next),
        "next_p": float(p_next),
        "next_vs_last_spearman": float(rho_surprise),
        "next_vs_last_p": float(p_surprise),
    }


def evaluate(frame: pd.DataFrame) -> pd.DataFrame:
    """The statistics by era and on the full set (rows: era)."""
    before = frame[frame["date"] < ERA_SPLIT]
    after = frame[frame["date"] >= ERA_SPLIT]
    return pd.DataFrame(
        {"before 2016": _stats(before), "2016 on": _stats(after), "all": _stats(frame)}
    ).T


def main(argv: Sequence[str] | None = None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    frame = table(args.data)
    report = evaluate(frame)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(report.round(3).to_string())
    return report


if __name__ == "__main__":
    main()
