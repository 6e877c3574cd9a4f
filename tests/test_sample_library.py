"""The sample library built from the six shared corpora: exact counts, known records, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evidex.answer.engine import AnswerEngine
from evidex.ingest.runner import IngestSummary, ingest_sample
from evidex.models import EvidenceKind
from evidex.search.retriever import Retriever, SearchFilters
from evidex.store.library import Library

pytestmark = pytest.mark.slow

SAMPLE_DOCUMENTS = 37_710
SAMPLE_PASSAGES = 83_516
BY_SOURCE = {
    "bioasq": 13_448,
    "cdc_mmwr": 256,
    "medquad": 16_407,
    "ngc": 1_416,
    "pubmedqa": 1_000,
    "scifact": 5_183,
}

# NGC summaries are guidelines by source, MedQuAD pages consumer information; the rest is graded
# from MeSH design headings (PubMedQA) or title/abstract cues.
BY_KIND = {
    "guideline": 1_475,
    "systematic_review": 241,
    "randomized_trial": 521,
    "observational_study": 1_549,
    "case_report": 182,
    "narrative_review": 82,
    "consumer_information": 16_407,
    "other": 17_253,
}


def evidex(*args: str, library: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real `evidex` command as a user would."""
    extra = ["--library", str(library)] if library else []
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "evidex.cli", *args, *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def test_sample_build_summary(sample_build: tuple[Path, IngestSummary]) -> None:
    _, summary = sample_build
    assert summary.added == SAMPLE_DOCUMENTS
    assert summary.rejected == []
    # PMID 18948835 is both a PubMedQA abstract and a BioASQ article: held once, from PubMedQA
    assert dict(summary.skip_reasons) == {"already held from pubmedqa": 1}
    assert summary.passages_added == SAMPLE_PASSAGES


def test_sample_counts(sample_library: Library) -> None:
    counts = sample_library.records.counts()
    assert counts["documents"] == SAMPLE_DOCUMENTS
    assert counts["passages"] == SAMPLE_PASSAGES
    assert counts["by_source"] == BY_SOURCE
    assert counts["by_kind"] == BY_KIND
    assert sample_library.lexical.count() == SAMPLE_PASSAGES


def test_shared_pmid_is_held_once_from_pubmedqa(sample_library: Library) -> None:
    doc = sample_library.records.document("pmid:18948835")
    assert doc is not None and doc.source == "pubmedqa"


def test_known_answers_rank_first(sample_library: Library) -> None:
    retriever = Retriever(sample_library)
    assert retriever.search("thymectomy for autoimmune myasthenia gravis", k=1)[0].document_id == "ngc:2052"
    assert retriever.search("prevention of congenital syphilis", k=1)[0].document_id == "mmwr:00026330"
    hits = retriever.search(
        "herpes simplex treatment", k=10, filters=SearchFilters(kinds=[EvidenceKind.CONSUMER_INFORMATION])
    )
    assert len(hits) == 10 and {hit.kind for hit in hits} == {EvidenceKind.CONSUMER_INFORMATION}
    recent = retriever.search("asthma", k=20, filters=SearchFilters(year_from=2010, sources=["ngc"]))
    assert recent and all(hit.source == "ngc" and (hit.year or 0) >= 2010 for hit in recent)


def test_second_sample_build_adds_nothing(sample_library_path: Path, corpus_dir: Path) -> None:
    with Library(sample_library_path) as library:
        summary = ingest_sample(library, corpus_dir)
        assert (summary.added, summary.updated, summary.rejected) == (0, 0, [])
        assert summary.skipped == SAMPLE_DOCUMENTS + 1
        assert library.records.counts()["documents"] == SAMPLE_DOCUMENTS


def test_cli_stats_search_show(sample_library_path: Path) -> None:
    stats = evidex("library", "stats", "--json", library=sample_library_path)
    assert stats.returncode == 0, stats.stderr
    data = json.loads(stats.stdout)
    assert (data["documents"], data["passages"], data["indexed_passages"]) == (
        SAMPLE_DOCUMENTS,
        SAMPLE_PASSAGES,
        SAMPLE_PASSAGES,
    )
    assert data["by_source"] == BY_SOURCE and data["size_bytes"] > 0
    assert (data["embedded_passages"], data["sentence_embedded_passages"]) == (0, 0)  # built without vectors

    search = evidex(
        "search",
        "thymectomy myasthenia gravis",
        "-k",
        "3",
        "--kind",
        "guideline",
        "--json",
        library=sample_library_path,
    )
    assert search.returncode == 0, search.stderr
    hits = json.loads(search.stdout)
    assert len(hits) == 3 and hits[0]["document_id"] == "ngc:2052" and hits[0]["kind"] == "guideline"

    text = evidex("search", "thymectomy myasthenia gravis", "-k", "1", library=sample_library_path)
    assert "Practice parameter: thymectomy for autoimmune myasthenia gravis" in text.stdout
    assert "Guideline" in text.stdout

    show = evidex("show", "ngc:2052", "--json", library=sample_library_path)
    assert show.returncode == 0, show.stderr
    doc = json.loads(show.stdout)
    assert doc["kind_label"] == "Guideline" and doc["year"] == 2000
    assert doc["passages"][0]["section"] == "Major Recommendations"


def test_cli_errors_are_one_clear_line(sample_library_path: Path, tmp_path: Path) -> None:
    unknown = evidex("show", "pmid:0", library=sample_library_path)
    assert unknown.returncode == 1
    assert "no document 'pmid:0'" in unknown.stderr and "Traceback" not in unknown.stderr

    empty = evidex("search", "   ", library=sample_library_path)
    assert empty.returncode == 2 and "the query is empty" in empty.stderr

    only_stopwords = evidex("search", "what is the", library=sample_library_path)
    assert only_stopwords.returncode == 2 and "no searchable words" in only_stopwords.stderr

    missing = evidex("library", "stats", library=tmp_path / "nowhere")
    assert missing.returncode == 1 and "evidex library sample" in missing.stderr

    bad_format = evidex("ingest", str(tmp_path), "--format", "docx", library=tmp_path / "lib")
    assert bad_format.returncode == 2 and "docx" in bad_format.stderr


def test_cli_ask_on_the_sample_library(sample_library_path: Path) -> None:
    ivig = evidex(
        "ask",
        "Should IVIG be used as first-line therapy for HSV infection in severely immunocompromised patients?",
        "--format",
        "json",
        "--preset",
        "fast",
        library=sample_library_path,
    )
    assert ivig.returncode == 0, ivig.stderr
    page = json.loads(ivig.stdout)
    # the sample library holds HSV guidance but nothing on IVIG for HSV: the verdict says so
    assert page["verdict"] == "insufficient evidence"
    assert page["analysis"]["is_yes_no"] is True

    herpes = evidex(
        "ask",
        "What is the recommended treatment for genital herpes?",
        "--format",
        "json",
        "--preset",
        "fast",
        library=sample_library_path,
    )
    assert herpes.returncode == 0, herpes.stderr
    answer = json.loads(herpes.stdout)
    claims = [claim for section in answer["sections"] for claim in section["claims"]]
    assert claims and all(claim["citations"] and claim["verified"] for claim in claims)
    assert any("Acyclovir 200 mg orally 5 times a day" in claim["text"] for claim in claims)
    assert answer["references"][0]["kind_label"] == "Guideline"

    follow = evidex(
        "ask",
        "What about pregnancy?",
        "--follow-up",
        "--format",
        "md",
        "--preset",
        "fast",
        library=sample_library_path,
    )
    assert follow.returncode == 0, follow.stderr
    assert "herpes" in follow.stdout.lower()

    empty = evidex("ask", "  ", library=sample_library_path)
    assert empty.returncode == 2 and "Traceback" not in empty.stderr


# Clinical yes/no questions whose answer the sample library states plainly (MedQuAD, CDC, NGC pages):
# the whole engine, from analysis to the fitted verdict model, on real evidence.
PLAIN_ANSWERS = [
    ("Is MMR vaccine safe during pregnancy?", "no"),
    ("Is honey safe for infants under 1 year?", "no"),
    ("Is measles contagious?", "yes"),
    ("Do statins reduce cardiovascular events?", "yes"),
    ("Is hepatitis B vaccine recommended for infants?", "yes"),
]


@pytest.mark.parametrize(("question", "verdict"), PLAIN_ANSWERS)
def test_plain_yes_no_answers(sample_library: Library, question: str, verdict: str) -> None:
    answer = AnswerEngine(sample_library, "fast").ask(question)
    assert answer.verdict is not None and answer.verdict.value == verdict
    assert answer.strength is not None
    assert all(claim.citations for section in answer.sections for claim in section.claims)
