"""Rule-based stance: negation, null results and direction words, neutral when off-topic."""

from __future__ import annotations

import pytest

from evidex.answer.stance import stance, stance_score
from evidex.models import Stance

CASES = [
    (
        "Metformin reduces HbA1c in type 2 diabetes.",
        "Metformin significantly reduced HbA1c in patients with type 2 diabetes.",
        Stance.SUPPORTS,
    ),
    (
        "Metformin reduces HbA1c in type 2 diabetes.",
        "Metformin did not reduce HbA1c in patients with type 2 diabetes.",
        Stance.REFUTES,
    ),
    (
        "Metformin reduces HbA1c in type 2 diabetes.",
        "HbA1c increased in patients with type 2 diabetes given metformin.",
        Stance.REFUTES,
    ),
    (
        "Vitamin D supplementation lowers fracture risk.",
        "There was no significant difference in fracture risk with vitamin D supplementation.",
        Stance.REFUTES,
    ),
    (
        "Vitamin D supplementation does not lower fracture risk.",
        "Fracture risk was similar with vitamin D supplementation and placebo.",
        Stance.SUPPORTS,
    ),
    (
        # two cues in one finding reinforce each other; they do not cancel out
        "Metformin reduces HbA1c in type 2 diabetes.",
        "Metformin did not reduce HbA1c in type 2 diabetes; the difference was not significant.",
        Stance.REFUTES,
    ),
    (
        "Exercise improves depressive symptoms.",
        "Exercise worsened depressive symptoms in older adults.",
        Stance.REFUTES,
    ),
    (
        "Smoking is positively associated with lung cancer.",
        "Smoking was positively associated with lung cancer incidence.",
        Stance.SUPPORTS,
    ),
    (
        "Metformin reduces HbA1c in type 2 diabetes.",
        "The hospital car park was resurfaced in June.",
        Stance.NEUTRAL,
    ),
]


@pytest.mark.parametrize(("claim", "sentence", "expected"), CASES)
def test_stance(claim: str, sentence: str, expected: Stance) -> None:
    assert stance(claim, sentence) is expected


@pytest.mark.parametrize(("claim", "sentence", "expected"), CASES)
def test_stance_score_agrees_in_sign(claim: str, sentence: str, expected: Stance) -> None:
    score = stance_score(claim, sentence)
    assert -1.0 <= score <= 1.0
    sign = {Stance.SUPPORTS: 1, Stance.REFUTES: -1, Stance.NEUTRAL: 0}[expected]
    assert (score > 0) - (score < 0) == sign
