"""Tone: hand-worked phrases, negation, masking, English via the vendored cbtone lexicon.

Expected values are worked by hand from the rules in ``research_core/tone/lexicon.yaml``
and the score formula ``(h - d) / (h + d + 1 + 0.5 * sentences)`` (cbtone ``dict-v1``).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from research_core.errors import ToneError
from research_core.tone import mask_decision, sentences, tone


def test_noun_times_direction_by_hand():
    # one sentence, one hawkish pair (inflação x elevada): (1 - 0) / (1 + 0 + 1 + 0.5) = 0.4
    r = tone("A inflação permanece elevada.")
    assert r.score == pytest.approx(0.4)
    assert r.to_frame()["phrase"].tolist() == ["inflação permanece elevada"]
    assert tone("As expectativas de inflação recuaram.").score == pytest.approx(-0.4)
    # slack reverses the sign: more idleness is dovish
    assert tone("A economia opera com alto nível de ociosidade.").score < 0


def test_negation_flips_and_guidance_weighs_more():
    r = tone("A inflação não acelerou.")
    assert r.score == pytest.approx(-0.4) and r.drivers[0].negated
    # a forward-guidance sentence weighs 1.5: 1.5 / (1.5 + 1.5) = 0.5
    r = tone("Nas próximas reuniões, a inflação elevada exigirá atenção.")
    assert r.score == pytest.approx(0.5)


def test_balance_of_risks_and_pause_rules():
    assert tone("O balanço de riscos segue assimétrico, com riscos de alta.").score > 0
    assert tone("Há riscos de baixa para a inflação.").score < 0
    # stopping an easing cycle is hawkish: down x easing = (-1) x (-1)
    assert tone("O Comitê sinaliza a interrupção do ciclo de flexibilização.").score > 0


def test_decision_sentence_is_masked_and_label_cannot_leak():
    text = (
        "O Copom decidiu, por unanimidade, elevar a taxa Selic para 10,75% a.a., sem viés. "
        "Votaram por essa decisão os seguintes membros do Comitê: A, B e C."
    )
    r = tone(text)
    assert r.sentences == () and len(r.masked) == 2 and r.score == 0.0
    kept, masked = mask_decision(sentences("A atividade segue fraca. " + text), "pt")
    assert kept == ["A atividade segue fraca."] and len(masked) == 2


def test_english_uses_the_vendored_lexicon_with_masking():
    text = (
        "The Committee decided to raise the target range for the federal funds rate to "
        "5-1/4 to 5-1/2 percent. Rising inflation remains a concern."
    )
    r = tone(text, "en")
    assert len(r.masked) == 1 and "raise the target range" not in " ".join(r.sentences)
    assert r.score > 0 and r.drivers[0].group == "hawkdove:hawkish"
    assert tone("Inflation has moderated and growth has slowed; lower inflation.", "en").score < 0


def test_score_bounds_and_bad_input():
    long = " ".join(["A inflação acelerou e a demanda cresceu forte."] * 50)
    assert 0 < tone(long).score <= 1
    with pytest.raises(ToneError, match="language"):
        tone("x", "fr")  # type: ignore[arg-type]


WORDS = [
    "inflação",
    "elevada",
    "recuou",
    "não",
    "ociosidade",
    "alta",
    "juros",
    "redução",
    "flexibilização",
    "Selic",
    "a",
    ".",
    ";",
    "riscos de alta",
    "próximas reuniões",
]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=60))
def test_score_is_bounded_and_drivers_add_up(words):
    r = tone(" ".join(words))
    assert -1 < r.score < 1
    n = 1 + 0.5 * len(r.sentences)
    assert r.score == pytest.approx((r.hawkish - r.dovish) / (r.hawkish + r.dovish + n))


def test_english_matcher_stems_fillers_longest_match_and_negation():
    """Hand-worked against the rows of ``tone/data/hawkdove_v1.csv`` (cbtone's dict-v1 rules):
    "raise rate" (hawkish, 1.0) matches "raised the policy rate" (stems raise/rate, two
    fillers between); "raising the key interest rate" has three fillers, one too many; the
    longer "raise the target range" wins over "raise rate"; "not" four tokens before a
    phrase flips it and the span starts at the negator."""
    from research_core.tone.english import find_hits, stem

    assert [stem(w) for w in ("raised", "raising", "raises", "rates", "policies")] == [
        "rais",
        "rais",
        "rais",
        "rat",
        "policy",
    ]
    (hit,) = find_hits("The bank raised the policy rate.")
    assert (hit.span, hit.polarity, hit.weight, hit.negated) == (
        "raised the policy rate",
        "hawkish",
        1.0,
        False,
    )
    assert find_hits("The bank is raising the key interest rate") == []
    (hit,) = find_hits("We decided to raise the target range today")
    assert hit.span == "raise the target range"
    (hit,) = find_hits("we do not now see a hike")
    assert (hit.span, hit.polarity, hit.negated) == ("not now see a hike", "dovish", True)
    (hit,) = find_hits("not one two three four five hike")  # negator six tokens back
    assert not hit.negated and hit.polarity == "hawkish"
