"""The number checker: hand-made cases, then recall on mutated real packs.

Recall: narratives rendered from fact sheets of the sample lake at 50 month-ends (market
snapshot) plus the end-to-end run's full pack, in English and Brazilian Portuguese, each
mutated many ways (digit swaps, ×10, sign flips, bp↔%, stale dates, wrong entity). The
issue's bar: ≥ 2,000 mutations, ≥ 99.5 % caught, no false alarm on ≥ 50 unmutated packs.
"""

from __future__ import annotations

import random
from collections import Counter

import pandas as pd
import pytest

from research_core.lake import Lake
from research_core.narrative import Fact, FactSheet, build_fact_sheet, check_narrative, render
from research_core.narrative.facts import date_value
from research_core.narrative.template import narrative_template
from research_core.runs import RunFolder
from tests.narrative.mutations import KINDS, mutate


def _sheet(locale: str = "en") -> FactSheet:
    """A hand-made sheet: values chosen so the expected displays are obvious."""
    d = "2026-10-30"
    facts = (
        Fact("pack.as_of", "Morning Pack", date_value(d), "date", 0, "run", d),
        Fact("fx.last", "USD/BRL", 5.43217, "", 4, "BRL.USD.PTAX", d),
        Fact("fx.chg", "USD/BRL", -0.7449, "%", 2, "BRL.USD.PTAX", d, "change"),
        Fact("di.last", "DI 1Y", 14.2349, "%", 2, "BR.DI.1Y", d),
        Fact("di.chg", "DI 1Y", 12.4, "bp", 0, "BR.DI.1Y", d, "change"),
        Fact("selic.chg", "Selic", -0.25, "pp", 2, "BR.SELIC.TARGET", d, "change"),
        Fact("spx.last", "S&P 500", 5123.44, "", 1, "US.SPX", d),
        Fact("var", "VaR", 0.7711, "%", 2, "risk", d, aliases=("99 % 1-day VaR",)),
    )
    return FactSheet(d, facts, locale)


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("en", "Morning Pack for 2026-10-30. USD/BRL fell 0.74 % to 5.4322; DI 1Y at 14.23 % "
         "(+12 bp). The Selic was cut by 0.25 pp (−0.25 pp). The S&P 500 at 5,123.4. "
         "The 99 % 1-day VaR is 0.77 %."),
        ("en", "USD/BRL down 0.7 % at 5.43, DI 1Y up 12 bp to 14.2 %."),  # fewer decimals: ok
        ("pt-BR", "Morning Pack de 30/10/2026. O USD/BRL caiu 0,74 % para 5,4322; DI 1Y em "
         "14,23 % (+12 pb). A Selic −0,25 p.p.; o S&P 500 em 5.123,4."),
    ],
)  # fmt: skip
def test_true_statements_pass(locale, text):
    assert check_narrative(text, _sheet(locale)).ok, check_narrative(text, _sheet(locale)).summary()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("USD/BRL rose 0.74 % to 5.4322.", "direction word says up, the fact is −0.74 %"),
        ("USD/BRL fell 0.74 % to 5.4232.", "digit swap"),
        ("DI 1Y at 14.23 % (+12 %).", "bp written as %"),
        ("DI 1Y at 14.23 % (+120 bp).", "x10"),
        ("DI 1Y at 14.23 % (−12 bp).", "sign flip"),
        ("The Selic was cut by 0.25 % (−0.25 %).", "pp written as %"),
        ("USD/BRL fell 0.74 % to 5.4322, fell +0.74 %.", "sign contradicts word"),
        ("Morning Pack for 2026-10-29.", "stale date"),
        ("The S&P 500 at 14.23 %.", "wrong entity"),
        ("DI 1Y at 14.23 % and inflation will hit 7.5 % next year.", "hallucinated number"),
        ("Seven analysts expect 3 cuts.", "a number with no entity"),
        ("USD/BRL at 5.432170.", "more digits than the pack displays"),
    ],
)
def test_false_statements_are_caught(text, reason):
    result = check_narrative(text, _sheet())
    assert not result.ok, reason


@pytest.fixture(scope="module")
def packs(sample_lake_path, daily_run):
    """(sheet, text, spans) for 50 month-end market packs and the full e2e pack, en + pt-BR."""
    lake = Lake.open(sample_lake_path)
    dates = pd.date_range("2021-01-31", periods=50, freq="BME")
    out = []
    for loc in ("en", "pt-BR"):
        sheets = [build_fact_sheet(f"{d:%Y-%m-%d}", lake=lake, locale=loc) for d in dates]
        sheets.append(
            build_fact_sheet(daily_run.as_of, lake=lake, run=RunFolder(daily_run.path), locale=loc)
        )
        for sheet in sheets:
            text, spans = render(narrative_template(sheet), sheet)
            out.append((sheet, text, spans))
    return out


def test_no_false_alarm_on_unmutated_packs(packs):
    assert len({p[0].as_of for p in packs}) >= 50
    bad = [(s.as_of, s.locale, check_narrative(t, s).summary()) for s, t, _ in packs
           if not check_narrative(t, s).ok]  # fmt: skip
    assert bad == []


def test_recall_on_mutated_packs(packs):
    rng = random.Random(20261030)
    tried: Counter[str] = Counter()
    missed: list[tuple[str, str, str]] = []
    while sum(tried.values()) < 2400:
        sheet, text, spans = rng.choice(packs)
        kind = rng.choice(KINDS)
        mutated = mutate(text, spans, sheet, kind, rng)
        if mutated is None or mutated == text:
            continue
        tried[kind] += 1
        if check_narrative(mutated, sheet).ok:
            missed.append((kind, sheet.as_of, mutated))
    total = sum(tried.values())
    recall = 1 - len(missed) / total
    print(f"recall {recall:.4f} on {total} mutations {dict(tried)}; missed {len(missed)}")
    assert total >= 2000 and min(tried.values()) >= 150
    assert recall >= 0.995, missed[:5]
