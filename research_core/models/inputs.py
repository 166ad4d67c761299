"""Input checks shared by every model (pandas and numpy only, so light to import).

Pandas at the edges, float64 inside: inputs are aligned on their index, rows with a
missing value are dropped (series of different lengths meet that way), and what remains
must be finite, long enough and not constant, or a :class:`ModelError` names the column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from research_core.errors import InsufficientDataError, ModelError


def clean_frame(
    data: pd.DataFrame, *, model: str, min_obs: int, allow_constant: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Complete rows of ``data`` as float64; clear errors for inf, too few rows, constants."""
    frame = data.astype("float64")
    bad = [str(c) for c in frame.columns if np.isinf(frame[c].to_numpy()).any()]
    if bad:
        raise ModelError(f"{model}: {bad} contain inf; clean the input first")
    frame = frame.dropna()
    if len(frame) < min_obs:
        empty = [str(c) for c in data.columns if data[c].notna().sum() == 0]
        why = f" ({empty} have no data)" if empty else ""
        raise InsufficientDataError(
            f"{model}: {len(frame)} complete observations, needs at least {min_obs}{why}"
        )
    constant = [
        str(c)
        for c in frame.columns
        if c not in allow_constant and np.ptp(frame[c].to_numpy()) == 0.0
    ]
    if constant:
        raise ModelError(f"{model}: {constant} are constant over the sample; nothing to estimate")
    return frame
