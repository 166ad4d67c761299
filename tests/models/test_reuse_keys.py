"""Content keys refuse object arrays, whose bytes are addresses that freed objects pass on
(review of #29's fit reuse: two different inputs could share a key)."""

from __future__ import annotations

import numpy as np
import pytest

from research_core.models._reuse import array_key


def test_object_arrays_get_no_key() -> None:
    with pytest.raises(TypeError, match="object"):
        array_key(np.array([1.0, None], dtype=object))
