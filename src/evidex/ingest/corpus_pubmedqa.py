"""PubMedQA abstracts (shared sample corpus): labelled abstract sections with MeSH, no title."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from evidex.ingest.records import LoadItem, Rejected, read_lines
from evidex.ingest.text_utils import first_sentence, normalize_space
from evidex.models import Document, Section


def load(path: Path) -> Iterator[LoadItem]:
    """One Document per line; the title stands in as the abstract's first sentence (none is given)."""
    for number, line in read_lines(path):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            pmid = str(record["pmid"]).strip()
            sections = [
                Section(label=str(part["label"]).upper(), text=normalize_space(part["text"]))
                for part in record["sections"]
                if str(part.get("text", "")).strip()
            ]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            yield Rejected(str(path), number, f"not a PubMedQA abstract record ({exc})")
            continue
        if not pmid or not sections:
            yield Rejected(str(path), number, "record has no PMID or no abstract text")
            continue
        year = str(record.get("year") or "")
        yield Document(
            id=f"pmid:{pmid}",
            pmid=pmid,
            title=first_sentence(sections[0].text),
            year=int(year) if year.isdigit() else None,
            url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
            mesh_terms=[str(term) for term in record.get("mesh") or []],
            licence="MIT (PubMedQA)",
            source="pubmedqa",
            sections=sections,
        )
