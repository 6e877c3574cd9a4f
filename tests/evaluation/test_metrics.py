"""Ranking metrics against values worked out by hand (log2 discounts written out)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evidex.evaluation.metrics import dcg_at_k, mean, mrr_at_k, ndcg_at_k, percentile, recall_at_k

GRADED = {"d1": 2, "d2": 1, "d3": 0}


def test_ndcg_graded_with_misses() -> None:
    # ranks: d3 (gain 0), d1 (2), x (unjudged), d2 (1)
    dcg = 2 / math.log2(3) + 1 / math.log2(5)  # 1.26186 + 0.43068
    idcg = 2 / math.log2(2) + 1 / math.log2(3)  # 2 + 0.63093
    value = ndcg_at_k(["d3", "d1", "x", "d2"], GRADED, 10)
    assert value == pytest.approx(dcg / idcg)
    assert value == pytest.approx(0.643322, abs=1e-6)


def test_ndcg_perfect_and_reversed() -> None:
    assert ndcg_at_k(["d1", "d2"], GRADED) == pytest.approx(1.0)
    # d2 then d1: (1 + 2/log2 3) / (2 + 1/log2 3) = 2.26186 / 2.63093
    assert ndcg_at_k(["d2", "d1"], GRADED) == pytest.approx(0.859719, abs=1e-6)


def test_ndcg_ideal_comes_from_judgments_not_the_run() -> None:
    # one of two relevant documents retrieved, at rank 1: 1 / (1 + 1/log2 3)
    assert ndcg_at_k(["a"], {"a": 1, "b": 1}) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert ndcg_at_k(["a"], {"a": 1, "b": 1}) == pytest.approx(0.613147, abs=1e-6)


def test_ndcg_cutoff_and_empty_cases() -> None:
    assert ndcg_at_k(["x", "d1"], GRADED, 1) == 0.0
    assert ndcg_at_k([], GRADED) == 0.0
    assert ndcg_at_k(["d3"], {"d3": 0}) == 0.0  # nothing relevant: 0, not a division by zero
    # ideal is cut at k too: with k=1 the best single document is d1 (gain 2)
    assert ndcg_at_k(["d2"], GRADED, 1) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        ndcg_at_k(["d1"], GRADED, 0)


def test_dcg() -> None:
    assert dcg_at_k([3.0, 2.0, 3.0], 3) == pytest.approx(3 + 2 / math.log2(3) + 3 / 2)


def test_recall() -> None:
    relevance = {"a": 1, "b": 2, "c": 0}
    assert recall_at_k(["c", "a", "x"], relevance, 100) == 0.5  # grade 0 is not relevant
    assert recall_at_k(["c", "a", "x"], relevance, 1) == 0.0
    assert recall_at_k(["b", "a"], relevance, 2) == 1.0
    assert recall_at_k(["a"], {"a": 0}, 10) == 0.0


def test_mrr() -> None:
    relevance = {"a": 1, "z": 0}
    assert mrr_at_k(["x", "z", "a"], relevance, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(["x", "z", "a"], relevance, 2) == 0.0
    assert mrr_at_k(["a", "x"], relevance, 10) == 1.0
    assert mrr_at_k([], relevance, 10) == 0.0


def test_percentile_matches_numpy_linear() -> None:
    values = [4.0, 1.0, 3.0, 2.0]
    assert percentile(values, 50) == 2.5
    assert percentile(values, 95) == pytest.approx(3.85)  # position 3 × 0.95 = 2.85 → 3 + 0.85
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) == 0.0
    sample = [0.3, 12.0, 5.5, 1.25, 9.0, 2.0, 7.75]
    for pct in (5, 50, 90, 95, 99):
        assert percentile(sample, pct) == pytest.approx(float(np.percentile(sample, pct)))
    with pytest.raises(ValueError):
        percentile(values, 101)


def test_mean() -> None:
    assert mean([1.0, 2.0, 4.5]) == pytest.approx(2.5)
    assert mean([]) == 0.0
