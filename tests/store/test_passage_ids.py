"""Passage ids are never reused, so an updated document's new passages get vectors of their own."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from evidex.ingest.embedding import missing_passages
from evidex.ingest.runner import ingest
from evidex.store.library import Library
from evidex.store.migrate import migrate

RECORD = """<?xml version="1.0" encoding="UTF-8"?>
<PubmedArticleSet><PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">
<PMID Version="1">40000002</PMID>
<Article PubModel="Print"><Journal><JournalIssue><PubDate><Year>2024</Year></PubDate></JournalIssue>
<Title>Chest</Title></Journal><ArticleTitle>Inhaled steroids in asthma.</ArticleTitle>
<Abstract><AbstractText>{text}</AbstractText></Abstract><Language>eng</Language>
<PublicationTypeList><PublicationType UI="D016428">Journal Article</PublicationType></PublicationTypeList>
</Article></MedlineCitation></PubmedArticle></PubmedArticleSet>
"""


def test_replacing_the_newest_document_gives_its_passages_new_ids(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib", create=True)
    record = tmp_path / "record.xml"
    record.write_text(RECORD.format(text="Inhaled steroids reduced exacerbations."), encoding="utf-8")
    ingest(library, [record])
    (old_id,) = library.records.passage_ids()
    library.vectors.append([old_id], np.ones((1, 4), dtype=np.float32), model="test")
    assert missing_passages(library) == []
    record.write_text(RECORD.format(text="Inhaled steroids did not reduce exacerbations."), encoding="utf-8")
    assert ingest(library, [record]).updated == 1
    (new_id,) = library.records.passage_ids()
    assert new_id != old_id
    assert missing_passages(library) == [new_id]  # the new text is embedded, not paired with the old vector
    library.close()


def test_older_sqlite_libraries_are_rebuilt_with_their_ids_kept(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    path = tmp_path / "records.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    migrate(engine, "0002")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO documents (id, title, authors, mesh_terms, publication_types, retracted, source,"
            " kind, extra, content_hash, ingested_at, updated_at) VALUES ('d', 't', '[]', '[]', '[]', 0,"
            " 's', 'other', '{}', 'h', '2026-01-01', '2026-01-01')"
        )
        conn.execute(
            'INSERT INTO passages (id, document_id, ordinal, section, text, start, "end") '
            "VALUES (7, 'd', 0, '', 'x', 0, 1)"
        )
    migrate(engine)
    with sqlite3.connect(path) as conn:
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'passages'").fetchone()[0]
        assert "AUTOINCREMENT" in sql
        assert conn.execute("SELECT id, text FROM passages").fetchall() == [(7, "x")]
        conn.execute("DELETE FROM passages")
        conn.execute(
            'INSERT INTO passages (document_id, ordinal, section, text, start, "end") '
            "VALUES ('d', 0, '', 'y', 0, 1)"
        )
        assert conn.execute("SELECT id FROM passages").fetchone()[0] == 8
    engine.dispose()
