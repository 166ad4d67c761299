"""What every connector shares: HTTP with retries and rate limits, safe errors, row building.

A connector fetches one catalog series from its public source and returns observation rows
(``series_id, obs_date, value, release_time, source``); it knows nothing of storage. The
HTTP layer retries timeouts, 429 and 5xx answers with exponential backoff and jitter
(honouring ``Retry-After``), spaces requests per source, and turns every other failure into
one :class:`ConnectorError` naming the source, the series and what was wrong. API keys are
sent as query parameters but never appear in logs (``research_core._secrets`` masks them at
any level, from any logger, raw or URL-encoded), errors or shown URLs.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import httpx
import numpy as np
import pandas as pd
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_random_exponential

from research_core._secrets import public_url, redact, register_secret
from research_core.catalog import SeriesSpec
from research_core.errors import ConnectorError

log = logging.getLogger(__name__)

ROW_COLUMNS = ["series_id", "obs_date", "value", "release_time", "source"]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts, backoff base and cap (seconds), longest Retry-After honoured."""

    attempts: int = 5
    base: float = 0.5
    cap: float = 30.0
    max_retry_after: float = 120.0


class _Retryable(Exception):
    """A transient failure worth another attempt (carries the server's Retry-After)."""

    def __init__(self, message: str, status: int | None, retry_after: float | None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class _RateLimiter:
    """At least ``interval`` seconds between the starts of two requests (thread-safe)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self, sleep: Callable[[float], None]) -> None:
        with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            sleep(delay)


class Connector:
    """Base of all connectors: subclasses set ``name`` and implement :meth:`fetch`.

    ``transport`` replaces only the network (tests pass recorded bodies through an
    ``httpx.MockTransport``); ``sleep`` is what waits between retries and for the rate
    limit. ``base_url`` serves the source from another root with the same paths (the
    replay server, :mod:`research_core.connectors.replay`) and ``min_interval`` replaces the
    source's spacing of requests there. ``vintaged`` sources (ALFRED) carry their own
    release dates; the others are stamped by the ingest from the catalog's release rule and
    the time they were observed.
    """

    name: ClassVar[str] = "base"
    base_url: ClassVar[str] = ""
    min_interval: ClassVar[float] = 0.0
    vintaged: ClassVar[bool] = False
    default_start: ClassVar[str] = "1990-01-01"
    _limiters: ClassVar[dict[tuple[str, str], _RateLimiter]] = {}

    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        api_key: str | None = None,
        base_url: str | None = None,
        min_interval: float | None = None,
    ) -> None:
        self.endpoint = self.base_url if base_url is None else base_url
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self._api_key = api_key
        register_secret(api_key)
        self.client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"User-Agent": "research-core/0.1 (macro research workbench)"},
            follow_redirects=True,
        )
        interval = self.min_interval if min_interval is None else min_interval
        key = (self.name, self.endpoint)  # rate limits are per source and host
        limiter = Connector._limiters.get(key)
        if limiter is None or limiter.interval != interval:
            limiter = Connector._limiters[key] = _RateLimiter(interval)
        self._limiter = limiter

    # ---- HTTP -------------------------------------------------------------------------
    def error(
        self, message: str, *, series: str | None = None, status: int | None = None
    ) -> ConnectorError:
        """A :class:`ConnectorError` for this source with secrets removed from ``message``."""
        return ConnectorError(
            self.name, redact(message, [self._api_key or ""]), series=series, status=status
        )

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        backoff = wait_random_exponential(multiplier=self.retry.base, max=self.retry.cap)(state)
        after = getattr(exc, "retry_after", None)
        if after is not None:
            return float(min(max(after, 0.0), self.retry.max_retry_after))
        return float(backoff)

    def _once(self, url: str, params: Mapping[str, Any]) -> httpx.Response:
        self._limiter.wait(self.sleep)
        try:
            response = self.client.get(url, params=dict(params))
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timed out ({type(exc).__name__})", None, None) from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"network error ({type(exc).__name__})", None, None) from exc
        status = response.status_code
        if status == 429 or status >= 500:
            after = retry_after_seconds(response.headers.get("Retry-After"))
            raise _Retryable(f"HTTP {status}", status, after)
        return response

    def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        series: str | None = None,
        ok: tuple[int, ...] = (),
    ) -> httpx.Response:
        """GET ``endpoint + path`` with retries; 4xx answers (other than ``ok``) raise."""
        url = path if path.startswith("http") else self.endpoint + path
        query = dict(params or {})
        if self._api_key:
            query["api_key"] = self._api_key
        shown = public_url(httpx.URL(url, params=query))
        retrying = Retrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=self._wait,
            retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
            sleep=self.sleep,
            reraise=True,
            before_sleep=lambda s: log.warning(
                "%s: %s on %s; retry %d",
                self.name,
                s.outcome.exception() if s.outcome else "",
                shown,
                s.attempt_number,
            ),
        )
        try:
            response = retrying(self._once, url, query)
        except _Retryable as exc:
            raise self.error(
                f"{exc} after {self.retry.attempts} attempts on {shown}",
                series=series,
                status=exc.status,
            ) from None
        if response.status_code >= 400 and response.status_code not in ok:
            raise self.error(
                f"HTTP {response.status_code} on {shown}: {self.error_detail(response)}",
                series=series,
                status=response.status_code,
            )
        return response

    def error_detail(self, response: httpx.Response) -> str:
        """The server's own explanation from an error body (JSON message or first text)."""
        text = response.text.strip()
        try:
            body = json.loads(text)
        except ValueError:
            return _first_line(text)
        return _first_message(body) or _first_line(text)

    def get_json(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        series: str | None = None,
        ok: tuple[int, ...] = (),
    ) -> Any:
        """GET and decode JSON; a non-JSON or empty body is a clear error."""
        response = self.get(path, params, series=series, ok=ok)
        return self.decode_json(response, series=series)

    def decode_json(self, response: httpx.Response, *, series: str | None = None) -> Any:
        """The JSON body of ``response`` or a :class:`ConnectorError` saying what came instead."""
        text = response.text
        if not text.strip():
            raise self.error(f"empty body from {public_url(response.request.url)}", series=series)
        try:
            return json.loads(text)
        except ValueError:
            raise self.error(
                f"expected JSON from {public_url(response.request.url)}, got "
                f"{response.headers.get('content-type', 'no content-type')}: {_first_line(text)!r}",
                series=series,
            ) from None

    def paginate(
        self, page: Callable[[int, int], list[Any]], size: int, *, limit: int = 10_000
    ) -> Iterator[Any]:
        """Records from ``page(offset, size)`` until a short page (``limit`` pages at most)."""
        for n in range(limit):
            records = page(n * size, size)
            yield from records
            if len(records) < size:
                return
        raise self.error(f"more than {limit} pages of {size}; narrow the request")

    # ---- rows -------------------------------------------------------------------------
    def fetch(
        self,
        spec: SeriesSpec,
        start: Any = None,
        end: Any = None,
        *,
        released_since: Any = None,
    ) -> pd.DataFrame:
        """Observation rows of ``spec`` with obs_date in [start, end].

        ``start`` defaults to the source's ``default_start`` and ``end`` to today;
        ``released_since`` lets sources with vintages skip releases already stored.
        """
        lo, hi = bounds(start, end, self.default_start)
        return self._fetch(spec, lo, hi, released_since)

    def _fetch(
        self, spec: SeriesSpec, lo: pd.Timestamp, hi: pd.Timestamp, released_since: Any
    ) -> pd.DataFrame:
        raise NotImplementedError(f"{type(self).__name__}._fetch")

    def rows(
        self,
        spec: SeriesSpec,
        obs_dates: Any,
        values: Any,
        release_time: Any = None,
    ) -> pd.DataFrame:
        """Observation rows; ``release_time`` defaults to the catalog rule of ``spec``."""
        dates = pd.DatetimeIndex(pd.to_datetime(obs_dates)).normalize()
        vals = np.asarray(values, dtype="float64")
        if release_time is None:
            released = spec.release_times(dates)
        else:
            released = pd.DatetimeIndex(pd.to_datetime(release_time, utc=True))
        frame = pd.DataFrame(
            {
                "series_id": spec.id,
                "obs_date": dates.to_numpy(),
                "value": vals,
                "release_time": released,
                "source": self.name,
            }
        )
        keep = np.isfinite(vals)
        return frame.loc[keep].sort_values(["obs_date", "release_time"]).reset_index(drop=True)

    def require(
        self, record: Mapping[str, Any], fields: tuple[str, ...], *, series: str | None
    ) -> None:
        """Fail clearly when the source renamed or dropped a field we rely on."""
        missing = [f for f in fields if f not in record]
        if missing:
            raise self.error(
                f"answer lacks field(s) {missing}; got {sorted(record)[:12]} "
                "(the source may have changed its format)",
                series=series,
            )

    def numbers(
        self,
        values: pd.Series,
        *,
        series: str | None,
        decimal: str = ".",
        missing: tuple[str, ...] = (),
    ) -> pd.Series:
        """:func:`to_float` with a :class:`ConnectorError` naming the series on bad values."""
        try:
            return to_float(values, decimal=decimal, missing=missing)
        except ValueError as exc:
            raise self.error(str(exc), series=series) from None

    def dates(self, values: pd.Series, fmt: str, *, series: str | None) -> pd.DatetimeIndex:
        """Parse dates in ``fmt``; any that do not parse is a :class:`ConnectorError`."""
        parsed = pd.to_datetime(values.astype("string").str.strip(), format=fmt, errors="coerce")
        bad = parsed.isna()
        if bad.any():
            examples = list(values[bad].astype(str).unique()[:5])
            raise self.error(
                f"{int(bad.sum())} dates not in format {fmt!r}, e.g. {examples}", series=series
            )
        return pd.DatetimeIndex(parsed).normalize()

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self.client.close()


def reachable(url: str, timeout: float = 3.0) -> bool:
    """Whether a TCP connection to ``url``'s host opens within ``timeout`` seconds (through
    the proxy the environment sets for it, as the connectors' HTTP client would)."""
    parts = urlsplit(url)
    proxy = getproxies().get(parts.scheme)
    if proxy and parts.hostname and not proxy_bypass(parts.hostname):
        parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout):
            return True
    except OSError:
        return False


def bounds(start: Any, end: Any, default_start: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Normalized [start, end] dates; ``end`` defaults to today."""
    lo = pd.Timestamp(start if start is not None else default_start).normalize()
    hi = pd.Timestamp(end).normalize() if end is not None else pd.Timestamp.today().normalize()
    if lo.tzinfo is not None:
        lo = lo.tz_localize(None)
    if hi.tzinfo is not None:
        hi = hi.tz_localize(None)
    return lo, hi


def date_windows(
    start: pd.Timestamp, end: pd.Timestamp, years: int
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Consecutive windows covering [start, end], each at most ``years`` long."""
    out = []
    lo = start
    while lo <= end:
        hi = min(lo + pd.DateOffset(years=years) - pd.Timedelta(days=1), end)
        out.append((lo, hi))
        lo = hi + pd.Timedelta(days=1)
    return out


def to_float(values: pd.Series, *, decimal: str = ".", missing: tuple[str, ...] = ()) -> pd.Series:
    """Strings such as ``"12,24"`` or ``"."`` to floats; ``missing`` markers become NaN."""
    text = values.astype("string").str.strip()
    text = text.mask(text.isin(["", *missing]))
    if decimal == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = numbers.isna() & text.notna()
    if bad.any():
        examples = list(values[bad].astype(str).unique()[:5])
        raise ValueError(f"{int(bad.sum())} values are not numbers, e.g. {examples}")
    return numbers


def _first_line(text: str, width: int = 160) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "(empty body)"
    return line[:width]


def _first_message(body: Any) -> str | None:
    """The first human message in a JSON error body, however the source nests it."""
    if isinstance(body, dict):
        for key in ("error_message", "error", "message", "detail", "description"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
        for value in body.values():
            found = _first_message(value)
            if found:
                return found
    return None
