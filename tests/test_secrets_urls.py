"""Issue 28 item 6: one home for URL redaction (``_secrets.safe_url`` for database URLs,
``_secrets.public_url`` for secret query parameters); expected strings written by hand."""

from __future__ import annotations

import httpx
import pytest

from research_core._secrets import public_url, safe_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql://fund:s3cret@db.example:5432/pms",
            "postgresql://fund:***@db.example:5432/pms",
        ),
        ("postgresql+psycopg://u@127.0.0.1:1/x", "postgresql+psycopg://u@127.0.0.1:1/x"),
        ("sqlite:///data/pms.db", "sqlite:///data/pms.db"),
        ("not a url", "<unparseable URL>"),
    ],
)
def test_a_database_url_is_shown_without_its_password(url: str, shown: str) -> None:
    assert safe_url(url) == shown


def test_every_secret_named_query_parameter_is_masked() -> None:
    url = httpx.URL("https://api.example/v1", params={"access_token": "abcd1234", "q": "1"})
    assert public_url(url) == "https://api.example/v1?access_token=***&q=1"
    assert public_url("https://x.org/a?api_key=SECRET&b=1") == "https://x.org/a?api_key=***&b=1"
    assert public_url("https://x.org/a?b=1") == "https://x.org/a?b=1"
