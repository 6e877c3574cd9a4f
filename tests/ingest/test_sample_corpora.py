"""The six shared corpora load with exact counts and known records."""

from __future__ import annotations

from pathlib import Path

from evidex.ingest import beir_jsonl, corpus_bioasq, corpus_medquad, corpus_ngc, corpus_pubmedqa
from evidex.ingest.chunking import split_document
from evidex.ingest.grading import graded
from evidex.ingest.records import Rejected
from evidex.models import Document, EvidenceKind


def _documents(items: list[Document | Rejected]) -> dict[str, Document]:
    assert not [item for item in items if isinstance(item, Rejected)]
    return {item.id: item for item in items if isinstance(item, Document)}


def test_pubmedqa_abstracts(corpus_dir: Path) -> None:
    docs = _documents(list(corpus_pubmedqa.load(corpus_dir / "pubmedqa_abstracts.jsonl")))
    assert len(docs) == 1000
    doc = docs["pmid:21645374"]
    assert doc.year == 2011
    assert doc.mesh_terms == [
        "Alismataceae",
        "Apoptosis",
        "Cell Differentiation",
        "Mitochondria",
        "Plant Leaves",
    ]
    assert [s.label for s in doc.sections] == ["BACKGROUND", "RESULTS"]
    assert doc.title == "Programmed cell death (PCD) is the regulated death of cells within an organism."
    assert doc.url == "https://pubmed.ncbi.nlm.nih.gov/21645374/"


def test_scifact_corpus(corpus_dir: Path) -> None:
    docs = _documents(list(beir_jsonl.load(corpus_dir / "scifact_corpus.jsonl")))
    assert len(docs) == 5183
    doc = docs["scifact:4983"]
    assert doc.title.startswith("Microstructural development of human newborn cerebral white matter")
    assert doc.source == "scifact"
    assert doc.sections[0].text.startswith("Alterations of the architecture of cerebral white matter")


def test_bioasq_rows_of_one_pmid_become_one_document(corpus_dir: Path) -> None:
    docs = _documents(list(corpus_bioasq.load(corpus_dir / "bioasq_snippets.jsonl")))
    assert len(docs) == 13449  # distinct PMIDs among 21,452 rows
    doc = docs["pmid:34022131"]
    assert doc.title == (
        "Non-coding region variants upstream of MEF2C cause severe developmental disorder "
        "through three distinct loss-of-function mechanisms."
    )
    assert doc.sections[0].label == "ABSTRACT"
    assert doc.sections[0].text.startswith("Clinical genetic testing of protein-coding regions")


def test_bioasq_keeps_snippet_offsets() -> None:
    merged = corpus_bioasq._merge([(0, 100, "whole"), (10, 50, "inside"), (120, 160, "later")])
    assert merged == [(0, "whole"), (120, "later")]


def test_medquad_answers(corpus_dir: Path) -> None:
    docs = _documents(list(corpus_medquad.load(corpus_dir / "medquad_answered.jsonl")))
    assert len(docs) == 16407  # qids repeat across questions of one page; ids stay unique
    leukemia = [d for d in docs.values() if d.title == "What is (are) Adult Acute Lymphoblastic Leukemia?"]
    assert len(leukemia) == 1
    doc = leukemia[0]
    assert doc.kind is EvidenceKind.CONSUMER_INFORMATION
    assert doc.publisher == "National Cancer Institute (cancer.gov)"
    assert doc.url == "https://www.cancer.gov/types/leukemia/patient/adult-all-treatment-pdq"
    assert doc.extra["focus"] == "Adult Acute Lymphoblastic Leukemia"


def test_ngc_keeps_recommendations_with_their_grades(corpus_dir: Path) -> None:
    docs = _documents(list(corpus_ngc.load(corpus_dir / "ngc_guideline_summaries.jsonl.gz")))
    assert len(docs) == 1416
    doc = docs["ngc:2052"]
    assert doc.kind is EvidenceKind.GUIDELINE
    assert doc.year == 2000
    assert doc.publisher == "American Academy of Neurology - Medical Specialty Society"
    assert doc.sections[0].label == "Major Recommendations"
    statement = (
        "For patients with nonthymomatous autoimmune myasthenia gravis, thymectomy is recommended "
        "as an option to increase the probability of remission or improvement (Class II)."
    )
    assert statement in doc.sections[0].text.split("\n")
    # mojibake from the 2018 export is repaired
    assert "case–control" in doc.sections[0].text
    assert "â\x80" not in doc.sections[0].text
    # the statement and its grade stay together in one passage
    passages = split_document(graded(doc))
    assert sum(statement in p.text for p in passages) == 1
    # hard-wrapped lines are rejoined
    assert "positive associations in most studies between thymectomy and myasthenia gravis" in (
        doc.sections[0].text
    )
