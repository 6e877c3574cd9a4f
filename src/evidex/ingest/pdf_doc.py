"""Loader for PDF documents (guidelines, leaflets, papers users have downloaded).

Page numbers are kept on every Section so answers can cite "p. 4"; a section that runs over a
page break is split into one Section per page with the same label.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError

from evidex.ingest.file_ids import file_document_id, file_extra, read_file_bytes
from evidex.ingest.records import LoadItem, SourceError
from evidex.ingest.text_doc import (
    Block,
    Heading,
    blocks_from_lines,
    build_sections,
    collapse,
    drop_first_heading,
    same_text,
)
from evidex.models import Document

_PAGE_FURNITURE = re.compile(r"^(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$", re.IGNORECASE)
_JUNK_TITLES = re.compile(
    r"^(?:untitled|microsoft (?:word|powerpoint) - .*|.*\.(?:docx?|pdf))$", re.IGNORECASE
)


def _open(path: Path, data: bytes) -> PdfReader:
    """Open the PDF, decrypting with an empty password when that is all it needs."""
    if b"%PDF-" not in data[:1024]:
        raise SourceError(f"{path}: this is not a PDF file; check that the right file was given")
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except DependencyError:
                opened = PasswordType.NOT_DECRYPTED
            if opened == PasswordType.NOT_DECRYPTED:
                raise SourceError(
                    f"{path}: the PDF is password-protected; save an unprotected copy and ingest that instead"
                )
        _ = len(reader.pages)
    except SourceError:
        raise
    except Exception as exc:  # pypdf raises many exception types on damaged files
        raise SourceError(
            f"{path}: the PDF is damaged and cannot be read ({type(exc).__name__}); "
            "re-download or re-export it"
        ) from exc
    return reader


def _page_lines(reader: PdfReader) -> tuple[list[list[str]], list[int]]:
    """Text lines of each page (layout mode keeps paragraph gaps as blank lines)."""
    pages: list[list[str]] = []
    failed: list[int] = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            try:
                text = page.extract_text(extraction_mode="layout")
            except Exception:  # layout mode is stricter; plain mode still recovers the words
                text = page.extract_text()
        except Exception:
            failed.append(number)
            text = ""
        lines = [line for line in text.split("\n") if not _PAGE_FURNITURE.match(line.strip())]
        pages.append(lines)
    return pages, failed


def _metadata(reader: PdfReader) -> tuple[str | None, list[str], int | None]:
    """Title, authors and year from the document information dictionary, when they are usable."""
    try:
        info: Any = reader.metadata
    except Exception:
        return None, [], None
    if info is None:
        return None, [], None
    title = collapse(str(info.title or "")) if info.get("/Title") else ""
    if _JUNK_TITLES.match(title):
        title = ""
    author = collapse(str(info.author or "")) if info.get("/Author") else ""
    authors = split_authors(author)
    year: int | None = None
    try:
        created = info.creation_date
        year = created.year if created else None
    except Exception:
        year = None
    return title or None, authors, year


def split_authors(text: str) -> list[str]:
    """Split an author string on ";" or " and ", and on "," only when it is not "Surname, Given"."""
    if not text:
        return []
    parts = re.split(r"\s*;\s*|\s+and\s+|\s*&\s*", text)
    out: list[str] = []
    for part in parts:
        pieces = [p.strip() for p in part.split(",") if p.strip()]
        if len(pieces) > 1 and all(" " in p for p in pieces):
            out.extend(pieces)
        elif part.strip():
            out.append(part.strip())
    return out


def load(path: Path) -> Iterator[LoadItem]:
    """Load a PDF as one Document with page-numbered Sections."""
    data = read_file_bytes(path, "PDF")
    reader = _open(path, data)
    pages, failed = _page_lines(reader)
    if not any(line.strip() for lines in pages for line in lines):
        raise SourceError(
            f"{path}: the PDF has no extractable text (it is probably scanned images); "
            "OCR it first (for example with ocrmypdf) and ingest the result"
        )
    blocks: list[Block] = []
    for number, lines in enumerate(pages, start=1):
        blocks.extend(blocks_from_lines(lines, page=number))

    meta_title, authors, year = _metadata(reader)
    first_heading = next((b for b in blocks if isinstance(b, Heading)), None)
    on_first_page = first_heading is not None and first_heading.page == 1
    title = meta_title
    if title is None and on_first_page and first_heading is not None:
        title = first_heading.text
        blocks = drop_first_heading(blocks)
    elif title and first_heading is not None and on_first_page:
        blocks = drop_first_heading(blocks) if same_text(first_heading.text, title) else blocks

    extra = file_extra(path, "pdf")
    extra["pages"] = str(len(pages))
    if failed:
        extra["unreadable_pages"] = ",".join(str(n) for n in failed)
    yield Document(
        id=file_document_id(data),
        title=title or path.stem,
        authors=authors,
        year=year,
        source="file",
        sections=build_sections(blocks),
        extra=extra,
    )
