"""Sentence vectors of a library held in memory, for re-ranking a short list by its best sentence.

Why: a passage vector averages up to 256 tokens of an abstract, while a question is often answered
by one sentence of it. `best` adds each top candidate's highest sentence cosine to its score
(SciFact: nDCG@10 0.740 → 0.753 on top of the hybrid ranking). Only the few candidates being
re-ranked are scored, so the cost is a small matrix product; loading costs memory (about eight
sentences per passage, held as float16), which is why the vectors are optional
(`evidex library embed --sentences`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from evidex.store.library import Library
from evidex.store.vectors import SENTENCE_SLOTS

Vector = npt.NDArray[np.float32]


class SentenceIndex:
    """Sentence vectors sorted by passage, so one passage's sentences are one slice of the matrix."""

    def __init__(self, library: Library) -> None:
        # float16: half the memory of float32 (≈350 MB for the sample library's 450k sentences),
        # and only the few rows of the candidates are widened to float32 for each query
        ids, matrix = library.sentence_vectors.load(
            library.records.passage_ids(), slots=SENTENCE_SLOTS, dtype=np.float16
        )
        if len(ids) and np.any(np.diff(ids) < 0):  # shards are appended in passage order; be sure
            order = np.argsort(ids, kind="stable")
            ids, matrix = ids[order], matrix[order]
        self.matrix = matrix
        self.passages = (ids // SENTENCE_SLOTS).astype(np.int64)

    def __len__(self) -> int:
        return len(self.passages)

    def best_sentence(self, query: Vector, passage_ids: Iterable[int]) -> dict[int, float]:
        """Highest cosine between the query and any sentence of each passage that has sentence vectors."""
        wanted = list(passage_ids)
        if not wanted or not len(self.passages):
            return {}
        keys = np.asarray(wanted, dtype=np.int64)
        starts = np.searchsorted(self.passages, keys, side="left")
        ends = np.searchsorted(self.passages, keys, side="right")
        present = [(pid, int(s), int(e)) for pid, s, e in zip(wanted, starts, ends, strict=True) if e > s]
        if not present:
            return {}
        rows = np.concatenate([np.arange(s, e) for _, s, e in present])
        scores = self.matrix[rows].astype(np.float32) @ query.astype(np.float32, copy=False)
        result: dict[int, float] = {}
        offset = 0
        for pid, s, e in present:
            result[pid] = float(scores[offset : offset + e - s].max())
            offset += e - s
        return result
