"""Test strategies kept by the store as research_core's are."""

from __future__ import annotations

import pytest

from research_core.signals import sources


def keep_module_of(cls: type, monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the store keep the outcomes of strategies defined in ``cls``'s top-level package
    (only research_core's code is in the store's digest; a test lake lives for one test)."""
    here = cls.__module__.split(".")[0]
    monkeypatch.setattr(sources, "STORED_PACKAGES", (*sources.STORED_PACKAGES, here))
