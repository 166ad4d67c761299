"""One error root and one warning root; subclasses say what went wrong and how to fix it."""

from __future__ import annotations


class WorkbenchError(Exception):
    """Root of every error raised by research_core."""


class WorkbenchWarning(UserWarning):
    """Root of every warning issued by research_core."""


class CalendarError(WorkbenchError, ValueError):
    """A date outside the range the business-day calendars cover."""


class CatalogError(WorkbenchError, KeyError):
    """A series or instrument id is unknown, or a catalog entry is malformed."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class LakeError(WorkbenchError):
    """The lake cannot be opened or is inconsistent (run ``workbench lake check``)."""


class LakeWriteError(LakeError, ValueError):
    """Rows were rejected by validation; nothing was written.

    ``rows`` holds the offending rows with a ``reason`` column.
    """

    def __init__(self, message: str, rows: object = None) -> None:
        super().__init__(message)
        self.rows = rows


class AsOfError(WorkbenchError, ValueError):
    """An as-of moment could not be understood."""


class ImportMappingError(WorkbenchError, ValueError):
    """A TimescaleDB/COPY-export mapping does not match the source table."""


class ConnectorError(WorkbenchError):
    """A public source could not be fetched or its answer could not be parsed.

    The message names the source, the series (when known) and what was wrong; it never
    contains an API key. ``status`` is the HTTP status when there was one.
    """

    def __init__(
        self, source: str, message: str, *, series: str | None = None, status: int | None = None
    ) -> None:
        where = f"{source} [{series}]" if series else source
        super().__init__(f"{where}: {message}")
        self.source = source
        self.series = series
        self.status = status


class ModelError(WorkbenchError, ValueError):
    """A model cannot be fit on its input (NaN/inf, constant regressor, wrong shape)."""


class InsufficientDataError(ModelError):
    """Too few observations for the model; the message says how many it has and needs."""


class AgentDataError(WorkbenchError):
    """An agent's required series has no data known at the as-of date (names the series)."""


class BacktestError(WorkbenchError, ValueError):
    """A backtest cannot run as asked (bad weights, shapes, dates or instruments)."""


class LookAheadError(BacktestError):
    """Code asked a point-in-time view for data after its as-of instant."""


class StrategyConfigError(WorkbenchError, ValueError):
    """A strategy name or parameter in a configuration is unknown or invalid."""


class RiskError(WorkbenchError, ValueError):
    """Risk cannot be measured on this input (empty book, unknown instrument, NaN returns,
    a covariance that is not positive semi-definite); the message names what was wrong."""


class PortfolioError(WorkbenchError, ValueError):
    """A portfolio cannot be built as asked (no signals, infeasible constraints, bad method)."""


class ArtifactError(WorkbenchError):
    """An output file or folder cannot be written where asked (it is not one the program
    wrote, or it is a link or a folder); nothing was changed — choose another path."""


class SignalError(WorkbenchError, ValueError):
    """A signal is malformed (direction, confidence, horizon) or a set of signals cannot be
    aggregated (none tradable, non-finite strength, bad freshness); the message says which."""


class PriceHistoryError(WorkbenchError, ValueError):
    """An instrument has no usable price history for its P&L at this date (no quotes, no
    sessions in the window, an unknown quote convention); the message names it."""


class PMSError(WorkbenchError):
    """The PMS refused a request; nothing was written (the audit chain is unchanged)."""


class DatabaseURLError(PMSError, ValueError):
    """``WORKBENCH_DB_URL`` is malformed or names an unsupported database (sqlite, postgresql)."""


class TradeInputError(PMSError, ValueError):
    """A trade or proposal input is invalid (instrument, size, price, date); names which."""


class TransitionError(PMSError):
    """A proposal cannot move from its state by this event (see ``pms.workflow.TRANSITIONS``)."""


class ConcurrentDecisionError(TransitionError):
    """Someone else decided the proposal first; the message says who and what."""


class FourEyesError(PMSError):
    """Four-eyes is configured and the approver is the proposer."""


class LimitBreachError(PMSError):
    """Approving would breach a hard limit: it needs an override (a written reason and a
    second, different approver); the message names the limits and the values."""


class ControlError(PMSError):
    """A control change (four-eyes, limits) was refused: unknown request, not pending, the
    requester approving it, or the controls changed since it was requested."""


class IdentityError(PMSError, ValueError):
    """A user name (or idempotency key) is empty, too long or holds control characters."""


class StaleQuoteError(TradeInputError):
    """A mark would use quotes older than the mark date allows (``--stale-ok`` to accept)."""


class DuplicateSubmissionError(PMSError):
    """The same submission (idempotency key, pending proposal, briefing) already exists."""


class AuditError(PMSError):
    """The audit chain does not verify; the message names the first bad row."""


class LimitsError(WorkbenchError, ValueError):
    """The fund's limits file (``limits.yaml``) or a limit change is invalid (unknown limit,
    a cap that is not a positive finite number), or the file differs from the audited
    version; the message names the file and the limit."""


class LimitWarning(WorkbenchWarning):
    """A soft limit is breached (or a hard one is approved with an override)."""


class StaleQuoteWarning(WorkbenchWarning):
    """A mark was taken on stale quotes because the caller accepted them (``--stale-ok``)."""


class AuditWarning(WorkbenchWarning):
    """A write committed but its audit anchor could not be written (``audit verify`` will
    name the rows after the newest anchor; ``workbench audit anchor`` writes one)."""


class ToneError(WorkbenchError, ValueError):
    """Text cannot be scored for tone (unknown language, malformed lexicon, empty document)."""


class HealthError(WorkbenchError, ValueError):
    """Strategy health cannot be assessed from these inputs (too few returns, NaN, a zero
    volatility, mismatched dates); the message names the input and what was expected."""
