"""BioASQ gold snippets (shared sample corpus): several rows per PMID, merged into one Document."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from evidex.ingest.records import LoadItem, Rejected, read_lines
from evidex.ingest.text_utils import first_sentence, normalize_space
from evidex.models import Document, Section


@dataclass
class _Article:
    title: str = ""
    snippets: list[tuple[int, int, str]] = field(default_factory=list)


def _merge(snippets: list[tuple[int, int, str]]) -> list[tuple[int, str]]:
    """Keep each distinct stretch of the abstract once: drop snippets that lie inside another."""
    kept: list[tuple[int, int, str]] = []
    for begin, end, text in sorted(snippets, key=lambda s: (s[0], -(s[1] - s[0]))):
        if any(b <= begin and end <= e for b, e, _ in kept):
            continue
        kept.append((begin, end, text))
    return [(begin, text) for begin, _, text in kept]


def load(path: Path) -> Iterator[LoadItem]:
    """Group rows by PMID (the file is not sorted by PMID, so it is read whole: 21k short rows)."""
    articles: dict[str, _Article] = {}
    for number, line in read_lines(path):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            pmid = str(row["pmid"]).strip()
            section = str(row["section"])
            text = normalize_space(str(row["text"]))
            begin, end = int(row["offset_begin"]), int(row["offset_end"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            yield Rejected(str(path), number, f"not a BioASQ snippet row ({exc})")
            continue
        if not pmid or not text:
            yield Rejected(str(path), number, "row has no PMID or no text")
            continue
        article = articles.setdefault(pmid, _Article())
        if section == "title":
            article.title = text
        else:
            article.snippets.append((begin, end, text))
    for pmid, article in articles.items():
        merged = _merge(article.snippets)
        sections = [Section(label="ABSTRACT", text=text, start=begin) for begin, text in merged]
        if not sections:
            sections = [Section(label="TITLE", text=article.title)]
        yield Document(
            id=f"pmid:{pmid}",
            pmid=pmid,
            title=article.title or first_sentence(sections[0].text),
            url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
            licence="BioASQ / NLM terms (evaluation and research only)",
            source="bioasq",
            sections=sections,
        )
