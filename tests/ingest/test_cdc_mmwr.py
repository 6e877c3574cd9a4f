"""CDC MMWR Supplement loader: site chrome is stripped, article text and metadata survive."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from evidex.ingest import cdc_mmwr
from evidex.ingest.records import Rejected, SourceError
from evidex.models import Document

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "corpus"
MMWR = DATA / "cdc_mmwr_supplements.jsonl.gz"
if not MMWR.exists():
    MMWR = Path("/work/shared/data/corpus/cdc_mmwr_supplements.jsonl.gz")

BOILERPLATE = (
    "Skip Navigation", "Skip directly", "spacer", "508 Accommodation",
    "Persons using assistive technology", "Exit Notification", "This page last reviewed",
    "Page converted", "](http", "addthis", "Share to Facebook",
)  # fmt: skip


@pytest.fixture(scope="module")
def documents() -> dict[str, Document]:
    if not MMWR.exists():
        pytest.skip("shared MMWR sample data not available")
    items = list(cdc_mmwr.load(MMWR))
    assert not [item for item in items if isinstance(item, Rejected)]
    docs = [item for item in items if isinstance(item, Document)]
    assert len(docs) == 256
    return {doc.id: doc for doc in docs}


def _text(doc: Document) -> str:
    return "\n".join([doc.title, *(s.label + "\n" + s.text for s in doc.sections)])


def test_every_page_is_free_of_site_boilerplate(documents: dict[str, Document]) -> None:
    assert len(documents) == 256
    for doc in documents.values():
        text = _text(doc)
        found = [phrase for phrase in BOILERPLATE if phrase in text]
        assert not found, (doc.id, found)
        assert doc.title and doc.sections and all(s.text.strip() for s in doc.sections)
        assert doc.source == "cdc_mmwr" and doc.licence == "Public domain (CC0)"


def test_old_table_layout_record(documents: dict[str, Document]) -> None:
    doc = documents["mmwr:00026330"]
    assert doc.title == "Guidelines for the Prevention and Control of Congenital Syphilis"
    assert doc.year == 1988
    assert doc.sections[0].label == "1. Introduction"
    assert doc.url == "https://www.cdc.gov/mmwr/preview/mmwrhtml/00026330.htm"
    sentence = "Congenital syphilis causes fetal or perinatal death in 40% of the infants affected."
    assert any(sentence in s.text for s in doc.sections)
    labels = [s.label for s in doc.sections]
    assert "2. Surveillance" in labels
    assert "SUGGESTED CITATION" not in labels


def test_new_layout_record(documents: dict[str, Document]) -> None:
    doc = documents["mmwr:su6503a8"]
    assert doc.title == (
        "Infection Prevention and Control for Ebola in Health Care Settings — West Africa and United States"
    )
    assert doc.year == 2016
    assert doc.date == "July 8, 2016"
    assert doc.sections[0].label == "Summary"
    assert doc.authors[:2] == ["Jeffrey C. Hageman", "Carmen Hazim"]
    assert "Altmetric" not in [s.label for s in doc.sections]
    sentence = (
        "Infection prevention and control (IPC) is an essential, ongoing requirement to protect "
        "patients and health care workers (HCWs) from the spread of infectious diseases in health "
        "care settings."
    )
    assert any(sentence in s.text for s in doc.sections)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]{4,}", text.lower())


def test_new_layout_keeps_nearly_all_article_words(documents: dict[str, Document]) -> None:
    with gzip.open(MMWR, "rt", encoding="utf-8") as handle:
        page = next(json.loads(line) for line in handle if "su6503a8" in line)
    markdown = page["markdown"]
    start = markdown.index("## Background ##")
    end = markdown.index("__Suggested citation for this article")
    body = cdc_mmwr.clean_inline(markdown[start:end])
    kept = set(_words(_text(documents["mmwr:su6503a8"])))
    words = [w for w in _words(body) if w not in {"icon", "external", "crossref", "pubmed"}]
    share = sum(w in kept for w in words) / len(words)
    assert share > 0.95, share


def test_page_ids_from_urls() -> None:
    assert cdc_mmwr.page_id("https://www.cdc.gov/mmwr/preview/mmwrhtml/00026330.htm") == "00026330"
    assert cdc_mmwr.page_id("https://www.cdc.gov/mmwr/volumes/65/su/su6503a8.htm") == "su6503a8"


def test_clean_inline_drops_urls_emphasis_and_affiliation_marks() -> None:
    text = cdc_mmwr.clean_inline(
        r"See [the _MMWR_ site](https://www.cdc.gov/mmwr) by Jane Doe, MD^1,2^ \*\* __bold__"
    )
    assert text == "See the MMWR site by Jane Doe, MD ** bold"


def _page(title: str, sentence: str) -> str:
    return (
        "[Skip directly to site content](#content)\n\n"
        f"# {title} #\n\n_Supplements_ / July 8, 2016 / 65(3);1–2\n\n"
        "Jane A. Doe, MD^1^; John Roe, PhD^2^\n\n"
        f"## Background ##\n\n{sentence}\n\n* [Facebook](https://api.addthis.com/x)\n\n"
        "Page last reviewed: July 17, 2017\n"
    )


def test_malformed_line_is_rejected_and_good_record_loaded(tmp_path: Path) -> None:
    good = {
        "url": "https://www.cdc.gov/mmwr/volumes/65/su/su6503a1.htm",
        "markdown": _page("A Test Title", "Hand washing prevents infection."),
    }
    path = tmp_path / "mmwr.jsonl"
    path.write_text(
        "{not json\n" + json.dumps({"url": "x"}) + "\n" + json.dumps(good) + "\n",
        encoding="utf-8",
    )
    items = list(cdc_mmwr.load(path))
    rejected = [item for item in items if isinstance(item, Rejected)]
    docs = [item for item in items if isinstance(item, Document)]
    assert [r.record for r in rejected] == [1, 2]
    assert all(r.path == str(path) for r in rejected)
    assert len(docs) == 1
    doc = docs[0]
    assert doc.id == "mmwr:su6503a1" and doc.title == "A Test Title"
    assert doc.authors == ["Jane A. Doe", "John Roe"] and doc.year == 2016
    assert [(s.label, s.text) for s in doc.sections] == [("Background", "Hand washing prevents infection.")]


def test_truncated_gzip_raises_source_error_naming_file(tmp_path: Path) -> None:
    record = {
        "url": "https://www.cdc.gov/mmwr/volumes/65/su/su6503a1.htm",
        "markdown": _page("Title", "Some text. " * 2000),
    }
    blob = gzip.compress((json.dumps(record) + "\n").encode("utf-8") * 20)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(SourceError, match=re.escape(str(path))):
        list(cdc_mmwr.load(path))
