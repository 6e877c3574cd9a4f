"""Our embedders reproduce sentence-transformers' all-MiniLM-L6-v2 vectors (reference made offline)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evidex.search.embedder import EmbedderUnavailable, load_embedder

REFERENCE = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "embeddings" / "minilm_reference.json").read_text()
)


@pytest.mark.parametrize(("backend", "agreement"), [("numpy-fp32", 0.99999), ("onnx-int8", 0.995)])
def test_vectors_match_sentence_transformers(backend: str, agreement: float) -> None:
    embedder = load_embedder(backend)
    vectors = embedder.embed(REFERENCE["texts"])
    reference = np.asarray(REFERENCE["vectors"], dtype=np.float32)
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosines = (vectors * reference).sum(axis=1)
    assert cosines.min() >= agreement, cosines


def test_order_is_kept_across_length_sorted_batches() -> None:
    embedder = load_embedder("onnx-int8")
    texts = ["short", "a much longer text about herpes simplex virus infection in adults", "mid length text"]
    together = embedder.embed(texts)
    one_by_one = np.vstack([embedder.embed([t]) for t in texts])
    np.testing.assert_allclose(together, one_by_one, atol=1e-4)
    assert embedder.embed([]).shape == (0, 384)


def test_meaning_not_words_is_matched() -> None:
    embedder = load_embedder("onnx-int8")
    query, synonym, unrelated = embedder.embed(
        ["heart attack", "myocardial infarction", "fracture of the wrist"]
    )
    assert float(query @ synonym) > float(query @ unrelated) + 0.2


def test_unknown_backend_is_a_clear_error() -> None:
    with pytest.raises(EmbedderUnavailable, match="onnx-int8"):
        load_embedder("gpu-magic")
