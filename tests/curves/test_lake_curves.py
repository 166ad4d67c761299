"""Curves from the sample lake: point in time, and the survey beside the right meeting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_core.curves import build_curve, curve_history
from research_core.curves.breakeven import breakevens
from research_core.curves.policy import copom_path, fomc_path
from research_core.errors import CurveError
from research_core.lake.maintenance import export_as_of
from research_core.lake.store import Lake

AS_OF = "2024-03-15"


@pytest.fixture(scope="module")
def lake(sample_lake_path: Path) -> Lake:
    return Lake.open(sample_lake_path)


def _everything(lake: Lake) -> dict[str, pd.DataFrame]:
    view = lake.at(AS_OF)
    out = {n: build_curve(view, n).to_frame() for n in ("DI", "NTNB", "UST", "TIPS")}
    out["DI nss"] = build_curve(view, "DI", "nss").to_frame()
    out["UST mc"] = build_curve(view, "UST", "monotone-convex").to_frame()
    out["copom"] = copom_path(view).to_frame()
    out["fomc"] = fomc_path(view).to_frame()
    out["bei"] = breakevens(view)
    return out


def test_a_lake_truncated_at_the_date_gives_identical_curves_and_path(
    lake: Lake, tmp_path: Path
) -> None:
    full = _everything(lake)
    short = _everything(export_as_of(lake, AS_OF, tmp_path / "lake"))
    for key, frame in full.items():
        pd.testing.assert_frame_equal(frame, short[key], check_exact=True, obj=key)


def test_focus_year_end_median_sits_beside_the_years_last_meeting(lake: Lake) -> None:
    view = lake.at(AS_OF)
    path = copom_path(view).to_frame()
    cy = view.series("BR.FOCUS.SELIC.CY").dropna()
    row = path[path["meeting"] == pd.Timestamp("2024-12-11")].iloc[0]  # last Copom of 2024
    assert row["survey_pct"] == cy.iloc[-1]
    assert row["market_vs_survey_bp"] == pytest.approx(
        (row["implied_policy_pct"] - cy.iloc[-1]) * 100
    )
    assert path["survey_pct"].notna().sum() == 2  # 2024 and 2025 year ends only


def test_history_matches_the_one_day_build_and_reprices_every_day(lake: Lake) -> None:
    hist = curve_history(lake, "UST", "2024-01-02", AS_OF)
    one = build_curve(lake.at(AS_OF), "UST")
    assert np.array_equal(hist.curve(AS_OF).log_df, one.log_df)
    assert hist.max_reprice_error_bp() < 1e-8  # 1e-10 in % a.a.


def test_a_date_before_the_curve_exists_is_one_line(lake: Lake) -> None:
    with pytest.raises(CurveError, match=r"curve DI at 2004-12-31: no quote known for"):
        build_curve(lake.at("2004-12-31"), "DI")


def test_cli_prints_the_curve_path_and_breakevens_of_the_view(
    lake: Lake, sample_lake_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from research_core.cli import main

    assert main(["curves", "--as-of", AS_OF, "--path", str(sample_lake_path)]) == 0
    out = capsys.readouterr().out
    view = lake.at(AS_OF)
    di = build_curve(view, "DI")
    two_year = next(line for line in out.splitlines() if line.strip().startswith("2Y "))
    assert two_year.split()[1] == f"{di.zero(2.0)[0]:.2f}"  # zero % a.a. at 2 years
    path = copom_path(view).to_frame()
    first = path.iloc[1]
    assert (
        f"{pd.Timestamp(first['meeting']).date()}  {pd.Timestamp(first['effective']).date()}" in out
    )
    assert f"{first['change_bp']:+.1f}" in out
    bei = breakevens(view)
    assert f"{bei['breakeven_pct'].iloc[0]:16.2f}" in out
    assert "e+" not in out and "e-0" not in out  # no scientific notation


def test_cli_at_a_date_without_a_curve_is_one_line(
    sample_lake_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from research_core.cli import main

    code = main(["curves", "--as-of", "2004-12-31", "--path", str(sample_lake_path)])
    err = capsys.readouterr().err.strip()
    assert code != 0 and len(err.splitlines()) == 1
    assert "curve DI at 2004-12-31: no quote known for ['BR.DI.3M'" in err


def test_one_week_move_at_a_pillar_is_the_quotes_change(lake: Lake) -> None:
    """At a pillar the zero rate is the DI × pré quote itself: the 10y move over the week
    (15 Mar 2024 against 8 Mar, five B3 sessions before) is the quotes' difference."""
    from research_core.curves.report import curve_moves

    moves = curve_moves(lake.at(AS_OF), ("DI",)).set_index("tenor")
    q = lake.at(AS_OF).series("BR.DI.10Y")
    hand = (q[pd.Timestamp("2024-03-15")] - q[pd.Timestamp("2024-03-08")]) * 100
    assert moves.at["10Y", "move_1w_bp"] == pytest.approx(hand, abs=1e-9)
    assert moves["move_1w_bp"].abs().is_monotonic_decreasing  # largest first
