"""Scale fixes in the stores: bounded term counts and common-term pruning, one-pass BM25 fill-in,
and vector loading that copies the vectors once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evidex.store.fts import FtsIndex, _varints
from evidex.store.records import PassageRow
from evidex.store.vectors import SENTENCE_SLOTS, VectorStore


def _row(pid: int, text: str) -> PassageRow:
    return PassageRow(
        id=pid,
        document_id=f"doc-{pid}",
        text=text,
        title="",
        kind="other",
        year=2020,
        source="test",
        retracted=False,
    )


@pytest.fixture
def index(tmp_path: Path) -> FtsIndex:
    fts = FtsIndex(tmp_path / "lexical.sqlite")
    rows = [_row(i, f"patients treatment outcome number {i}") for i in range(1, 41)]
    rows += [_row(41, "patients with huntington disease"), _row(42, "treatment of huntington chorea")]
    rows += [_row(43, "patients treated for chorea gravidarum")]
    fts.add(rows)
    return fts


def test_varints() -> None:
    assert _varints(b"\x05", 2) == [5]
    assert _varints(b"\x81\x00\x05", 3) == [128, 5]
    assert _varints(b"\xbd\x84\x40\xc0\xf2\xde\x41\x00", 2) == [1_000_000, 136_097_601]
    assert _varints(b"\x81", 1) == []


def test_passage_count_tracks_changes(index: FtsIndex) -> None:
    assert index.passage_count() == index.count() == 43
    index.remove([43])
    assert index.passage_count() == 42


def test_term_frequency_exact_bounded_and_stemmed(index: FtsIndex) -> None:
    assert index.term_frequency("huntington") == 2
    assert index.term_frequency("patients") == 42  # porter stem: "patients" matches "patients"
    assert index.term_frequency("treatment", limit=10) == 10  # counted only up to the limit
    assert index.term_frequency("treatment") == 41  # a later exact count is not served the bound
    assert index.term_frequency("treatment", limit=5) == 5
    assert index.term_frequency("absent") == 0


def test_term_frequency_cache_cleared_by_add(index: FtsIndex) -> None:
    assert index.term_frequency("gravidarum") == 1
    index.add([_row(44, "chorea gravidarum again")])
    assert index.term_frequency("gravidarum") == 2


def test_prune_common_drops_common_keeps_two_rarest(index: FtsIndex) -> None:
    terms = ["patients", "huntington", "treatment", "chorea"]
    assert index.prune_common(terms, 0.10, min_count=0) == ["huntington", "chorea"]
    assert index.prune_common(terms, 1.0, min_count=0) == terms
    # only common words: the two rarest stay, in query order
    common = ["patients", "treatment", "outcome"]
    assert index.prune_common(common, 0.10, min_count=0) == ["treatment", "outcome"]
    assert index.prune_common(["patients", "treatment"], 0.10, min_count=0) == ["patients", "treatment"]
    assert index.prune_common(["treatment", "huntington", "outcome"], 0.10, 1, 0) == ["huntington"]
    assert index.prune_common(["patients", "outcome"], 0.10, keep=0, min_count=0) == []


def test_prune_common_leaves_small_libraries_alone(index: FtsIndex) -> None:
    terms = ["patients", "huntington", "treatment", "chorea"]
    assert index.prune_common(terms, 0.10) == terms  # 43 passages: under the default floor
    assert index.prune_common(terms, 0.10, min_count=41) == ["huntington", "treatment", "chorea"]


def test_prune_common_fits_the_posting_budget(index: FtsIndex) -> None:
    # chorea 2, huntington 2, treatment 41, patients 42 passages
    terms = ["patients", "huntington", "chorea"]
    assert index.prune_common(terms, 1.0, min_count=0, max_postings=10) == ["huntington", "chorea"]
    assert index.prune_common(terms, 1.0, min_count=0, max_postings=200) == terms  # fits: untouched
    assert index.prune_common(terms, 1.0, min_count=0, max_postings=3) == ["chorea"]  # rarest first
    # the rarest word stays even when it alone exceeds the budget, unless keep is 0
    assert index.prune_common(["patients", "treatment"], 1.0, min_count=0, max_postings=5) == ["treatment"]
    assert index.prune_common(["patients"], 1.0, keep=0, min_count=0, max_postings=5) == []
    # share first, then budget
    both = ["patients", "huntington", "treatment", "chorea"]
    assert index.prune_common(both, 0.10, min_count=0, max_postings=3) == ["chorea"]
    # words no more common than the floor always stay: small libraries are never pruned
    assert index.prune_common(both, 1.0, max_postings=3) == both


def test_scores_for_matches_search(index: FtsIndex) -> None:
    match = '"huntington" OR "chorea"'
    ranked = dict(index.search(match, 10))
    scores = index.scores_for(match, [42, 41, 43, 7])
    assert list(scores) == [42, 41, 43, 7]
    assert scores[7] == 0.0
    for pid in (41, 42, 43):
        assert scores[pid] == pytest.approx(ranked[pid])
    assert index.scores_for(match, []) == {}


def _unit(rows: int, seed: int, dims: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((rows, dims)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_load_matches_naive_selection(tmp_path: Path) -> None:
    store = VectorStore(tmp_path / "vectors")
    shards = [([1, 2, 3], _unit(3, 1)), ([4, 5], _unit(2, 2)), ([2, 6, 7], _unit(3, 3)), ([8], _unit(1, 4))]
    for ids, vectors in shards:
        store.append(ids, vectors, "model-a")
    all_ids = np.concatenate([np.asarray(ids) for ids, _ in shards])
    all_vectors = np.concatenate([vectors for _, vectors in shards])
    for valid in (None, {1, 2, 5, 8}, {6}, set(), {4, 5}):
        newest = {int(pid): row for row, pid in enumerate(all_ids)}
        wanted = sorted(pid for pid in newest if valid is None or pid in valid)
        rows = sorted(newest[pid] for pid in wanted)
        ids, matrix = store.load(valid)
        assert ids.tolist() == [int(all_ids[r]) for r in rows]
        np.testing.assert_array_equal(matrix, all_vectors[rows])
        assert matrix.dtype == np.float32 and matrix.flags.c_contiguous
        assert matrix.shape == (len(rows), 4)


def test_common_term_scores_equal_fts5_bm25_when_each_term_occurs_once(index: FtsIndex) -> None:
    ids = [1, 2, 41, 42, 43]
    for terms in (["treatment"], ["patients", "treatment"], ["chorea"]):
        exact = index.scores_for(" OR ".join(f'"{t}"' for t in terms), ids)
        approx = index.common_term_scores(terms, ids)
        assert list(approx) == ids
        for pid in ids:
            assert approx[pid] == pytest.approx(exact[pid], rel=1e-9, abs=1e-9)
    assert index.common_term_scores([], ids) == dict.fromkeys(ids, 0.0)
    assert index.common_term_scores(["treatment"], []) == {}


def test_load_by_passage_as_float16(tmp_path: Path) -> None:
    store = VectorStore(tmp_path / "sentence-vectors")
    keys = [1 * SENTENCE_SLOTS, 1 * SENTENCE_SLOTS + 1, 2 * SENTENCE_SLOTS, 3 * SENTENCE_SLOTS + 2]
    vectors = _unit(4, seed=5)
    store.append(keys, vectors, "m")
    ids, matrix = store.load({1, 3}, slots=SENTENCE_SLOTS, dtype=np.float16)
    assert ids.tolist() == [keys[0], keys[1], keys[3]]  # passage 2 is gone from the records
    assert matrix.dtype == np.float16
    np.testing.assert_allclose(matrix.astype(np.float32), vectors[[0, 1, 3]], atol=1e-3)
    assert store.load({1, 3})[0].tolist() == []  # without slots the keys are not passage ids
