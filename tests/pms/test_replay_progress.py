"""A replay from the Decision Journal page says each step as it starts (issue 29 item 4:
progress on every wait over 2 s; a book rebuild takes seconds), with the button disabled
until it is done, and the step on the button itself: in Chromium at 1366×768 the message
below a journal of a dozen decisions was out of view for the whole wait."""

from __future__ import annotations

from research_core.pms import PMS
from research_core.viz.pms_pages import journal_view


def test_the_journal_page_shows_each_replay_step_as_it_starts(pms: PMS) -> None:
    pid = pms.submit("IBOV.FUT", "buy", 1e8, as_of="2026-10-01", actor="alice")
    delta_var = float(pms.proposal(pid)["impact"]["delta_var"])  # a fraction of NAV
    decision = int(pms.journal().index[0])
    view = journal_view(pms)
    rid, button = view.children[3].children
    result = view.children[4]
    shown: list[str] = []
    disabled: list[bool] = []
    labels: list[str] = []
    result.observe(lambda change: shown.append(change["new"]), names="value")
    button.observe(lambda change: disabled.append(change["new"]), names="disabled")
    button.observe(lambda change: labels.append(change["new"]), names="description")
    rid.value = str(decision)
    button.click()
    steps = [
        f"decision {decision}, step 1 of 3: reading the decision…",
        f"decision {decision}, step 2 of 3: rebuilding the proposal…",
        f"decision {decision}, step 3 of 3: pricing its risk…",
    ]
    assert len(shown) == 4
    for text, step in zip(shown, steps, strict=False):
        assert "Replaying:" in text and step in text
    assert "Replay:" in shown[-1] and "IDENTICAL" in shown[-1]
    # with units, not bare fractions: BRL 1e8 = 100.0 mn; ΔVaR by hand in % of NAV
    assert "IBOV.FUT buy BRL 100.0 mn" in shown[-1]
    assert f"ΔVaR +{100 * delta_var:.2f}% of NAV" in shown[-1]
    assert disabled == [True, False]  # no second click while it works
    # the step on the button as well (the message sits below the journal, out of view)
    assert labels == ["Replaying 1/3…", "Replaying 2/3…", "Replaying 3/3…", "Replay"]
