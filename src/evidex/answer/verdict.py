"""The verdict of a yes/no question and its evidence strength.

Rule (stated in docs/architecture.md): each relevant sentence of the selected evidence votes on the
claim the question tests with its stance score in [-1, 1] (answer/stance.py), weighted by its
source's evidence kind (guideline 3, systematic review 2.5, trial 2, observational 1.5, other
research 1, case report and narrative review 0.75, consumer information 0.5) and by how much of the
question it covers. The weighted mean decides: ≥ 0.2 → yes, ≤ -0.2 → no, otherwise uncertain; no
voting sentence at all → insufficient evidence.

Strength (GRADE-like): starts from the strongest kind that voted (guideline or systematic review →
high, trial → moderate, observational → low, anything else → very low) and drops one level when
the votes disagree (agreement below 0.75) and one more when fewer than two sources voted.
"""

from __future__ import annotations

from dataclasses import dataclass

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
YES_AT = 0.2
NO_AT = -0.2
_LEVELS = [Strength.HIGH, Strength.MODERATE, Strength.LOW, Strength.VERY_LOW]
_START = {
    EvidenceKind.GUIDELINE: 0,
    EvidenceKind.SYSTEMATIC_REVIEW: 0,
    EvidenceKind.RANDOMIZED_TRIAL: 1,
    EvidenceKind.OBSERVATIONAL_STUDY: 2,
}


@dataclass(frozen=True)
class Vote:
    """One sentence's stance on the claim."""

    score: float
    kind: EvidenceKind
    relevance: float
    document_id: str


def decide(votes: list[Vote]) -> tuple[Verdict, Strength | None, float]:
    """(verdict, strength, weighted mean stance) from the votes of the evidence."""
    counted = [vote for vote in votes if vote.score != 0]
    if not counted:
        return (
            (Verdict.INSUFFICIENT if not votes else Verdict.UNCERTAIN),
            (None if not votes else Strength.VERY_LOW),
            0.0,
        )
    weights = [KIND_WEIGHTS[vote.kind] * max(vote.relevance, 0.1) for vote in counted]
    mean = sum(w * vote.score for w, vote in zip(weights, counted, strict=True)) / sum(weights)
    verdict = Verdict.YES if mean >= YES_AT else Verdict.NO if mean <= NO_AT else Verdict.UNCERTAIN
    agreeing = sum(
        w for w, vote in zip(weights, counted, strict=True) if (vote.score > 0) == (mean > 0)
    ) / sum(weights)
    level = min(_START.get(vote.kind, 3) for vote in counted)
    if agreeing < 0.75:
        level += 1
    if len({vote.document_id for vote in counted}) < 2:
        level += 1
    return verdict, _LEVELS[min(level, 3)], mean
