"""Combining ranked lists: reciprocal rank fusion and min–max normalised score fusion."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]], weights: Sequence[float], k: int = 60
) -> dict[int, float]:
    """RRF (Cormack et al. 2009): Σ weight / (k + rank); robust to incomparable score scales."""
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


def min_max(scores: Mapping[int, float]) -> dict[int, float]:
    """Scores rescaled to [0, 1] within one list (all equal → all 1)."""
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high == low:
        return dict.fromkeys(scores, 1.0)
    return {item: (score - low) / (high - low) for item, score in scores.items()}


def convex_combination(
    lexical: Mapping[int, float], dense: Mapping[int, float], dense_weight: float
) -> dict[int, float]:
    """(1-α)·BM25 + α·cosine over normalised scores (Bruch et al. 2023); missing scores count 0."""
    lex, den = min_max(lexical), min_max(dense)
    return {
        item: (1 - dense_weight) * lex.get(item, 0.0) + dense_weight * den.get(item, 0.0)
        for item in set(lex) | set(den)
    }
