"""Loader for Markdown documents (guidelines and notes users keep as .md files).

A small line-based parser rather than a Markdown library: we only need headings, paragraphs,
lists, tables, code and front matter, and this keeps the dependency list short.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from evidex.ingest.file_ids import file_document_id, file_extra, read_file_bytes
from evidex.ingest.records import LoadItem, SourceError
from evidex.ingest.text_doc import (
    Block,
    Heading,
    Paragraph,
    build_sections,
    collapse,
    decode_text,
    drop_first_heading,
    is_title_heading,
)
from evidex.models import Document, EvidenceKind

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(?=\S)")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_THEMATIC = re.compile(r"^ {0,3}(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_EMPHASIS = re.compile(r"(\*\*|__|~~)(?=\S)(.+?)(?<=\S)\1|(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\3(?![\w*])")
_CODE_SPAN = re.compile(r"`+([^`]*)`+")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_YEAR = re.compile(r"\b(1[89]\d\d|2\d\d\d)\b")


def inline_text(text: str) -> str:
    """Strip inline Markdown (emphasis, links, code, HTML tags) down to the words a reader sees."""
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(lambda m: m.group(1) or m.group(2), text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _CODE_SPAN.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    previous = None
    while previous != text:
        previous = text
        text = _EMPHASIS.sub(lambda m: m.group(2) or m.group(4), text)
    return collapse(text.replace("\\", ""))


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def parse_front_matter(lines: list[str]) -> tuple[dict[str, str | list[str]], int]:
    """Parse a YAML-ish front matter block (scalars, inline lists and "- item" lists).

    Returns the keys (lower-cased) and the index of the first body line. Not full YAML on
    purpose: front matter in users' files is simple key/value metadata.
    """
    if not lines or lines[0].strip() != "---":
        return {}, 0
    meta: dict[str, str | list[str]] = {}
    key: str | None = None
    for index in range(1, len(lines)):
        line = lines[index]
        if line.strip() in ("---", "..."):
            return meta, index + 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        item = re.match(r"^\s+-\s+(.*)$", line) or re.match(r"^-\s+(.*)$", line)
        if item and key is not None:
            current = meta.get(key)
            values = current if isinstance(current, list) else []
            values.append(_unquote(item.group(1)))
            meta[key] = values
            continue
        pair = re.match(r"^([A-Za-z_][\w .-]*):(?:\s+(.*))?$", line)
        if not pair:
            continue
        key = pair.group(1).strip().lower()
        value = (pair.group(2) or "").strip()
        if value.startswith("[") and value.endswith("]"):
            meta[key] = [_unquote(v) for v in value[1:-1].split(",") if v.strip()]
        elif value:
            meta[key] = _unquote(value)
    return {}, 0  # no closing marker: it was a thematic break, not front matter


def _as_str(value: str | list[str] | None) -> str | None:
    if value is None:
        return None
    text = ", ".join(value) if isinstance(value, list) else value
    return collapse(text) or None


def _as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else re.split(r"\s*[;,]\s*|\s+and\s+", value)
    return [collapse(v) for v in items if collapse(v)]


def _blocks(lines: list[str]) -> list[Block]:
    """Walk body lines and emit headings and formatted paragraphs, lists, tables and code."""
    blocks: list[Block] = []
    para: list[str] = []
    items: list[str] = []
    rows: list[str] = []

    def flush() -> None:
        if para:
            text = inline_text(" ".join(para))
            if text:
                blocks.append(Paragraph(text))
            para.clear()
        if items:
            blocks.append(Paragraph("\n".join(items)))
            items.clear()
        if rows:
            blocks.append(Paragraph("\n".join(rows)))
            rows.clear()

    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        index += 1
        fence = _FENCE.match(line)
        if fence:
            flush()
            marker = fence.group(1)
            code: list[str] = []
            while index < len(lines) and not lines[index].strip().startswith(marker):
                code.append(lines[index].rstrip())
                index += 1
            index += 1
            text = "\n".join(code).strip("\n")
            if text.strip():
                blocks.append(Paragraph(text))
            continue
        if not stripped:
            flush()
            continue
        atx = _ATX.match(line)
        if atx:
            flush()
            text = inline_text(atx.group(2) or "")
            if text:
                blocks.append(Heading(len(atx.group(1)), text))
            continue
        setext = _SETEXT.match(line)
        if setext and len(para) == 1 and not items and not rows:
            text = inline_text(para[0])
            para.clear()
            blocks.append(Heading(1 if setext.group(1)[0] == "=" else 2, text))
            continue
        if _THEMATIC.match(line):
            flush()
            continue
        nxt = lines[index] if index < len(lines) else ""
        if stripped.startswith("|") or ("|" in stripped and _TABLE_RULE.match(nxt)):
            if para or items:
                flush()
            if not _TABLE_RULE.match(line):
                cells = [inline_text(c) for c in stripped.strip("|").split("|")]
                if any(cells):
                    rows.append(" | ".join(cells))
            continue
        if rows:
            flush()
        body = stripped.lstrip(">").strip() if stripped.startswith(">") else stripped
        item = _ITEM.match(body)
        if item:
            if para:
                flush()
            items.append("- " + inline_text(body[item.end() :]))
        elif items and line[:1].isspace():
            items[-1] = collapse(f"{items[-1]} {inline_text(body)}")
        else:
            if items:
                flush()
            if body:
                para.append(body)
    flush()
    return blocks


def load(path: Path) -> Iterator[LoadItem]:
    """Load a Markdown file as one Document, with front matter mapped onto Document fields."""
    data = read_file_bytes(path, "Markdown")
    text = _COMMENT.sub("", decode_text(path, data, "Markdown"))
    lines = text.split("\n")
    meta, start = parse_front_matter(lines)
    blocks = _blocks(lines[start:])
    if not any(isinstance(b, Paragraph) for b in blocks) and not any(isinstance(b, Heading) for b in blocks):
        raise SourceError(f"{path}: the Markdown file has no text; add content or remove it")

    first_h1 = next((b.text for b in blocks if isinstance(b, Heading) and b.level == 1), None)
    title = _as_str(meta.get("title")) or first_h1 or path.stem
    if is_title_heading(blocks):
        blocks = drop_first_heading(blocks)

    date = _as_str(meta.get("date"))
    year_text = _as_str(meta.get("year")) or date or ""
    year_match = _YEAR.search(year_text)
    authors = _as_list(meta.get("authors") or meta.get("author"))
    kind_text = (_as_str(meta.get("kind")) or "").lower().replace(" ", "_")
    kind = next((k for k in EvidenceKind if k.value == kind_text), EvidenceKind.OTHER)
    extra = file_extra(path, "markdown")
    yield Document(
        id=file_document_id(data),
        title=title,
        authors=authors,
        publisher=_as_str(meta.get("publisher") or meta.get("developer")),
        year=int(year_match.group(1)) if year_match else None,
        date=date,
        url=_as_str(meta.get("url")),
        doi=_as_str(meta.get("doi")),
        licence=_as_str(meta.get("licence") or meta.get("license")),
        source="file",
        kind=kind,
        sections=build_sections(blocks),
        extra=extra,
    )
