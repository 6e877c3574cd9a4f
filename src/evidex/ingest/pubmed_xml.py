"""Load PubMed/MEDLINE XML (`<PubmedArticleSet>`): efetch output and baseline/update files.

Baseline files are hundreds of MB uncompressed, so the file is never parsed whole: the text is read
in chunks, each `<PubmedArticle>` is cut out as a string and parsed on its own. One malformed record
therefore costs one `Rejected`, not the file. The cutter (`read_prologue`, `cut_records`) is shared
with the JATS loader for `<pmc-articleset>` files.

Security: only the cut-out elements reach `ElementTree.fromstring`, so the DOCTYPE (and any internal
subset with entity declarations) is never parsed, and nothing is ever fetched.
"""

from __future__ import annotations

import gzip
import re
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from evidex.ingest.records import LoadItem, Rejected, SourceError, open_text
from evidex.models import Document, Section

_CHUNK = 1 << 16
_PROLOGUE_LIMIT = 1 << 20
_EXPECTED = (
    "PubMed/MEDLINE XML with a <PubmedArticleSet> root (E-utilities efetch output with "
    "rettype=xml, or an annual baseline/daily update file, plain or .gz)"
)
_NO_TITLE = "[No title available]"
_MONTHS = {
    name: f"{number:02d}"
    for number, name in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
        start=1,
    )
}
_GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)

# A start tag name: letters first, so `<?xml` and `<!DOCTYPE` / `<!--` never match.
_ELEMENT_START = re.compile(r"<([A-Za-z_][\w.:-]*)")
_XMLNS = re.compile(r"""\sxmlns(?::([\w.-]+))?\s*=\s*("[^"]*"|'[^']*')""")


# --------------------------------------------------------------------------------------- cutter


@dataclass
class Prologue:
    """What `read_prologue` found: the root element's name and namespace declarations.

    `buffer` holds the text read so far and `pos` points just after the root start tag, so the
    cutter resumes without re-reading.
    """

    root: str
    buffer: str
    root_start: int
    pos: int
    namespaces: dict[str, str]


@dataclass(frozen=True)
class CutRecord:
    """One element cut out of a stream; `complete` is False when the file ended inside it."""

    tag: str
    text: str
    complete: bool = True


def read_prologue(handle: TextIO, path: Path, expected: str) -> Prologue:
    """Read up to the end of the root start tag; raise SourceError for empty or non-XML files."""
    buffer = ""
    match: re.Match[str] | None = None
    while True:
        match = _ELEMENT_START.search(buffer)
        if match is not None and buffer.find(">", match.end()) >= 0:
            break
        chunk = handle.read(_CHUNK)
        if not chunk:
            break
        buffer += chunk
        if match is None and len(buffer) > _PROLOGUE_LIMIT:
            break
    if not buffer.strip():
        raise SourceError(f"{path}: file is empty; expected {expected}")
    if match is None or buffer.find(">", match.end()) < 0:
        raise SourceError(f"{path}: no XML root element found; expected {expected}")
    end = buffer.find(">", match.end()) + 1
    namespaces = {(prefix or ""): value for prefix, value in _XMLNS.findall(buffer[match.start() : end])}
    return Prologue(match.group(1), buffer, match.start(), end, namespaces)


def cut_records(
    handle: TextIO, prologue: Prologue, tags: Iterable[str], inherit_namespaces: bool = True
) -> Iterator[CutRecord]:
    """Yield each element named in `tags` (not nested in each other) as text, reading in chunks.

    Namespace declarations of the root are copied onto each cut element that lacks them, so a
    prefix declared on a wrapper (e.g. `xmlns:xlink` on `<pmc-articleset>`) still resolves.
    """
    names = sorted(tags, key=len, reverse=True)
    start_re = re.compile(r"<(" + "|".join(re.escape(n) for n in names) + r")(?=[\s/>])")
    end_res = {name: re.compile(r"</" + re.escape(name) + r"\s*>") for name in names}
    keep = max(len(n) for n in names) + 2
    buffer, pos = prologue.buffer, prologue.pos
    namespaces = prologue.namespaces if inherit_namespaces else {}
    read_size = _CHUNK
    while True:
        match = start_re.search(buffer, pos)
        if match is None:
            chunk = handle.read(_CHUNK)
            if not chunk:
                return
            buffer = buffer[max(pos, len(buffer) - keep) :] + chunk
            pos = 0
            continue
        tag = match.group(1)
        tag_close = buffer.find(">", match.end())
        if tag_close >= 0 and buffer[tag_close - 1] == "/":
            yield CutRecord(tag, buffer[match.start() : tag_close + 1])
            pos = tag_close + 1
            continue
        end = end_res[tag].search(buffer, match.end()) if tag_close >= 0 else None
        if end is None:
            # Grow geometrically so a multi-MB element costs O(n), not O(n^2), to assemble.
            chunk = handle.read(read_size)
            buffer = buffer[match.start() :]
            pos = 0
            if not chunk:
                yield CutRecord(tag, buffer, complete=False)
                return
            buffer += chunk
            read_size = max(_CHUNK, len(buffer))
            continue
        read_size = _CHUNK
        text = buffer[match.start() : end.end()]
        pos = end.end()
        if namespaces:
            text = _add_namespaces(text, len(tag) + 1, namespaces)
        yield CutRecord(tag, text)


def _add_namespaces(text: str, name_end: int, namespaces: dict[str, str]) -> str:
    start_tag = text[: text.find(">")]
    declared = {prefix or "" for prefix, _ in _XMLNS.findall(start_tag)}
    missing = "".join(
        f" xmlns:{prefix}={value}" if prefix else f" xmlns={value}"
        for prefix, value in namespaces.items()
        if prefix not in declared
    )
    return text[:name_end] + missing + text[name_end:] if missing else text


# ------------------------------------------------------------------------------------- helpers


def clean(text: str | None) -> str:
    """Collapse whitespace runs to single spaces and strip."""
    return " ".join(text.split()) if text else ""


def inner_text(element: ET.Element | None) -> str:
    """All text inside an element, inline markup (<i>, <sup> ...) flattened, spaces collapsed."""
    return clean("".join(element.itertext())) if element is not None else ""


def iso_date(year: str, month: str = "", day: str = "") -> str:
    """`YYYY`, `YYYY-MM` or `YYYY-MM-DD` from PubMed/JATS parts; month may be `Apr` or `4`."""
    month = month.strip()
    month = f"{int(month):02d}" if month.isdigit() else _MONTHS.get(month[:3].lower(), "")
    if not month:
        return year
    if day.strip().isdigit():
        return f"{year}-{month}-{int(day):02d}"
    return f"{year}-{month}"


# -------------------------------------------------------------------------------------- loader


def load(path: Path) -> Iterator[LoadItem]:
    """Yield one Document (or Rejected) per `<PubmedArticle>` of a PubMed XML file, streaming.

    `<DeleteCitation>` blocks of update files are ignored (deletions are not applied here);
    `<PubmedBookArticle>` (Bookshelf) records are rejected with a reason.
    """
    record = 0
    try:
        with open_text(path) as handle:
            prologue = read_prologue(handle, path, _EXPECTED)
            if prologue.root != "PubmedArticleSet":
                raise SourceError(f"{path}: root element is <{prologue.root}>, expected {_EXPECTED}")
            tags = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation")
            for cut in cut_records(handle, prologue, tags):
                if cut.tag == "DeleteCitation":
                    continue
                record += 1
                yield _record_item(path, record, cut)
    except _GZIP_ERRORS as exc:
        raise SourceError(
            f"{path}: compressed file is truncated or corrupt after record {record} ({exc}); "
            f"the {record} records before it were read — re-download or re-compress the file"
        ) from exc


def _record_item(path: Path, record: int, cut: CutRecord) -> LoadItem:
    if not cut.complete:
        return Rejected(str(path), record, f"file ends inside <{cut.tag}> (truncated file?)")
    if cut.tag == "PubmedBookArticle":
        return Rejected(str(path), record, "PubmedBookArticle (NCBI Bookshelf record) is not supported")
    try:
        element = ET.fromstring(cut.text)
    except ET.ParseError as exc:
        return Rejected(str(path), record, f"malformed XML: {exc}")
    return parse_article(element, path, record)


def parse_article(article: ET.Element, path: Path, record: int) -> LoadItem:
    """Map one parsed `<PubmedArticle>` element to a Document, or say why it cannot be used."""
    citation = article.find("MedlineCitation")
    if citation is None:
        return Rejected(str(path), record, "no <MedlineCitation> in <PubmedArticle>")
    pmid = clean(citation.findtext("PMID"))
    if not pmid:
        return Rejected(str(path), record, "record has no PMID")
    art = citation.find("Article")
    if art is None:
        return Rejected(str(path), record, f"PMID {pmid}: no <Article> element")
    title = inner_text(art.find("ArticleTitle")) or inner_text(art.find("VernacularTitle"))
    sections = _abstract_sections(art)
    if not title and not sections:
        return Rejected(str(path), record, f"PMID {pmid}: has neither a title nor an abstract")
    title = title or _NO_TITLE
    if not sections:
        sections = [Section(label="TITLE", text=title)]

    publication_types = [inner_text(t) for t in art.iterfind("PublicationTypeList/PublicationType")]
    comments = list(citation.iterfind("CommentsCorrectionsList/CommentsCorrections"))
    extra: dict[str, str] = {}
    retracted = "Retracted Publication" in publication_types or any(
        c.get("RefType") == "RetractionIn" for c in comments
    )
    if "Retraction of Publication" in publication_types:
        retracted = False
        targets = [clean(c.findtext("PMID")) for c in comments if c.get("RefType") == "RetractionOf"]
        extra["retraction_of"] = ", ".join(t for t in targets if t)
    pubmed_data = article.find("PubmedData")
    ids = {
        a.get("IdType", ""): clean(a.text)
        for a in (pubmed_data.iterfind("ArticleIdList/ArticleId") if pubmed_data is not None else [])
    }
    if ids.get("pmc"):
        extra["pmcid"] = ids["pmc"]
    year, date = _publication_date(art)
    journal = art.find("Journal")
    journal_name = ""
    if journal is not None:
        journal_name = inner_text(journal.find("Title")) or inner_text(journal.find("ISOAbbreviation"))
    journal_name = journal_name or clean(citation.findtext("MedlineJournalInfo/MedlineTA"))

    return Document(
        id=f"pmid:{pmid}",
        pmid=pmid,
        title=title,
        authors=_authors(art),
        journal=journal_name or None,
        year=year,
        date=date,
        doi=_doi(art) or ids.get("doi") or None,
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
        mesh_terms=[inner_text(d) for d in citation.iterfind("MeshHeadingList/MeshHeading/DescriptorName")],
        publication_types=publication_types,
        retracted=retracted,
        source="pubmed",
        licence=None,
        sections=sections,
        extra=extra,
    )


def _abstract_sections(art: ET.Element) -> list[Section]:
    sections = []
    for part in art.iterfind("Abstract/AbstractText"):
        text = inner_text(part)
        if text:
            label = clean(part.get("Label") or part.get("NlmCategory")).upper() or "ABSTRACT"
            sections.append(Section(label=label, text=text))
    return sections


def _authors(art: ET.Element) -> list[str]:
    authors = []
    for author in art.iterfind("AuthorList/Author"):
        if author.get("ValidYN") == "N":
            continue
        last = clean(author.findtext("LastName"))
        if last:
            initials = clean(author.findtext("Initials"))
            authors.append(f"{last} {initials}" if initials else last)
        elif collective := inner_text(author.find("CollectiveName")):
            authors.append(collective)
    return authors


def _doi(art: ET.Element) -> str:
    for location in art.iterfind("ELocationID"):
        if location.get("EIdType") == "doi" and location.get("ValidYN") != "N":
            return clean(location.text)
    return ""


def _publication_date(art: ET.Element) -> tuple[int | None, str | None]:
    """Journal issue date first (what citations show), then MedlineDate, then the e-pub date."""
    pub = art.find("Journal/JournalIssue/PubDate")
    if pub is not None:
        year = clean(pub.findtext("Year"))
        if year.isdigit():
            date = iso_date(year, pub.findtext("Month") or "", pub.findtext("Day") or "")
            return int(year), date
        medline = clean(pub.findtext("MedlineDate"))
        if found := re.search(r"\b(\d{4})\b", medline):
            return int(found.group(1)), medline
    for article_date in art.iterfind("ArticleDate"):
        year = clean(article_date.findtext("Year"))
        if year.isdigit():
            month, day = article_date.findtext("Month") or "", article_date.findtext("Day") or ""
            return int(year), iso_date(year, month, day)
    return None, None
