"""The verdict of a yes/no question and its evidence strength.

Rule (stated in docs/architecture.md), in two steps:

1. **Is there evidence about the question at all?** Only evidence about the claim votes: the engine
   keeps the sentences of passages that name the question's subject, cover half its weighted terms,
   and either have a sentence that does both or hold every specific word of the question
   (AnswerEngine._votes); given contexts vote whole. No vote → *insufficient evidence*.
2. **Yes or no?** A logistic model reads four cues from the voting sentences, each averaged with
   the evidence-kind weights below: finding negations per sentence ("did not",
   "no significant difference", "failed to"), the share of sentences about the claim whose stance
   refutes it (answer/stance.py), "not significant" per sentence, and p-values above 0.05 per
   sentence. P(yes) ≥ 0.5 + UNCERTAIN_BAND → yes, ≤ 0.5 − UNCERTAIN_BAND → no, else uncertain. The
   weights are fitted on BioASQ yes/no questions with their gold snippets by
   bench/verdict_calibration.py; PubMedQA is held out. Why a fitted model: the hand-weighted mean of
   stance scores barely separated yes from no (PubMedQA 0.494, below always-"yes"), while these few
   cues, weighed by data, do better on both sets; no entailment model ships in a PyPI wheel here.

Strength (GRADE-like): starts from the strongest kind that voted (guideline or systematic review →
high, trial → moderate, observational → low, anything else → very low) and drops one level when
the votes disagree (agreement below 0.75) and one more when fewer than two sources voted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from evidex.answer.stance import signals, stance_score
from evidex.models import EvidenceKind, Strength, Verdict

KIND_WEIGHTS: dict[EvidenceKind, float] = {
    EvidenceKind.GUIDELINE: 3.0,
    EvidenceKind.SYSTEMATIC_REVIEW: 2.5,
    EvidenceKind.RANDOMIZED_TRIAL: 2.0,
    EvidenceKind.OBSERVATIONAL_STUDY: 1.5,
    EvidenceKind.OTHER: 1.0,
    EvidenceKind.CASE_REPORT: 0.75,
    EvidenceKind.NARRATIVE_REVIEW: 0.75,
    EvidenceKind.CONSUMER_INFORMATION: 0.5,
}

FEATURES = ("negations", "refuting share", "not significant", "p above 0.05")
# fitted by bench/verdict_calibration.py on BioASQ dev yes/no (gold snippets); paste its output here
WEIGHTS = (-1.5173, -3.0743, -4.5693, -3.0198)
BIAS = 1.3023
UNCERTAIN_BAND = 0.05
"""Half-width of the P(yes) band around 0.5 that reads as "uncertain" rather than a coin toss."""

_NOT_SIGNIFICANT = re.compile(r"\b(?:no|not|non-?)\s*(?:statistically\s+)?significant", re.I)
_HIGH_P = re.compile(r"\bp\s*(?:[>≥]\s*0?\.(?:0[5-9]|[1-9])|=\s*0?\.(?:[1-9]|0[6-9]))", re.I)

_LEVELS = [Strength.HIGH, Strength.MODERATE, Strength.LOW, Strength.VERY_LOW]
_START = {
    EvidenceKind.GUIDELINE: 0,
    EvidenceKind.SYSTEMATIC_REVIEW: 0,
    EvidenceKind.RANDOMIZED_TRIAL: 1,
    EvidenceKind.OBSERVATIONAL_STUDY: 2,
}


@dataclass(frozen=True)
class Vote:
    """One evidence sentence about the claim, with its stance score on it."""

    score: float
    kind: EvidenceKind
    relevance: float
    document_id: str
    text: str = ""


def vote(
    claim: str,
    sentence: str,
    kind: EvidenceKind = EvidenceKind.OTHER,
    relevance: float = 1.0,
    document_id: str = "",
) -> Vote:
    """The vote of `sentence` on `claim` (its stance score from answer/stance.py)."""
    return Vote(stance_score(claim, sentence), kind, relevance, document_id, sentence)


def features(claim: str, votes: list[Vote]) -> tuple[float, ...]:
    """The model's cues (see FEATURES), kind-weighted means over the voting sentences; zeros for none.

    The refuting share is taken against the claim with its own negation undone, so "Is X not
    effective?" reads the same evidence as "Is X effective?" (`p_yes` flips the result back).
    """
    if not votes:
        return (0.0,) * len(FEATURES)
    polarity = -1.0 if signals(claim).negated else 1.0
    total = negations = not_significant = high_p = 0.0
    about = refuting = 0.0
    for item in votes:
        weight = KIND_WEIGHTS[item.kind]
        total += weight
        negations += weight * signals(item.text, evidence=True).negations
        not_significant += weight * len(_NOT_SIGNIFICANT.findall(item.text))
        high_p += weight * len(_HIGH_P.findall(item.text))
        if item.score:
            about += weight
            refuting += weight * (polarity * item.score < 0)
    return (negations / total, refuting / about if about else 0.0, not_significant / total, high_p / total)


def probability(values: tuple[float, ...]) -> float:
    """P(yes) of the fitted logistic for feature values (in FEATURES order)."""
    z = BIAS + sum(w * v for w, v in zip(WEIGHTS, values, strict=True))
    return 1.0 / (1.0 + math.exp(-z))


def p_yes(claim: str, votes: list[Vote]) -> float:
    """P(the answer to the claim's question is yes) from the sentences that voted."""
    value = probability(features(claim, votes))
    return 1.0 - value if signals(claim).negated else value


def label(probability_yes: float) -> Verdict:
    """yes / no / uncertain from P(yes) and the uncertain band."""
    if probability_yes >= 0.5 + UNCERTAIN_BAND:
        return Verdict.YES
    if probability_yes <= 0.5 - UNCERTAIN_BAND:
        return Verdict.NO
    return Verdict.UNCERTAIN


def strength(votes: list[Vote]) -> Strength:
    """GRADE-like strength of the votes that took a side (very low when none did)."""
    counted = [vote for vote in votes if vote.score != 0]
    if not counted:
        return Strength.VERY_LOW
    weights = [KIND_WEIGHTS[vote.kind] * max(vote.relevance, 0.1) for vote in counted]
    mean = sum(w * vote.score for w, vote in zip(weights, counted, strict=True)) / sum(weights)
    agreeing = sum(
        w for w, vote in zip(weights, counted, strict=True) if (vote.score > 0) == (mean > 0)
    ) / sum(weights)
    level = min(_START.get(vote.kind, 3) for vote in counted)
    if agreeing < 0.75:
        level += 1
    if len({vote.document_id for vote in counted}) < 2:
        level += 1
    return _LEVELS[min(level, 3)]


def decide(votes: list[Vote], claim: str) -> tuple[Verdict, Strength | None, float]:
    """(verdict, strength, P(yes)) from the votes of the evidence on the claim.

    No vote → insufficient evidence (P(yes) 0.5, no strength): nothing speaks to the question.
    """
    if not votes:
        return Verdict.INSUFFICIENT, None, 0.5
    probability_yes = p_yes(claim, votes)
    return label(probability_yes), strength(votes), probability_yes
