"""Backup and restore on a real library: same counts, same search results, the same answer; refusals.

The library is the docs and PubMed fixtures (8 documents) with real MiniLM vectors. Every test works on
real files: SQLite databases held open by other connections, flipped bytes, hand-made hostile archives.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from evidex.answer.engine import AnswerEngine
from evidex.cli import main
from evidex.ingest.embedding import embed_missing, embed_missing_sentences, missing_sentence_passages
from evidex.ingest.runner import ingest
from evidex.search.embedder import load_embedder
from evidex.search.retriever import Retriever
from evidex.search.settings import RetrievalSettings
from evidex.store.backup import MANIFEST_FILE, BackupError, backup_library, restore_library
from evidex.store.library import FORMAT_VERSION, Library
from evidex.store.vectors import SENTENCE_SLOTS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
QUESTION = "What is the first-line maintenance therapy for asthma in adults?"
QUERIES = ("asthma inhaled corticosteroids", "high blood pressure treatment", "retracted trial")


@pytest.fixture(scope="module")
def library_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed library with every passage embedded and a saved thread file."""
    path = tmp_path_factory.mktemp("backup") / "lib"
    with Library(path, create=True) as library:
        summary = ingest(library, [FIXTURES / "docs", FIXTURES / "pubmed" / "efetch_sample.xml"])
        assert summary.added == 8, summary
        assert embed_missing(library, load_embedder()) == library.records.counts()["passages"]
    (path / "last-question.json").write_text('{"question": "asthma"}\n', encoding="utf-8")
    return path


def _fingerprint(path: Path) -> dict[str, Any]:
    """What a user of the library sees: counts, ranked search results and a whole answer page."""
    with Library(path) as library:
        counts = library.records.counts()
        counts["indexed"] = library.lexical.count()
        counts["embedded"] = len(library.vectors.ids() & library.records.passage_ids())
        retriever = Retriever(library, RetrievalSettings.preset("default"))
        searches = {
            query: [(hit.document_id, hit.text, round(hit.score, 6)) for hit in retriever.search(query, 10)]
            for query in QUERIES
        }
        assert not retriever.notes, retriever.notes  # dense search really ran
        answer = AnswerEngine(library, "fast").ask(QUESTION)
    return {
        "counts": counts,
        "searches": searches,
        "answer": answer.model_dump(mode="json", exclude={"timings_ms", "created_at"}),
    }


@pytest.fixture(scope="module")
def original(library_path: Path) -> dict[str, Any]:
    fingerprint = _fingerprint(library_path)
    assert fingerprint["counts"]["documents"] == 8
    assert fingerprint["counts"]["embedded"] == fingerprint["counts"]["passages"] > 0
    assert fingerprint["answer"]["sections"], "the fixture library should answer the question"
    return fingerprint


def _copy(library_path: Path, tmp_path: Path) -> Path:
    """A private copy of the (closed) library for a test that changes it."""
    return Path(shutil.copytree(library_path, tmp_path / "live"))


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("name", ["backup", "backup.tar.gz"])
def test_backup_and_restore_answer_identically(
    library_path: Path, original: dict[str, Any], tmp_path: Path, name: str
) -> None:
    result = backup_library(library_path, tmp_path / name)
    assert result.archive == name.endswith(".tar.gz")
    counts = original["counts"]
    assert result.counts == {
        "documents": 8,
        "passages": counts["passages"],
        "indexed_passages": counts["passages"],
        "vectors": counts["passages"],
    }
    assert result.notes == []

    restored = restore_library(tmp_path / name, tmp_path / "restored")
    assert restored.counts == result.counts
    assert restored.files == result.files
    assert _fingerprint(tmp_path / "restored") == original
    names = {p.relative_to(tmp_path / "restored").as_posix() for p in (tmp_path / "restored").rglob("*")}
    assert {"evidex-library.json", "records.sqlite", "lexical.sqlite", "abbreviations.json"} <= names
    assert {"last-question.json", "vectors/meta.json", "vectors/shard-000001.vec.npy"} <= names
    assert MANIFEST_FILE not in names
    assert _leftovers(tmp_path) == []  # no staging folder or partial archive left beside


def test_manifest_describes_every_file(library_path: Path, tmp_path: Path) -> None:
    backup_library(library_path, tmp_path / "backup")
    manifest = json.loads((tmp_path / "backup" / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["library_format"] == FORMAT_VERSION
    assert manifest["evidex_version"]
    assert manifest["created_at"].endswith("Z")
    assert manifest["counts"]["documents"] == 8
    on_disk = {
        p.relative_to(tmp_path / "backup").as_posix()
        for p in (tmp_path / "backup").rglob("*")
        if p.is_file() and p.name != MANIFEST_FILE
    }
    assert set(manifest["files"]) == on_disk
    for name, entry in manifest["files"].items():
        data = (tmp_path / "backup" / name).read_bytes()
        assert entry == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    # each database is one self-contained file, in rollback-journal mode
    for name in ("records.sqlite", "lexical.sqlite"):
        assert (tmp_path / "backup" / name).read_bytes()[18:20] == b"\x01\x01"


def test_backup_while_writers_hold_the_databases(library_path: Path, tmp_path: Path) -> None:
    live = _copy(library_path, tmp_path)
    with Library(live) as library:
        before = library.records.counts()["passages"]
    reader = sqlite3.connect(live / "records.sqlite")
    gone, pending = (row[0] for row in reader.execute("SELECT id FROM documents ORDER BY id LIMIT 2"))
    reader.close()
    # a committed change still in the WAL (the connection stays open, so nothing is checkpointed) ...
    committed = sqlite3.connect(live / "records.sqlite")
    committed.execute("PRAGMA journal_mode=WAL")
    n_gone = committed.execute("DELETE FROM passages WHERE document_id = ?", (gone,)).rowcount
    committed.commit()
    # ... and an open write transaction on each database, as an ingest batch in flight
    writer = sqlite3.connect(live / "records.sqlite", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    n_pending = writer.execute("DELETE FROM passages WHERE document_id = ?", (pending,)).rowcount
    lexical_writer = sqlite3.connect(live / "lexical.sqlite", isolation_level=None)
    lexical_writer.execute("BEGIN IMMEDIATE")
    lexical_writer.execute("DELETE FROM passage_fts")
    assert n_gone and n_pending
    try:
        result = backup_library(live, tmp_path / "backup")
    finally:
        writer.execute("COMMIT")
        lexical_writer.execute("ROLLBACK")
        for conn in (writer, lexical_writer, committed):
            conn.close()

    # the committed delete is in, the uncommitted one is not; the index and vectors follow the records
    expected = before - n_gone
    assert result.counts == {
        "documents": 8,
        "passages": expected,
        "indexed_passages": expected,
        "vectors": expected,
    }
    assert any("lexical index" in note and f"{n_gone} removed" in note for note in result.notes)
    assert any(f"{n_gone} vectors of passages no longer" in note for note in result.notes)
    check = sqlite3.connect(tmp_path / "backup" / "records.sqlite")
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert check.execute("SELECT count(*) FROM passages WHERE document_id = ?", (pending,)).fetchone()[0]
    check.close()

    restore_library(tmp_path / "backup", tmp_path / "restored")
    with Library(tmp_path / "restored") as restored:
        ids = restored.records.passage_ids()
        assert len(ids) == expected
        assert restored.lexical.ids() == ids
        assert restored.vectors.ids() == ids  # stale vectors left out, not just masked


def test_vectors_of_deleted_passages_are_left_out(library_path: Path, tmp_path: Path) -> None:
    live = _copy(library_path, tmp_path)
    with Library(live) as library:
        stale = max(library.records.passage_ids()) + 1
        vector = np.ones((1, 384), dtype=np.float32) / np.sqrt(384)
        library.vectors.append([stale], vector, str((library.vectors.meta() or {})["model"]))
    # a half-written shard (vectors file without its ids file) is not copied either
    (live / "vectors" / "shard-000009.vec.npy").write_bytes(b"partial")
    result = backup_library(live, tmp_path / "backup")
    assert sorted(p.name for p in (tmp_path / "backup" / "vectors").iterdir()) == [
        "meta.json",
        "shard-000001.ids.npy",
        "shard-000001.vec.npy",
    ]
    assert result.counts["vectors"] == result.counts["passages"]
    assert "1 vectors of passages no longer in the records left out" in result.notes


def test_sentence_vectors_are_backed_up_without_stale_ones(library_path: Path, tmp_path: Path) -> None:
    live = _copy(library_path, tmp_path)
    with Library(live) as library:
        embedded = embed_missing_sentences(library, load_embedder())
        assert embedded == library.records.counts()["passages"]
        keys = library.sentence_vectors.ids()
        stale = (max(library.records.passage_ids()) + 1) * SENTENCE_SLOTS
        vector = np.ones((2, 384), dtype=np.float32) / np.sqrt(384)
        library.sentence_vectors.append([stale, stale + 1], vector, str(library.vectors.meta()["model"]))  # type: ignore[index]
    result = backup_library(live, tmp_path / "backup")
    assert "2 sentence vectors of passages no longer in the records left out" in result.notes
    restore_library(tmp_path / "backup", tmp_path / "restored")
    with Library(tmp_path / "restored") as restored:
        assert restored.sentence_vectors.ids() == keys
        assert missing_sentence_passages(restored) == []


def test_corrupted_backup_restores_nothing(library_path: Path, tmp_path: Path) -> None:
    backup_library(library_path, tmp_path / "backup")
    shard = tmp_path / "backup" / "vectors" / "shard-000001.vec.npy"
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    with pytest.raises(BackupError, match=r"vectors/shard-000001\.vec\.npy .*sha256.*nothing was restored"):
        restore_library(tmp_path / "backup", tmp_path / "restored")
    assert not (tmp_path / "restored").exists()
    assert _leftovers(tmp_path) == []

    records = tmp_path / "backup" / "records.sqlite"
    records.write_bytes(records.read_bytes()[:-100])
    with pytest.raises(BackupError, match=r"^records\.sqlite .* bytes, the manifest says"):
        restore_library(tmp_path / "backup", tmp_path / "restored")
    assert not (tmp_path / "restored").exists()

    (tmp_path / "backup" / "abbreviations.json").unlink()
    with pytest.raises(BackupError, match=r"abbreviations\.json is missing"):
        restore_library(tmp_path / "backup", tmp_path / "restored")
    assert not (tmp_path / "restored").exists()


def test_truncated_archive_restores_nothing(library_path: Path, tmp_path: Path) -> None:
    archive = tmp_path / "backup.tar.gz"
    backup_library(library_path, archive)
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(BackupError, match=r"cut\.tar\.gz"):
        restore_library(cut, tmp_path / "restored")
    assert not (tmp_path / "restored").exists()
    assert _leftovers(tmp_path) == []

    # a well-formed archive whose member differs from the manifest's checksum
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(tampered, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "abbreviations.json":
                data = data.replace(b"{", b"[", 1)
            _add(target, member.name, data)
    with pytest.raises(BackupError, match=r"^abbreviations\.json in .*tampered\.tar\.gz does not match"):
        restore_library(tampered, tmp_path / "restored")
    assert not (tmp_path / "restored").exists()
    assert _leftovers(tmp_path) == []


def test_non_empty_destinations_are_refused(library_path: Path, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(BackupError, match="not an empty folder"):
        backup_library(library_path, tmp_path / "full")
    (tmp_path / "old.tar.gz").write_bytes(b"precious")
    with pytest.raises(BackupError, match="already exists"):
        backup_library(library_path, tmp_path / "old.tar.gz")
    assert (tmp_path / "old.tar.gz").read_bytes() == b"precious"
    with pytest.raises(BackupError, match="inside the library"):
        backup_library(library_path, library_path / "backup")

    (tmp_path / "empty").mkdir()
    backup_library(library_path, tmp_path / "empty")  # an empty folder is fine
    with pytest.raises(BackupError, match="not an empty folder"):
        restore_library(tmp_path / "empty", tmp_path / "full")
    with pytest.raises(BackupError, match="not an empty folder"):
        restore_library(tmp_path / "empty", library_path)
    assert (tmp_path / "full" / "notes.txt").read_text(encoding="utf-8") == "mine"
    with pytest.raises(BackupError, match="no backup at"):
        restore_library(tmp_path / "missing", tmp_path / "restored")
    with pytest.raises(BackupError, match="not an Evidex backup"):
        restore_library(tmp_path / "full", tmp_path / "restored")
    with pytest.raises(BackupError, match="no evidence library"):
        backup_library(tmp_path / "full", tmp_path / "nothing")


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def test_archive_members_outside_the_folder_are_refused(library_path: Path, tmp_path: Path) -> None:
    backup_library(library_path, tmp_path / "backup")
    manifest = (tmp_path / "backup" / MANIFEST_FILE).read_bytes()
    hostile = {
        "dotdot.tar.gz": lambda tar: _add(tar, "../evil", b"owned"),
        "absolute.tar.gz": lambda tar: _add(tar, str(tmp_path / "evil"), b"owned"),
        "link.tar.gz": lambda tar: tar.addfile(_symlink("records.sqlite", "/etc/passwd")),
    }
    for name, add_member in hostile.items():
        with tarfile.open(tmp_path / name, "w:gz") as tar:
            _add(tar, MANIFEST_FILE, manifest)
            add_member(tar)
            for path in sorted((tmp_path / "backup").rglob("*")):
                if path.is_file() and path.name != MANIFEST_FILE:
                    tar.add(path, arcname=path.relative_to(tmp_path / "backup").as_posix())
        with pytest.raises(BackupError, match="unsafe member"):
            restore_library(tmp_path / name, tmp_path / "out" / "restored")
        assert not (tmp_path / "out" / "restored").exists()
        assert not (tmp_path / "evil").exists()
        assert not (tmp_path / "out" / "evil").exists()


def _symlink(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    return info


def test_archive_of_a_backup_folder_restores(library_path: Path, tmp_path: Path) -> None:
    """A backup folder archived by hand (`tar czf x.tar.gz backup/`) restores as well."""
    backup_library(library_path, tmp_path / "backup")
    with tarfile.open(tmp_path / "by-hand.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "backup", arcname="backup")
    result = restore_library(tmp_path / "by-hand.tar.gz", tmp_path / "restored")
    assert result.counts["documents"] == 8
    with Library(tmp_path / "restored") as restored:
        assert restored.records.counts()["documents"] == 8


def test_backup_from_a_newer_library_format_is_refused(library_path: Path, tmp_path: Path) -> None:
    backup_library(library_path, tmp_path / "backup")
    path = tmp_path / "backup" / MANIFEST_FILE
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["library_format"] = FORMAT_VERSION + 1
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(BackupError, match=r"format 2.*restore it with a newer Evidex"):
        restore_library(tmp_path / "backup", tmp_path / "restored")
    assert not (tmp_path / "restored").exists()


def test_postgresql_records_are_refused_with_the_pg_dump_hint(library_path: Path, tmp_path: Path) -> None:
    # an unreachable host: the refusal must come before any attempt to connect
    url = "postgresql+psycopg://evidex:s3cret@db.invalid:5432/evidex"
    with pytest.raises(BackupError) as caught:
        backup_library(library_path, tmp_path / "backup", database_url=url)
    message = str(caught.value)
    assert "pg_dump" in message
    assert "postgresql" in message and "db.invalid" in message and "s3cret" not in message
    for name in ("lexical.sqlite", "abbreviations.json", "vectors/ (1 shards)"):
        assert name in message  # what a backup of the folder alone would hold
    assert "records.sqlite" not in message
    assert "\n" not in message
    assert not (tmp_path / "backup").exists()
    assert list(tmp_path.iterdir()) == []


def test_records_in_a_sqlite_file_elsewhere_are_copied(library_path: Path, tmp_path: Path) -> None:
    live = _copy(library_path, tmp_path)
    elsewhere = tmp_path / "records-elsewhere.sqlite"
    (live / "records.sqlite").rename(elsewhere)
    result = backup_library(live, tmp_path / "backup", database_url=f"sqlite:///{elsewhere}")
    assert result.counts["documents"] == 8
    assert (tmp_path / "backup" / "records.sqlite").is_file()


def test_cli_backup_and_restore(library_path: Path, original: dict[str, Any], tmp_path: Path) -> None:
    runner = CliRunner()
    archive = tmp_path / "lib.tar.gz"
    result = runner.invoke(
        main, ["library", "backup", str(archive), "--library", str(library_path), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["archive"] is True
    assert report["counts"]["documents"] == 8
    assert report["bytes"] == archive.stat().st_size

    result = runner.invoke(main, ["library", "restore", str(archive), str(tmp_path / "restored")])
    assert result.exit_code == 0, result.output
    assert "8 documents" in result.output and "restored" in result.output
    assert _fingerprint(tmp_path / "restored")["counts"] == original["counts"]

    result = runner.invoke(
        main, ["library", "backup", str(tmp_path / "plain"), "--library", str(library_path)]
    )
    assert result.exit_code == 0, result.output
    assert "8 documents" in result.output and "files" in result.output

    result = runner.invoke(main, ["library", "restore", str(archive), str(tmp_path / "restored"), "--json"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "not an empty folder" in result.output
    assert result.output.count("\n") == 1

    result = runner.invoke(
        main,
        ["library", "backup", str(tmp_path / "pg"), "--library", str(library_path)],
        env={"EVIDEX_DATABASE_URL": "postgresql://evidex@db.invalid/evidex"},
    )
    assert result.exit_code == 1
    assert "pg_dump" in result.output and "Traceback" not in result.output
