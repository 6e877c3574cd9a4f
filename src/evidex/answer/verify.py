"""Claim verification: does the cited passage state this claim, and are its numbers in the source?

Why this shape: no NLI or cross-encoder weights ship inside a PyPI wheel here (see MODELS.md), so the
check combines what we can compute offline and cheaply — lexical coverage of the claim's content
terms, the dense cosine between the claim and the cited sentences (MiniLM), and a hard number gate —
in a logistic model with four weights fitted on SciFact. The clinical safety rule behind it: a claim
is shown only with a citation that supports it, and every dose, interval or percentage in it must be
found in the cited source. Verbatim (extractive) claims, the common case, are accepted without
embedding anything.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from evidex.ingest.text_utils import split_sentences
from evidex.models import Claim
from evidex.search.query import query_terms
from evidex.store.vectors import Embedder

Vectors = npt.NDArray[np.float32]

# ------------------------------------------------------------------------------------ numbers

_WORD_NUMBERS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "once": "1",
    "twice": "2",
    "thrice": "3",
}

# canonical unit for each spelling (matched case-insensitively); time units are plural keys
_UNITS: dict[str, str] = {
    "mg": "mg",
    "milligram": "mg",
    "milligrams": "mg",
    "mcg": "mcg",
    "µg": "mcg",
    "μg": "mcg",
    "ug": "mcg",
    "microgram": "mcg",
    "micrograms": "mcg",
    "ng": "ng",
    "g": "g",
    "gram": "g",
    "grams": "g",
    "kg": "kg",
    "ml": "ml",
    "milliliter": "ml",
    "milliliters": "ml",
    "millilitre": "ml",
    "millilitres": "ml",
    "l": "l",
    "liter": "l",
    "liters": "l",
    "litre": "l",
    "litres": "l",
    "dl": "dl",
    "iu": "IU",
    "units": "units",
    "unit": "units",
    "mmol": "mmol",
    "µmol": "µmol",
    "μmol": "µmol",
    "meq": "mEq",
    "mmhg": "mmHg",
    "bpm": "bpm",
    "kcal": "kcal",
    "cm": "cm",
    "mm": "mm",
    "million": "million",
    "billion": "billion",
    "hours": "hours",
    "hour": "hours",
    "hrs": "hours",
    "hr": "hours",
    "h": "hours",
    "days": "days",
    "day": "days",
    "d": "days",
    "weeks": "weeks",
    "week": "weeks",
    "wk": "weeks",
    "wks": "weeks",
    "months": "months",
    "month": "months",
    "mo": "months",
    "years": "years",
    "year": "years",
    "yr": "years",
    "yrs": "years",
    "minutes": "minutes",
    "minute": "minutes",
    "min": "minutes",
    "mins": "minutes",
    "seconds": "seconds",
    "second": "seconds",
    "sec": "seconds",
}
_PER = {
    "kg": "kg",
    "m2": "m2",
    "m²": "m2",
    "day": "day",
    "days": "day",
    "d": "day",
    "daily": "day",
    "24h": "day",
    "24 h": "day",
    "h": "hour",
    "hr": "hour",
    "hour": "hour",
    "min": "min",
    "minute": "min",
    "dose": "dose",
    "week": "week",
    "wk": "week",
    "l": "l",
    "dl": "dl",
    "ml": "ml",
}
_ADVERBS = {"once", "twice", "thrice"}
_TIME_UNITS = {"hours", "days", "weeks", "months", "years", "minutes", "seconds"}
# a claim quantity is also found in a source quantity that only adds one of these denominators
# ("500 mg" is in "500 mg/day"); never /kg or /m2, which change the dose itself
_LOOSE_PER = ("/day", "/dose", "/week")

_NUM = r"\d+(?:\.\d+)?|\.\d+"
_START = r"(?<![\w.])(?<![A-Za-z]-)"  # not glued to letters: COVID-19, IL-6, CD4, v2.1
_RANGE = rf"(?P<a>{_NUM})(?:\s*(?:-|to)\s*(?P<b>{_NUM}))?"
_UNIT_ALT = "|".join(sorted((re.escape(u) for u in _UNITS), key=len, reverse=True))
_PER_ALT = "|".join(sorted((re.escape(p) for p in _PER), key=len, reverse=True))
_QUANTITY = re.compile(
    rf"{_START}{_RANGE}\s*-?\s*(?P<unit>{_UNIT_ALT})(?![\w])"
    rf"(?P<per>(?:\s*(?:/|per\b|a\b)\s*(?:{_PER_ALT})(?![\w]))*)(?P<daily>\s+daily\b)?",
    re.I,
)
_PERCENT = re.compile(rf"{_START}{_RANGE}\s*(?:%|percent\b|per cent\b)", re.I)
_EVERY = re.compile(
    rf"\b(?:every|each)\s+{_RANGE}\s*-?\s*(?P<unit>hours?|hrs?|h|days?|d|weeks?|wks?|months?|minutes?|min)\b"
    rf"|\bq\.?\s?(?P<q>\d+)\s?(?P<qunit>h|hr|hrs|hours?|d|days?|wk|weeks?)\b",
    re.I,
)
_TIMES = re.compile(
    rf"{_START}(?P<n>\d+)\s*(?:x|times)[\s-]*(?:a\s+|per\s+|/\s*|each\s+)?(?P<period>daily|day|d|weekly|week|wk)\b",
    re.I,
)
_ABBREVIATED = re.compile(r"\b(?P<code>b\.?i\.?d|t\.?i\.?d|q\.?i\.?d|q\.?d|o\.?d)\b\.?", re.I)
_ABBREVIATION_TIMES = {"bid": "2", "tid": "3", "qid": "4", "qd": "1", "od": "1"}
_BARE = re.compile(rf"{_START}(?P<n>\d+(?:\.\d+)?|\.\d+)(?![\w])")
_ANY_NUMBER = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?|\.\d+)")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_WORD_NUMBER = re.compile(
    r"\b(" + "|".join(_WORD_NUMBERS) + r")\b(?=[\s-]+(?:times\b|(?:" + _UNIT_ALT + r")\b)"
    r"|[\s-]+(?:daily|a day|a week|weekly|per day|per week)\b)",
    re.I,
)


def _number(text: str) -> str:
    """'1.50' → '1.5', '.5' → '0.5', '010' → '10': one spelling per value."""
    whole, _, frac = text.partition(".")
    whole = whole.lstrip("0") or "0"
    frac = frac.rstrip("0")
    return f"{whole}.{frac}" if frac else whole


def _value(a: str, b: str | None) -> str:
    return f"{_number(a)}-{_number(b)}" if b else _number(a)


def _prepare(text: str) -> str:
    """Unify dashes, drop thousands separators, spell small word-numbers as digits."""
    text = _DASHES.sub("-", text)
    text = _THOUSANDS.sub("", text)
    return _WORD_NUMBER.sub(_digits, text)


def _digits(match: re.Match[str]) -> str:
    word = match.group(1).lower()
    return f"{_WORD_NUMBERS[word]} times" if word in _ADVERBS else _WORD_NUMBERS[word]


def _time_unit(unit: str, value: str) -> str:
    canonical = _UNITS.get(unit.lower(), unit.lower())
    return canonical[:-1] if value == "1" and canonical in _TIME_UNITS else canonical


def numbers_with_units(text: str) -> list[str]:
    """The quantities in `text`, normalised so the same quantity always reads the same.

    Returned, in order of appearance, without repeats:
    - amounts with a unit: "500mg" → "500 mg", "2.5 mg/kg", "1.5 g per day" → "1.5 g/day",
      "500 mg daily" → "500 mg/day", "10–14 days" / "10 to 14 days" → "10-14 days", "1 day";
    - percentages: "95 %" / "95 percent" → "95%";
    - intervals and frequencies: "q8h" / "every 8 hours" → "every 8 hours"; "3 times daily",
      "three times a day", "tid" → "3 times daily"; "twice daily", "bid" → "2 times daily";
    - plain numbers that carry meaning on their own: decimals ("0.75") and integers ≥ 10 ("in
      1,204 patients" → "1204"), since a count in a claim must be in its source too.
    Ignored on purpose: years 1900–2099 standing alone, small integers below 10 without a unit
    (ordinals, list labels, "type 2"), and numbers glued to letters (COVID-19, IL-6, CD4).
    """
    prepared = _prepare(text)
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []

    def claim_span(start: int, end: int) -> bool:
        if any(start < e and s < end for s, e in taken):
            return False
        taken.append((start, end))
        return True

    for match in _EVERY.finditer(prepared):
        if match.group("q"):
            value, unit = _number(match.group("q")), match.group("qunit")
        else:
            value, unit = _value(match.group("a"), match.group("b")), match.group("unit")
        if claim_span(match.start(), match.end()):
            found.append((match.start(), f"every {value} {_time_unit(unit, value)}"))
    for match in _TIMES.finditer(prepared):
        period = "daily" if match.group("period").lower() in {"daily", "day", "d"} else "weekly"
        if claim_span(match.start(), match.end()):
            found.append((match.start(), f"{_number(match.group('n'))} times {period}"))
    for match in _ABBREVIATED.finditer(prepared):
        code = match.group("code").replace(".", "").lower()
        if claim_span(match.start(), match.end()):
            found.append((match.start(), f"{_ABBREVIATION_TIMES[code]} times daily"))
    for match in _QUANTITY.finditer(prepared):
        value = _value(match.group("a"), match.group("b"))
        unit = _time_unit(match.group("unit"), value)
        pers = re.findall(rf"(?:/|per\b|a\b)\s*({_PER_ALT})", match.group("per") or "", re.I)
        suffix = "".join("/" + _PER[p.lower()] for p in pers)
        if match.group("daily") and "/day" not in suffix:
            suffix += "/day"
        end = match.end()
        if not pers and not match.group("daily"):
            end = match.end("unit")
        if claim_span(match.start(), end):
            found.append((match.start(), f"{value} {unit}{suffix}"))
    for match in _PERCENT.finditer(prepared):
        if claim_span(match.start(), match.end()):
            found.append((match.start(), f"{_value(match.group('a'), match.group('b'))}%"))
    for match in _BARE.finditer(prepared):
        raw = match.group("n")
        value = _number(raw)
        is_year = raw.isdigit() and len(raw) == 4 and 1900 <= int(raw) <= 2099
        small = "." not in raw and int(raw) < 10
        if is_year or small:
            continue
        if claim_span(match.start(), match.end()):
            found.append((match.start(), value))
    out: list[str] = []
    for _, item in sorted(found):
        if item not in out:
            out.append(item)
    return out


def _all_numbers(text: str) -> set[str]:
    return {_number(n) for n in _ANY_NUMBER.findall(_prepare(text))}


def numbers_supported(claim: str, passages: Sequence[str]) -> tuple[bool, list[str]]:
    """Whether every quantity of `claim` appears (normalised) in at least one passage; and the missing ones.

    A quantity is found when a passage has the same one, or the same one with a per-day/per-dose/per-week
    denominator added ("500 mg" in "500 mg/day"); a plain number is found when the passage has that
    number anywhere (also inside a quantity or a range).
    """
    if isinstance(passages, str):
        passages = [passages]
    wanted = numbers_with_units(claim)
    if not wanted:
        return True, []
    have: set[str] = set()
    numbers: set[str] = set()
    for passage in passages:
        have.update(numbers_with_units(passage))
        numbers |= _all_numbers(passage)
    missing: list[str] = []
    for item in wanted:
        if item in have or any(item + per in have for per in _LOOSE_PER):
            continue
        if re.fullmatch(r"\d+(?:\.\d+)?", item) and item in numbers:
            continue
        missing.append(item)
    return not missing, missing


# ------------------------------------------------------------------------------------ support

# Logistic weights over (lexical best sentence, lexical whole passage, dense max cosine) + bias, and the
# "supported" threshold. Fitted 2026-11-25 by bench/verify_calibration.py (rerun it to refit; it prints
# these lines) on the 70% fit split of SciFact train claims (split by claim id, crc32 % 10 < 7):
# positives are each claim's rationale abstract (SUPPORT or CONTRADICT — the passage is about the claim),
# negatives one BM25 hard negative and one random abstract per claim; embedder onnx-int8 MiniLM.
# The threshold is the lowest cut with precision ≥ 0.9 on the fit split (held-out: AUC 0.91, precision
# 0.92, recall 0.47 on SciFact's abstractive claims; close paraphrases score far higher).
WEIGHTS: tuple[float, float, float, float] = (-4.5478, 1.4294, 2.6078, 4.4153)  # bias, lex_s, lex_p, dense
THRESHOLD = 0.7776
# The same without the dense feature, used when no embedding model is installed (dense=False).
LEXICAL_WEIGHTS: tuple[float, float, float, float] = (-3.0012, 2.6725, 3.802, 0.0)
LEXICAL_THRESHOLD = 0.8395

_MIN_EXTRACTIVE_TERMS = 3
_CACHE_LIMIT = 20_000
_SUFFIXES = (
    "ations",
    "ation",
    "ments",
    "ment",
    "ities",
    "ity",
    "ness",
    "ings",
    "ing",
    "ies",
    "ied",
    "ed",
    "es",
    "ly",
    "al",
    "s",
)
_PUNCT_EDGE = re.compile(r"^[\s\"'“”(\[]+|[\s.;:,!?\"'“”)\]]+$")
_SPACE = re.compile(r"\s+")


def stem(term: str) -> str:
    """Crude stem: strip one common suffix, keep at most 6 letters (reduces/reduced/reduction → reduc)."""
    if term[:1].isdigit():
        return term
    for suffix in _SUFFIXES:
        if term.endswith(suffix) and len(term) - len(suffix) >= 4:
            term = term[: -len(suffix)]
            break
    return term[:6]


def content_stems(text: str) -> set[str]:
    """Stemmed content terms (query_terms: no stopwords) of `text`."""
    return {stem(term) for term in query_terms(text)}


def _squash(text: str) -> str:
    return _SPACE.sub(" ", _DASHES.sub("-", text)).strip().casefold()


def is_extractive(claim: str, passages: Sequence[str]) -> bool:
    """The claim is a passage's wording verbatim (after whitespace, case and edge-punctuation clean-up).

    The match must end on a word boundary not followed by '/' ("500 mg" is not lifted from "500 mg/kg"),
    and a claim needs a few content terms so that "Yes." is never "verbatim".
    """
    core = _PUNCT_EDGE.sub("", _squash(claim))
    if len(query_terms(core)) < _MIN_EXTRACTIVE_TERMS:
        return False
    pattern = re.compile(rf"(?<!\w){re.escape(core)}(?![\w/])")
    return any(pattern.search(_squash(passage)) for passage in passages)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


@dataclass(frozen=True)
class SupportScore:
    """Every part of one claim's check, for the bench and for explaining a flag."""

    support: float
    topical: float
    lexical_sentence: float
    lexical_passage: float
    dense: float | None
    extractive: bool
    missing_numbers: list[str] = field(default_factory=list)

    @property
    def numbers_ok(self) -> bool:
        return not self.missing_numbers


class ClaimVerifier:
    """Scores how well cited passages state a claim; embeddings of passage sentences are cached by text."""

    def __init__(
        self, embedder: Embedder | None = None, threshold: float | None = None, dense: bool = True
    ) -> None:
        """`embedder` defaults to load_embedder() on first need; `dense=False` runs the lexical-only model."""
        self._embedder = embedder
        self.dense = dense
        self.weights = WEIGHTS if dense else LEXICAL_WEIGHTS
        default_threshold = THRESHOLD if dense else LEXICAL_THRESHOLD
        self.threshold = default_threshold if threshold is None else threshold
        self.method = (
            "verbatim match, else logistic(term coverage"
            + (" + MiniLM cosine" if dense else "")
            + f") ≥ {self.threshold:.2f}; every number must be in the cited passage"
        )
        self._sentences: dict[str, tuple[list[str], Vectors]] = {}
        self._claims: dict[str, Vectors] = {}

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from evidex.search.embedder import load_embedder

            self._embedder = load_embedder()
        return self._embedder

    def _passage_sentences(self, passage: str) -> tuple[list[str], Vectors]:
        cached = self._sentences.get(passage)
        if cached is None:
            sentences = [passage[s:e].strip() for s, e in split_sentences(passage)] or [passage]
            cached = (sentences, self.embedder.embed(sentences))
            if len(self._sentences) >= _CACHE_LIMIT:
                self._sentences.pop(next(iter(self._sentences)))
            self._sentences[passage] = cached
        return cached

    def _claim_vector(self, claim: str) -> Vectors:
        vector = self._claims.get(claim)
        if vector is None:
            vector = self.embedder.embed([claim])[0]
            if len(self._claims) >= _CACHE_LIMIT:
                self._claims.pop(next(iter(self._claims)))
            self._claims[claim] = vector
        return vector

    def features(self, claim: str, passages: Sequence[str]) -> tuple[float, float, float | None]:
        """(lexical best sentence, lexical best passage, dense max cosine or None when dense is off)."""
        terms = content_stems(claim)
        lex_sentence = lex_passage = 0.0
        for passage in passages:
            if terms:
                lex_passage = max(lex_passage, len(terms & content_stems(passage)) / len(terms))
                for start, end in split_sentences(passage):
                    shared = terms & content_stems(passage[start:end])
                    lex_sentence = max(lex_sentence, len(shared) / len(terms))
        if not self.dense or not passages:
            return lex_sentence, lex_passage, None
        vector = self._claim_vector(claim)
        dense = max(float(np.max(self._passage_sentences(p)[1] @ vector)) for p in passages)
        return lex_sentence, lex_passage, dense

    def probability(self, lex_sentence: float, lex_passage: float, dense: float | None) -> float:
        """The fitted logistic model's probability that the passages state the claim."""
        bias, w_sentence, w_passage, w_dense = self.weights
        z = bias + w_sentence * lex_sentence + w_passage * lex_passage + w_dense * (dense or 0.0)
        return _sigmoid(z)

    def score(self, claim: str, passages: Sequence[str]) -> SupportScore:
        """The full check: verbatim shortcut, else features → logistic; numbers gate the result to 0."""
        ok, missing = numbers_supported(claim, passages)
        if passages and is_extractive(claim, passages):
            return SupportScore(1.0 if ok else 0.0, 1.0, 1.0, 1.0, None, True, missing)
        if not passages:
            return SupportScore(0.0, 0.0, 0.0, 0.0, None, False, missing)
        lex_sentence, lex_passage, dense = self.features(claim, passages)
        topical = self.probability(lex_sentence, lex_passage, dense)
        return SupportScore(topical if ok else 0.0, topical, lex_sentence, lex_passage, dense, False, missing)

    def support(self, claim: str, passages: list[str]) -> float:
        """Support in [0, 1] that `passages` state `claim`; 0 when a number of the claim is not in them."""
        return self.score(claim, passages).support

    def verify(self, claim: Claim, passages: dict[int, str]) -> Claim:
        """A copy of `claim` with support, verified and (when not verified) the reason it is flagged.

        `passages` maps passage id → text; the claim's `passage_ids` pick the cited ones (a claim
        without passage ids is looked up by its citation numbers instead).
        """
        keys = claim.passage_ids or claim.citations
        cited = [passages[key] for key in keys if key in passages]
        if not cited:
            return claim.model_copy(
                update={"support": 0.0, "verified": False, "flagged": "no cited passage to check against"}
            )
        result = self.score(claim.text, cited)
        support = round(result.support, 4)
        verified = result.numbers_ok and result.support >= self.threshold
        flagged: str | None = None
        if not result.numbers_ok:
            flagged = f"numbers not in source: {', '.join(result.missing_numbers)}"
        elif not verified:
            flagged = f"cited passage does not state this (support {result.support:.2f})"
        return claim.model_copy(update={"support": support, "verified": verified, "flagged": flagged})
