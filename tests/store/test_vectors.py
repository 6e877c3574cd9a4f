"""The vector store: atomic shards, newest vector wins, stale vectors masked, model mismatch refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evidex.store.vectors import VectorStore, VectorStoreError


def _unit(rows: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((rows, 4)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_append_load_newest_wins_and_valid_mask(tmp_path: Path) -> None:
    store = VectorStore(tmp_path / "vectors")
    first, second = _unit(3, 1), _unit(2, 2)
    store.append([1, 2, 3], first, "model-a")
    store.append([3, 4], second, "model-a")
    assert store.ids() == {1, 2, 3, 4}
    ids, matrix = store.load()
    assert ids.tolist() == [1, 2, 3, 4]
    np.testing.assert_allclose(matrix[2], second[0])  # id 3 re-embedded: the newer vector counts
    ids, matrix = store.load(valid={2, 4})
    assert ids.tolist() == [2, 4]
    np.testing.assert_allclose(matrix[0], first[1])


def test_half_written_shard_is_ignored(tmp_path: Path) -> None:
    store = VectorStore(tmp_path / "vectors")
    store.append([1], _unit(1, 3), "model-a")
    # a kill between writing vectors and ids leaves a vector file with no ids file, or a .tmp
    np.save(tmp_path / "vectors" / "shard-000002.vec.npy", _unit(5, 4))
    (tmp_path / "vectors" / "shard-000003.ids.npy.tmp").write_bytes(b"partial")
    assert store.ids() == {1}
    assert store.load()[0].tolist() == [1]


def test_compact_drops_stale_vectors(tmp_path: Path) -> None:
    store = VectorStore(tmp_path / "vectors")
    store.append([1, 2], _unit(2, 5), "model-a")
    store.append([2, 3], _unit(2, 6), "model-a")
    assert store.compact({2, 3}, "model-a") == 2
    assert len(list((tmp_path / "vectors").glob("shard-*.ids.npy"))) == 1
    assert store.load()[0].tolist() == [2, 3]


def test_other_model_is_refused(tmp_path: Path) -> None:
    store = VectorStore(tmp_path / "vectors")
    store.append([1], _unit(1, 7), "model-a")
    store.check_model("model-a", 4)
    with pytest.raises(VectorStoreError, match="--rebuild"):
        store.check_model("model-b", 4)
