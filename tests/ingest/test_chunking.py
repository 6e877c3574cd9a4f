"""Passages keep sections, offsets and sentence boundaries; abstracts stay whole."""

from __future__ import annotations

from evidex.ingest.chunking import MAX_CHARS, split_document
from evidex.models import Document, Section


def _sentence(i: int) -> str:
    return f"Sentence number {i} says that the dose of drug X was {i} mg in group {i}."


def test_structured_abstract_stays_one_passage_with_labels() -> None:
    doc = Document(
        id="pmid:1",
        title="T",
        source="pubmed",
        sections=[Section(label="BACKGROUND", text="Why."), Section(label="RESULTS", text="What.")],
    )
    [passage] = split_document(doc)
    assert passage.section == "ABSTRACT"
    assert passage.text == "BACKGROUND: Why.\nRESULTS: What."


def test_long_sections_split_at_sentences_with_exact_offsets() -> None:
    body = " ".join(_sentence(i) for i in range(80))
    intro = "Short introduction."
    doc = Document(
        id="file:1",
        title="T",
        source="file",
        sections=[Section(label="Introduction", text=intro), Section(label="Dosing", text=body, page=3)],
    )
    passages = split_document(doc)
    assert passages[0].section == "Introduction" and passages[0].text == intro
    dosing = [p for p in passages if p.section == "Dosing"]
    assert len(dosing) > 3
    assert all(len(p.text) <= MAX_CHARS for p in dosing)
    assert all(p.page == 3 for p in dosing)
    for p in dosing:
        assert body[p.start : p.end] == p.text
        assert p.text.endswith("."), "a passage ends at a sentence boundary"
    assert [p.ordinal for p in passages] == list(range(len(passages)))
    # nothing is lost: every sentence is in exactly one passage
    for i in range(80):
        assert sum(_sentence(i) in p.text for p in dosing) == 1


def test_offsets_shift_by_section_start() -> None:
    long_text = " ".join(_sentence(i) for i in range(60))
    doc = Document(
        id="pmid:2",
        title="T",
        source="bioasq",
        sections=[Section(label="ABSTRACT", text=long_text, start=500)],
    )
    passages = split_document(doc)
    assert passages[0].start == 500
    assert passages[1].start == 500 + long_text.index(passages[1].text)


def test_overlong_sentence_is_cut_at_words_not_dropped() -> None:
    words = " ".join(f"word{i}" for i in range(600))
    doc = Document(id="f:1", title="T", source="file", sections=[Section(label="S", text=words + " end")])
    doc = doc.model_copy(update={"sections": [*doc.sections, Section(label="Z", text="x" * 10)]})
    passages = split_document(doc)
    joined = " ".join(p.text for p in passages if p.section == "S")
    assert joined == words + " end"
    assert all(len(p.text) <= MAX_CHARS for p in passages)


def test_empty_document_has_no_passages() -> None:
    doc = Document(id="f:2", title="T", source="file", sections=[Section(label="S", text="  ")])
    assert split_document(doc) == []
