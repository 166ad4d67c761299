"""Unmutated Morning Packs whose facts really differ, built in about a second.

Each base sheet is the real one: market facts from the sample lake at a quarter-end, the
central-bank tone from a small lake of random tones, and the run facts from a run folder
whose artifacts follow the daily pipeline's schema (``pipeline/steps.py``) with random
values, read back by ``build_fact_sheet``. Further packs perturb every value of a base
sheet (levels scaled, changes rescaled with a random sign, counts redrawn), so no two
packs state the same facts. Every pack is rendered from the template in English and
Brazilian Portuguese.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pandas as pd

from research_core.catalog import instruments as catalog_instruments
from research_core.lake import Lake
from research_core.narrative import FactSheet, build_fact_sheet
from research_core.narrative.facts import LOCALES
from research_core.narrative.tone_facts import tone_facts
from research_core.risk.curve_shocks import CURVE_SHOCKS
from research_core.risk.stress import EPISODES, SHOCKS
from research_core.runs import RunFolder
from research_core.tone.series import TONE_SERIES, register_tone
from tests.narrative.mutations import Pack, render_pack

AGENTS = ("inflation", "monetary_policy", "fiscal", "fx_equilibrium", "cross_asset")


def _tone_lake(path: Path, rng: random.Random) -> Lake:
    """Copom and FOMC tones, one a month since 2019, released on their day."""
    lake = Lake.open(path, create=True)
    rows = []
    for bank, sid in TONE_SERIES.items():
        register_tone(lake, bank)
        for day in pd.date_range("2019-01-15", "2026-10-15", freq="MS"):
            rows.append(
                {
                    "series_id": sid,
                    "obs_date": day,
                    "value": rng.uniform(-1, 1),
                    "release_time": pd.Timestamp(day, tz="UTC") + pd.Timedelta(hours=21),
                    "source": "test",
                }
            )
    lake.write(pd.DataFrame(rows))
    return lake


def _parquet(path: Path, frame: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path)


def _json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), "utf-8")


def write_run(folder: Path, rng: random.Random, *, pms: bool = True) -> RunFolder:
    """A run folder with the artifacts ``run_facts`` reads, random values in real ranges."""
    art = folder / "artifacts"
    nav = 1e9
    _json(
        art / "book" / "summary.json",
        {
            "positions": rng.randint(1, 30),
            "gross": rng.uniform(0.2, 12.0),
            "net": rng.uniform(-4.0, 4.0),
            "vol": rng.uniform(0.02, 0.15),
        },
    )
    idx = pd.MultiIndex.from_tuples(
        [("historical", 0.95), ("historical", 0.99), ("parametric", 0.99)],
        names=["method", "alpha"],
    )
    var = [rng.uniform(0.003, 0.03) for _ in idx]
    _parquet(
        art / "risk" / "target" / "var.parquet",
        pd.DataFrame(
            {"var": var, "var_brl": [v * nav for v in var], "es": [v * 1.3 for v in var]}, index=idx
        ),
    )
    names = [e.name for e in EPISODES] + [s.name for s in (*SHOCKS, *CURVE_SHOCKS)]
    stress = pd.DataFrame(
        {"kind": "historical", "total": [-rng.uniform(0, 0.1) * nav for _ in names]},
        index=pd.Index(names, name="scenario"),
    )
    _parquet(art / "risk" / "target" / "stress.parquet", stress)
    _json(art / "risk" / "summary.json", {"nav": nav})
    status = rng.choices(["ok", "warn", "breach"], weights=[6, 2, 1], k=18)
    _parquet(art / "risk" / "target" / "limits.parquet", pd.DataFrame({"status": status}))
    instruments = sorted(catalog_instruments())
    reports = {
        a: {
            "signals": [
                {"strength": rng.uniform(-3, 3), "instrument": rng.choice(instruments)}
                for _ in range(3)
            ]
        }
        for a in AGENTS
    }
    _json(art / "agents" / "reports.json", reports)
    stale = rng.sample(["BR.IPCA.MOM", "US.CPI.YOY", "BR.DI.1Y", "US.UST.10Y"], rng.randint(0, 3))
    _json(
        art / "quality" / "freshness.json",
        {"stale_series": stale, "counts": {"gap": rng.randint(0, 9), "spike": rng.randint(0, 9)}},
    )
    if pms:
        _json(
            art / "attribution" / "pnl.json",
            {
                "nav_brl": nav * rng.uniform(0.9, 1.2),
                "pnl_day_brl": rng.uniform(-2e7, 2e7),
                "mtd": rng.uniform(-0.05, 0.05),
                "ytd": rng.uniform(-0.1, 0.15),
            },
        )
        _parquet(
            art / "book" / "proposals.parquet", pd.DataFrame({"size": [1.0] * rng.randint(0, 9)})
        )
        _held_book(art, rng, names)
    return RunFolder(folder)


def _held_book(art: Path, rng: random.Random, scenarios: list[str]) -> None:
    """The held book's column of ``risk/compare.parquet`` and its stresses (the PMS held
    a few positions): random values in real ranges."""
    var = rng.uniform(0.001, 0.02)
    held = {
        "positions": float(rng.randint(1, 12)),
        "gross": rng.uniform(0.1, 6.0),
        "net": rng.uniform(-2.0, 2.0),
        "var99": var,
        "es99": var * rng.uniform(1.1, 1.5),
        "var99_brl": var * 1e9,
        "worst_stress": -rng.uniform(0.0, 0.1),
        "breaches": float(rng.randint(0, 2)),
        "warnings": float(rng.randint(0, 3)),
        "drawdown": rng.uniform(0.0, 0.1),
    }
    compare = pd.DataFrame({"held": held})
    _parquet(art / "risk" / "compare.parquet", compare.rename_axis("measure"))
    stress = pd.DataFrame(
        {"kind": "historical", "total": [-rng.uniform(0, 0.1) * 1e9 for _ in scenarios]},
        index=pd.Index(scenarios, name="scenario"),
    )
    _parquet(art / "risk" / "held" / "stress.parquet", stress)


def perturb(sheet: FactSheet, rng: random.Random) -> FactSheet:
    """Every value changed: levels ×0.5–1.5, changes ×0.2–3 with a random sign (one in
    twenty zero), counts redrawn; dates kept."""
    facts = []
    for f in sheet.facts:
        if f.unit == "date":
            value = f.value
        elif f.unit == "count":
            value = float(rng.randint(0, 15))
        elif f.kind == "change":
            size = max(abs(f.value), 10.0**-f.decimals * 20)
            value = 0.0 if rng.random() < 0.05 else rng.choice((-1, 1)) * size * rng.uniform(0.2, 3)
        else:
            value = f.value * rng.uniform(0.5, 1.5)
        facts.append(replace(f, value=value))
    return FactSheet(sheet.as_of, tuple(facts), sheet.locale)


def corpus(sample_lake: Path, tmp: Path, *, sheets: int = 60, seed: int = 20261030) -> list[Pack]:
    """``sheets`` different fact sheets (4 real, the rest perturbed), each in both locales."""
    rng = random.Random(seed)
    lake, tones = Lake.open(sample_lake), _tone_lake(tmp / "tone_lake", rng)
    bases = []
    for j, day in enumerate(pd.date_range("2022-03-31", periods=4, freq="BQE")):
        as_of = f"{day:%Y-%m-%d}"
        run = write_run(tmp / f"run_{j}", rng, pms=j % 2 == 0)
        sheet = build_fact_sheet(as_of, lake=lake, run=run)
        bases.append(FactSheet(as_of, sheet.facts + tuple(tone_facts(tones.at(as_of), as_of))))
    out = []
    for i in range(sheets):
        base = bases[i % len(bases)]
        sheet = base if i < len(bases) else perturb(base, rng)
        out += [render_pack(sheet.with_locale(loc)) for loc in LOCALES]
    return out
