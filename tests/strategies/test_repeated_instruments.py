"""A cross-asset strategy whose universe names an instrument twice holds it once, as the
same strategy on the distinct universe does (review of #29: the array paths zipped the
declared universe with arrays read for the distinct ids, and four of five raised)."""

from __future__ import annotations

import pytest

from research_core.lake import Lake
from research_core.strategies import cross_asset as xa


@pytest.mark.parametrize(
    "base",
    [
        xa.CrossSectionalCarry,
        xa.CrossSectionalMomentum,
        xa.MultiAssetTrend,
        xa.VolManagedMomentum,
        xa.CrossSectionalValue,
    ],
)
def test_a_repeated_instrument_is_held_once(sample_lake_path, base) -> None:
    view = Lake.open(sample_lake_path).at("2016-03-31")
    ids = base.instruments
    repeated = type(f"Twice{base.__name__}", (base,), {}, instruments=(*ids, ids[0]))
    want = base().positions(view)
    got = repeated().positions(view)
    assert want and got == want  # the same positions, the repeated id once
