"""PDF loader: page numbers on sections, heading heuristics, metadata, bad input.

The PDFs are generated here with fpdf2 so the fixture is readable source rather than a binary.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from fpdf import FPDF

from evidex.ingest import pdf_doc
from evidex.ingest.file_ids import file_document_id
from evidex.ingest.records import SourceError
from evidex.models import Document


def _make_pdf(path: Path, *, metadata: bool = True) -> Path:
    """Three pages: a title, numbered and ALL CAPS headings, a section running onto page 2."""
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    if metadata:
        pdf.set_title("COPD Management Pathway")
        pdf.set_author("Jane Roe, John Doe")
    pdf.set_creation_date(datetime.datetime(2021, 5, 4, tzinfo=datetime.UTC))

    def heading(text: str, size: int = 13) -> None:
        pdf.set_font("Helvetica", "B", size)
        pdf.cell(0, 9, text, new_x="LMARGIN", new_y="NEXT")

    def paragraph(text: str) -> None:
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)

    def footer(number: int) -> None:
        pdf.set_y(-20)
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(0, 6, f"Page {number} of 3", align="C")

    pdf.add_page()
    heading("COPD Management Pathway", 16)
    paragraph(
        "This pathway describes the assessment and treat-\nment of adults with chronic "
        "obstructive pulmonary disease in primary care."
    )
    heading("1 Diagnosis")
    paragraph("Confirm airflow obstruction with post-bronchodilator spirometry.")
    heading("2 Treatment")
    paragraph("Offer smoking cessation support to every person who smokes.")
    footer(1)
    pdf.add_page()
    paragraph("Offer a short-acting bronchodilator as initial empirical treatment for breathlessness.")
    heading("2.1 Dosing")
    paragraph("Salbutamol 100 micrograms, one to two puffs as required.")
    footer(2)
    pdf.add_page()
    heading("REFERRAL")
    paragraph("Refer people with severe disease for pulmonary rehabilitation.")
    footer(3)
    pdf.output(str(path))
    return path


def _load(path: Path) -> Document:
    items = list(pdf_doc.load(path))
    assert len(items) == 1
    assert isinstance(items[0], Document)
    return items[0]


EXPECTED = [
    (
        "Introduction",
        1,
        "This pathway describes the assessment and treatment of adults with chronic obstructive "
        "pulmonary disease in primary care.",
    ),
    ("1 Diagnosis", 1, "Confirm airflow obstruction with post-bronchodilator spirometry."),
    ("2 Treatment", 1, "Offer smoking cessation support to every person who smokes."),
    (
        "2 Treatment",
        2,
        "Offer a short-acting bronchodilator as initial empirical treatment for breathlessness.",
    ),
    ("2 Treatment > 2.1 Dosing", 2, "Salbutamol 100 micrograms, one to two puffs as required."),
    ("REFERRAL", 3, "Refer people with severe disease for pulmonary rehabilitation."),
]


def test_metadata_and_pages(tmp_path: Path) -> None:
    path = _make_pdf(tmp_path / "copd.pdf")
    doc = _load(path)
    assert doc.title == "COPD Management Pathway"
    assert doc.authors == ["Jane Roe", "John Doe"]
    assert doc.year == 2021
    assert doc.source == "file"
    assert doc.url is None
    assert doc.id == file_document_id(path.read_bytes())
    assert doc.extra == {"path": str(path.resolve()), "format": "pdf", "pages": "3"}
    assert [(s.label, s.page, s.text) for s in doc.sections] == EXPECTED


def test_title_from_first_heading_without_metadata(tmp_path: Path) -> None:
    doc = _load(_make_pdf(tmp_path / "untitled.pdf", metadata=False))
    assert doc.title == "COPD Management Pathway"
    assert doc.authors == []
    assert [(s.label, s.page, s.text) for s in doc.sections] == EXPECTED


def test_page_footers_dropped(tmp_path: Path) -> None:
    doc = _load(_make_pdf(tmp_path / "copd.pdf"))
    assert not any("Page 1 of 3" in s.text for s in doc.sections)


def test_same_bytes_same_id(tmp_path: Path) -> None:
    path = _make_pdf(tmp_path / "a.pdf")
    copy = tmp_path / "b.pdf"
    copy.write_bytes(path.read_bytes())
    assert _load(copy).id == _load(path).id


def test_encrypted_pdf_raises(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.add_page()
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 10, "Confidential text")
    path = tmp_path / "locked.pdf"
    pdf.output(str(path))
    with pytest.raises(SourceError, match=r"locked\.pdf.*password"):
        list(pdf_doc.load(path))


def test_scanned_pdf_without_text_raises(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    with pytest.raises(SourceError, match=r"scan\.pdf.*OCR"):
        list(pdf_doc.load(path))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.pdf", b""),
        ("corrupt.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\ngarbage"),
        ("notapdf.pdf", b"<html><body>Not a PDF</body></html>"),
    ],
)
def test_bad_input_raises_naming_file(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SourceError, match=name.replace(".", r"\.")):
        list(pdf_doc.load(path))
