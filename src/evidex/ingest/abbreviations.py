"""Abbreviations defined in the library's own text, found with Schwartz & Hearst's algorithm.

Why: a library uses many abbreviations no curated table knows ("HSCT", "NMOSD", a trial's acronym);
the passages define them themselves, usually as "long form (SF)" or "SF (long form)". Counting those
definitions across the library lets a query that says "HSCT" also search for
"hematopoietic stem cell transplantation".

The extraction follows A. S. Schwartz and M. A. Hearst, "A simple algorithm for identifying
abbreviation definitions in biomedical text", Pacific Symposium on Biocomputing 8:451-462 (2003), and
its reference Java implementation (ExtractAbbrev): a candidate short form is the text inside
parentheses (cut at ", " or "; ") when it has at most two words and is no longer than the text before
it, otherwise the parentheses hold the long form and the word before them is the short form (which
must then contain a capital). A short form has 2-10 characters, a letter, and starts with a letter or
digit. The long form is found by matching the short form's letters and digits right to left in the
preceding text, the first one at the start of a word; it is rejected when it has more than
min(|SF| + 5, 2 * |SF|) words (words split at spaces and hyphens, |SF| counting letters and digits),
is shorter than the short form, or contains the short form as a word.

Additions to the published algorithm, all to drop frequent non-definitions in clinical abstracts:
parenthesised statistics ("p < 0.05", "n = 17", "95% CI ...") and references ("Fig. 2", "Table 1")
are rejected as short forms, as are lower-case roman numerals ("ii") and "e.g."/"i.e.". The preceding
text searched for a long form stops at the end of the previous sentence or parenthesis.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

__all__ = ["AbbreviationTable", "find_abbreviations"]

# A parenthesis preceded by whitespace (as in the reference implementation's " ("), not nested.
_PAREN = re.compile(r"(?<=\s)\(([^()\[\]\n]{1,200})\)")
# Where the text searched for a long form stops: a sentence or clause end, or another bracket.
_BOUNDARY = re.compile(r"[.!?;:](?=\s)|[()\[\]]")
_CUT = re.compile(r"[,;]\s")
_WORD_SPLIT = re.compile(r"[\s\-]+")
_STATISTIC = re.compile(r"[=<>%±≤≥]")
_NUMBERED_REFERENCE = re.compile(r"\s[\d.,\-–]+$")
_NOT_SHORT_FORMS = re.compile(r"(?:[ivx]{1,4}|e\.g|i\.e|etc|vs|cf|viz)\.?")
_LOOKBACK = 400


def find_abbreviations(text: str) -> list[tuple[str, str]]:
    """(short form, long form) pairs defined in `text`, in order of appearance.

    Short forms are returned as written; long forms with whitespace collapsed and surrounding
    punctuation removed.
    """
    pairs: list[tuple[str, str]] = []
    for match in _PAREN.finditer(text):
        inner = _CUT.split(match.group(1).strip(), maxsplit=1)[0].strip()
        before = text[max(0, match.start() - _LOOKBACK) : match.start()]
        boundaries = list(_BOUNDARY.finditer(before))
        if boundaries:
            before = before[boundaries[-1].end() :]
        before = before.strip()
        if len(inner) < 2 or len(before) < 2:
            continue
        if len(inner.split()) > 2 or len(inner) > len(before):
            # "SF (long form)": the short form is the word right before the parenthesis.
            short, long_text = before.split()[-1], inner
            if not any(char.isupper() for char in short):
                continue
        else:
            short, long_text = inner, before
        pair = _definition(short, long_text)
        if pair is not None:
            pairs.append(pair)
    return pairs


def _valid_short_form(short: str) -> bool:
    """The paper's short-form test plus the clinical-text rejections in the module docstring."""
    return (
        2 <= len(short) <= 10
        and len(short.split()) <= 2
        and short[0].isalnum()
        and any(char.isalpha() for char in short)
        and not _STATISTIC.search(short)
        and not _NUMBERED_REFERENCE.search(short)
        and not _NOT_SHORT_FORMS.fullmatch(short.lower() if "." in short else short)
    )


def _definition(short: str, long_text: str) -> tuple[str, str] | None:
    """The (short, long) pair when `long_text` ends with a definition of `short`, else None."""
    if not _valid_short_form(short):
        return None
    size = sum(char.isalnum() for char in short)
    max_words = min(size + 5, size * 2)
    # Only the last max_words whitespace words can hold an acceptable long form.
    long_text = " ".join(long_text.split()[-max_words:])
    best = _best_long_form(short, long_text)
    if best is None:
        return None
    best = _strip_punctuation(best)
    words = [word for word in _WORD_SPLIT.split(best) if word]
    if (
        len(best) < len(short)
        or short + " " in best
        or best.endswith(short)
        or len(words) > max_words
        or size > 10
    ):
        return None
    return short, best


def _best_long_form(short: str, long_text: str) -> str | None:
    """Shortest suffix of `long_text` that holds the short form's characters in order (right to left).

    Straight from the paper: each letter or digit of the short form, last first, must be found further
    left in the long form; the first one must also start a word.
    """
    s_index = len(short) - 1
    l_index = len(long_text) - 1
    while s_index >= 0:
        char = short[s_index].lower()
        if not char.isalnum():
            s_index -= 1
            continue
        while l_index >= 0 and (
            long_text[l_index].lower() != char
            or (s_index == 0 and l_index > 0 and long_text[l_index - 1].isalnum())
        ):
            l_index -= 1
        if l_index < 0:
            return None
        l_index -= 1
        s_index -= 1
    start = long_text.rfind(" ", 0, l_index + 1) + 1
    return long_text[start:]


def _strip_punctuation(text: str) -> str:
    """Drop quotes, commas and the like around a long form; keep everything inside."""
    start, end = 0, len(text)
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not (text[end - 1].isalnum() or text[end - 1] == ")"):
        end -= 1
    return " ".join(text[start:end].split())


def _is_caps(short: str) -> bool:
    """All capitals and digits (punctuation allowed), with a letter and at least two of them."""
    return (
        short == short.upper()
        and any(char.isalpha() for char in short)
        and sum(char.isalnum() for char in short) >= 2
    )


class AbbreviationTable:
    """How often each short form was defined with each long form across many texts.

    Why counts: one text's definition may be a slip or a false positive of the algorithm; requiring a
    definition to be seen `min_count` times keeps the expansions the library agrees on.
    Short forms are kept as written ("HbA1c" and "HBA1C" differ); a lookup ignores case only for a
    stored short form in capitals ("IVIG" answers "ivig"). Long forms are stored lower-cased.
    """

    FORMAT = "evidex-abbreviations"
    VERSION = 1

    def __init__(self, min_count: int = 2, max_per_short: int = 3) -> None:
        if min_count < 1 or max_per_short < 1:
            raise ValueError("min_count and max_per_short must be at least 1")
        self.min_count = min_count
        self.max_per_short = max_per_short
        self._counts: dict[str, Counter[str]] = {}

    def add_text(self, text: str) -> None:
        """Count the definitions found in one text (a passage or an abstract)."""
        for short, long_form in find_abbreviations(text):
            self.add_pair(short, long_form)

    def add_texts(self, texts: Iterable[str]) -> None:
        """Count the definitions of many texts."""
        for text in texts:
            self.add_text(text)

    def add_pair(self, short: str, long_form: str, count: int = 1) -> None:
        """Count one (short, long) definition `count` times."""
        short = short.strip()
        key = " ".join(long_form.lower().split())
        if not short or not key or count < 1:
            return
        self._counts.setdefault(short, Counter())[key] += count

    def expansions(self, short: str) -> list[str]:
        """Long forms of `short` seen at least min_count times, most frequent first (ties by name)."""
        short = short.strip()
        counts = self._counts.get(short)
        if counts is None and _is_caps(short.upper()):
            counts = self._counts.get(short.upper())
        if not counts:
            return []
        ranked = sorted((item for item in counts.items() if item[1] >= self.min_count), key=_rank)
        return [long_form for long_form, _ in ranked[: self.max_per_short]]

    def __len__(self) -> int:
        """Number of short forms that have at least one expansion."""
        return sum(1 for counts in self._counts.values() if max(counts.values()) >= self.min_count)

    def __contains__(self, short: object) -> bool:
        return isinstance(short, str) and bool(self.expansions(short))

    def to_json(self, *, prune: bool = False) -> str:
        """The table as JSON; `prune` keeps only definitions already seen min_count times.

        Unpruned, a table loaded back can keep counting new texts exactly; pruned, it is much smaller.
        """
        pairs: dict[str, dict[str, int]] = {}
        for short in sorted(self._counts):
            kept = {
                long_form: count
                for long_form, count in sorted(self._counts[short].items())
                if not prune or count >= self.min_count
            }
            if kept:
                pairs[short] = kept
        document = {
            "format": self.FORMAT,
            "version": self.VERSION,
            "min_count": self.min_count,
            "max_per_short": self.max_per_short,
            "pairs": pairs,
        }
        return json.dumps(document, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> AbbreviationTable:
        """A table written by to_json; ValueError when the text is not one."""
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"not an abbreviation table: {error}") from error
        if not isinstance(document, dict) or document.get("format") != cls.FORMAT:
            raise ValueError("not an abbreviation table (missing format marker)")
        if document.get("version") != cls.VERSION:
            raise ValueError(f"unsupported abbreviation table version {document.get('version')!r}")
        pairs = document.get("pairs")
        min_count, max_per_short = document.get("min_count"), document.get("max_per_short")
        if (
            not isinstance(pairs, dict)
            or not isinstance(min_count, int)
            or not isinstance(max_per_short, int)
        ):
            raise ValueError("malformed abbreviation table")
        table = cls(min_count=min_count, max_per_short=max_per_short)
        for short, long_forms in pairs.items():
            if not isinstance(long_forms, dict):
                raise ValueError(f"malformed entry for {short!r}")
            for long_form, count in long_forms.items():
                if not isinstance(count, int):
                    raise ValueError(f"malformed count for {short!r}")
                table.add_pair(short, long_form, count)
        return table


def _rank(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


ABBREVIATIONS_FILE = "abbreviations.json"


def load_table(library_path: Path) -> AbbreviationTable | None:
    """The library's abbreviation table, or None when the library has none (or it is unreadable)."""
    path = library_path / ABBREVIATIONS_FILE
    if not path.exists():
        return None
    try:
        return AbbreviationTable.from_json(path.read_text(encoding="utf-8"))
    except ValueError:
        return None


def update_table(library_path: Path, texts: Iterable[str]) -> None:
    """Count abbreviation definitions of newly stored passages into the library's table."""
    table = load_table(library_path) or AbbreviationTable()
    table.add_texts(texts)
    path = library_path / ABBREVIATIONS_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(table.to_json(), encoding="utf-8")
    tmp.replace(path)
