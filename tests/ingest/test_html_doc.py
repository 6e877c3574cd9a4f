"""HTML loader: boilerplate removal, citation meta tags, headings as sections, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidex.ingest import html_doc
from evidex.ingest.file_ids import file_document_id
from evidex.ingest.records import SourceError
from evidex.models import Document

FIXTURE = Path(__file__).parent.parent / "fixtures" / "docs" / "high_blood_pressure.html"


def _load(path: Path) -> Document:
    items = list(html_doc.load(path))
    assert len(items) == 1
    assert isinstance(items[0], Document)
    return items[0]


def test_citation_meta_tags() -> None:
    doc = _load(FIXTURE)
    assert doc.title == "High Blood Pressure (Hypertension)"
    assert doc.authors == ["Maria Lopez", "Tom Baker"]
    assert doc.journal == "Northshire Health Review"
    assert doc.publisher == "Northshire Health Service"
    assert (doc.year, doc.date) == (2022, "2022-06-01")
    assert doc.doi == "10.1234/nhr.2022.0601"
    assert doc.pmid == "35123456"
    assert doc.url == "https://health.example.org/conditions/high-blood-pressure/"
    assert doc.source == "file"
    assert doc.id == file_document_id(FIXTURE.read_bytes())
    assert doc.extra == {
        "path": str(FIXTURE.resolve()),
        "format": "html",
        "description": "Find out about high blood pressure, its symptoms and how it is treated.",
    }


def test_sections_labels_and_text() -> None:
    doc = _load(FIXTURE)
    assert [(s.label, s.text) for s in doc.sections] == [
        (
            "Introduction",
            "High blood pressure, or hypertension, rarely has noticeable symptoms. But if "
            "untreated, it increases your risk of serious problems such as heart attacks and "
            "strokes.",
        ),
        ("Symptoms", "Most people with high blood pressure do not have symptoms."),
        (
            "Symptoms > When to get help",
            "- You have a severe headache\n- You have chest pain or shortness of breath",
        ),
        (
            "Blood pressure readings",
            "Category | Reading\nNormal | below 120/80mmHg\nHigh | 140/90mmHg or higher",
        ),
        (
            "Treatment",
            "Lifestyle changes can help lower blood pressure. Some people also need medicine.",
        ),
    ]


def test_boilerplate_removed() -> None:
    everything = " ".join(s.label + " " + s.text for s in _load(FIXTURE).sections)
    for chrome in (
        "Health A to Z",
        "Live Well",
        "Skip to main content",
        "cookies",
        "Northshire Health Online home",
        "Conditions",
        "Privacy policy",
        "Was this page helpful",
        "Related: Low blood pressure",
        "More in Conditions",
        "tracking code",
        "font-family",
    ):
        assert chrome not in everything


def test_title_from_h1_when_no_meta(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Gout | Site</title><meta property='og:url' content='https://x.org/g'>"
        "</head><body><div class='has-sidebar'><h1>Gout</h1><p>Joint pain.</p></div></body></html>",
        encoding="utf-8",
    )
    doc = _load(path)
    assert (doc.title, doc.url) == ("Gout", "https://x.org/g")
    assert [(s.label, s.text) for s in doc.sections] == [("Text", "Joint pain.")]


def test_same_bytes_same_id(tmp_path: Path) -> None:
    copy = tmp_path / "copy.htm"
    copy.write_bytes(FIXTURE.read_bytes())
    assert _load(copy).id == _load(FIXTURE).id


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.html", b""),
        ("junk.html", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8),
        ("chrome_only.html", b"<html><body><nav>Home</nav><footer>(c)</footer></body></html>"),
    ],
)
def test_bad_input_raises_naming_file(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SourceError, match=name.replace(".", r"\.")):
        list(html_doc.load(path))
