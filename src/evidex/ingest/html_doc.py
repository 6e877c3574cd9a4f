"""Loader for saved web pages and HTML documents (consumer-health pages, online guidelines).

Web pages carry far more navigation and chrome than content, and that boilerplate would pollute
search, so it is stripped before the remaining headings and paragraphs become Sections.
Scholarly meta tags (Highwire ``citation_*``, Dublin Core) are used for citation facts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from bs4 import BeautifulSoup
from bs4.element import (
    Comment,
    Declaration,
    Doctype,
    NavigableString,
    ProcessingInstruction,
    Tag,
)

from evidex.ingest.file_ids import file_document_id, file_extra, read_file_bytes
from evidex.ingest.records import LoadItem, SourceError
from evidex.ingest.text_doc import (
    Block,
    Heading,
    Paragraph,
    build_sections,
    check_not_binary,
    collapse,
    drop_first_heading,
    is_title_heading,
    same_text,
)
from evidex.models import Document

_DROP_TAGS = frozenset(
    {"script", "style", "noscript", "template", "iframe", "svg", "canvas", "nav", "header"}
    | {"footer", "aside", "form", "button", "select", "dialog"}
)
_BOILERPLATE: tuple[str, ...] = ("nav", "menu", "breadcrumb", "footer", "header", "sidebar")
_BOILERPLATE += ("skip", "cookie", "banner")
_BOILERPLATE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
_KEEP = frozenset({"html", "body", "main", "article"})
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCK = frozenset(
    {"p", "div", "section", "article", "main", "blockquote", "figure", "figcaption", "dl", "dt"}
    | {"dd", "address", "details", "summary", "center", "hr", "li", "ul", "ol", "table", "tr"}
    | {"td", "th", "caption", "pre", "body", "html"}
)
_LISTS = ("ul", "ol")
_TITLE_SEPARATORS = (" | ", " - ", " — ", " – ", " : ", " · ")
_YEAR = re.compile(r"\b(1[89]\d\d|2\d\d\d)\b")
_SKIP_STRINGS = (Comment, Declaration, Doctype, ProcessingInstruction)


def _meta(soup: BeautifulSoup) -> dict[str, list[str]]:
    """All <meta name|property=... content=...> values, keyed by lower-cased name."""
    found: dict[str, list[str]] = {}
    for tag in soup.find_all("meta"):
        name = tag.get("name") or tag.get("property")
        content = tag.get("content")
        if isinstance(name, str) and isinstance(content, str) and collapse(content):
            found.setdefault(name.strip().lower(), []).append(collapse(content))
    return found


def _first(meta: dict[str, list[str]], *names: str) -> str | None:
    for name in names:
        if meta.get(name):
            return meta[name][0]
    return None


def _attr_words(tag: Tag) -> list[str]:
    values: list[str] = []
    for attr in ("id", "class"):
        value = tag.get(attr)
        if isinstance(value, str):
            values.extend(value.split())
        elif value is not None:
            values.extend(str(v) for v in value)
    return [v.lower() for v in values]


def _looks_like_chrome(tag: Tag) -> bool:
    """True for elements that are site chrome by their tag, role or id/class names."""
    in_content = tag.find_parent(["main", "article"]) is not None
    if tag.name in _DROP_TAGS:
        # an article's own <header> holds its title and byline, not site chrome
        return not (tag.name == "header" and in_content)
    if tag.has_attr("hidden") or str(tag.get("aria-hidden", "")).lower() == "true":
        return True
    if str(tag.get("role", "")).lower() in _BOILERPLATE_ROLES:
        return True
    for word in _attr_words(tag):
        if word.startswith(("has-", "with-", "no-")):
            continue  # state classes such as "has-sidebar" describe the layout, not the element
        if any(b in word for b in _BOILERPLATE if not (in_content and b == "header")):
            return True
    return False


def _is_boilerplate(tag: Tag) -> bool:
    """Chrome that can go without losing content: never the page body or the main article."""
    if tag.name in _KEEP or not _looks_like_chrome(tag):
        return False
    return tag.find(["main", "article"]) is None


def _strip_boilerplate(root: Tag) -> None:
    for tag in list(root.find_all(True)):
        if tag.decomposed:
            continue
        if _is_boilerplate(tag):
            tag.decompose()


def _text(node: Tag | NavigableString) -> str:
    """Visible text of a node, with spaces at block boundaries so words never run together."""
    if isinstance(node, NavigableString):
        return "" if isinstance(node, _SKIP_STRINGS) else str(node)
    if node.name == "br":
        return " "
    inner = "".join(_text(c) for c in node.children if isinstance(c, (Tag, NavigableString)))
    return f" {inner} " if node.name in _BLOCK else inner


def _list_lines(tag: Tag) -> list[str]:
    """One "- item" line per list item, nested items following their parent."""
    lines: list[str] = []
    for li in tag.find_all("li", recursive=False):
        own = "".join(
            _text(c)
            for c in li.children
            if isinstance(c, NavigableString) or (isinstance(c, Tag) and c.name not in _LISTS)
        )
        if collapse(own):
            lines.append("- " + collapse(own))
        for nested in li.find_all(["ul", "ol"], recursive=False):
            lines.extend(_list_lines(nested))
    return lines


def _table_lines(table: Tag) -> list[str]:
    lines: list[str] = []
    caption = table.find("caption")
    if isinstance(caption, Tag) and collapse(_text(caption)):
        lines.append(collapse(_text(caption)))
    for row in table.find_all("tr"):
        if row.find_parent("table") is not table:
            continue
        cells = [collapse(_text(c)) for c in row.find_all(["td", "th"], recursive=False)]
        if any(cells):
            lines.append(" | ".join(cells))
    return lines


class _Walker:
    """Flattens the content tree into headings and paragraphs in reading order."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._buffer: list[str] = []

    def flush(self) -> None:
        text = collapse("".join(self._buffer))
        self._buffer.clear()
        if text:
            self.blocks.append(Paragraph(text))

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, _SKIP_STRINGS):
                    self._buffer.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            if name in _HEADINGS:
                self.flush()
                text = collapse(_text(child))
                if text:
                    self.blocks.append(Heading(_HEADINGS[name], text))
            elif name in ("ul", "ol"):
                self.flush()
                lines = _list_lines(child)
                if lines:
                    self.blocks.append(Paragraph("\n".join(lines)))
            elif name == "table":
                self.flush()
                lines = _table_lines(child)
                if lines:
                    self.blocks.append(Paragraph("\n".join(lines)))
            elif name == "pre":
                self.flush()
                text = child.get_text().strip("\n")
                if text.strip():
                    self.blocks.append(Paragraph(text))
            elif name == "br":
                self._buffer.append(" ")
            elif name in _BLOCK:
                self.flush()
                self.walk(child)
                self.flush()
            else:
                self.walk(child)


def _canonical_url(soup: BeautifulSoup, meta: dict[str, list[str]]) -> str | None:
    for link in soup.find_all("link"):
        rel = link.get("rel")
        rels = rel.split() if isinstance(rel, str) else [str(r) for r in rel or []]
        href = link.get("href")
        is_canonical = "canonical" in (r.lower() for r in rels)
        if is_canonical and isinstance(href, str) and href.strip().startswith("http"):
            return href.strip()
    url = _first(meta, "og:url")
    return url if url and url.startswith(("http://", "https://")) else None


def _title(soup: BeautifulSoup, meta: dict[str, list[str]], first_h1: str | None) -> str | None:
    """citation_title, else <title> (minus a " | Site" suffix when the H1 shows it), else H1."""
    cited = _first(meta, "citation_title", "dc.title")
    if cited:
        return cited
    tag = soup.find("title")
    page_title = collapse(tag.get_text()) if isinstance(tag, Tag) else ""
    if page_title and first_h1:
        for sep in _TITLE_SEPARATORS:
            if sep in page_title and same_text(page_title.split(sep)[0], first_h1):
                return first_h1
    return page_title or first_h1


def _doi(value: str | None) -> str | None:
    if not value:
        return None
    value = re.sub(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)", "", value.strip(), flags=re.I)
    return value or None


def load(path: Path) -> Iterator[LoadItem]:
    """Load an HTML file as one Document: boilerplate removed, headings as Sections."""
    data = read_file_bytes(path, "HTML")
    check_not_binary(path, data[:20000].decode("latin-1"), "HTML")
    soup = BeautifulSoup(data, "html.parser")
    meta = _meta(soup)
    url = _canonical_url(soup, meta)

    root: Tag = soup
    for candidate in (soup.find("main"), soup.find(None, {"role": "main"}), soup.body):
        if isinstance(candidate, Tag):
            root = candidate
            break
    first_h1_tag = root.find("h1") or soup.find("h1")
    first_h1 = collapse(_text(first_h1_tag)) if isinstance(first_h1_tag, Tag) else None
    title = _title(soup, meta, first_h1 or None) or path.stem

    _strip_boilerplate(root)
    walker = _Walker()
    walker.walk(root)
    walker.flush()
    blocks = walker.blocks
    if not any(isinstance(b, Paragraph) for b in blocks):
        raise SourceError(
            f"{path}: the HTML file has no readable text after removing page navigation; "
            "save the page's article content or use the PDF version"
        )
    if is_title_heading(blocks):
        blocks = drop_first_heading(blocks)

    date_text = _first(meta, "citation_publication_date", "citation_date", "dc.date")
    year = _YEAR.search(date_text or "")
    authors = meta.get("citation_author") or [
        a for a in re.split(r"\s*;\s*", _first(meta, "author", "dc.creator") or "") if a
    ]
    extra = file_extra(path, "html")
    description = _first(meta, "description", "og:description", "dc.description")
    if description:
        extra["description"] = description
    yield Document(
        id=file_document_id(data),
        title=title,
        authors=authors,
        journal=_first(meta, "citation_journal_title"),
        publisher=_first(meta, "dc.publisher", "citation_publisher", "og:site_name"),
        year=int(year.group(1)) if year else None,
        date=date_text.replace("/", "-") if date_text else None,
        url=url,
        doi=_doi(_first(meta, "citation_doi", "dc.identifier.doi")),
        pmid=_first(meta, "citation_pmid"),
        source="file",
        sections=build_sections(blocks),
        extra=extra,
    )
