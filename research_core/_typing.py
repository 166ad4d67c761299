"""Shared type aliases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal, TypeAlias

import pandas as pd

AsOf: TypeAlias = str | dt.date | dt.datetime | pd.Timestamp
SeriesId: TypeAlias = str
SeriesIds: TypeAlias = SeriesId | Iterable[SeriesId]
Frequency: TypeAlias = Literal["D", "W", "M", "Q", "A"]
Country: TypeAlias = Literal["BR", "US", "GLOBAL"]
