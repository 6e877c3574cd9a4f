"""CDC MMWR Supplement pages (shared sample corpus): Markdown web pages cleaned of CDC site chrome.

Each record is a whole web page converted to Markdown, so most of its bytes are navigation, share
links and footers. Two page layouts occur: old pages whose article sits in one table cell as a
single long line (paragraphs separated by runs of spaces, headings inline), and newer pages with a
`# Title #` heading and real Markdown structure. Both are reduced to labelled article sections.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from evidex.ingest.records import LoadItem, Rejected, read_lines
from evidex.ingest.text_utils import find_year, first_sentence
from evidex.models import Document, Section

PUBLISHER = "Centers for Disease Control and Prevention (MMWR)"
JOURNAL = "MMWR Supplements"
LICENCE = "Public domain (CC0)"

# --- inline Markdown -------------------------------------------------------------------------

_IMAGE = re.compile(r"!\[[^\]]*\]\((?:[^()]|\([^()]*\))*\)")
_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\((?:[^()]|\([^()]*\))*\)")
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~<>^])")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC = re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])")
_SUPERSCRIPT = re.compile(r"\^[\w,;*†‡§¶\-–]{1,12}\^")
_STRAY_CARET = re.compile(
    r"(?<=[A-Za-z,.)])\^(?:\d+(?:,\d+)*)?(?![\w^])|\^(?=[A-Z°_])|(?:(?<=\s)|^)\d{1,2}\^(?=[A-Z_])"
)
_WIDGET_WORDS = re.compile(
    r"Return to your place in the text|(?:CrossRef|PubMed|Google Scholar)?external icon|"
    r"Download Image ?\[?JPG\]?|Click here for PDF file|\(View author affiliations\)"
)
_SPACES = re.compile(r"[ \t\u00a0\u200b]+")
_LEFTOVER = re.compile(r"(?<![A-Za-z0-9])_+|_+(?![A-Za-z0-9])")
# Characters the escapes stand for, parked on private-use code points while emphasis is removed.
_PARK = {c: chr(0xE000 + i) for i, c in enumerate("\\`*_{}[]()#+-.!|~<>^")}
_UNPARK = {v: k for k, v in _PARK.items()}


def clean_inline(text: str) -> str:
    """Markdown span syntax to plain text: links keep their words, never their URLs."""
    text = _ESCAPE.sub(lambda m: _PARK[m.group(1)], text)
    text = _IMAGE.sub(" ", text)
    for _ in range(3):  # links nested in link text
        new = _LINK.sub(r"\1", text)
        if new == text:
            break
        text = new
    text = _AUTOLINK.sub(r"\1", text)
    text = _WIDGET_WORDS.sub(" ", text)
    text = _SUPERSCRIPT.sub("", text)
    text = _STRAY_CARET.sub("", text)
    for _ in range(2):
        text = _BOLD.sub(r"\2", text)
        text = _ITALIC.sub(r"\2", text)
    text = _LEFTOVER.sub("", text)
    text = "".join(_UNPARK.get(c, c) for c in text)
    text = text.replace("---", "—").replace("--", "–")
    return _SPACES.sub(" ", text).strip()


# --- boilerplate ---------------------------------------------------------------------------

_DROP_LINES = {
    "related pages", "article metrics", "on this page", "related materials", "section navigation",
    "close", "cancel", "continue", "top", "return to top", "return to top.", "metric details",
    "view suggested citation", "a-z index", "figure", "table", "tables", "share", "views",
    "views equals page views plus pdf downloads", "pdf icon [pdf]", "pdf icon", "altmetric",
}  # fmt: skip
# Headings whose whole section is page furniture (metrics widgets, link lists, tables of contents).
_SKIP_HEADINGS = {
    "altmetric", "views", "article metrics", "related materials", "on this page", "related pages",
    "file formats help", "metric details", "citation", "figures", "figure", "tables",
}  # fmt: skip
_CSS = re.compile(r"^[.#@][^\n{}]*\{[^{}]*\}", re.M)
_AFFILIATION_NUMBER = re.compile(r"^\^?\d{1,2}\^?(?=_?[A-Z])")
_BOILERPLATE_SENTENCES = re.compile(
    r"Persons using assistive technology might not be able to fully access information in this"
    r" file\..*?subject line of e-mail\.|"
    r"Use of trade names and commercial sources is for identification only and does not imply"
    r" endorsement by the U\.S\. Department of\s+Health and Human Services\.|"
    r"References to non-CDC sites on the Internet are\s+provided as a service.*?date of"
    r"\s+publication\.|"
    r"\[?Return to top\.?\]?(?:\(#\w*\))?|"
    r"Page converted: ?[\d/]+|(?:This page|Date) last reviewed:? ?[\d/]+",
    re.S,
)
_END_MARKERS_B = (
    "Use of trade names and commercial sources",
    "_MMWR_ and _Morbidity and Mortality Weekly Report_ are service marks",
    "All _MMWR_ HTML versions",
    "All HTML versions of _MMWR_",
    "Page last reviewed",
    "View Page In:",
    "### [_MMWR_ Home]",
    "#### Exit Notification",
    "__Suggested citation for this article",
    "* [Print](javascript",
)
_END_MARKERS_A = (
    "__Disclaimer__",
    "Use of trade names and commercial sources",
    "| |  | | --- | |  | | [HOME]",
    "All _MMWR_ HTML versions",
)
_ACCESSIBILITY_END = "subject line of e-mail."


def _is_link_only(line: str) -> bool:
    """Navigation: a line of nothing but links, unless one link's words are a whole reference."""
    bare = _IMAGE.sub("", line)
    links = _LINK.findall(bare)
    if not links:
        return bool(_IMAGE.search(line)) and not clean_inline(bare).strip(" *+-|#.0123456789")
    rest = _LINK.sub("", bare)
    if rest.strip(" \t*+-|#.,;:()[]0123456789"):
        return False
    words = len(clean_inline(" ".join(links)).split())
    anchors_only = all(target.startswith("(#") for target in re.findall(r"\]\(([^)]*\)?)", bare) if target)
    return words < 8 or anchors_only


# --- date, year, authors -------------------------------------------------------------------

_SUPPLEMENT_DATE = re.compile(r"_?Supplements_?\s*/\s*([A-Z][a-z]+\.? \d{1,2}, (\d{4}))")
_SUPPL_CITATION = re.compile(r"MMWR\s*(?:Suppl\s*)?((?:19|20)\d\d)\s*;\s*\d+\s*\(\s*(?:No\.\s*)?S", re.I)
_VOLUME_ID = re.compile(r"^su(\d\d)")
_CREDENTIAL = (
    r"(?:PhD|MD|MPH|MS|MSc|MSPH|MHS|MA|MBA|JD|DrPH|DVM|MSP|RN|DDS|ScD|MBBS|MSN|BSN|BS|BA|MPA|MPP|"
    r"PharmD|DO|MHA|MEd|MSW|CHES|FACP|MBChB|DPhil|LLM|EdD|PA|MSEd|MCP|MPhil|PsyD|CNM|NP)"
)
_NAME = r"[A-Z][\w'’\-.]*(?: (?:[A-Z]\.|[A-Z][\w'’\-]+|de|van|von|da|del|la|le|dos)){1,4}"
_AUTHOR = re.compile(rf"^(?:and )?({_NAME})(?:,? (?:Jr|Sr|II|III|IV)\.?)?(?:,? {_CREDENTIAL}\d*)+\d*$")
_BARE_AUTHOR = re.compile(rf"^(?:and )?({_NAME})(?:,? (?:Jr|Sr|II|III|IV)\.?)?(?:,? {_CREDENTIAL}\d*)*\d*$")
_TITLE_AUTHOR = re.compile(
    rf"\s((?:[A-Z]\. )?(?:[A-Z][a-z][\w'\-]*|[A-Z]\.)(?: [A-Z]\.)*(?: [A-Z]\. ?[A-Z]\.)? ?"
    rf"[A-Z][\w'’\-]+)(?:,? (?:Jr|Sr|II|III)\.?)?(?:,\s*{_CREDENTIAL}\b|,?\^|, [A-Z]\. ?[A-Z][a-z])"
)


def _year_from_id(page_id: str) -> int | None:
    """Supplement ids carry the MMWR volume (su65… is volume 65, 2016); volume 1 was 1952."""
    match = _VOLUME_ID.match(page_id)
    return 1951 + int(match.group(1)) if match else None


def parse_authors(line: str) -> list[str]:
    """Names from 'Jane A. Doe, MD^1^; John Roe, PhD^2^': empty unless every part is a name."""
    text = clean_inline(line).replace("(View author affiliations)", "").strip()
    pattern = _BARE_AUTHOR if "^" in line and ";" in line else _AUTHOR
    parts = [p.strip() for p in re.split(r";|, and | and ", text) if p.strip()]
    names: list[str] = []
    for part in parts:
        if part.lower().rstrip(".") in ("et al", "others"):
            continue
        match = pattern.match(part)
        if not match:
            return []
        names.append(match.group(1).strip())
    return names


# --- sections ------------------------------------------------------------------------------


@dataclass
class _Builder:
    """Collects paragraphs under the most recent heading; text before any heading is 'Summary'."""

    sections: list[Section] = field(default_factory=list)
    label: str = "Summary"
    paragraphs: list[str] = field(default_factory=list)
    skipping: bool = False

    def heading(self, label: str) -> None:
        self.flush()
        self.label = label
        self.skipping = label.lower().rstrip(":") in _SKIP_HEADINGS

    def add(self, paragraph: str) -> None:
        text = _SPACES.sub(" ", paragraph).strip()
        if not self.skipping and text and re.search(r"[A-Za-z0-9]", text):
            self.paragraphs.append(text)

    def flush(self) -> None:
        if self.paragraphs:
            self.sections.append(Section(label=self.label, text="\n\n".join(self.paragraphs)))
        self.paragraphs = []

    def result(self) -> list[Section]:
        self.flush()
        return self.sections


@dataclass
class _Page:
    title: str
    sections: list[Section]
    authors: list[str] = field(default_factory=list)
    date: str | None = None
    year: int | None = None


_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[*+\-]|\d{1,3}\.)\s+")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?$")


def _parse_layout_b(markdown: str) -> _Page | None:
    """Newer pages: the article runs from the `# Title #` line to the first footer marker."""
    lines = markdown.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("# ")), None)
    if start is None:
        return None
    title_match = _ATX.match(lines[start])
    title = clean_inline(title_match.group(2) if title_match else lines[start][2:])
    body = "\n".join(lines[start + 1 :])
    end = min((i for i in (body.find(m) for m in _END_MARKERS_B) if i >= 0), default=len(body))
    tail = body[end:]
    body = _CSS.sub("", _BOILERPLATE_SENTENCES.sub(" ", body[:end]))
    body = _LINK.sub(lambda m: re.sub(r"\s*\n\s*", " ", m.group(0)), body)  # links across lines
    date_match = _SUPPLEMENT_DATE.search(body)
    page = _Page(title=title, sections=[])
    if date_match:
        page.date = date_match.group(1)
        page.year = int(date_match.group(2))
    else:
        citation = _SUPPL_CITATION.search(tail[:2000])
        page.year = int(citation.group(1)) if citation else None
    builder = _Builder()
    seen_heading = False
    pending: list[str] = []

    def flush_pending() -> None:
        if pending:
            builder.add(" ".join(pending))
            pending.clear()

    for raw in body.splitlines():
        line = raw.strip().removeprefix("> ").strip()
        if not line:
            flush_pending()
            continue
        if _SUPPLEMENT_DATE.match(line) or _is_link_only(line):
            flush_pending()
            continue
        heading = _ATX.match(line)
        if heading:
            flush_pending()
            label = clean_inline(heading.group(2)).rstrip(":").strip()
            if label:
                builder.heading(label)
                seen_heading = seen_heading or not builder.skipping
            continue
        if _TABLE_RULE.match(line):
            continue
        if line.startswith("|") or line.count(" | ") >= 2:
            flush_pending()
            cells = [clean_inline(c) for c in re.split(r"\|+", line.strip("|"))]
            builder.add("; ".join(c for c in cells if c))
            continue
        line = _AFFILIATION_NUMBER.sub("", line)
        text = clean_inline(_LIST_ITEM.sub("", line) if not re.match(r"^\d", line) else line)
        if text.lower().rstrip(":") in _DROP_LINES:
            flush_pending()
            continue
        if not seen_heading and not builder.paragraphs and not pending:
            authors = parse_authors(line)
            if authors:
                page.authors.extend(authors)
                continue
        if _LIST_ITEM.match(line):
            flush_pending()
            builder.add(text)
        else:
            pending.append(text)
    flush_pending()
    page.sections = builder.result()
    return page


# Old pages: headings are inline, found among the paragraphs that runs of spaces separate.
_NUMBERED_HEADING = re.compile(r"^(?:[IVX]{1,4}|\d{1,2}(?:\.\d{1,2})*|[A-H])\.?\s+[A-Z][^.;]{1,90}$")
_WORD_HEADINGS = {
    "introduction", "background", "methods", "results", "discussion", "conclusion", "conclusions",
    "references", "summary", "abstract", "recommendations", "acknowledgments", "acknowledgment",
    "acknowledgements", "outline", "overview", "limitations", "purpose", "rationale",
}  # fmt: skip
_BOLD_RUN = re.compile(r"__([^_]{2,150}?)__")
_CITATION_LABELS = ("SUGGESTED CITATION", "CITATION")
_SENTENCE_START = re.compile(
    r"\s(?=(?:The|This|These|In|Following|Accurate|During|Since|Because)\s+[a-z]|In \d{4},)"
)


def _is_heading(paragraph: str) -> bool:
    """Short, unpunctuated paragraphs that are numbered, ALL CAPS or a standard section word."""
    if len(paragraph) > 110 or not paragraph[:1].isalnum() or paragraph.endswith((".", ",", ";")):
        return False
    letters = [c for c in paragraph if c.isalpha()]
    if len(letters) < 3:
        return False
    words = paragraph.split()
    if paragraph.isupper() and len(words) <= 14 and (len(words) >= 2 or len(letters) >= 7):
        return True
    if paragraph[0].isupper() and paragraph.lower().rstrip(":") in _WORD_HEADINGS:
        return True
    return bool(_NUMBERED_HEADING.match(paragraph)) and len(words) <= 12


def _continues(previous: str, chunk: str) -> bool:
    """A run of spaces inside a sentence is a hard line wrap of the ASCII original, not a break."""
    if not previous or previous.startswith("__") or chunk.startswith("__"):
        return False
    if previous.endswith((".", "?", "!", ":")):
        return False
    return chunk[:1].islower() or previous.endswith((",", ";", "(", "-", "and", "or", "of", "the"))


def _split_title(first: str) -> tuple[str, str]:
    """The first paragraph may run on into an author line ('… at CDC Jane Doe, PhD,^1^') or text."""
    match = _TITLE_AUTHOR.search(first[:400])
    if match and match.start() > 10:
        return first[: match.start()].strip(), first[match.start() :].strip()
    if len(first) > 120:
        start = _SENTENCE_START.search(first, 5)
        if start and start.start() < 200:
            return first[: start.start()].strip(), first[start.start() :].strip()
    return first, ""


def _paragraphs_a(body: str) -> list[str]:
    """Split the article line at runs of spaces, rejoining hard-wrapped sentences."""
    chunks = [c.strip() for c in re.split(r"\s{2,}|\n", body) if c.strip()]
    merged: list[str] = []
    for chunk in chunks:
        if merged and _continues(merged[-1], chunk):
            merged[-1] = f"{merged[-1]} {chunk}"
        else:
            merged.append(chunk)
    return merged


def _parse_layout_a(markdown: str) -> _Page | None:
    """Old pages: the article is the table cell after the accessibility sentence, one long line."""
    at = markdown.find(_ACCESSIBILITY_END)
    if at < 0:
        return None
    body = markdown[at + len(_ACCESSIBILITY_END) :]
    end = min((i for i in (body.find(m) for m in _END_MARKERS_A) if i >= 0), default=len(body))
    body = _BOILERPLATE_SENTENCES.sub("  ", body[:end])
    body = _IMAGE.sub(" ", body)
    for _ in range(3):
        body = _LINK.sub(lambda m: _SPACES.sub(" ", m.group(1)), body)
    body = _WIDGET_WORDS.sub(" ", body)
    body = re.sub(r"(?:\s*\|\s*(?:---\s*\|\s*)*)+\s*$", "", body)  # the cell's closing pipes
    body = re.sub(r"\s*\|\s*---(?:\s*\|\s*---)*\s*\|\s*", "  ", body)  # nested table rules
    body = re.sub(r"\s\|(?=\s)", "  ", body)
    # A bold run not ending in ':' stands alone (a heading); 'Note:' style labels stay inline.
    body = _BOLD_RUN.sub(
        lambda m: m.group(0) if m.group(1).rstrip().endswith(":") else f"  {m.group(0)}  ", body
    )
    # '* ' and '+ ' list items flattened into the line start new paragraphs.
    body = re.sub(r"\s[*+]\s+(?=\S)", "  ", body)
    raw_paragraphs = _paragraphs_a(body)
    if not raw_paragraphs:
        return _Page(title="", sections=[])
    title_raw, rest_raw = _split_title(raw_paragraphs[0])
    title = clean_inline(title_raw)
    if title.isupper():
        title = title.title()
    builder = _Builder()
    if rest_raw:
        builder.add(clean_inline(rest_raw))
    page = _Page(title=title, sections=[])
    citation = _SUPPL_CITATION.search(body)
    if citation:
        page.year = int(citation.group(1))
    in_citation = False
    for raw in raw_paragraphs[1:]:
        text = clean_inline(raw)
        if not text:
            continue
        is_bold = raw.startswith("__") and raw.endswith("__") and not text.endswith(":")
        if text.upper().rstrip(":") in _CITATION_LABELS:
            in_citation = True  # citation block: metadata, used for the year only
            continue
        if (is_bold and len(text) <= 150) or _is_heading(text):
            in_citation = False
            builder.heading(text.rstrip(":"))
            continue
        if in_citation:
            page.year = page.year or find_year(text)
            continue
        builder.add(text)
    page.sections = builder.result()
    return page


# --- loader --------------------------------------------------------------------------------


def page_id(url: str) -> str:
    """'…/mmwrhtml/00026330.htm' -> '00026330'; the file name is MMWR's own article id."""
    name = url.rstrip("/").rsplit("/", 1)[-1]
    return name.split("?", 1)[0].rsplit(".", 1)[0]


def parse_page(markdown: str) -> _Page | None:
    """Pick the layout by its marks: newer pages have a `# Title` line, old ones do not."""
    if re.search(r"^# \S", markdown, re.M):
        return _parse_layout_b(markdown)
    return _parse_layout_a(markdown)


def load(path: Path) -> Iterator[LoadItem]:
    """One Document per page; a page with no recognizable article text is Rejected, not guessed."""
    for number, line in read_lines(path):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            url = str(record["url"]).strip()
            markdown = str(record["markdown"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            yield Rejected(str(path), number, f"not an MMWR page record ({exc})")
            continue
        pid = page_id(url)
        page = parse_page(markdown) if pid else None
        if page is None or not page.sections:
            yield Rejected(str(path), number, "no article text found in the page")
            continue
        title = page.title or first_sentence(page.sections[0].text, limit=200)
        if len(title) > 200:
            title = title[:200].rsplit(" ", 1)[0] + "…"
        year = page.year or _year_from_id(pid)
        yield Document(
            id=f"mmwr:{pid}",
            title=title,
            authors=page.authors,
            journal=JOURNAL,
            publisher=PUBLISHER,
            year=year,
            date=page.date or (str(year) if year else None),
            url=url,
            licence=LICENCE,
            source="cdc_mmwr",
            sections=page.sections,
        )
