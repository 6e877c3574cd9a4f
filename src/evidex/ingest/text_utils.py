"""Small text clean-ups shared by loaders: whitespace, mojibake, sentence boundaries, years."""

from __future__ import annotations

import re

_SPACES = re.compile(r"[ \t\u00a0]+")
_MOJIBAKE = re.compile(r"[\u00c2-\u00f4][\u0080-\u00bf]{1,3}")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")

# A sentence ends at . ? ! followed by space and an upper-case letter, digit or opening bracket,
# unless the dot belongs to a common abbreviation or a decimal number.
_SENTENCE_END = re.compile(r"(?<=[.?!])[\"')\]]?\s+(?=[A-Z0-9(\[\"'])")
_ABBREVIATIONS = (
    "e.g.",
    "i.e.",
    "et al.",
    "vs.",
    "Dr.",
    "Fig.",
    "fig.",
    "approx.",
    "No.",
    "no.",
    "Ref.",
    "St.",
    "Jr.",
    "Sr.",
    "Mr.",
    "Mrs.",
    "Ms.",
    "cf.",
    "ca.",
    "min.",
    "max.",
    "Vol.",
    "Suppl.",
    "Inc.",
)


def normalize_space(text: str) -> str:
    """Collapse runs of spaces and tabs inside lines and trim every line; keep line breaks."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def fix_mojibake(text: str) -> str:
    """Repair UTF-8 text that was decoded as Latin-1 once (NGC's "caseâ\\x80\\x93control")."""

    def repair(match: re.Match[str]) -> str:
        chunk = match.group(0)
        try:
            return chunk.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return chunk

    return _MOJIBAKE.sub(repair, text)


def join_wrapped_lines(text: str) -> str:
    """Rejoin hard-wrapped lines: a line that does not end a sentence continues on a lower-case line."""
    out: list[str] = []
    for line in normalize_space(text).split("\n"):
        if out and line[:1].islower() and not out[-1].endswith((".", ":", ";", "?", "!")):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return "\n".join(out)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) over `text`, so callers can keep exact character offsets."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        head = text[start : match.start()]
        if head.endswith(_ABBREVIATIONS):
            continue
        spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def first_sentence(text: str, limit: int = 160) -> str:
    """A title stand-in for records that have none: the first sentence, cut at a word boundary."""
    spans = split_sentences(text.strip())
    sentence = text.strip()[spans[0][0] : spans[0][1]] if spans else text.strip()
    if len(sentence) <= limit:
        return sentence
    return sentence[:limit].rsplit(" ", 1)[0] + "…"


def find_year(text: str | None) -> int | None:
    """The first plausible publication year in a date string such as '2000 Jul (reaffirmed 2014)'."""
    if not text:
        return None
    match = _YEAR.search(text)
    return int(match.group(1)) if match else None
