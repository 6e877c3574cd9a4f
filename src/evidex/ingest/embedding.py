"""Give every stored passage a vector, in resumable shards (see store/vectors.py)."""

from __future__ import annotations

from collections.abc import Callable

from evidex.ingest.text_utils import split_sentences
from evidex.store.library import Library
from evidex.store.vectors import SENTENCE_SLOTS, Embedder

SHARD_SIZE = 512
SENTENCE_SHARD_PASSAGES = 64


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


def passage_sentences(text: str) -> list[str]:
    """The sentences of a passage as they are embedded one by one (the whole text if it has none)."""
    sentences = [text[start:end].strip() for start, end in split_sentences(text)]
    sentences = [sentence for sentence in sentences if sentence]
    return (sentences or [text.strip()])[:SENTENCE_SLOTS]


def missing_sentence_passages(library: Library) -> list[int]:
    """Passage ids whose sentences have no vectors yet, in id order."""
    done = {key // SENTENCE_SLOTS for key in library.sentence_vectors.ids()}
    return sorted(library.records.passage_ids() - done)


def embed_missing_sentences(
    library: Library,
    embedder: Embedder,
    progress: Callable[[int], None] | None = None,
    shard_passages: int = SENTENCE_SHARD_PASSAGES,
) -> int:
    """Embed each sentence of the passages that have no sentence vectors; returns how many passages.

    Why sentences: a passage vector is cut at the model's 256-token window and averages a whole
    abstract, while the sentence that answers a question is often one of ten. The `best` preset
    re-ranks its top candidates by their best-matching sentence. Shards hold whole passages, so a
    killed run resumes at the first passage without vectors; `progress(n)` counts passages.
    """
    library.sentence_vectors.check_model(embedder.name, embedder.dimensions)
    missing = missing_sentence_passages(library)
    done = 0
    for start in range(0, len(missing), shard_passages):
        chunk = missing[start : start + shard_passages]
        rows = library.records.passage_rows(chunk)
        keys: list[int] = []
        texts: list[str] = []
        for pid in chunk:
            if pid not in rows:
                continue
            for number, sentence in enumerate(passage_sentences(rows[pid]["text"])):
                keys.append(pid * SENTENCE_SLOTS + number)
                texts.append(sentence)
        if keys:
            library.sentence_vectors.append(keys, embedder.embed(texts), embedder.name)
        done += sum(pid in rows for pid in chunk)
        if progress:
            progress(len(chunk))
    return done
