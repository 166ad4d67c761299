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
    values = frame.to_numpy()
    infinite = np.isinf(values).any(axis=0)
    bad = [str(c) for c, inf in zip(frame.columns, infinite, strict=True) if inf]
    if bad:
        raise ModelError(f"{model}: {bad} contain inf; clean the input first")
    complete = ~np.isnan(values).any(axis=1)
    frame = frame if complete.all() else frame[complete]
    if len(frame) < min_obs:
        empty = [str(c) for c in data.columns if data[c].notna().sum() == 0]
        why = f" ({empty} have no data)" if empty else ""
        raise InsufficientDataError(
            f"{model}: {len(frame)} complete observations, needs at least {min_obs}{why}"
        )
    flat = np.ptp(values[complete], axis=0) == 0.0
    constant = [
        str(c) for c, f in zip(frame.columns, flat, strict=True) if f and c not in allow_constant
    ]
    if constant:
        raise ModelError(f"{model}: {constant} are constant over the sample; nothing to estimate")
    return frame
