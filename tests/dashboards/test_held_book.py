"""Every number the Risk Monitor shows for the held book, recomputed by hand (issue 23).

The held book is the test PMS's positions (``runfolder.HELD``) as marked at the run's date:
quantities × USD/BRL (the lake's BRL.USD.SPOT then) over the NAV the PMS stored for that
mark. Its daily P&L vector is those weights times the lake's unit returns
(``pnl.unit_index``: the last 750 B3 sessions), and from it, without the risk module:
historical VaR/ES (numpy's inverted-CDF quantile; ES the mean of the k = ⌈n(1 − α)⌉
worst days), normal VaR/ES on scikit-learn's Ledoit–Wolf covariance, Student-t with ν
fitted by ``scipy.stats.t.fit``, Cornish–Fisher from the sample moments (ES the exact
tail integral, ``scipy.integrate.quad``; the page's 200-point rule is within 0.2 %),
Monte Carlo against the normal closed form (5,000 draws: within 10 %), the stresses from
each shock's repricing (DI1 zero (1 + y)^-5), the curve stresses (the same zero on the DI
curve: its 5 y zero rate ±100 bp; the 2s10s twist pivots at 5 y so moves it 0; the Copom
path +50 bp per coming meeting from the curve's forwards) and each episode's unit-return ratio, the
limits (notional sums, DV01 = w × 5 / (1 + y), days to exit, drawdown of the NAV path)
and the historical component VaR (Epperlein–Smillie: mean position loss in the ±2 days
around the VaR day, scaled to the VaR). The page and the run's ``risk/held`` tables are
both compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from sklearn.covariance import LedoitWolf

from research_core.calendars import business_days
from research_core.catalog import instrument
from research_core.curves.build import build_curve
from research_core.lake import Lake
from research_core.pms import PMS
from research_core.pnl import unit_index
from research_core.risk.stress import EPISODES
from tests.dashboards.conftest import GOOD, Visit
from tests.dashboards.runfolder import HELD

LOOKBACK, PARTICIPATION, WARN_AT = 750, 0.2, 0.8  # risk_report's window; RiskLimits
ADV = {"DI1.5Y": 150_000, "USDBRL.NDF": 5_000, "ES.FUT": 1_500_000}  # instruments.yaml
METHODS = ("historical", "normal", "student_t", "cornish_fisher", "monte_carlo_normal")
RTOL = {"historical": 1e-9, "normal": 1e-9, "student_t": 1e-5, "cornish_fisher": 1e-9}
# ES: Cornish-Fisher's is integrated numerically; the Student-t ES follows the fitted ν, and
# scipy.stats.t.fit and the risk engine's profiled ML stop at optima a few 1e-5 apart
RTOL_ES = {**RTOL, "cornish_fisher": 2e-3, "student_t": 1e-4}
RTOL_MC = 0.10


@dataclass(frozen=True)
class Hand:
    """The held book's numbers, by hand."""

    w: pd.Series
    nav: float
    var: dict[tuple[str, float], tuple[float, float]]  # (method, α) → (VaR, ES), of NAV
    nu: float
    limits: dict[str, float]
    stress: dict[str, float]  # scenario → P&L, fraction of NAV
    components: pd.Series  # historical 99 % component VaR
    drawdown: float


def _var_es(pnl: np.ndarray, r: np.ndarray, x: np.ndarray) -> tuple[dict, float]:  # type: ignore[type-arg]
    """VaR and ES by method and level (see the module docstring)."""
    out, n, sd = {}, len(pnl), 0.0
    cov = LedoitWolf().fit(r).covariance_
    sd = float(np.sqrt(x @ cov @ x))
    z_std = (pnl - np.median(pnl)) / pnl.std()
    nu = float(stats.t.fit(z_std)[0])
    mu, c = pnl.mean(), pnl - pnl.mean()
    m2, m3, m4 = (c**2).mean(), (c**3).mean(), (c**4).mean()
    s, k = m3 / m2**1.5, m4 / m2**2 - 3.0

    def cf(z: float) -> float:
        return z + (z**2 - 1) * s / 6 + (z**3 - 3 * z) * k / 24 - (2 * z**3 - 5 * z) * s**2 / 36

    for a in (0.95, 0.99):
        p, tail = 1.0 - a, int(np.ceil(round(n * (1.0 - a), 9)))
        out["historical", a] = (
            -np.quantile(pnl, p, method="inverted_cdf"),
            -np.sort(pnl)[:tail].mean(),
        )
        z = stats.norm.ppf(a)
        out["normal", a] = (z * sd, stats.norm.pdf(z) / p * sd)
        tq, scale = stats.t.ppf(a, nu), np.sqrt((nu - 2) / nu)
        es_t = stats.t.pdf(tq, nu) / p * (nu + tq**2) / (nu - 1) * scale * sd
        out["student_t", a] = (tq * scale * sd, es_t)
        tail_q = integrate.quad(lambda u: cf(stats.norm.ppf(u)), 0, p, limit=200)[0] / p
        out["cornish_fisher", a] = (-(mu + np.sqrt(m2) * cf(stats.norm.ppf(p))),
                                    -(mu + np.sqrt(m2) * tail_q))  # fmt: skip
        out["monte_carlo_normal", a] = out["normal", a]
    return out, nu


def _di(y0: float, bp: float) -> float:
    """Unit return of a long-quote DI1 5y zero when its yield (%) moves ``bp``."""
    return 1.0 - ((1 + y0 / 100) / (1 + y0 / 100 + bp / 1e4)) ** 5


# The Copom meetings after GOOD: BCB's published 2026 calendar (bcb.gov.br, "Calendário
# das reuniões do Copom"): 3–4 Nov and 8–9 Dec 2026, decisions on the second day.
COPOM_AFTER_GOOD = (pd.Timestamp("2026-11-04"), pd.Timestamp("2026-12-09"))


def _copom_di5(view: object) -> float:
    """Unit return of a long-quote DI1 5y zero when the Copom path rises 50 bp at the next
    meeting and 100 bp from the one after (the shock's 50 bp × meetings, ≤ 3). Periods in
    B3 sessions/252: today → each decision's next session → as long again as the gap
    between the two (the path's end); f_j = (D(a)/D(b))^(1/(b−a)) − 1 on the DI curve's
    discount factors; the zero's price ratio is Π ((1 + f_j)/(1 + f_j + s_j))^τ_j, with
    the forward from the end to 5 y taking the last step."""
    curve = build_curve(view, "DI")  # type: ignore[arg-type]
    days = business_days("B3").values
    at = lambda d: int(np.searchsorted(days, np.datetime64(d), side="right"))  # noqa: E731
    today = at(GOOD) - 1
    eff = [at(d) - today for d in COPOM_AFTER_GOOD]  # the session after each decision
    bounds = np.array([0, *eff, eff[-1] + (eff[1] - eff[0])]) / 252.0
    bounds = np.r_[bounds, 5.0]
    steps = (0.0, 0.005, 0.01, 0.01)
    ratio = 1.0
    for a, b, s in zip(bounds[:-1], bounds[1:], steps, strict=True):
        da, db = curve.discount(np.array([a, b]))  # the DI curve, as the lake knows it
        f = (da / db) ** (1 / (b - a)) - 1
        ratio *= ((1 + f) / (1 + f + s)) ** (b - a)
    return 1.0 - ratio


def _stress(view: object, w: pd.Series, y: float) -> dict[str, float]:
    """Shocks repriced by hand; episodes as the ratio of the unit index over the window
    (2002 predates the sample lake: its calibrated moves, ES translated at USD/BRL +66 %)."""
    di, ndf, es = w["DI1.5Y"], w["USDBRL.NDF"], w["ES.FUT"]
    out = {
        "DI +100 bp parallel": di * _di(y, 100),
        "BRL −20 %": ndf * 0.25,
        "UST +50 bp parallel": 0.0,
        "Brazil CDS +150 bp": 0.0,
        "NTN-B real yields +75 bp": 0.0,
        "Brazil combined sell-off": di * _di(y, 200) + ndf * 0.15,
        "Global equities −20 %": es * -0.20,
        "Curves +100 bp parallel": di * _di(y, 100),  # the curve's 5y zero is BR.DI.5Y
        "Curves −100 bp parallel": di * _di(y, -100),
        "2s10s steepener +50 bp": 0.0,  # the twist's pivot is the 5y
        "2s10s flattener −50 bp": 0.0,
        "Copom +50 bp × next 3 meetings": di * _copom_di5(view),
        "2002 Brazil election": di * _di(y, 1000) + ndf * 0.66 + es * -0.25 * 1.66,
    }
    for ep in EPISODES[1:]:
        start = pd.Timestamp(ep.start)
        total = 0.0
        for iid in w.index:
            cal = instrument(iid).calendar
            level = unit_index(view, [iid], start - pd.Timedelta(days=7), ep.end, cal)[iid]  # type: ignore[arg-type]
            total += w[iid] * (level.iloc[-1] / level[level.index <= start].iloc[-1] - 1.0)
        out[ep.name] = total
    return out


def _limits(view: object, w: pd.Series, nav: float, var99: tuple[float, float], dd: float):  # type: ignore[no-untyped-def]
    last = lambda sid: view.series(sid).dropna().iloc[-1]  # type: ignore[attr-defined]  # noqa: E731
    y = last("BR.DI.5Y")
    per_contract = {
        "DI1.5Y": 100_000 / (1 + y / 100) ** 5,  # the PU
        "USDBRL.NDF": 1_000_000 * last("BRL.USD.PTAX"),  # USD 1 mn at the quote, BRL
        "ES.FUT": 50 * last("US.SPX") * last("BRL.USD.SPOT"),
    }
    days = {i: abs(w[i]) * nav / per_contract[i] / (PARTICIPATION * ADV[i]) for i in w.index}
    worst = max(days, key=lambda i: days[i])
    top = w.abs().idxmax()
    classes = w.abs().groupby({i: instrument(i).asset_class for i in w.index}).sum()
    out = {
        "VaR 99% 1d": var99[0],
        "ES 99% 1d": var99[1],
        "gross leverage": w.abs().sum(),
        "net leverage": abs(w.sum()),
        f"concentration: {top}": abs(w[top]),
        f"asset class: {classes.idxmax()}": classes.max(),
        "DV01 BRL nominal (DI1) 2–5y": abs(w["DI1.5Y"] * 5 / (1 + y / 100)),
        "FX delta USD/BRL": abs(w["USDBRL.NDF"]),
        "drawdown": dd,
        f"liquidity: {worst}": days[worst],
    }
    return out, y


@pytest.fixture(scope="module")
def hand(server: str, pms_url: str, sample_lake_path: Path) -> Hand:
    """The held book at GOOD (after the run's pms step marked it), recomputed."""
    view = Lake.open(sample_lake_path).at(GOOD)
    fx = view.series("BRL.USD.SPOT").dropna().iloc[-1]
    navs = PMS.open(pms_url, create=False).nav_history()["nav_brl"]
    nav = float(navs.loc[pd.Timestamp(GOOD)])
    qty = {i: (1 if side == "buy" else -1) * size for i, side, size in HELD}
    w = pd.Series({i: q * (fx if instrument(i).currency == "USD" else 1.0) / nav
                   for i, q in qty.items()})  # fmt: skip
    start = pd.Timestamp(GOOD) - pd.Timedelta(days=int(LOOKBACK * 1.5) + 30)
    rets = unit_index(view, list(w.index), start, trim=True).pct_change().iloc[1:]
    r = rets.iloc[-LOOKBACK:].to_numpy()
    x = w.to_numpy()
    pnl = r @ x
    var, nu = _var_es(pnl, r, x)
    path = np.r_[1e9, navs[navs.index <= pd.Timestamp(GOOD)].to_numpy()]  # capital first
    dd = 1.0 - path[-1] / path.max()
    limits, y = _limits(view, w, nav, var["historical", 0.99], dd)
    order = np.argsort(pnl, kind="stable")
    k, m = int(np.ceil(round(len(pnl) * 0.01, 9))) - 1, max(round(0.0025 * len(pnl)), 2)
    near = -(r[order[k - m : k + m + 1]].mean(axis=0) * x)
    comps = pd.Series(near * var["historical", 0.99][0] / near.sum(), index=w.index)
    return Hand(w, nav, var, nu, limits, _stress(view, w, y), comps, dd)


def _num(text: str) -> tuple[float, float]:
    """A displayed number as a fraction (``%`` ÷ 100) and half its last displayed digit."""
    t = text.replace("−", "-").replace(",", "")
    m = re.search(r"[-+]?\d+(?:\.(\d+))?(?:e[-+]?\d+)?", t)
    assert m is not None, text
    decimals = len(m.group(1) or "")
    scale = 0.01 if "%" in t[m.end() : m.end() + 2] else 1.0
    return float(m.group(0)) * scale, 0.5 * 10.0**-decimals * scale


def _close(text: str, value: float, rtol: float = 1e-9) -> bool:
    shown, half = _num(text)
    return abs(shown - value) <= half + rtol * abs(value) + 1e-15


def _status(value: float, cap: float) -> str:
    return "breach" if value / cap > 1 else "warn" if value / cap >= WARN_AT else "ok"


def _rows(page: object, name: str) -> list[list[str]]:
    rows = page.query_selector_all(f'[data-table="{name}"] tbody tr')  # type: ignore[attr-defined]
    return [[c.inner_text() for c in r.query_selector_all("td")] for r in rows]


def _check_var(page: object, hand: Hand, art: Path) -> None:
    """VaR/ES by method (page and table), the Student-t ν, the tiles."""
    table = pd.read_parquet(art / "var.parquet")
    rows = _rows(page, "var")
    assert [(r[0], r[1]) for r in rows] == [(m, f"{a:.0%}") for m in METHODS for a in (0.95, 0.99)]
    for (method, level), row in zip(
        [(m, a) for m in METHODS for a in (0.95, 0.99)], rows, strict=True
    ):
        v, e = hand.var[method, level]
        rv, re_ = RTOL.get(method, RTOL_MC), RTOL_ES.get(method, RTOL_MC)
        assert _close(row[2], v, rv) and _close(row[4], e, re_), (method, level, row)
        assert row[6].startswith("BRL ") and row[6].endswith(" mn"), row  # BRL mn, not BRL
        assert _close(row[6], v * hand.nav / 1e6, rv), (method, level, row)
        stored = table.loc[(method, level)]
        assert stored["var"] == pytest.approx(v, rel=rv)
        assert stored["es"] == pytest.approx(e, rel=re_)
    fit = page.query_selector('[data-fit="held"]').inner_text()  # type: ignore[attr-defined]
    assert f"ν {hand.nu:.1f} " in fit
    kpis = {k.get_attribute("data-kpi"): k.query_selector(".wb-value").inner_text()
            for k in page.query_selector_all("[data-kpi]")}  # type: ignore[attr-defined]  # fmt: skip
    v99, e99 = hand.var["historical", 0.99]
    assert kpis["held_var99"] == f"{v99:.2%}" and kpis["held_es99"] == f"{e99:.2%}"
    assert kpis["held_var99_brl"] == f"BRL {v99 * hand.nav / 1e6:,.1f} mn"  # by hand
    assert kpis["held_worst_stress"] == f"{min(hand.stress.values()):.2%}"
    assert kpis["drawdown"] == f"{hand.drawdown:.2%}" and kpis["ladder"] == "0 · normal"


def _check_limits(page: object, hand: Hand, art: Path) -> int:
    """Every row of the held book's limit table; returns the number in breach."""
    table = pd.read_parquet(art / "limits.parquet")
    rows = _rows(page, "limits-held")
    order = table.sort_values("utilization", ascending=False, kind="stable")  # highest first
    assert [r[0] for r in rows] == list(order.index)
    breaches = 0
    for limit, value, cap, _unit, use, status, kind in rows:
        assert kind == table.loc[limit, "kind"], limit  # hard or soft, from limits.yaml
        want = hand.limits.get(limit, 0.0)  # DV01 buckets the book has nothing in: 0
        cap_value = _num(cap)[0]  # in its unit: "2.00% of NAV", "5.00 days"
        assert _close(value, want, 1e-9) and table.loc[limit, "value"] == pytest.approx(want)
        assert _close(use, want / cap_value) and status == _status(want, cap_value), limit
        breaches += status == "breach"
    assert set(hand.limits) <= {r[0] for r in rows}
    return breaches


def _check_stress_and_compare(page: object, hand: Hand, art: Path, breaches: int) -> None:
    rows = {r[0]: r for r in _rows(page, "stress")}
    target = pd.read_parquet(art.parent / "target" / "stress.parquet")["total_pct_nav"]
    assert set(rows) == set(hand.stress)
    for name, pnl in hand.stress.items():
        assert _close(rows[name][2], pnl), (name, rows[name])
        assert _close(rows[name][4], target[name] - pnl), (name, rows[name])
    compare = {r[0]: r[1] for r in _rows(page, "compare")}  # measure → held book
    v99, e99 = hand.var["historical", 0.99]
    assert compare["positions"] == str(len(HELD))
    assert compare["gross notional"] == f"{hand.w.abs().sum():.2f} × NAV"
    assert compare["net notional"] == f"{hand.w.sum():.2f} × NAV"
    assert compare["VaR 99% 1d (historical)"] == f"{v99:.2%} of NAV"
    assert compare["ES 99% 1d (historical)"] == f"{e99:.2%} of NAV"
    assert compare["VaR 99% 1d in BRL"] == f"BRL {v99 * hand.nav / 1e6:,.1f} mn"
    assert compare["worst stress"] == f"{min(hand.stress.values()):.2%} of NAV"
    assert compare["limits in breach"] == str(breaches)
    assert compare["drawdown (PMS NAV)"] == f"{hand.drawdown:.2%} from the high-water mark"


def _check_components(page: object, hand: Hand) -> None:
    traces = page.evaluate(  # type: ignore[attr-defined]  # plotly's decoded traces
        """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(d => d._fullData.map(
            t => ({name: t.name, x: Array.from(t.x), y: Array.from(t.y)})))"""
    )
    held = next(t for t in traces if t["name"] == "Held book")
    shown = pd.Series(held["x"], index=held["y"])
    np.testing.assert_allclose(shown[hand.components.index], hand.components, rtol=1e-9)


def test_every_held_book_number_on_the_risk_monitor_equals_a_recomputation_by_hand(
    visit: Visit, runs_path: Path, hand: Hand, artifacts_dir: Path
) -> None:
    page = visit.open("risk_monitor", f"date={GOOD}")
    page.wait_for_selector('[data-table="limits-held"]', timeout=60_000)  # type: ignore[attr-defined]
    page.wait_for_selector(".js-plotly-plot", timeout=60_000)  # type: ignore[attr-defined]
    art = runs_path / GOOD / "artifacts" / "risk" / "held"
    _check_var(page, hand, art)
    breaches = _check_limits(page, hand, art)
    _check_stress_and_compare(page, hand, art, breaches)
    _check_components(page, hand)
    page.screenshot(path=str(artifacts_dir / "risk_monitor_held.png"), full_page=True)  # type: ignore[attr-defined]
