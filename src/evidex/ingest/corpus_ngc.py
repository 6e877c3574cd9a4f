"""AHRQ National Guideline Clearinghouse summaries (shared sample corpus, 2018 snapshot).

`major_recommendations` is the heart of a summary: its statements keep their grades ("(Class II)",
"Level A") on the same line, and the chunker never cuts inside a line, so a statement and its grade
always travel together. Other NGC fields that help answer questions become further sections.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from evidex.ingest.records import LoadItem, Rejected, read_lines
from evidex.ingest.text_utils import find_year, fix_mojibake, join_wrapped_lines, normalize_space
from evidex.models import Document, EvidenceKind, Section

RECOMMENDATIONS = "Major Recommendations"

# NGC fields worth retrieving, in reading order; the rest (methods, costs...) is administrative.
EXTRA_FIELDS: tuple[str, ...] = (
    "Disease/Condition(s)",
    "Guideline Objective(s)",
    "Target Population",
    "Interventions and Practices Considered",
    "Clinical Algorithm(s)",
    "Potential Benefits",
    "Potential Harms",
    "Contraindications",
    "Qualifying Statements",
    "Type of Evidence Supporting the Recommendations",
)


def _clean(text: str) -> str:
    return join_wrapped_lines(fix_mojibake(text))


def load(path: Path) -> Iterator[LoadItem]:
    """One guideline Document per summary; the kind is 'guideline' by source."""
    for number, line in read_lines(path):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            ngc_id = str(record["ngc_id"]).strip().removeprefix("ngc-")
            title = normalize_space(fix_mojibake(str(record["title"])))
            fields: dict[str, str] = dict(record.get("fields") or {})
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            yield Rejected(str(path), number, f"not an NGC guideline summary ({exc})")
            continue
        sections: list[Section] = []
        recommendations = _clean(str(record.get("major_recommendations") or ""))
        if recommendations:
            sections.append(Section(label=RECOMMENDATIONS, text=recommendations))
        for name in EXTRA_FIELDS:
            value = _clean(str(fields.get(name) or ""))
            if value and value.lower() not in {"none provided", "not stated", "none"}:
                sections.append(Section(label=name, text=value))
        if not ngc_id or not title or not sections:
            yield Rejected(str(path), number, "summary has no id, no title or no recommendations")
            continue
        released = str(record.get("date_released") or "")
        source_ref = normalize_space(fix_mojibake(str(fields.get("Bibliographic Source(s)") or "")))
        yield Document(
            id=f"ngc:{ngc_id}",
            title=title,
            publisher=normalize_space(fix_mojibake(str(record.get("developer") or ""))) or None,
            year=find_year(released),
            date=released or None,
            url=f"https://www.guideline.gov/summaries/summary/{ngc_id}",
            licence=normalize_space(fix_mojibake(str(record.get("copyright") or ""))) or None,
            source="ngc",
            kind=EvidenceKind.GUIDELINE,
            sections=sections,
            extra={
                key: value
                for key, value in (
                    ("status", normalize_space(str(record.get("status") or ""))),
                    ("bibliographic_source", source_ref),
                )
                if value
            },
        )
