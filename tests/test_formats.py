"""One number format (issue 26 item 2): expected texts written out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from research_core import formats


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (formats.auto(1.206e9), "1,206,000,000"),  # was "1.206e+09" in the pack
        (formats.auto(0.01908), "0.0191"),
        (formats.auto(-1234.5), "-1,234"),  # round half to even: 1234.5 → 1234
        (formats.auto(1e-7), "0.0000"),  # never "1e-07"
        (formats.pct(0.007519), "0.75%"),  # was "0.007519" on a page
        (formats.pct(0.0123, signed=True), "+1.23%"),
        (formats.pct_nav(-0.0223), "-2.23% of NAV"),
        (formats.points(14.25), "14.25%"),
        (formats.bp(-12.4), "-12 bp"),
        (formats.money(1.206e9, "USD"), "USD 1,206.0 mn"),
        (formats.money(-4_224_547.0), "BRL -4.2 mn"),
        (formats.size(2e8, "BRL", 41), "BRL 200.0 mn (41 contracts)"),
        (formats.size(3e7, "USD", pd.NA), "USD 30.0 mn"),
        (formats.z(-1.876), "z -1.88"),
        (formats.label(("historical", 0.95)), "historical 95%"),  # was "('historical', 0.95)"
        (formats.label("var_brl"), "var brl"),
        (formats.pct(math.nan), "–"),
        (formats.number(-0.004, 2), "0.00"),  # no "-0.00"
    ],
)
def test_formats_by_hand(text: str, expected: str) -> None:
    assert text == expected


def test_every_time_carries_its_zone() -> None:
    # 2026-11-05 00:00 UTC is 21:00 the day before in São Paulo (UTC−3, no DST since 2019)
    assert formats.when("2026-11-05T00:00Z", "America/Sao_Paulo") == "2026-11-04 21:00 -03"
    # and 19:30 UTC is 14:30 in New York in December (EST, UTC−5)
    assert formats.when(pd.Timestamp("2026-12-09 19:30", tz="UTC"), "America/New_York") == (
        "2026-12-09 14:30 EST"
    )


def test_attribution_in_one_unit_and_a_clear_empty_state() -> None:
    from research_core.viz.pages import NO_ATTRIBUTION, Page, _render_attribution, attribution_pct

    table = pd.DataFrame(
        {
            "by": ["strategy"] * 3,
            "group": ["RATES_BR_01"] * 3,
            "period": ["day", "mtd", "ytd"],
            "value": [2_000_000.0, 0.004, -0.012],  # BRL, then Carino-linked fractions
        }
    )
    pnl = {"nav_brl": 1_002_000_000.0, "pnl_day_brl": 2_000_000.0}
    # the day: 2 mn BRL over the previous NAV of 1,000 mn BRL = 0.20 % of NAV
    assert attribution_pct(table, pnl)["value"].tolist() == pytest.approx([0.2, 0.4, -1.2])
    empty = _render_attribution(Page("attribution", None, {"attribution": table.head(0)}))  # type: ignore[arg-type]
    assert len(empty) == 1 and NO_ATTRIBUTION[:40] in empty[0]
