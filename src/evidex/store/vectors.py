"""Passage vectors on disk: append-only shards of float32 rows, each with its passage ids.

Why shards: embedding is the slow part of ingest (≈10–20 passages/s on 2 cores), so work is saved
in shards of a few hundred vectors, each written to a temporary name and renamed into place — a
kill loses at most the shard in flight, and the next run embeds only passages that have no vector.
Vectors of passages that were later replaced stay in their shard but are masked out on load (and
dropped for good by `compact`). Rows are L2-normalised, so a dot product is the cosine.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]
Ids = npt.NDArray[np.int64]
SENTENCE_SLOTS = 1024
"""Sentence vectors (the library's `sentence-vectors/`) are stored under the id
`passage id * SENTENCE_SLOTS + sentence number`; a passage of at most 3,000 characters has far fewer
sentences than that, and any beyond it are not embedded."""


class Embedder(Protocol):
    """What the vector store needs from an embedding model (implemented in search/embedder.py)."""

    name: str
    dimensions: int

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> Matrix: ...


class VectorStoreError(Exception):
    """Vectors on disk do not fit the model in use; the message says how to rebuild."""


class VectorStore:
    """The `vectors/` folder of a library."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.meta_path = folder / "meta.json"

    def meta(self) -> dict[str, object] | None:
        if not self.meta_path.exists():
            return None
        data: dict[str, object] = json.loads(self.meta_path.read_text(encoding="utf-8"))
        return data

    def check_model(self, name: str, dimensions: int) -> None:
        """Refuse to mix vectors of two models in one index."""
        meta = self.meta()
        if meta is not None and (meta.get("model") != name or meta.get("dimensions") != dimensions):
            raise VectorStoreError(
                f"the vectors in {self.folder} were made with {meta.get('model')} "
                f"({meta.get('dimensions')}-d), not {name}; "
                "rebuild them with `evidex library embed --rebuild`"
            )

    def _shards(self) -> list[tuple[Path, Path]]:
        if not self.folder.exists():
            return []
        pairs = []
        for ids_path in sorted(self.folder.glob("shard-*.ids.npy")):
            vec_path = ids_path.with_name(ids_path.name.replace(".ids.npy", ".vec.npy"))
            if vec_path.exists():
                pairs.append((ids_path, vec_path))
        return pairs

    def append(self, ids: Iterable[int], vectors: Matrix, model: str) -> None:
        """Write one shard atomically: vectors first, then the ids file that makes it count."""
        id_array = np.asarray(list(ids), dtype=np.int64)
        if len(id_array) != len(vectors):
            raise ValueError("one vector per id is required")
        if not len(id_array):
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.meta() is None:
            self.meta_path.write_text(
                json.dumps({"model": model, "dimensions": int(vectors.shape[1])}) + "\n", encoding="utf-8"
            )
        existing = self._shards()
        number = int(existing[-1][0].name.split("-")[1].split(".")[0]) + 1 if existing else 1
        stem = self.folder / f"shard-{number:06d}"
        for suffix, array in ((".vec.npy", np.asarray(vectors, dtype=np.float32)), (".ids.npy", id_array)):
            tmp = stem.with_name(stem.name + suffix + ".tmp")
            with tmp.open("wb") as handle:
                np.save(handle, array)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, stem.with_name(stem.name + suffix))

    def ids(self) -> set[int]:
        """Passage ids that have a vector (stale ones included)."""
        found: set[int] = set()
        for ids_path, _ in self._shards():
            found.update(int(i) for i in np.load(ids_path))
        return found

    def load(
        self, valid: set[int] | None = None, slots: int = 1, dtype: type[np.floating[Any]] = np.float32
    ) -> tuple[Ids, npt.NDArray[Any]]:
        """All vectors as one matrix, keeping the newest vector of each id and only ids whose passage
        (id // `slots`: 1 for passage vectors, SENTENCE_SLOTS for sentence vectors) is `valid`.
        `dtype` float16 halves the memory of vectors that are only read a few rows at a time.

        The result is allocated once and filled shard by shard: a shard whose rows are all kept is
        read from the file straight into its place, others are read and filtered one shard at a
        time. Loading so holds one copy of the vectors, not a concatenated copy plus a filtered one
        (3.3 GB peak at a million 384-d vectors before), and maps no file into memory.
        """
        shards = self._shards()
        if not shards:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
        id_parts = [np.load(ids_path) for ids_path, _ in shards]
        ids = np.concatenate(id_parts)
        # newest wins: keep the last occurrence of each id
        _, last = np.unique(ids[::-1], return_index=True)
        keep = np.sort(len(ids) - 1 - last)
        if valid is not None:
            valid_array = np.fromiter(valid, dtype=np.int64, count=len(valid))
            keep = keep[np.isin(ids[keep] // slots, valid_array)]
        matrix: npt.NDArray[Any] | None = None
        starts = np.concatenate([[0], np.cumsum([len(part) for part in id_parts])])
        bounds = np.searchsorted(keep, starts)
        for number, (_, vec_path) in enumerate(shards):
            first, end = int(bounds[number]), int(bounds[number + 1])
            if matrix is None:
                dimensions = int(np.load(vec_path, mmap_mode="r").shape[1])
                matrix = np.empty((len(keep), dimensions), dtype=dtype)
            if first == end:
                continue
            whole = end - first == len(id_parts[number])
            if whole and matrix.dtype == np.float32 and _read_into(vec_path, matrix[first:end]):
                continue  # every row of the shard kept, in order: read straight into place
            matrix[first:end] = np.load(vec_path)[keep[first:end] - starts[number]]
        if matrix is None:
            matrix = np.zeros((0, 0), dtype=dtype)
        return ids[keep], matrix

    def compact(self, valid: set[int], model: str) -> int:
        """Rewrite all shards as one, without stale vectors; returns how many vectors remain."""
        ids, vectors = self.load(valid)
        old = self._shards()
        if not old:
            return 0
        self.append(ids.tolist(), vectors, model)
        for ids_path, vec_path in old:
            ids_path.unlink()
            vec_path.unlink()
        return len(ids)

    def clear(self) -> None:
        for path in self.folder.glob("*"):
            path.unlink()

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.glob("*")) if self.folder.exists() else 0


def _read_into(path: Path, out: Matrix) -> bool:
    """Read a float32 .npy file of exactly `out`'s shape into `out`; False if it is not one."""
    with path.open("rb") as handle:
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(handle)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(handle)
        else:
            return False
        if fortran or dtype != np.dtype("<f4") or tuple(shape) != out.shape or not out.flags.c_contiguous:
            return False
        return handle.readinto(out.data.cast("B")) == out.nbytes
