"""Scale fixes in search: possessives in the tokenizer, common-term pruning setting, dense top-k."""

from __future__ import annotations

import numpy as np
import pytest

from evidex.search.dense import DenseIndex
from evidex.search.query import match_expression, query_terms, terms_expression
from evidex.search.settings import RetrievalSettings


@pytest.mark.parametrize(
    "text",
    [
        "At what age does Huntington's disease appear?",
        "At what age does Huntington\\'s disease appear?",
        "At what age does Huntington\u2019s disease appear?",
    ],
)
def test_possessive_gives_the_word_alone(text: str) -> None:
    assert query_terms(text) == ["age", "huntington", "disease", "appear"]


def test_contractions_and_loose_letters() -> None:
    assert query_terms("Why don't children's fevers last? s t") == ["children", "fevers", "last"]
    # a letter that carries meaning stays; common ones are left to the document-frequency pruning
    assert query_terms("hepatitis b vitamin d 2.5 mg") == ["hepatitis", "b", "vitamin", "d", "2.5", "mg"]


def test_terms_expression_matches_match_expression() -> None:
    text = 'say "hi" OR NEAR(x'
    assert terms_expression(query_terms(text)) == match_expression(text)


def test_max_term_share_presets() -> None:
    assert RetrievalSettings.preset("bm25").max_term_share == 1.0  # the plain baseline is untouched
    for name in ("fast", "default", "best"):
        assert RetrievalSettings.preset(name).max_term_share < 1.0
    with pytest.raises(ValueError):
        RetrievalSettings(max_term_share=0)


class _FakeDense(DenseIndex):
    def __init__(self, matrix: np.ndarray) -> None:  # no library: just the arrays
        self.ids = np.arange(100, 100 + len(matrix), dtype=np.int64)
        self.matrix = matrix
        self.row_of = {int(pid): row for row, pid in enumerate(self.ids)}


@pytest.mark.parametrize("k", [1, 5, 50, 64, 200])
def test_dense_search_top_k_is_exact(k: int) -> None:
    rng = np.random.default_rng(3)
    matrix = rng.standard_normal((64, 8)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    query = matrix[5] + 0.1
    dense = _FakeDense(matrix)
    hits = dense.search(query.astype(np.float32), k)
    scores = matrix @ query.astype(np.float32)
    order = np.argsort(-scores, kind="stable")[: min(k, 64)]
    assert [pid for pid, _ in hits] == [int(100 + i) for i in order]
    assert [score for _, score in hits] == pytest.approx(scores[order].tolist())
