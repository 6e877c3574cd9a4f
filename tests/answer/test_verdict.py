"""The yes/no verdict model: its cues, decision and strength, and that its weights are the fitted ones."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evidex.answer import verdict
from evidex.answer.verdict import Vote, decide, features, p_yes, strength, vote
from evidex.models import EvidenceKind, Strength, Verdict

REPO = Path(__file__).resolve().parents[2]
CLAIM = "Aspirin reduces headache pain in adults."
SUPPORTING = [
    vote(CLAIM, "We enrolled 200 adults with tension headache."),
    vote(CLAIM, "Aspirin significantly reduced headache pain in adults compared with placebo (p < 0.01)."),
]
REFUTING = [
    vote(CLAIM, "We enrolled 200 adults with tension headache."),
    vote(
        CLAIM,
        "Aspirin did not reduce headache pain in adults; the difference was not significant (p = 0.40).",
    ),
]


def test_features_count_the_cues_per_sentence() -> None:
    assert features(CLAIM, SUPPORTING) == (0.0, 0.0, 0.0, 0.0)
    negations, refuting, not_significant, high_p = features(CLAIM, REFUTING)
    assert negations == pytest.approx(1.0)  # "did not" and "not significant", over two sentences
    assert refuting == pytest.approx(0.5)  # both sentences share the claim's terms; one refutes it
    assert not_significant == pytest.approx(0.5)
    assert high_p == pytest.approx(0.5)  # p = 0.40
    assert features(CLAIM, []) == (0.0, 0.0, 0.0, 0.0)


def test_features_weigh_sentences_by_evidence_kind() -> None:
    mixed = [
        vote(CLAIM, "Aspirin reduced headache pain in adults.", EvidenceKind.GUIDELINE),
        vote(CLAIM, "Aspirin did not reduce headache pain in adults.", EvidenceKind.CONSUMER_INFORMATION),
    ]
    negations, refuting, _, _ = features(CLAIM, mixed)
    assert negations == pytest.approx(0.5 / 3.5)  # weights 3 and 0.5
    assert refuting == pytest.approx(0.5 / 3.5)


def test_the_decision_follows_the_evidence() -> None:
    assert p_yes(CLAIM, SUPPORTING) > 0.5 + verdict.UNCERTAIN_BAND
    assert p_yes(CLAIM, REFUTING) < 0.5 - verdict.UNCERTAIN_BAND
    assert decide(SUPPORTING, CLAIM)[0] is Verdict.YES
    assert decide(REFUTING, CLAIM)[0] is Verdict.NO
    assert decide([], CLAIM) == (Verdict.INSUFFICIENT, None, 0.5)


def test_a_negated_question_reads_the_same_evidence_the_other_way() -> None:
    negated = "Aspirin does not reduce headache pain in adults."
    supporting = [vote(negated, item.text) for item in SUPPORTING]
    refuting = [vote(negated, item.text) for item in REFUTING]
    assert p_yes(negated, supporting) == pytest.approx(1 - p_yes(CLAIM, SUPPORTING))
    assert p_yes(negated, refuting) > 0.5 + verdict.UNCERTAIN_BAND
    assert decide(refuting, negated)[0] is Verdict.YES


def test_the_uncertain_band() -> None:
    assert verdict.label(0.5) is Verdict.UNCERTAIN
    assert verdict.label(0.5 + verdict.UNCERTAIN_BAND) is Verdict.YES
    assert verdict.label(0.5 - verdict.UNCERTAIN_BAND) is Verdict.NO


def test_strength_from_kinds_agreement_and_sources() -> None:
    guideline = Vote(0.9, EvidenceKind.GUIDELINE, 1.0, "g")
    trial = Vote(0.7, EvidenceKind.RANDOMIZED_TRIAL, 1.0, "t")
    assert strength([guideline, trial]) is Strength.HIGH
    assert strength([guideline]) is Strength.MODERATE  # one source only
    assert strength([trial, Vote(-0.7, EvidenceKind.RANDOMIZED_TRIAL, 1.0, "u")]) is Strength.LOW  # split
    assert strength([Vote(0.0, EvidenceKind.GUIDELINE, 1.0, "g")]) is Strength.VERY_LOW  # nobody took a side


@pytest.mark.slow
def test_shipped_weights_are_the_fitted_ones(data_dir: Path) -> None:
    """bench/verdict_calibration.py on the real BioASQ and PubMedQA files reproduces the constants."""
    command = [sys.executable, "bench/verdict_calibration.py", "--data-dir", str(data_dir), "--json"]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO, timeout=300)
    fitted = json.loads(done.stdout)
    assert fitted["features"] == list(verdict.FEATURES)
    assert fitted["weights"] == pytest.approx(list(verdict.WEIGHTS), abs=2e-3)
    assert fitted["bias"] == pytest.approx(verdict.BIAS, abs=2e-3)
    assert fitted["bioasq"]["questions"] == 292
    assert fitted["bioasq"]["cross_validated_accuracy"] > fitted["bioasq"]["always_yes"] + 0.1
    held_out = fitted["pubmedqa_held_out"]
    assert held_out["questions"] == 500
    assert held_out["accuracy"] == pytest.approx(0.564)  # what `evidex eval qa --mode contexts` reports
    assert held_out["accuracy"] > held_out["always_yes"]
