"""Give every stored passage a vector, in resumable shards (see store/vectors.py)."""

from __future__ import annotations

from collections.abc import Callable

from evidex.store.library import Library
from evidex.store.vectors import Embedder

SHARD_SIZE = 512


def passage_text(title: str, text: str) -> str:
    """What is embedded: the document title gives short passages their topic."""
    return f"{title}\n{text}" if title and not text.startswith(title) else text


def missing_passages(library: Library) -> list[int]:
    """Passage ids that have no vector yet, in id order."""
    return sorted(library.records.passage_ids() - library.vectors.ids())


def embed_missing(
    library: Library,
    embedder: Embedder,
    progress: Callable[[int], None] | None = None,
    shard_size: int = SHARD_SIZE,
) -> int:
    """Embed passages without a vector; returns how many were embedded. Safe to kill and rerun."""
    library.vectors.check_model(embedder.name, embedder.dimensions)
    missing = missing_passages(library)
    done = 0
    for start in range(0, len(missing), shard_size):
        chunk = missing[start : start + shard_size]
        rows = library.records.passage_rows(chunk)
        ids = [pid for pid in chunk if pid in rows]
        texts = [passage_text(rows[pid]["title"], rows[pid]["text"]) for pid in ids]
        vectors = embedder.embed(texts, progress)
        library.vectors.append(ids, vectors, embedder.name)
        done += len(ids)
    return done
