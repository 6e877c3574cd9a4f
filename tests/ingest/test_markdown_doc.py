"""Markdown loader: front matter, nested/setext headings, lists, tables, code, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidex.ingest import markdown_doc
from evidex.ingest.file_ids import file_document_id
from evidex.ingest.records import SourceError
from evidex.models import Document

FIXTURE = Path(__file__).parent.parent / "fixtures" / "docs" / "asthma_guideline.md"


def _load(path: Path) -> Document:
    items = list(markdown_doc.load(path))
    assert len(items) == 1
    assert isinstance(items[0], Document)
    return items[0]


def test_front_matter_fields() -> None:
    doc = _load(FIXTURE)
    assert doc.title == "Adult Asthma: Diagnosis and Management"
    assert doc.authors == ["Jane Roe", "Ahmed Khan"]
    assert doc.year == 2023
    assert doc.date == "2023-03-14"
    assert doc.publisher == "Northshire Clinical Guidelines Group"
    assert doc.url == "https://guidelines.example.org/asthma-adults"
    assert doc.licence == "CC BY 4.0"
    assert doc.source == "file"
    assert doc.extra == {"path": str(FIXTURE.resolve()), "format": "markdown"}
    assert doc.id == file_document_id(FIXTURE.read_bytes())


def test_sections_in_order_with_nested_labels() -> None:
    doc = _load(FIXTURE)
    assert [s.label for s in doc.sections] == [
        "Introduction",
        "Diagnosis",
        "Diagnosis > Objective tests",
        "Treatment > Recommendations",
        "Treatment > Dosing",
        "Monitoring",
    ]
    assert all(s.page is None for s in doc.sections)
    assert doc.sections[0].text == (
        "This guideline covers the diagnosis and management of asthma in adults aged 17 and over. "
        "It aims to improve the accuracy of diagnosis and reduce the number of people who have "
        "asthma attacks."
    )
    assert doc.sections[2].text == (
        "Measure the fractional exhaled nitric oxide (FeNO) level if a diagnosis is being "
        "considered. See the FeNO protocol for details.\n\n"
        "Offer spirometry to adults with symptoms suggestive of asthma."
    )


def test_lists_tables_and_code() -> None:
    sections = {s.label: s.text for s in _load(FIXTURE).sections}
    assert sections["Treatment > Recommendations"] == (
        "- Offer a short-acting beta2 agonist (SABA) as reliever therapy (Grade A).\n"
        "- Offer a low dose of an inhaled corticosteroid (ICS) as first-line maintenance therapy "
        "to adults with newly diagnosed asthma (Grade A).\n"
        "- Consider a leukotriene receptor antagonist if asthma is uncontrolled (Grade B)."
    )
    assert sections["Treatment > Dosing"] == (
        "Drug | Low dose | Moderate dose\n"
        "Beclometasone | 200 micrograms | 400 micrograms\n"
        "Budesonide | 200 micrograms | 400 micrograms\n\n"
        "Example inhaler technique check:\n\n"
        "# not a heading: inhale slowly\n"
        "Shake, exhale, seal lips, press and inhale"
    )
    assert sections["Monitoring"] == (
        "- Review asthma control at every annual review.\n- Check inhaler technique."
    )


def test_same_bytes_same_id(tmp_path: Path) -> None:
    copy = tmp_path / "renamed.md"
    copy.write_bytes(FIXTURE.read_bytes())
    assert _load(copy).id == _load(FIXTURE).id
    assert _load(copy).id.startswith("file:") and len(_load(copy).id) == 21
    copy.write_bytes(FIXTURE.read_bytes() + b"\nMore text.\n")
    assert _load(copy).id != _load(FIXTURE).id


def test_without_front_matter_title_and_plain_text(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text("Some *plain* text,\nwrapped.\n\nSecond paragraph.\n", encoding="utf-8")
    doc = _load(path)
    assert doc.title == "note"
    assert [(s.label, s.text) for s in doc.sections] == [
        ("Text", "Some plain text, wrapped.\n\nSecond paragraph.")
    ]


def test_h1_title_and_comma_authors(tmp_path: Path) -> None:
    path = tmp_path / "g.md"
    path.write_text(
        "---\nauthors: A One, B Two\nyear: 2019\n---\nGuide\n=====\n\nIntro.\n\n## Part\n\nBody.\n",
        encoding="utf-8",
    )
    doc = _load(path)
    assert (doc.title, doc.authors, doc.year) == ("Guide", ["A One", "B Two"], 2019)
    assert [s.label for s in doc.sections] == ["Introduction", "Part"]


@pytest.mark.parametrize(
    ("name", "content"),
    [("empty.md", b""), ("blank.md", b"  \n\n"), ("junk.md", bytes(range(256)) * 8)],
)
def test_bad_input_raises_naming_file(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SourceError, match=name):
        list(markdown_doc.load(path))
