"""Kill an ingest with SIGKILL half-way, run it again: it finishes with nothing duplicated or lost."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evidex.ingest import corpus_medquad
from evidex.ingest.chunking import split_document
from evidex.ingest.grading import graded
from evidex.models import Document
from evidex.store.library import LEXICAL_FILE, RECORDS_FILE, Library

pytestmark = pytest.mark.slow


def _count(db: Path, sql: str) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def test_sigkill_mid_ingest_then_resume(tmp_path: Path, corpus_dir: Path) -> None:
    source = corpus_dir / "medquad_answered.jsonl"
    expected = [graded(d) for d in corpus_medquad.load(source) if isinstance(d, Document)]
    expected_passages = sum(len(split_document(d)) for d in expected)
    library = tmp_path / "lib"
    command = [
        sys.executable,
        "-m",
        "evidex.cli",
        "ingest",
        str(source),
        "--no-embed",
        "--library",
        str(library),
    ]
    env = {**os.environ, "EVIDEX_INGEST_BATCH": "100"}

    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _count(library / RECORDS_FILE, "SELECT count(*) FROM documents") < 3000:
        assert process.poll() is None, "ingest ended before it could be killed"
        assert time.monotonic() < deadline, "ingest made no progress"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    partial = _count(library / RECORDS_FILE, "SELECT count(*) FROM documents")
    assert 3000 <= partial < len(expected), "the kill must land mid-way"

    resumed = subprocess.run([*command, "--json"], env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr

    with Library(library) as lib:
        counts = lib.records.counts()
        assert counts["documents"] == len(expected) == 16_407
        assert counts["passages"] == expected_passages
        assert lib.lexical.count() == expected_passages
        assert lib.lexical.ids() == lib.records.passage_ids()
    db = library / RECORDS_FILE
    assert (
        _count(
            db,
            "SELECT count(*) FROM (SELECT document_id, ordinal FROM passages "
            "GROUP BY 1, 2 HAVING count(*) > 1)",
        )
        == 0
    )
    assert (
        _count(library / LEXICAL_FILE, "SELECT count(DISTINCT rowid) FROM passage_fts") == expected_passages
    )
    # a third run finds everything in place
    again = subprocess.run([*command, "--json"], env=env, capture_output=True, text=True, timeout=600)
    assert '"added": 0' in again.stdout and '"updated": 0' in again.stdout
