"""What a copular yes/no question asks about its subject ("Is X curable?", "Is it normal to ..."),
so that only evidence speaking to that property may decide the verdict.

Without this, "Is oral mouth cancer curable?" drew a "Yes" from sentences that merely describe oral
cancer: they name the subject, and the stance score leans positive on any on-topic statement. Evidence
that never mentions curing cannot say whether a cancer is curable, so it does not vote, and with no
vote left the page says "insufficient evidence" instead of guessing.
"""

from __future__ import annotations

import re

from evidex.search.query import query_terms

# A property word and the word stems that count as speaking to it (matched as word prefixes).
_FAMILIES: dict[str, tuple[str, ...]] = {
    "curable": ("cure", "curab", "curat", "curing", "remission", "eradicat"),
    "cured": ("cure", "curab", "curat", "curing", "remission", "eradicat"),
    "treatable": ("treat", "therap", "manag", "cure", "curab", "curat"),
    "contagious": ("contag", "infectious", "transmi", "spread", "catch"),
    "infectious": ("contag", "infectious", "transmi", "spread"),
    "hereditary": ("heredit", "inherit", "genetic", "familial"),
    "genetic": ("heredit", "inherit", "genetic", "familial", "gene"),
    "normal": ("normal", "common", "usual", "typical", "physiolog", "abnormal"),
    "common": ("common", "prevalen", "frequen", "rare", "incidence"),
    "serious": ("serious", "severe", "life-threatening", "fatal", "death", "mortal", "complication"),
    "dangerous": ("danger", "serious", "severe", "fatal", "death", "harm", "risk"),
    "fatal": ("fatal", "death", "die", "mortal", "lethal", "surviv"),
    "deadly": ("fatal", "death", "die", "mortal", "lethal", "surviv"),
    "preventable": ("prevent", "avoid", "reduc", "risk"),
    "painful": ("pain", "painful", "discomfort", "ache"),
    "safe": ("safe", "adverse", "harm", "risk", "side effect", "toxic"),
    "permanent": ("permanent", "irreversib", "revers", "resolv", "chronic"),
}
_COPULA = re.compile(
    r"^(?:it\s+is|it's|(?P<subject>.+?)\s+(?:is|are|can\s+be|could\s+be|may\s+be))\s+"
    r"(?P<predicate>[a-z-]+)\b",
    re.IGNORECASE,
)


def copular_predicate(claim: str) -> str | None:
    """The property a claim of the form "X is/can be P" asserts, when P is one we know how to check."""
    match = _COPULA.match(claim.strip())
    if match is None:
        return None
    predicate = match.group("predicate").lower()
    return predicate if predicate in _FAMILIES else None


def speaks_to(predicate: str, sentence: str) -> bool:
    """Whether `sentence` says anything about `predicate` (a word of its family starts a word here)."""
    text = sentence.lower()
    words = query_terms(text)
    for stem in _FAMILIES.get(predicate, (predicate[:4],)):
        if " " in stem or "-" in stem:
            if stem in text:
                return True
        elif any(word.startswith(stem) for word in words):
            return True
    return False
