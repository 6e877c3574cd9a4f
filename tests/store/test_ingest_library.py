"""Ingest into a real library folder: idempotent, updates changed documents, keeps index in step."""

from __future__ import annotations

import gzip
import shutil
import sqlite3
from pathlib import Path

import pytest

from evidex.ingest.runner import ingest
from evidex.search.retriever import Retriever, SearchFilters
from evidex.store.library import LEXICAL_FILE, Library, LibraryError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EFETCH = FIXTURES / "pubmed" / "efetch_sample.xml"


@pytest.fixture()
def library(tmp_path: Path) -> Library:
    lib = Library(tmp_path / "lib", create=True)
    yield lib  # type: ignore[misc]
    lib.close()


def test_reingest_adds_nothing_and_changed_document_is_updated(library: Library, tmp_path: Path) -> None:
    source = tmp_path / "pubmed.xml"
    shutil.copy(EFETCH, source)
    first = ingest(library, [source])
    assert (first.added, first.updated, first.skipped, first.rejected) == (5, 0, 0, [])
    passages = library.records.counts()["passages"]
    assert library.lexical.count() == passages

    again = ingest(library, [source])
    assert (again.added, again.updated, again.skipped) == (0, 0, 5)
    assert again.skip_reasons == {"unchanged file": 5}

    # the same bytes under a new modification time are read again and recognised record by record
    source.touch()
    reread = ingest(library, [source])
    assert (reread.added, reread.updated, reread.skipped) == (0, 0, 5)
    assert reread.skip_reasons == {"unchanged": 5}

    text = source.read_text(encoding="utf-8")
    assert "Low-dose colchicine after myocardial infarction" in text
    source.write_text(
        text.replace("Low-dose colchicine after myocardial infarction", "Colchicine zebrafishword trial"),
        encoding="utf-8",
    )
    changed = ingest(library, [source])
    assert (changed.added, changed.updated, changed.skipped) == (0, 1, 4)
    after = library.records.counts()
    assert (after["documents"], after["passages"]) == (5, passages)
    assert library.lexical.count() == passages
    doc = library.records.document("pmid:35200002")
    assert doc is not None and doc.title.startswith("Colchicine zebrafishword trial")
    hits = Retriever(library).search("zebrafishword", k=5)
    assert [hit.document_id for hit in hits] == ["pmid:35200002"]


def test_an_edited_file_replaces_its_earlier_version(library: Library, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    page = notes / "protocol.md"
    page.write_text("# Sepsis protocol\n\nGive ceftriaxone 2 g within one hour.\n", encoding="utf-8")
    other = notes / "other.md"
    other.write_text("# Asthma plan\n\nUse a spacer with the inhaler.\n", encoding="utf-8")
    first = ingest(library, [notes])
    assert (first.added, first.superseded) == (2, 0)
    before = {hit.document_id for hit in Retriever(library).search("ceftriaxone", 5)}

    page.write_text("# Sepsis protocol\n\nGive cefotaxime 2 g within one hour.\n", encoding="utf-8")
    edited = ingest(library, [notes])
    assert (edited.added, edited.superseded, edited.skipped) == (1, 1, 1)  # other.md is unchanged
    assert library.records.counts()["documents"] == 2
    assert Retriever(library).search("ceftriaxone", 5) == []  # the old text is gone from search
    after = {hit.document_id for hit in Retriever(library).search("cefotaxime", 5)}
    assert after and not after & before
    assert library.lexical.count() == library.records.counts()["passages"]

    # moving an unchanged file elsewhere keeps its one document (ids come from the content)
    moved = tmp_path / "moved.md"
    shutil.copy(other, moved)
    again = ingest(library, [moved])
    assert (again.added, again.superseded, library.records.counts()["documents"]) == (0, 0, 2)


def test_a_file_that_fails_to_load_keeps_its_earlier_version(library: Library, tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Gout\n\nColchicine 500 micrograms twice daily.\n", encoding="utf-8")
    assert ingest(library, [page]).added == 1
    page.write_text("   \n", encoding="utf-8")  # emptied by mistake
    broken = ingest(library, [page])
    assert broken.rejected and broken.superseded == 0
    assert [hit.title for hit in Retriever(library).search("colchicine", 3)] == ["Gout"]


def test_grading_and_retraction_are_stored_and_filterable(library: Library) -> None:
    ingest(library, [EFETCH])
    counts = library.records.counts()
    assert counts["retracted"] == 1
    assert counts["by_kind"]["randomized_trial"] == 1
    assert counts["by_kind"]["systematic_review"] == 1
    retracted = library.records.document("pmid:29300003")
    assert retracted is not None and retracted.retracted
    hits = Retriever(library).search("curcumin pancreatic cancer", k=10)
    assert "pmid:29300003" in {h.document_id for h in hits}
    kept = Retriever(library).search(
        "curcumin pancreatic cancer", k=10, filters=SearchFilters(include_retracted=False)
    )
    assert "pmid:29300003" not in {h.document_id for h in kept}
    assert all(not h.retracted for h in kept)


def test_bad_files_are_reported_and_the_rest_is_ingested(library: Library, tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    shutil.copy(FIXTURES / "pubmed" / "malformed_record.xml", batch / "a_malformed.xml")
    shutil.copy(FIXTURES / "docs" / "asthma_guideline.md", batch / "b_guideline.md")
    (batch / "c_empty.md").write_bytes(b"")
    (batch / "d_unknown.xyz").write_text("what is this", encoding="utf-8")
    blob = gzip.compress(EFETCH.read_bytes())
    (batch / "e_truncated.xml.gz").write_bytes(blob[: len(blob) // 2])
    summary = ingest(library, [batch])
    assert summary.files == 5
    reasons = {Path(r.path).name: r for r in summary.rejected}
    assert reasons["a_malformed.xml"].record == 2
    assert "malformed XML" in reasons["a_malformed.xml"].reason
    assert "empty" in reasons["c_empty.md"].reason
    assert "--format" in reasons["d_unknown.xyz"].reason
    assert "e_truncated.xml.gz" in reasons["e_truncated.xml.gz"].reason
    # two good records of the malformed file, the guideline, and what the gzip held before the cut
    assert summary.added == library.records.counts()["documents"]
    assert summary.added >= 3
    assert library.records.document("pmid:11100003") is not None


def test_reconcile_repairs_index_after_interrupted_write(library: Library) -> None:
    ingest(library, [EFETCH])
    total = library.lexical.count()
    some = sorted(library.lexical.ids())[:2]
    library.lexical.remove(some)
    with sqlite3.connect(library.path / LEXICAL_FILE) as conn:
        conn.execute(
            "INSERT INTO passage_fts(rowid, body, document_id, kind, year, source, retracted) "
            "VALUES (999999, 'ghost', 'pmid:0', 'other', NULL, 'x', 0)"
        )
    assert library.reconcile() == (2, 1)
    assert library.lexical.count() == total
    assert 999999 not in library.lexical.ids()


def test_a_folder_that_is_not_a_library_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="no evidence library"):
        Library(tmp_path / "missing")
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(LibraryError, match="not an Evidex library"):
        Library(occupied, create=True)
    assert (occupied / "notes.txt").read_text(encoding="utf-8") == "mine"
