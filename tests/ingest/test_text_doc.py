"""Plain-text loader: title line, heuristic headings, lists, encodings, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidex.ingest import text_doc
from evidex.ingest.file_ids import file_document_id
from evidex.ingest.records import SourceError
from evidex.models import Document

FIXTURE = Path(__file__).parent.parent / "fixtures" / "docs" / "clinic_note.txt"


def _load(path: Path) -> Document:
    items = list(text_doc.load(path))
    assert len(items) == 1
    assert isinstance(items[0], Document)
    return items[0]


def test_note_title_and_sections() -> None:
    doc = _load(FIXTURE)
    assert doc.title == "Asthma review note"
    assert doc.id == file_document_id(FIXTURE.read_bytes())
    assert doc.source == "file"
    assert doc.url is None
    assert doc.extra == {"path": str(FIXTURE.resolve()), "format": "text"}
    assert [(s.label, s.text) for s in doc.sections] == [
        (
            "Introduction",
            "Seen today for annual asthma review. Reports night-time cough twice a week and uses "
            "the reliever inhaler most days.",
        ),
        (
            "ASSESSMENT",
            "Asthma is not well controlled. Inhaler technique was poor; the spacer was not being used.",
        ),
        (
            "Plan",
            "- Start low-dose inhaled corticosteroid twice daily.\n- Re-check inhaler technique in 4 weeks.",
        ),
    ]


def test_no_headings_gives_one_text_section(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_bytes("Patient feels better after the treat-\nment was changed.\n".encode("cp1252"))
    doc = _load(path)
    assert doc.title == "Patient feels better after the treat-"
    assert [(s.label, s.text) for s in doc.sections] == [
        ("Text", "Patient feels better after the treatment was changed.")
    ]


def test_numbered_headings_nest(tmp_path: Path) -> None:
    path = tmp_path / "n.txt"
    path.write_text(
        "Protocol\n\n1 Dosing\nGive it.\n\n1.1 Children\nHalve it.\n\n2 Review\nSee them.\n",
        encoding="utf-8",
    )
    assert [s.label for s in _load(path).sections] == [
        "1 Dosing",
        "1 Dosing > 1.1 Children",
        "2 Review",
    ]


def test_heuristic_rejects_sentences() -> None:
    assert text_doc.heading_level("2.1 Dosing") == 2
    assert text_doc.heading_level("DISCUSSION") == 1
    assert text_doc.heading_level("Management of Acute Asthma") == 1
    assert text_doc.heading_level("Take two tablets daily.") is None
    assert text_doc.heading_level("the patient was seen today") is None
    assert text_doc.heading_level("1. Assess symptoms") is None


def test_same_bytes_same_id(tmp_path: Path) -> None:
    copy = tmp_path / "other_name.txt"
    copy.write_bytes(FIXTURE.read_bytes())
    assert _load(copy).id == _load(FIXTURE).id


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.txt", b""),
        ("spaces.txt", b" \n\t\n"),
        ("binary.txt", b"\x00\x01\x02" * 50),
        ("undecodable.txt", b"Dose \x81\x8d\x90 note\n"),
    ],
)
def test_bad_input_raises_naming_file(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SourceError, match=name.replace(".", r"\.")):
        list(text_doc.load(path))


def test_missing_file_raises_naming_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"missing\.txt"):
        list(text_doc.load(tmp_path / "missing.txt"))
