"""Replay: a local HTTP server that answers as the public sources do, from stored bodies.

:class:`ReplayServer` serves on ``127.0.0.1`` (a free port) what each source's API would
answer, read from folders of response bodies, one subfolder per source as in
``../shared/fixtures/api`` (recorded) or ``pipelines/replay`` (built from the documented
formats). :meth:`ReplayServer.connector` is that source's connector with its base URL
pointed at the server, so the connectors' own HTTP, paging, windows, retries and parsing
run unchanged: only the host differs. Each answer applies the request's window, filter and
paging to the stored records, as the source does; a resource with no stored body gets the
source's documented not-found answer (FRED, Yahoo, CKAN, SGS) or a plain 404 that says no
body was stored. Bodies are read at each request, never cached.

Files the server looks for (the first folder holding a match wins):

=====================  ================================================================
source                 file (in the source's subfolder)
=====================  ================================================================
bcb_sgs, bcb_fx_flow   ``bcb_sgs/{code}.json`` (``[{"data", "valor"}]``); 406 refusals
                       serve ``bcb_sgs/error_406_*.json`` when stored
fred, alfred           ``fred/series_observations_{id}[_{units}].json``; with a realtime
                       window ``fred/alfred_observations_{id}[_{units}]_all_vintages.json``;
                       ``fred/series_vintagedates_{id}.json``
yahoo                  ``yahoo/chart_{symbol}_*.json``
tesouro_direto         ``tesouro_direto/PrecoTaxaTesouroDireto*.csv``
stn                    ``stn/package_show_{dataset}.json`` and the CSV its resource names
bcb_ptax               ``bcb_ptax/CotacaoDolarPeriodo.json``,
                       ``bcb_ptax/CotacaoMoedaPeriodo_{moeda}.json``
bcb_focus              ``bcb_focus/{entity}.json``
ibge_sidra             ``ibge_sidra/{table}_v_{variable, / as _}.json``
cftc                   ``cftc/{dataset}.json``
ust_treasury           ``ust_treasury/daily_treasury_yield_curve_{year}.xml``
=====================  ================================================================
"""

from __future__ import annotations

import glob
import json
import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pandas as pd

from research_core.connectors import CONNECTORS, Connector, RetryPolicy, connector
from research_core.connectors.fred import FRED
from research_core.connectors.sidra import PERIOD_LABELS
from research_core.errors import ConnectorError

log = logging.getLogger(__name__)

REPLAY_KEY = "0" * 32  # FRED wants a key; the replay server ignores it (a real one stays home)
REPLAY_RETRY = RetryPolicy(attempts=3, base=0.05, cap=0.5, max_retry_after=1.0)
FRED_UNKNOWN = {"error_code": 400, "error_message": "Bad Request.  The series does not exist."}
YAHOO_UNKNOWN = {
    "chart": {
        "result": None,
        "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"},
    }
}
CKAN_UNKNOWN = {"success": False, "error": {"__type": "Not Found Error", "message": "Not found"}}
CKAN_HOST = "https://www.tesourotransparente.gov.br/"
ODATA_CONTEXT = "https://was-p.bcnet.bcb.gov.br/olinda/servico/{}/versao/v1/odata$metadata#_{}"
SGS_MAX_WINDOW = pd.DateOffset(years=10)


@dataclass(frozen=True)
class Reply:
    """One HTTP answer."""

    status: int
    body: str
    content_type: str = "application/json; charset=utf-8"


def _json(body: Any, status: int = 200) -> Reply:
    return Reply(status, json.dumps(body, ensure_ascii=False, separators=(",", ":")))


class Bodies:
    """The stored bodies: folders searched in order for a source's file."""

    def __init__(self, dirs: Sequence[str | Path]) -> None:
        self.dirs = tuple(Path(d) for d in dirs)
        for d in self.dirs:
            if not d.is_dir():
                raise ConnectorError("replay", f"{d}: no such folder of recorded responses")

    def find(self, folder: str, pattern: str) -> Path | None:
        """The first stored file of ``folder`` matching the glob ``pattern``, or None."""
        if "/" in pattern or ".." in pattern or "\\" in pattern:
            return None
        for d in self.dirs:
            hits = [p for p in sorted((d / folder).glob(pattern)) if not p.is_dir()]
            if hits:
                return hits[0]
        return None

    def missing(self, folder: str, what: str) -> Reply:
        """A 404 that says no body is stored for ``what`` (not the source's own answer)."""
        where = ", ".join(str(d / folder) for d in self.dirs)
        return Reply(404, f"replay: no stored response for {what} in {where}", "text/plain")


Query = dict[str, str]
Handler = Callable[[Bodies, str, str, Query, str], Reply]


def _day(text: str, fmt: str) -> pd.Timestamp:
    return pd.Timestamp(pd.to_datetime(text.strip("'"), format=fmt))


def _page(records: list[Any], start: str | None, size: str | None) -> list[Any]:
    lo = int(start or 0)
    return records[lo : lo + int(size)] if size else records[lo:]


# ---- BCB SGS (and FX flow, the same API) ------------------------------------------------
def _sgs(bodies: Bodies, folder: str, rest: str, q: Query, root: str) -> Reply:
    code = re.search(r"bcdata\.sgs\.(\d+)/dados$", rest)
    if code is None:
        return bodies.missing(folder, rest)
    try:
        lo, hi = _day(q["dataInicial"], "%d/%m/%Y"), _day(q["dataFinal"], "%d/%m/%Y")
    except (KeyError, ValueError):
        lo, hi = pd.Timestamp(0), pd.Timestamp.max
    if hi > lo + SGS_MAX_WINDOW:  # the 10-year refusal (real body when stored)
        refusal = bodies.find(folder, "error_406_*.json")
        text = refusal.read_text("utf-8") if refusal else '{"error": "janela de 10 anos"}'
        return Reply(406, text)
    path = bodies.find(folder, f"{code[1]}.json")
    records = json.loads(path.read_text("utf-8")) if path else []
    kept = [r for r in records if lo <= _day(r["data"], "%d/%m/%Y") <= hi]
    return _json(kept) if kept else Reply(404, "Not Found", "text/html")


# ---- FRED and ALFRED ----------------------------------------------------------------------
def _fred(bodies: Bodies, folder: str, rest: str, q: Query, root: str) -> Reply:
    sid = glob.escape(q.get("series_id", ""))
    units = q.get("units", "lin")
    suffix = "" if units == "lin" else f"_{units}"
    if rest.endswith("series/vintagedates"):
        path = bodies.find(folder, f"series_vintagedates_{sid}.json")
        key = "vintage_dates"
    elif "realtime_start" in q:
        path = bodies.find(folder, f"alfred_observations_{sid}{suffix}_all_vintages.json")
        key = "observations"
    else:
        path = bodies.find(folder, f"series_observations_{sid}{suffix}.json")
        key = "observations"
    if path is None:
        return _json(FRED_UNKNOWN, 400)
    body = json.loads(path.read_text("utf-8"))
    records = [r for r in body[key] if key == "vintage_dates" or _fred_keep(r, q)]
    page = _page(records, q.get("offset"), q.get("limit"))
    return _json({**body, "count": len(records), "offset": int(q.get("offset", 0)), key: page})


def _fred_keep(record: dict[str, str], q: Query) -> bool:
    """In the observation window and (ALFRED) current at some time in the realtime window."""
    day = record["date"]
    if not q.get("observation_start", "") <= day <= q.get("observation_end", "9999-12-31"):
        return False
    if "realtime_start" not in q:
        return True
    return (
        record["realtime_start"] <= q.get("realtime_end", "9999-12-31")
        and record["realtime_end"] >= q["realtime_start"]
    )


# ---- Yahoo chart API ----------------------------------------------------------------------
def _yahoo(bodies: Bodies, folder: str, rest: str, q: Query, root: str) -> Reply:
    symbol = rest.rsplit("/", 1)[-1]
    path = bodies.find(folder, f"chart_{glob.escape(symbol)}_*.json")
    if path is None:
        return _json(YAHOO_UNKNOWN, 404)
    body = json.loads(path.read_text("utf-8"))
    result = body["chart"]["result"][0]
    lo, hi = int(q.get("period1", 0)), int(q.get("period2", 2**62))
    stamps = result.get("timestamp") or []
    keep = [i for i, t in enumerate(stamps) if lo <= t < hi]
    result["timestamp"] = [stamps[i] for i in keep]
    indicators = result["indicators"]
    for block in (*indicators.get("quote", []), *indicators.get("adjclose", [])):
        for field, values in block.items():
            block[field] = [values[i] for i in keep]
    for kind, events in (result.get("events") or {}).items():
        result["events"][kind] = {k: v for k, v in events.items() if lo <= int(k) < hi}
    return _json(body)


# ---- Tesouro Transparente (CKAN): Tesouro Direto CSV and STN datasets ---------------------
def _ckan_file(bodies: Bodies, folder: str, rest: str, q: Query, root: str) -> Reply:
    name = Path(rest).name
    stem, _, ext = name.rpartition(".")
    path = bodies.find(folder, name) or bodies.find(folder, f"{glob.escape(stem)}*.{ext}")
    if path is None:
        return bodies.missing(folder, name)
    return Reply(200, path.read_text("utf-8"), "text/csv; charset=utf-8")


def _stn(bodies: Bodies, folder: str, rest: str, q: Query, root: str) -> Reply:
    if not rest.endswith("api/3/action/package_show"):
        return _ckan_file(bodies, folder, rest, q, root)
    path = bodies.find(folder, f"package_show_{glob.escape(q.get('id', ''))}.json")
    if path is None:
        return _json(CKAN_UNKNOWN, 404)
    # the envelope names its resources by absolute URL: point them at this server
    return Reply(200, path.read_text("utf-8").replace(CKAN_HOST, f"{root}/{folder}/"))


# ---- BCB Olinda OData: PTAX and Focus -----------------------------------------------------
def _odata(records: list[dict[str, Any]], q: Query, service: str, entity: str) -> Reply:
    page = _page(records, q.get("$skip"), q.get("$top"))
    return _json({"@odata.context": ODATA_CONTEXT.format(service, entity), "value": page})


def _ptax(bodies: Bodies, folder: str, rest: str, q: Query, root: str) -> Reply:
    entity = re.search(r"odata/(CotacaoDolarPeriodo|CotacaoMoedaPeriodo)\(", rest)
    if entity is None:
        return bodies.missing(folder, rest)
    name = entity[1] + (f"_{q.get('@moeda', '').strip(chr(39))}" if "Moeda" in entity[1] else "")
    path = bodies.find(folder, f"{glob.escape(name)}.json")
    if path is None:
        return bodies.missing(folder, name)
    lo = _day(q["@dataInicial"], "%m-%d-%Y")
    hi = _day(q["@dataFinalCotacao"], "%m-%d-%Y")
    records = json.loads(path.read_text("utf-8"))["value"]
    kept = [r for r in records if lo <= pd.Timestamp(r["dataHoraCotacao"][:10]) <= hi]
    return _odata(kept, q, "PTAX", entity[1])


_CONDITION = re.compile(r"\s*(\w+)\s*(eq|ne|ge|gt|le|lt|=|!=|>=|>|<=|<)\s*'([^']*)'\s*")
_OPS: dict[str, Callable[[str, str], bool]] = {
    "eq": str.__eq__, "ne": str.__ne__, "ge": str.__ge__, "gt": str.__gt__,
    "le": str.__le__, "lt": str.__lt__,
}  # fmt: skip
_OPS.update({"=": _OPS["eq"], "!=": _OPS["ne"], ">=": _OPS["ge"], ">": _OPS["gt"]})
_OPS.update({"<=": _OPS["le"], "<": _OPS["lt"]})


def _where(text: str) -> list[tuple[str, str, str]] | None:
    """``Field op 'value'`` conditions joined by and/AND (OData ``$filter``, SoQL
    ``$where``), or None when the expression is anything else."""
    parts = [p for p in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE) if p]
    found = [_CONDITION.fullmatch(p) for p in parts]
    if not all(found):
        return None
    return [(m[1], m[2], m[3]) for m in found if m]


def _matches(record: dict[str, Any], conditions: list[tuple[str, str, str]]) -> bool:
    return all(_OPS[op](str(record.get(f, "")), v) for f, op, v in conditions)


def _focus(bodies: Bodies, folder: str, rest: str, q: Query, root: str) -> Reply:
    entity = rest.rsplit("/", 1)[-1]
    path = bodies.find(folder, f"{glob.escape(entity)}.json")
    conditions = _where(q.get("$filter", ""))
    if path is None or conditions is None:
        return bodies.missing(folder, f"{entity} $filter={q.get('$filter', '')}")
    records = [r for r in json.loads(path.read_text("utf-8"))["value"] if _matches(r, conditions)]
    order = q.get("$orderby", "").split()
    if order:
        records.sort(key=lambda r: str(r.get(order[0], "")), reverse=order[-1] == "desc")
    return _odata(records, q, "Expectativas", entity)


# ---- IBGE SIDRA ---------------------------------------------------------------------------
def _sidra(bodies: Bodies, folder: str, rest: str, q: Query, root: str) -> Reply:
    found = re.search(r"t/(\d+)/n1/all/v/(.+)/p/(\d+)-(\d+)$", rest)
    if found is None:
        return bodies.missing(folder, rest)
    table, variable, lo, hi = found.groups()
    path = bodies.find(folder, f"{table}_v_{glob.escape(variable.replace('/', '_'))}.json")
    if path is None:
        return bodies.missing(folder, rest)
    header, *rows = json.loads(path.read_text("utf-8"))
    period = next(
        k for k, v in header.items() if k.endswith("C") and v.split(" (")[0] in PERIOD_LABELS
    )
    return _json([header, *(r for r in rows if lo <= r[period] <= hi)])


# ---- CFTC (Socrata) -----------------------------------------------------------------------
def _cftc(bodies: Bodies, folder: str, rest: str, q: Query, root: str) -> Reply:
    dataset = rest.rsplit("/", 1)[-1].removesuffix(".json")
    path = bodies.find(folder, f"{glob.escape(dataset)}.json")
    conditions = _where(q.get("$where", ""))
    if path is None or conditions is None:
        return bodies.missing(folder, f"{dataset} $where={q.get('$where', '')}")
    records = [r for r in json.loads(path.read_text("utf-8")) if _matches(r, conditions)]
    order = q.get("$order", "").split()
    if order:
        records.sort(key=lambda r: str(r.get(order[0], "")), reverse=order[-1].upper() == "DESC")
    return _json(_page(records, q.get("$offset"), q.get("$limit")))


# ---- US Treasury par yield curve ----------------------------------------------------------
def _treasury(bodies: Bodies, folder: str, rest: str, q: Query, root: str) -> Reply:
    year = q.get("field_tdr_date_value", "")
    path = bodies.find(folder, f"daily_treasury_yield_curve_{glob.escape(year)}.xml")
    if path is None:
        return bodies.missing(folder, f"the {year or '?'} par yield curve")
    return Reply(200, path.read_text("utf-8"), "application/xml; charset=utf-8")


HANDLERS: dict[str, Handler] = {
    "bcb_sgs": _sgs,
    "fred": _fred,
    "yahoo": _yahoo,
    "tesouro_direto": _ckan_file,
    "stn": _stn,
    "bcb_ptax": _ptax,
    "bcb_focus": _focus,
    "ibge_sidra": _sidra,
    "cftc": _cftc,
    "ust_treasury": _treasury,
}
SHARED = {"bcb_fx_flow": "bcb_sgs", "alfred": "fred"}  # connectors served from another's bodies
ROUTES: dict[str, tuple[Handler, str]] = {
    name: (HANDLERS[folder], folder)
    for name, folder in [*((f, f) for f in HANDLERS), *SHARED.items()]
}
"""Connector name -> (the handler that speaks its source's API, the bodies' subfolder)."""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    bodies: Bodies
    root: str
    requests: list[str]


class _RequestHandler(BaseHTTPRequestHandler):
    server: _HTTPServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        source, _, rest = unquote(parts.path).lstrip("/").partition("/")
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        self.server.requests.append(f"{source} {rest}")
        route = ROUTES.get(source)
        try:
            if route is None:
                reply = Reply(404, f"replay: no source {source!r}", "text/plain")
            else:
                reply = route[0](self.server.bodies, route[1], rest, query, self.server.root)
        except (OSError, ValueError, KeyError, IndexError, TypeError) as err:
            reply = Reply(500, f"replay: stored body for {source} {rest} is unusable: {err}")
        data = reply.body.encode("utf-8")
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("replay: " + format, *args)


class ReplayServer:
    """The replay server over ``dirs`` (searched in order), running while in a ``with``."""

    def __init__(self, dirs: Sequence[str | Path]) -> None:
        if not dirs:
            raise ConnectorError("replay", "give at least one folder of recorded responses")
        self.bodies = Bodies(dirs)
        self._http: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` while running."""
        if self._http is None:
            raise ConnectorError("replay", "the replay server is not running")
        return self._http.root

    @property
    def requests(self) -> list[str]:
        """Every request served so far (``source path``), in order."""
        return list(self._http.requests) if self._http else []

    def __enter__(self) -> ReplayServer:
        http = _HTTPServer(("127.0.0.1", 0), _RequestHandler)
        http.bodies, http.requests = self.bodies, []
        http.root = f"http://127.0.0.1:{http.server_address[1]}"
        self._http = http
        self._thread = threading.Thread(target=http.serve_forever, name="replay", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        self._http = None

    def connector(self, name: str) -> Connector:
        """The ``name`` connector pointed at this server (same paths, no rate limit)."""
        return replay_connector(name, self.url)


def replay_connector(name: str, url: str) -> Connector:
    """The ``name`` connector with its base URL at ``url/<name>/<the source's path>``."""
    if name not in CONNECTORS:
        return connector(name)  # raises the error that lists the known sources
    cls = CONNECTORS[name]
    base = f"{url}/{name}/{urlsplit(cls.base_url).path.lstrip('/')}"
    key = REPLAY_KEY if issubclass(cls, FRED) else None
    return cls(base_url=base, min_interval=0.0, retry=REPLAY_RETRY, api_key=key)
