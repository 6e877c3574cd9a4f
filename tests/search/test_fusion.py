"""Fusion arithmetic, checked by hand."""

from __future__ import annotations

import pytest

from evidex.search.fusion import convex_combination, min_max, reciprocal_rank_fusion


def test_rrf_by_hand() -> None:
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1]], [1.0, 0.5], k=60)
    assert fused[1] == pytest.approx(1 / 61 + 0.5 / 62)
    assert fused[2] == pytest.approx(1 / 62)
    assert fused[3] == pytest.approx(1 / 63 + 0.5 / 61)
    assert sorted(fused, key=lambda i: -fused[i]) == [1, 3, 2]


def test_min_max_and_convex() -> None:
    assert min_max({1: 2.0, 2: 4.0, 3: 3.0}) == {1: 0.0, 2: 1.0, 3: 0.5}
    assert min_max({1: 5.0}) == {1: 1.0}
    combined = convex_combination({1: 10.0, 2: 0.0}, {2: 0.9, 3: 0.1}, dense_weight=0.25)
    assert combined == {1: 0.75, 2: 0.25, 3: 0.0}
