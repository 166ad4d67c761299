"""BCB Olinda OData services: PTAX exchange rates and Focus market expectations.

Both answer ``{"@odata.context": ..., "value": [...]}`` with JSON numbers. PTAX carries its
own publication instant (``dataHoraCotacao``, Brasília time), which becomes the release
time. Focus rows carry the survey date (``Data``), the reference period
(``DataReferencia``) and one column per statistic; a catalog code
``Entity|Indicator|Reference|Statistic`` picks one survey series, where the reference is
``CY``/``NY`` (relative to the survey year) or a fixed year such as ``2027``, so the lake
can answer "what did the market expect on date D for 2027 IPCA". For the monthly entity
(``ExpectativaMercadoMensais``, reference ``MM/YYYY``) the reference ``NEXT`` keeps, per
survey day, the month the target series' release rule says is not yet published: the
consensus for the next print (the surprise of :mod:`research_core.events`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd

from research_core.catalog import SeriesSpec, series
from research_core.connectors.base import Connector, date_windows

_ODATA = "https://olinda.bcb.gov.br/olinda/servico/"
_PTAX = "PTAX/versao/v1/odata/"
_PTAX_ARGS = "dataInicial=@dataInicial,dataFinalCotacao=@dataFinalCotacao"
FOCUS_NEXT_TARGETS = {"IPCA": "BR.IPCA.MOM"}  # monthly indicator -> the series it forecasts
FOCUS_STATISTICS = ("Media", "Mediana", "DesvioPadrao", "Minimo", "Maximo", "numeroRespondentes")


class _OData(Connector):
    """Shared OData paging: ``$top``/``$skip`` until a short page."""

    base_url: ClassVar[str] = _ODATA
    min_interval: ClassVar[float] = 0.25
    page_size: ClassVar[int] = 5_000

    def values(self, path: str, params: dict[str, Any], *, series: str) -> list[dict[str, Any]]:
        """Every record of an OData query, page by page."""

        def page(offset: int, size: int) -> list[dict[str, Any]]:
            body = self.get_json(
                path, {**params, "$top": size, "$skip": offset, "$format": "json"}, series=series
            )
            if not isinstance(body, dict) or "value" not in body:
                raise self.error(f"OData answer lacks 'value': {str(body)[:160]}", series=series)
            records = body["value"]
            if not isinstance(records, list):
                raise self.error("OData 'value' is not a list", series=series)
            return records

        return list(self.paginate(page, self.page_size))


class PTAX(_OData):
    """Closing PTAX from ``CotacaoDolarPeriodo`` (or ``CotacaoMoedaPeriodo`` for other currencies).

    Codes: ``CotacaoDolarPeriodo|cotacaoVenda|Fechamento`` or
    ``CotacaoMoedaPeriodo:EUR|cotacaoVenda|Fechamento``. The release time is the bulletin's
    own ``dataHoraCotacao``.
    """

    name: ClassVar[str] = "bcb_ptax"
    default_start: ClassVar[str] = "1999-01-01"

    def _fetch(
        self, spec: SeriesSpec, lo: pd.Timestamp, hi: pd.Timestamp, released_since: Any
    ) -> pd.DataFrame:
        parts = spec.code.split("|")
        if len(parts) != 3:
            raise self.error(
                f"PTAX code must be 'Entity|field|bulletin', got {spec.code!r}", series=spec.id
            )
        entity, field, bulletin = parts
        records: list[dict[str, Any]] = []
        for a, b in date_windows(lo, hi, 5):
            dates = {"@dataInicial": f"'{a:%m-%d-%Y}'", "@dataFinalCotacao": f"'{b:%m-%d-%Y}'"}
            if entity.startswith("CotacaoMoedaPeriodo:"):
                path = f"{_PTAX}CotacaoMoedaPeriodo(moeda=@moeda,{_PTAX_ARGS})"
                dates["@moeda"] = f"'{entity.split(':', 1)[1]}'"
            elif entity == "CotacaoDolarPeriodo":
                path = f"{_PTAX}CotacaoDolarPeriodo({_PTAX_ARGS})"
            else:
                raise self.error(f"unknown PTAX entity {entity!r}", series=spec.id)
            records.extend(self.values(path, dates, series=spec.id))
        return self.parse(spec, records, field=field, bulletin=bulletin)

    def parse(
        self, spec: SeriesSpec, records: list[dict[str, Any]], *, field: str, bulletin: str
    ) -> pd.DataFrame:
        """Rows from PTAX records: one per day, the chosen bulletin, released when quoted."""
        if not records:
            return self.rows(spec, [], [], release_time=[])
        self.require(records[0], (field, "dataHoraCotacao"), series=spec.id)
        frame = pd.DataFrame.from_records(records)
        if "tipoBoletim" in frame:
            frame = frame.loc[frame["tipoBoletim"] == bulletin]
        stamp = pd.to_datetime(
            frame["dataHoraCotacao"].astype(str), format="ISO8601", errors="coerce"
        )
        if stamp.isna().any():
            raise self.error(
                f"unreadable dataHoraCotacao {frame.loc[stamp.isna(), 'dataHoraCotacao'].head(3)}",
                series=spec.id,
            )
        released = pd.DatetimeIndex(stamp).tz_localize("America/Sao_Paulo").tz_convert("UTC")
        values = self.numbers(frame[field], series=spec.id)
        out = self.rows(spec, pd.DatetimeIndex(stamp).normalize(), values, release_time=released)
        # One closing quote per day: the last bulletin published that day wins.
        return out.drop_duplicates("obs_date", keep="last").reset_index(drop=True)


class Focus(_OData):
    """BCB Focus survey statistics as weekly series dated by the week's last survey day."""

    name: ClassVar[str] = "bcb_focus"
    default_start: ClassVar[str] = "2001-11-01"

    def _fetch(
        self, spec: SeriesSpec, lo: pd.Timestamp, hi: pd.Timestamp, released_since: Any
    ) -> pd.DataFrame:
        entity, indicator, _, _ = self.parse_code(spec)
        flt = f"Indicador eq '{indicator}' and Data ge '{lo:%Y-%m-%d}' and Data le '{hi:%Y-%m-%d}'"
        records = self.values(
            f"Expectativas/versao/v1/odata/{entity}",
            {"$filter": flt, "$orderby": "Data asc"},
            series=spec.id,
        )
        return self.parse(spec, records)

    def parse_code(self, spec: SeriesSpec) -> tuple[str, str, str, str]:
        """(entity, indicator, reference, statistic) from the catalog code."""
        parts = spec.code.split("|")
        if len(parts) == 3:
            parts = [parts[0], parts[1], "", parts[2]]
        if len(parts) != 4 or parts[3] not in FOCUS_STATISTICS:
            raise self.error(
                f"Focus code must be 'Entity|Indicator|[Reference|]Statistic' with a statistic "
                f"in {FOCUS_STATISTICS}, got {spec.code!r}",
                series=spec.id,
            )
        return parts[0], parts[1], parts[2], parts[3]

    def table(self, records: list[dict[str, Any]], *, series: str) -> pd.DataFrame:
        """The survey as a long table (all respondents): survey_date, reference, statistics."""
        frame = pd.DataFrame.from_records(records)
        self.require(records[0], ("Indicador", "Data"), series=series)
        if "baseCalculo" in frame:
            frame = frame.loc[pd.to_numeric(frame["baseCalculo"], errors="coerce") == 0]
        if "Suavizada" in frame:
            frame = frame.loc[frame["Suavizada"] == "S"]
        frame = frame.assign(survey_date=self.dates(frame["Data"], "%Y-%m-%d", series=series))
        return frame.reset_index(drop=True)

    def parse(self, spec: SeriesSpec, records: list[dict[str, Any]]) -> pd.DataFrame:
        """Weekly rows (last survey day of each week) for the code's reference and statistic."""
        _, _, reference, statistic = self.parse_code(spec)
        if not records:
            return self.rows(spec, [], [])
        frame = self.table(records, series=spec.id)
        self.require(records[0], (statistic,), series=spec.id)
        if reference == "NEXT":
            frame = self._next_month(spec, frame)
        elif reference:
            self.require(records[0], ("DataReferencia",), series=spec.id)
            ref_year = pd.to_numeric(frame["DataReferencia"].astype(str).str[-4:], errors="coerce")
            year = frame["survey_date"].dt.year
            wanted = {"CY": year, "NY": year + 1}.get(reference)
            if wanted is None:
                if not reference.isdigit():
                    raise self.error(
                        f"Focus reference must be CY, NY or a year, got {reference!r}",
                        series=spec.id,
                    )
                wanted = pd.Series(int(reference), index=frame.index)
            frame = frame.loc[ref_year == wanted]
        frame = frame.assign(value=self.numbers(frame[statistic], series=spec.id))
        frame = frame.dropna(subset=["value"]).sort_values("survey_date")
        week = frame["survey_date"].dt.to_period("W-FRI")
        weekly = frame.groupby(week, sort=True).tail(1)
        return self.rows(spec, weekly["survey_date"], weekly["value"])

    def _next_month(self, spec: SeriesSpec, frame: pd.DataFrame) -> pd.DataFrame:
        """Rows whose reference month is the target's next unreleased one at survey end."""
        indicator = self.parse_code(spec)[1]
        if indicator not in FOCUS_NEXT_TARGETS:
            raise self.error(
                f"Focus reference NEXT needs a monthly indicator in "
                f"{sorted(FOCUS_NEXT_TARGETS)}, got {indicator!r}",
                series=spec.id,
            )
        if "DataReferencia" not in frame:
            raise self.error("Focus monthly rows lack DataReferencia", series=spec.id)
        ref = pd.to_datetime(frame["DataReferencia"].astype(str), format="%m/%Y", errors="coerce")
        survey_end = pd.DatetimeIndex(frame["survey_date"] + pd.Timedelta(days=1))
        target = series(FOCUS_NEXT_TARGETS[indicator]).pending_periods(
            survey_end.tz_localize("America/Sao_Paulo")
        )
        return frame.loc[ref.to_numpy() == target.to_numpy()]
