"""The shipped catalog: coverage, valid entries, instruments linked to series."""

from __future__ import annotations

import pytest

from research_core.catalog import instrument, instruments, series, series_catalog
from research_core.errors import CatalogError

REQUIRED_CATEGORIES = {
    "policy_rate",
    "inflation",
    "expectations",
    "activity",
    "labour",
    "fiscal",
    "external",
    "fx_flow",
    "fx",
    "rates_curve",
    "real_yields",
    "breakevens",
    "credit",
    "equity",
    "commodity",
    "volatility",
    "positioning",
}


def test_catalog_covers_what_agents_need():
    cat = series_catalog()
    assert len(cat) >= 60
    assert {s.category for s in cat.values()} >= REQUIRED_CATEGORIES
    for country in ("BR", "US"):
        assert sum(s.country == country for s in cat.values()) >= 25
    assert {"BR.IPCA.MOM", "BRL.USD.PTAX", "US.CPI.YOY", "US.GDP.QOQ"} <= set(cat)
    assert {f"BR.DI.{t}" for t in ("3M", "1Y", "2Y", "5Y", "10Y")} <= set(cat)


def test_every_series_has_a_working_release_rule():
    for spec in series_catalog().values():
        times = spec.release_times(["2024-01-01", "2024-06-03"])
        assert times.tz is not None
        assert (times >= spec.release_times(["2024-01-01"])[0]).all()


def test_unknown_ids_say_what_exists():
    with pytest.raises(CatalogError, match="similar ids"):
        series("BR.IPCA.MOMM")
    with pytest.raises(CatalogError, match="valid"):
        instrument("DI1F99")


def test_instruments_carry_pnl_specs():
    inst = instruments()
    assert {"DI1.1Y", "NTNB.10Y", "USDBRL.FUT", "UST.10Y.FUT", "BR.CDS.5Y", "IBOV.FUT"} <= set(inst)
    for i in inst.values():
        assert i.multiplier > 0 and i.tick > 0 and i.cost_bps > 0
        assert i.currency in {"BRL", "USD"}
        assert i.dv01_convention in {"di1_pu", "real_yield", "ust_future", "cds_rpv01", "none"}
