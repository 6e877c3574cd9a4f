"""The Retriever on a small real library: presets, expansion, dense recall, boosts, filters."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidex.ingest.embedding import (
    embed_missing,
    embed_missing_sentences,
    missing_sentence_passages,
    passage_sentences,
)
from evidex.ingest.runner import ingest
from evidex.models import EvidenceKind
from evidex.search.embedder import load_embedder
from evidex.search.query import QueryError
from evidex.search.retriever import Retriever, SearchFilters
from evidex.search.sentence_index import SentenceIndex
from evidex.search.settings import RetrievalSettings
from evidex.store.library import Library
from evidex.store.vectors import SENTENCE_SLOTS

DOCS = {
    "mi.md": (
        "research",
        2021,
        "Aspirin after myocardial infarction",
        "Daily aspirin lowered mortality after myocardial infarction in a large cohort of adults.",
    ),
    "hf.md": (
        "research",
        2021,
        "Exercise in chronic heart failure",
        "Supervised exercise improved walking distance in chronic heart failure.",
    ),
    "epilepsy.md": (
        "research",
        2019,
        "Antiepileptic drugs in childhood epilepsy",
        "Levetiracetam and valproate controlled seizures in most children with epilepsy.",
    ),
    "statin-guideline.md": (
        "guideline",
        2022,
        "Statin therapy for primary prevention",
        "Offer atorvastatin 20 mg for the primary prevention of cardiovascular disease.",
    ),
    "statin-research.md": (
        "other",
        2022,
        "Statin therapy for primary prevention",
        "Offer atorvastatin 20 mg for the primary prevention of cardiovascular disease.",
    ),
}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    folder = tmp_path_factory.mktemp("retriever")
    sources = folder / "docs"
    sources.mkdir()
    for name, (kind, year, title, body) in DOCS.items():
        (sources / name).write_text(
            f"---\ntitle: {title}\nyear: {year}\nkind: {kind}\n---\n\n# {title}\n\n## Findings\n\n{body}\n",
            encoding="utf-8",
        )
    lib = Library(folder / "lib", create=True)
    summary = ingest(lib, [sources])
    assert summary.added == len(DOCS)
    assert embed_missing(lib, load_embedder()) == lib.records.counts()["passages"]
    yield lib  # type: ignore[misc]
    lib.close()


def _titles(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [hit.title for hit in hits]


def test_lay_words_find_clinical_terms_through_expansion(library: Library) -> None:
    plain = Retriever(library, RetrievalSettings.preset("bm25")).search("heart attack", k=5)
    assert _titles(plain) == ["Exercise in chronic heart failure"]  # "heart" only, the wrong paper
    expanded = Retriever(library, RetrievalSettings.preset("fast")).search("heart attack", k=5)
    assert (
        _titles(expanded)[0] == "Exercise in chronic heart failure"
    )  # the user's own word still counts most
    assert "Aspirin after myocardial infarction" in _titles(expanded)


def test_dense_search_finds_paraphrases_without_shared_words(library: Library) -> None:
    query = "medicine to stop fits in kids"
    assert Retriever(library, RetrievalSettings.preset("bm25")).search(query, k=3) == []
    hits = Retriever(library, RetrievalSettings.preset("default")).search(query, k=3)
    assert _titles(hits)[0] == "Antiepileptic drugs in childhood epilepsy"


def test_guideline_outranks_identical_research(library: Library) -> None:
    for preset in ("fast", "default", "best"):
        hits = Retriever(library, RetrievalSettings.preset(preset)).search(
            "atorvastatin primary prevention", k=2
        )
        assert [hit.kind for hit in hits] == [EvidenceKind.GUIDELINE, EvidenceKind.OTHER], preset
    plain = Retriever(library, RetrievalSettings.preset("bm25")).search(
        "atorvastatin primary prevention", k=2
    )
    assert plain[0].score == pytest.approx(plain[1].score)


def test_filters_hold_for_dense_candidates(library: Library) -> None:
    hits = Retriever(library, RetrievalSettings.preset("default")).search(
        "statin for cardiovascular prevention", k=5, filters=SearchFilters(kinds=[EvidenceKind.OTHER])
    )
    assert hits and {hit.kind for hit in hits} == {EvidenceKind.OTHER}
    recent = Retriever(library).search("epilepsy drugs", k=5, filters=SearchFilters(year_from=2020))
    assert all((hit.year or 0) >= 2020 for hit in recent)


def test_without_vectors_search_is_lexical_and_says_why(tmp_path: Path) -> None:
    lib = Library(tmp_path / "lib", create=True)
    doc = tmp_path / "note.md"
    doc.write_text("# Gout\n\nColchicine treats acute gout flares.\n", encoding="utf-8")
    ingest(lib, [doc])
    retriever = Retriever(lib)
    assert _titles(retriever.search("colchicine gout", k=1)) == ["Gout"]
    assert any("evidex library embed" in note for note in retriever.notes)
    lib.close()


def test_unknown_preset_is_refused() -> None:
    with pytest.raises(ValueError, match="fast, default, best"):
        RetrievalSettings.preset("turbo")


def test_hybrid_search_with_the_dense_worker_matches_and_fails_cleanly(library: Library) -> None:
    retriever = Retriever(library, RetrievalSettings.preset("default"))
    first = retriever.search("heart attack aspirin", 3)
    again = retriever.search("heart attack aspirin", 3)
    assert _titles(first)[0] == "Aspirin after myocardial infarction"
    assert [(h.passage_id, h.score) for h in first] == [(h.passage_id, h.score) for h in again]
    with pytest.raises(QueryError):
        retriever.search("?? !!", 3)  # nothing to search for: the error, not a stuck worker
    assert _titles(retriever.search("heart attack aspirin", 3)) == _titles(first)


def test_sentence_vectors_cover_every_passage_and_resume(library: Library) -> None:
    embedder = load_embedder()
    library.sentence_vectors.clear()  # the module's library may have them from another test
    assert missing_sentence_passages(library) == sorted(library.records.passage_ids())
    assert embed_missing_sentences(library, embedder) == len(library.records.passage_ids())
    assert embed_missing_sentences(library, embedder) == 0  # a second run has nothing to do
    rows = library.records.passage_rows(library.records.passage_ids())
    expected = {
        pid * SENTENCE_SLOTS + number
        for pid, row in rows.items()
        for number in range(len(passage_sentences(row["text"])))
    }
    assert library.sentence_vectors.ids() == expected


def test_best_sentence_is_the_closest_sentence_of_each_passage(library: Library) -> None:
    embedder = load_embedder()
    embed_missing_sentences(library, embedder)
    index = SentenceIndex(library)
    query = embedder.embed(["Does aspirin reduce death after a heart attack?"])[0]
    rows = library.records.passage_rows(library.records.passage_ids())
    best = index.best_sentence(query, [*rows, 10**9])  # an unknown passage is left out
    assert set(best) == set(rows)
    for pid, row in rows.items():
        direct = embedder.embed(passage_sentences(row["text"])) @ query
        assert best[pid] == pytest.approx(float(direct.max()), abs=2e-3)  # held as float16


def test_best_preset_reranks_by_best_sentence(library: Library) -> None:
    embed_missing_sentences(library, load_embedder())
    question = "Does aspirin reduce death after a heart attack?"
    plain = Retriever(library, RetrievalSettings.preset("default")).search(question, 5)
    best = Retriever(library, RetrievalSettings.preset("best"))
    hits = best.search(question, 5)
    assert not best.notes
    assert hits[0].title == "Aspirin after myocardial infarction"
    # scores are the hybrid score scaled to the top one plus the best sentence's cosine
    assert hits[0].score > 1.0 >= max(hit.score for hit in plain) / plain[0].score
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


def test_best_preset_without_sentence_vectors_says_how_to_add_them(tmp_path: Path) -> None:
    sources = tmp_path / "docs"
    sources.mkdir()
    (sources / "a.md").write_text("# Aspirin\n\nAspirin after myocardial infarction.\n", encoding="utf-8")
    with Library(tmp_path / "lib", create=True) as lib:
        ingest(lib, [sources])
        embed_missing(lib, load_embedder())
        retriever = Retriever(lib, RetrievalSettings.preset("best"))
        assert [hit.title for hit in retriever.search("aspirin", 3)] == ["Aspirin"]
        assert any("embed --sentences" in note for note in retriever.notes)
