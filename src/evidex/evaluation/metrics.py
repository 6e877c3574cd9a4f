"""Ranking metrics and latency percentiles for retrieval evaluation.

Why our own: they are a dozen lines each, they must match trec_eval / BEIR conventions exactly so
numbers are comparable with published baselines, and pulling in pytrec_eval would add a C build.
Every function is pure: `ranked` is a list of document ids, best first; `relevance` maps judged
document ids to graded relevance (0 = judged not relevant).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def dcg_at_k(gains: Sequence[float], k: int) -> float:
    """Discounted cumulative gain: sum of gain / log2(rank + 1) over ranks 1..k."""
    return sum(gain / math.log2(rank + 2) for rank, gain in enumerate(gains[:k]))


def ndcg_at_k(ranked: Sequence[str], relevance: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with linear graded gains (as trec_eval's ndcg_cut and BEIR); 0.0 when nothing is relevant.

    The ideal ranking is built from the judgments, not from what was retrieved, so missing a
    relevant document costs score even when it is absent from the run.
    """
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    ideal = sorted((grade for grade in relevance.values() if grade > 0), reverse=True)
    idcg = dcg_at_k([float(g) for g in ideal], k)
    if idcg <= 0:
        return 0.0
    gains = [float(max(relevance.get(doc, 0), 0)) for doc in ranked[:k]]
    return dcg_at_k(gains, k) / idcg


def recall_at_k(ranked: Sequence[str], relevance: Mapping[str, int], k: int = 100) -> float:
    """Share of the relevant documents (grade > 0) found in the first `k`; 0.0 when none is relevant."""
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    relevant = {doc for doc, grade in relevance.items() if grade > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def mrr_at_k(ranked: Sequence[str], relevance: Mapping[str, int], k: int = 10) -> float:
    """Reciprocal rank of the first relevant document within the first `k` (0.0 when none)."""
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    for rank, doc in enumerate(ranked[:k], start=1):
        if relevance.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean; 0.0 for no values (an empty evaluation scores nothing, it does not crash)."""
    return sum(values) / len(values) if values else 0.0


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear-interpolation percentile (NumPy's default method); 0.0 for no values."""
    if not 0.0 <= pct <= 100.0:
        raise ValueError(f"percentile must be between 0 and 100, got {pct}")
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * pct / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
