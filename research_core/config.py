"""Settings read from the environment (prefix ``WORKBENCH_``) with repository-relative defaults."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_CAPITAL = 1e9  # BRL: the fund's capital (NAV) when neither the PMS nor a caller gives one


class Settings(BaseSettings):
    """Paths, database URLs, time zone and API keys.

    Every field can be set as ``WORKBENCH_<FIELD>`` (e.g. ``WORKBENCH_LAKE_PATH``).
    Relative paths resolve against the current working directory (the repository root
    when you follow the README). The audit key (``WORKBENCH_AUDIT_KEY``, or a key file
    ``WORKBENCH_AUDIT_KEY_FILE`` that ``workbench audit rotate-key`` keeps) signs audit rows
    and anchors; anchors go to ``WORKBENCH_AUDIT_ANCHORS_PATH`` (default: beside a SQLite
    file, ``<db file>.anchors/``).
    """

    model_config = SettingsConfigDict(env_prefix="WORKBENCH_", extra="ignore")

    lake_path: Path = Path("parquet_lake")
    runs_path: Path = Path("runs")
    workspace: Path | None = None  # results that are not lake data; default <lake>_workspace
    timezone: str = "America/Sao_Paulo"
    db_url: str = "sqlite:///workbench.db"
    limits_path: Path | None = None  # default: limits.yaml beside the SQLite database
    timescale_url: SecretStr | None = None
    sample_start: str = "2005-01-01"
    sample_end: str = "2026-10-30"
    sample_seed: int = 20050101
    fred_api_key: SecretStr | None = None
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    anthropic_model: str = "claude-sonnet-4-5"
    anthropic_timeout_s: float = 60.0
    anthropic_max_retries: int = 2
    narrative_locale: str = "en"
    audit_key: SecretStr | None = None
    audit_key_file: Path | None = None
    audit_anchors_path: Path | None = None

    @field_validator("db_url")
    @classmethod
    def _absolute_sqlite(cls, url: str) -> str:
        return absolute_sqlite(url)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown IANA time zone {name!r} (e.g. America/Sao_Paulo)") from err
        return name


def absolute_sqlite(url: str) -> str:
    """``url`` with a relative SQLite file made absolute against the working directory:
    pipeline notebooks and page kernels run in other folders, and must open the same
    database as the command that started them."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url.startswith(prefix + "/"):
        return url
    path, _, query = url[len(prefix) :].partition("?")
    if not path or path == ":memory:":
        return url
    return prefix + str(Path(path).resolve()) + (f"?{query}" if query else "")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once from the environment)."""
    return Settings()
