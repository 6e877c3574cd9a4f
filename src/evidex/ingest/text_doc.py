"""Loader for plain-text notes (.txt), plus the text primitives the other file loaders share.

The shared part turns a flat stream of headings and paragraphs into labelled Sections, so that
Markdown, HTML, PDF and plain text all produce the same shape: "Parent > Child" labels,
"Introduction" for text before the first heading, "Text" when there are no headings, and one
Section per page for paginated sources so every passage can cite its page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from evidex.ingest.file_ids import file_document_id, file_extra, read_file_bytes
from evidex.ingest.records import LoadItem, SourceError
from evidex.models import Document, Section

_WS = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_BULLET = re.compile(r"^(?:[-*+•◦▪‣·]|\d{1,3}[.)])\s+(?=\S)")
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)\.?\s+(\S.*)$")
_SMALL_WORDS = frozenset(
    {"a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "nor", "of", "on"}
    | {"or", "per", "the", "to", "vs", "via", "with"}
)
_MAX_TITLE_CHARS = 120


@dataclass(frozen=True)
class Heading:
    """A heading in reading order; `level` 1 is the outermost."""

    level: int
    text: str
    page: int | None = None


@dataclass(frozen=True)
class Paragraph:
    """One block of body text (a paragraph, a list or a table, already formatted)."""

    text: str
    page: int | None = None


Block = Heading | Paragraph


def collapse(text: str) -> str:
    """Collapse runs of whitespace to single spaces, because sources wrap lines arbitrarily."""
    return _WS.sub(" ", text).strip()


def same_text(a: str, b: str) -> bool:
    """Compare two strings the way a reader would: ignoring case, spacing and trailing colons."""
    return collapse(a).rstrip(":").casefold() == collapse(b).rstrip(":").casefold()


def check_not_binary(path: Path, text: str, what: str) -> None:
    """Refuse content with NUL bytes or many control characters: it is not text at all."""
    sample = text[:20000]
    if "\x00" in sample or len(_CONTROL.findall(sample)) > max(8, len(sample) // 50):
        raise SourceError(
            f"{path}: this does not look like a {what} file (it contains binary data); "
            "check that the right file was given"
        )


def decode_text(path: Path, data: bytes, what: str) -> str:
    """Decode a user's file: UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252.

    Legacy Windows exports are common among users' notes, so cp1252 is accepted; anything that is
    not even that, or that is binary, is refused with a message saying to re-save as UTF-8.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        check_not_binary(path, text, what)
        return text.replace("\r\n", "\n").replace("\r", "\n")
    raise SourceError(
        f"{path}: the {what} file is not in a text encoding Evidex can read; re-save it as UTF-8"
    )


def _significant_words(text: str) -> list[str]:
    return [w for w in text.split() if any(c.isalpha() for c in w)]


def _is_title_case(text: str) -> bool:
    words = _significant_words(text)
    if not words:
        return False
    for index, word in enumerate(words):
        core = word.strip("()[]\"'‘’“”")
        if not core or not core[0].isalpha():
            continue
        if index > 0 and core.casefold() in _SMALL_WORDS:
            continue
        if not core[0].isupper():
            return False
    return True


def heading_level(line: str) -> int | None:
    """Return a heading level if a line of plain or PDF text looks like a heading, else None.

    Heuristic, since such text has no markup: a short line without a final period that is
    ALL CAPS, Title Case, or numbered like "2.1 Dosing" (level = depth of the number).
    """
    text = collapse(line)
    if not text or len(text) > 80 or len(text.split()) > 12 or text[-1] in ".,;!":
        return None
    if not any(c.isalpha() for c in text) or (_BULLET.match(text) and not _NUMBERED.match(text)):
        return None
    numbered = _NUMBERED.match(text)
    if numbered:
        number, rest = numbered.groups()
        depth = number.count(".") + 1
        if not rest[0].isupper() or len(rest.split()) > 8:
            return None
        if depth > 1 or _is_title_case(rest) or rest.isupper():
            return depth
        return None
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return 1
    if text[0].isupper() and _is_title_case(text):
        return 1
    return None


def heading_text(line: str) -> str:
    """The label text of a heading line: whitespace collapsed, a trailing colon dropped."""
    return collapse(line).rstrip(":").rstrip()


def join_lines(lines: Iterable[str]) -> str:
    """Join wrapped lines into a paragraph, undoing hyphenation ("treat-", "ment" → "treatment")."""
    out = ""
    for raw in lines:
        line = collapse(raw)
        if not line:
            continue
        if not out:
            out = line
        elif out.endswith("-") and len(out) > 1 and out[-2].isalpha():
            out = out[:-1] + line if line[0].islower() else out + line
        else:
            out = f"{out} {line}"
    return out


def blocks_from_lines(lines: Sequence[str], page: int | None = None, *, headings: bool = True) -> list[Block]:
    """Group lines of unmarked text into headings, paragraphs and lists.

    Blank lines end a paragraph. A heading-like line counts as a heading only where a heading can
    start: at the top of a block or after a line that ends a sentence, so the last short line
    of a wrapped paragraph is not mistaken for one.
    """
    blocks: list[Block] = []
    para: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if para:
            text = join_lines(para)
            if text:
                blocks.append(Paragraph(text, page))
            para.clear()
        if items:
            blocks.append(Paragraph("\n".join(items), page))
            items.clear()

    for raw in lines:
        line = collapse(raw)
        if not line:
            flush()
            continue
        bullet = _BULLET.match(line)
        continues_item = bool(items) and not bullet and (raw[:1].isspace() or line[0].islower())
        at_start = not para or para[-1][-1] in ".:;?!"
        level = heading_level(line) if headings and at_start and not continues_item else None
        if level is not None:
            flush()
            blocks.append(Heading(level, heading_text(line), page))
        elif bullet:
            if para:
                flush()
            items.append("- " + line[bullet.end() :])
        elif continues_item:
            items[-1] = join_lines([items[-1], line])
        else:
            if items:
                flush()
            para.append(line)
    flush()
    return blocks


def is_title_heading(blocks: Sequence[Block]) -> bool:
    """True when the first heading is the document's title rather than a section.

    That is the case when it is shallower than every other heading (one H1 over H2s), so its
    name would otherwise prefix every label.
    """
    headings = [b for b in blocks if isinstance(b, Heading)]
    if not headings:
        return False
    rest = [h.level for h in headings[1:]]
    return not rest or headings[0].level < min(rest)


def drop_first_heading(blocks: Sequence[Block]) -> list[Block]:
    """Remove the first heading (used once it has been taken as the title)."""
    out = list(blocks)
    for index, block in enumerate(out):
        if isinstance(block, Heading):
            del out[index]
            break
    return out


def build_sections(blocks: Sequence[Block]) -> list[Section]:
    """Turn headings and paragraphs into Sections with nested labels, one per (label, page)."""
    has_headings = any(isinstance(b, Heading) for b in blocks)
    stack: list[Heading] = []
    label = "Introduction" if has_headings else "Text"
    sections: list[Section] = []
    texts: list[str] = []
    page: int | None = None

    def flush() -> None:
        if texts:
            sections.append(Section(label=label, text="\n\n".join(texts), page=page))
            texts.clear()

    for block in blocks:
        if isinstance(block, Heading):
            flush()
            while stack and stack[-1].level >= block.level:
                stack.pop()
            stack.append(block)
            label = " > ".join(h.text for h in stack)
            continue
        text = block.text.strip()
        if not text:
            continue
        if texts and block.page != page:
            flush()
        if not texts:
            page = block.page
        texts.append(text)
    flush()
    return sections


def short_title(text: str) -> str:
    """A line used as a title, cut at a word boundary if it runs long."""
    text = collapse(text)
    if len(text) <= _MAX_TITLE_CHARS:
        return text
    return text[:_MAX_TITLE_CHARS].rsplit(" ", 1)[0] + "…"


def load(path: Path) -> Iterator[LoadItem]:
    """Load a plain-text note as one Document; its first line is the title."""
    data = read_file_bytes(path, "text")
    text = decode_text(path, data, "text")
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise SourceError(f"{path}: the text file is empty; add content or remove it from ingest")
    title = short_title(lines[first])
    standalone = first + 1 >= len(lines) or not lines[first + 1].strip()
    body = lines[first + 1 :] if standalone and len(title) == len(collapse(lines[first])) else lines
    sections = build_sections(blocks_from_lines(body))
    yield Document(
        id=file_document_id(data),
        title=title.rstrip(":") or path.stem,
        source="file",
        sections=sections,
        extra=file_extra(path, "text"),
    )
