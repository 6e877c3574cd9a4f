"""Load PMC JATS full-text XML: one `<article>` per file, or a `<pmc-articleset>` holding several.

Full text is split into sections a reader can cite: the abstract (its `<sec>` titles, upper-cased,
or `ABSTRACT`), then each body `<sec>` labelled by its title (nested ones as `Parent > Child`),
paragraphs joined by blank lines. Body paragraphs outside any `<sec>` are labelled `Main text`.
Tables and figures are kept as their own sections, right after the section that holds them (or
at the end, for `<floats-group>`): label `Table 1` / `Figure 2`, text = caption, then for tables one
line per row with cells joined by ` | `, then table footnotes — results often live only in tables.
Back matter (references, acknowledgements, footnotes) is left out: it is not evidence.

A single-article file is parsed whole (one article is small); a `<pmc-articleset>` is cut per
`<article>` with the PubMed loader's streaming cutter, so one bad article is one `Rejected`.
The DOCTYPE is never parsed (parsing starts at the root element), so no DTD or entity is resolved.
"""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterator
from pathlib import Path

from evidex.ingest.pubmed_xml import clean, cut_records, inner_text, iso_date, read_prologue
from evidex.ingest.records import LoadItem, Rejected, SourceError, open_text
from evidex.models import Document, Section

_EXPECTED = (
    "PMC JATS full-text XML with an <article> root (one article) or a <pmc-articleset> root "
    "(several articles, as E-utilities efetch db=pmc returns)"
)
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_ARTICLE_TYPES = {
    "research-article": "Journal Article",
    "review-article": "Review",
    "systematic-review": "Systematic Review",
    "meta-analysis": "Meta-Analysis",
    "case-report": "Case Reports",
    "brief-report": "Journal Article",
    "editorial": "Editorial",
    "letter": "Letter",
    "correction": "Published Erratum",
    "retraction": "Retraction of Publication",
    "expression-of-concern": "Expression of Concern",
    "practice-guideline": "Practice Guideline",
    "news": "News",
    "book-review": "Review",
}
_DATE_PREFERENCE = ["epub", "ppub", "epub-ppub", "pub", "collection"]
_FLOATS = {"table-wrap", "fig", "table-wrap-group", "fig-group"}
_NOT_TEXT = _FLOATS | {"fn", "tex-math", "supplementary-material", "title", "label"}
_BLOCKS = {"p", "list", "disp-quote", "boxed-text", "def-list", "statement", "verse-group"}
_SKIPPED_ABSTRACTS = {"graphical", "teaser", "toc", "precis", "web-summary"}
_LICENCE_MAX = 200
_GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


def load(path: Path) -> Iterator[LoadItem]:
    """Yield a Document (or Rejected) per JATS article in the file."""
    record = 0
    try:
        with open_text(path) as handle:
            prologue = read_prologue(handle, path, _EXPECTED)
            if prologue.root == "article":
                text = prologue.buffer[prologue.root_start :] + handle.read()
                try:
                    root = ET.fromstring(text)
                except ET.ParseError as exc:
                    raise SourceError(
                        f"{path}: malformed XML ({exc}); expected well-formed {_EXPECTED}"
                    ) from exc
                yield parse_article(root, path, None)
                return
            if prologue.root != "pmc-articleset":
                raise SourceError(f"{path}: root element is <{prologue.root}>, expected {_EXPECTED}")
            for cut in cut_records(handle, prologue, ("article",)):
                record += 1
                if not cut.complete:
                    yield Rejected(str(path), record, "file ends inside <article> (truncated?)")
                    continue
                try:
                    element = ET.fromstring(cut.text)
                except ET.ParseError as exc:
                    yield Rejected(str(path), record, f"malformed XML: {exc}")
                    continue
                yield parse_article(element, path, record)
    except _GZIP_ERRORS as exc:
        raise SourceError(
            f"{path}: compressed file is truncated or corrupt after article {record} ({exc}); "
            f"the {record} articles before it were read — re-download or re-compress the file"
        ) from exc


def parse_article(article: ET.Element, path: Path, record: int | None) -> LoadItem:
    """Map one parsed `<article>` element to a Document, or say why it cannot be used."""
    meta = article.find("front/article-meta")
    if meta is None:
        return Rejected(str(path), record, "no <front>/<article-meta> in <article>")
    ids: dict[str, str] = {}
    for article_id in meta.iterfind("article-id"):
        ids.setdefault(article_id.get("pub-id-type", ""), clean(article_id.text))
    pmid = ids.get("pmid", "")
    pmcid = ids.get("pmcid") or ids.get("pmc") or ""
    if pmcid and not pmcid.upper().startswith("PMC"):
        pmcid = f"PMC{pmcid}"
    doi = ids.get("doi", "")
    if pmid:
        doc_id, url = f"pmid:{pmid}", f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
    elif pmcid:
        doc_id, url = f"pmcid:{pmcid}", ""
    elif doi:
        doc_id, url = f"doi:{doi}", f"https://doi.org/{doi}"
    else:
        return Rejected(str(path), record, "article has no pmid, pmcid or doi <article-id>")
    if pmcid:
        url = f"https://pmc.ncbi.nlm.nih.gov/articles/{pmcid}/"
    title = inner_text(meta.find("title-group/article-title"))
    if not title:
        return Rejected(str(path), record, f"{doc_id}: article has no <article-title>")

    extra: dict[str, str] = {}
    if pmcid:
        extra["pmcid"] = pmcid
    keywords = [inner_text(k) for k in meta.iterfind("kwd-group/kwd")]
    if keywords:
        extra["keywords"] = ", ".join(k for k in keywords if k)
    article_type = article.get("article-type", "")
    publication_types = []
    if article_type in _ARTICLE_TYPES:
        publication_types.append(_ARTICLE_TYPES[article_type])
    elif article_type and article_type != "other":
        publication_types.append(article_type.replace("-", " ").capitalize())
    related = list(article.iter("related-article"))
    if article_type == "retraction":
        targets = [
            clean(r.get(_XLINK_HREF)) for r in related if r.get("related-article-type") == "retracted-article"
        ]
        extra["retraction_of"] = ", ".join(t for t in targets if t)
    # PMC links a retracted article forward to its retraction notice.
    retracted = any(r.get("related-article-type") == "retraction-forward" for r in related)

    sections = _abstract_sections(meta)
    body = article.find("body")
    if body is not None:
        _walk(body, [], sections, top_label="Main text")
    floats = article.find("floats-group")
    if floats is not None:
        sections.extend(_float_sections(floats))
    if not sections:
        sections = [Section(label="TITLE", text=title)]

    journal_meta = article.find("front/journal-meta")
    journal = publisher = ""
    if journal_meta is not None:
        journal = inner_text(journal_meta.find("journal-title-group/journal-title")) or inner_text(
            journal_meta.find("journal-title")
        )
        publisher = inner_text(journal_meta.find("publisher/publisher-name"))
    year, date = _publication_date(meta)
    return Document(
        id=doc_id,
        pmid=pmid or None,
        doi=doi or None,
        title=title,
        authors=_authors(meta),
        journal=journal or None,
        publisher=publisher or None,
        year=year,
        date=date,
        url=url,
        publication_types=publication_types,
        licence=_licence(meta),
        retracted=retracted,
        source="pmc",
        sections=sections,
        extra=extra,
    )


# ------------------------------------------------------------------------------------- text


def _flat(element: ET.Element, skip: set[str] = _NOT_TEXT) -> str:
    """Inline text of an element with floats, footnotes and TeX left out; xref markers kept."""
    parts: list[str] = []

    def walk(node: ET.Element) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if child.tag not in skip:
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(element)
    return clean("".join(parts))


def _block_text(block: ET.Element) -> str:
    if block.tag == "list":
        items = [_flat(item) for item in block.iter("list-item")]
        return "\n".join(item for item in items if item)
    if block.tag == "boxed-text":
        paragraphs = [_flat(p) for p in block.iter("p")]
        return "\n\n".join(p for p in paragraphs if p)
    return _flat(block)


def _sec_title(sec: ET.Element) -> str:
    return inner_text(sec.find("title")) or inner_text(sec.find("label")) or "Section"


def _walk(container: ET.Element, labels: list[str], sections: list[Section], top_label: str = "") -> None:
    """Add one Section for the container's own paragraphs, its floats, then its sub-sections."""
    paragraphs: list[str] = []
    floats: list[ET.Element] = []
    subsections: list[ET.Element] = []
    for child in container:
        if child.tag == "sec":
            subsections.append(child)
        elif child.tag in _FLOATS:
            floats.append(child)
        elif child.tag in _BLOCKS:
            text = _block_text(child)
            if text:
                paragraphs.append(text)
            floats.extend(f for f in child.iter() if f.tag in {"table-wrap", "fig"})
    label = " > ".join(labels) or top_label
    if paragraphs:
        sections.append(Section(label=label, text="\n\n".join(paragraphs)))
    for element in floats:
        sections.extend(_float_sections(element))
    for sec in subsections:
        _walk(sec, [*labels, _sec_title(sec)], sections)


def _float_sections(container: ET.Element) -> list[Section]:
    """Tables and figures found in (or being) `container`, as captioned sections."""
    found: list[Section] = []
    for element in container.iter():
        if element.tag not in {"table-wrap", "fig"}:
            continue
        is_table = element.tag == "table-wrap"
        label = inner_text(element.find("label")) or ("Table" if is_table else "Figure")
        parts: list[str] = []
        caption = element.find("caption")
        if caption is not None:
            caption_parts = [inner_text(caption.find("title"))]
            caption_parts += [_flat(p) for p in caption.iterfind("p")]
            parts.append(" ".join(p for p in caption_parts if p))
        if is_table:
            rows = []
            for row in element.iter("tr"):
                cells = [_flat(cell) for cell in row if cell.tag in {"td", "th"}]
                rows.append(" | ".join(cells))
            parts.append("\n".join(rows))
            parts += [_flat(p) for p in element.iterfind("table-wrap-foot//p")]
        text = "\n\n".join(p for p in parts if p)
        if text:
            found.append(Section(label=label, text=text))
    return found


def _abstract_sections(meta: ET.Element) -> list[Section]:
    abstracts = meta.findall("abstract")
    chosen = next((a for a in abstracts if a.get("abstract-type") is None), None)
    if chosen is None:
        chosen = next((a for a in abstracts if a.get("abstract-type") not in _SKIPPED_ABSTRACTS), None)
    sections: list[Section] = []
    if chosen is not None:
        _walk(chosen, [], sections, top_label="ABSTRACT")
    return [Section(label=s.label.upper(), text=s.text) for s in sections]


# ------------------------------------------------------------------------------------- facts


def _authors(meta: ET.Element) -> list[str]:
    authors = []
    for contrib in meta.iterfind("contrib-group/contrib"):
        if contrib.get("contrib-type", "author") != "author":
            continue
        name = contrib.find("name")
        if name is None:
            name = contrib.find("name-alternatives/name")
        if name is not None:
            surname = inner_text(name.find("surname"))
            given = inner_text(name.find("given-names"))
            full = f"{surname} {given}".strip()
        else:
            full = inner_text(contrib.find("collab")) or inner_text(contrib.find("string-name"))
        if full:
            authors.append(full)
    return authors


def _publication_date(meta: ET.Element) -> tuple[int | None, str | None]:
    """Prefer the electronic, then the print publication date; the PMC release date comes last."""
    candidates: list[tuple[int, str, ET.Element]] = []
    for order, pub_date in enumerate(meta.iterfind("pub-date")):
        kind = pub_date.get("pub-type") or pub_date.get("date-type") or ""
        if kind in {"", "pub"}:
            kind = {"electronic": "epub", "print": "ppub"}.get(pub_date.get("publication-format", ""), kind)
        if kind in _DATE_PREFERENCE:
            rank = _DATE_PREFERENCE.index(kind)
        else:
            rank = len(_DATE_PREFERENCE) + (1 if kind == "pmc-release" else 0)
        candidates.append((rank, f"{order:04d}", pub_date))
    for _, _, pub_date in sorted(candidates, key=lambda c: (c[0], c[1])):
        year = clean(pub_date.findtext("year"))
        if year.isdigit():
            month = pub_date.findtext("month") or pub_date.findtext("season") or ""
            return int(year), iso_date(year, month, pub_date.findtext("day") or "")
    return None, None


def _licence(meta: ET.Element) -> str | None:
    """A short licence statement: the licence URL if given, else the start of its text."""
    licence = meta.find("permissions/license")
    if licence is None:
        return None
    href = clean(licence.get(_XLINK_HREF))
    if href:
        return href
    for element in licence.iter():
        if isinstance(element.tag, str) and element.tag.endswith("license_ref"):
            ref = inner_text(element)
            if ref:
                return ref
    text = " ".join(inner_text(p) for p in licence.iterfind("license-p")).strip()
    if len(text) > _LICENCE_MAX:
        text = text[: _LICENCE_MAX - 1].rstrip() + "…"
    return text or clean(licence.get("license-type")) or None
