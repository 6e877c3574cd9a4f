"""What changed between two versions of an article: claims and references added or removed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from evidex.models import Answer


@dataclass(frozen=True)
class VersionDiff:
    claims_added: list[str] = field(default_factory=list)
    claims_removed: list[str] = field(default_factory=list)
    references_added: list[str] = field(default_factory=list)
    references_removed: list[str] = field(default_factory=list)
    verdict: tuple[str | None, str | None] | None = None

    @property
    def empty(self) -> bool:
        return not (
            self.claims_added
            or self.claims_removed
            or self.references_added
            or self.references_removed
            or self.verdict
        )


def _key(text: str) -> str:
    """Claims compare by their words, so re-wrapping or punctuation is not reported as a change."""
    return " ".join(re.findall(r"[a-z0-9.]+", text.lower()))


def _claims(answer: Answer) -> dict[str, str]:
    return {_key(c.text): c.text for section in answer.sections for c in section.claims}


def _references(answer: Answer) -> dict[str, str]:
    return {r.document_id: f"{r.title} [{r.document_id}]" for r in answer.references}


def diff(old: Answer, new: Answer) -> VersionDiff:
    before, after = _claims(old), _claims(new)
    refs_before, refs_after = _references(old), _references(new)
    old_verdict = old.verdict.value if old.verdict else None
    new_verdict = new.verdict.value if new.verdict else None
    return VersionDiff(
        claims_added=[after[k] for k in after if k not in before],
        claims_removed=[before[k] for k in before if k not in after],
        references_added=[refs_after[k] for k in refs_after if k not in refs_before],
        references_removed=[refs_before[k] for k in refs_before if k not in refs_after],
        verdict=(old_verdict, new_verdict) if old_verdict != new_verdict else None,
    )
