"""Stance of an evidence sentence toward a claim (supports / refutes / neutral), for yes/no verdicts.

Why rules: no NLI weights ship inside a PyPI wheel here, and in abstracts the stance is mostly carried
by a few stable signals — negation ("did not", "failed to", "no significant"), null results ("no
difference", "similar", "unchanged") and direction words (increase/decrease, improve/worsen,
positively/negatively associated). A negation in the claim flips the polarity once, and so does an
evidence sentence that reports a negated or null finding — however many such cues it holds, since
"did not reduce … the difference was not significant" says one thing twice; each opposing direction
word flips it once more. A sentence that shares too few content terms with the claim is not about it
and stays neutral. bench/verify_calibration.py measures it on SciFact SUPPORT vs CONTRADICT rationale
sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evidex.answer.verify import content_stems
from evidex.models import Stance

# "not only", "whether or not" and friends are not negations
_NOT_NEGATION = re.compile(
    r"\b(?:not only|whether or not|if not|no doubt|not until|nothing but|no longer than|no less than"
    r"|no more than|not less than|not more than|not exceeding)\b",
    re.I,
)
_NULL = re.compile(
    r"\b(?:similar(?:ly)?|comparable|unchanged|unaffected|unaltered|equivalent|indistinguishable"
    r"|independent(?:ly)? of|irrespective of|regardless of|non-?significant(?:ly)?|insignificant"
    r"|unrelated|neutral effect|null)\b",
    re.I,
)
_NEGATION = re.compile(
    r"\b(?:no|not|never|neither|nor|none|cannot|without|fail(?:s|ed|ing)? to|lack(?:s|ed|ing)?(?: of)?"
    r"|absence of|absent|unable to|did ?n[o']t|does ?n[o']t|do ?n[o']t|is ?n[o']t|are ?n[o']t"
    r"|was ?n[o']t|were ?n[o']t|has ?n[o']t|have ?n[o']t|wo ?n[o']t|ca ?n[o']t|could ?n[o']t"
    r"|rather than|instead of)\b",
    re.I,
)
# In evidence sentences a lone "no"/"not"/"without" is mostly about something else (a subgroup, a
# method); only cues that negate a finding count there. Measured on SciFact: accuracy 0.60 → 0.64.
_FINDING_NEGATION = re.compile(
    r"\b(?:(?:was|were|is|are|did|does|do|has|have|had|could|would|can|may)\s?n[o']t|fail(?:s|ed|ing)? to"
    r"|no (?:significant|statistically|evidence|differen|effect|associat|correlat|change|increase|decrease"
    r"|reduction|improvement|benefit|role|impact|relationship|detectable|apparent)\w*"
    r"|not (?:significant|associated|related|correlated|different|affected|altered|changed|required"
    r"|necessary|sufficient|increase|reduce|improve)\w*|neither|nor|cannot|unable to|lack of|absence of)\b",
    re.I,
)

_AXES: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "direction": (
        re.compile(
            r"\b(?:increas\w*|higher|elevat\w*|rais(?:e|es|ed|ing)|rise[sn]?|rising|rose|enhanc\w*|promot\w*"
            r"|up-?regulat\w*|greater|more|boost\w*|augment\w*|accelerat\w*|activat\w*|induc(?:e|es|ed|ing)"
            r"|stimulat\w*|gain\w*|longer|larger|amplif\w*|potentiat\w*|exacerbat\w*|excess\w*|overexpress\w*"
            r"|maximal|high|above|exceed\w*|elongat\w*|expand\w*|expansion)\b",
            re.I,
        ),
        re.compile(
            r"\b(?:decreas\w*|lower(?:s|ed|ing)?|reduc\w*|diminish\w*|declin\w*|fall(?:s|ing)?|fell|drop\w*"
            r"|suppress\w*|inhibit\w*|attenuat\w*|down-?regulat\w*|less|fewer|impair\w*|block\w*|shorter"
            r"|smaller|loss|los(?:e|es|ing)|lost|deplet\w*|abolish\w*|abrogat\w*|prevent\w*|slow\w*"
            r"|decelerat\w*|low|minimal|below|limit\w*|restrict\w*|deficien\w*|shorten\w*|delay\w*"
            r"|knock-?down|knock-?out|delet\w*|absent|lack\w*)\b",
            re.I,
        ),
    ),
    "valence": (
        re.compile(
            r"\b(?:improv\w*|benefi\w*|protect\w*|better|effective\w*|efficac\w*|safe(?:ly|r|ty)?|favou?rabl\w*"
            r"|success\w*|advantage\w*|rescu\w*|restor\w*|cure[sd]?|heal\w*|recover\w*)\b",
            re.I,
        ),
        re.compile(
            r"\b(?:worsen\w*|worse|harm\w*|detriment\w*|advers\w*|deleterious|toxic\w*|poor(?:er|ly)?"
            r"|unfavou?rabl\w*|risk\w*|damag\w*|fail(?:ure|ures)|ineffective|inferior|dangerous|hazard\w*)\b",
            re.I,
        ),
    ),
    "association": (
        re.compile(r"\b(?:positive(?:ly)?|direct(?:ly)? (?:associat|correlat|relat)\w*)\b", re.I),
        re.compile(r"\b(?:negative(?:ly)?|inverse(?:ly)?)\b", re.I),
    ),
}

MIN_OVERLAP = 0.1
"""Share of the claim's content terms a sentence must contain to be about the claim at all."""


@dataclass(frozen=True)
class StanceSignals:
    """What the rules saw in one text: negation count, null-result cues, and a sign per axis."""

    negations: int
    nulls: int
    axes: dict[str, int]

    @property
    def negated(self) -> bool:
        return (self.negations + self.nulls) % 2 == 1

    @property
    def cues(self) -> int:
        return self.negations + self.nulls + sum(1 for sign in self.axes.values() if sign)


def signals(text: str, evidence: bool = False) -> StanceSignals:
    """Negation and direction cues of `text`; `evidence=True` counts only finding negations."""
    cleaned = _NOT_NEGATION.sub(" ", text)
    negations = len((_FINDING_NEGATION if evidence else _NEGATION).findall(cleaned))
    nulls = len(_NULL.findall(cleaned))
    axes: dict[str, int] = {}
    for name, (up, down) in _AXES.items():
        difference = len(up.findall(cleaned)) - len(down.findall(cleaned))
        axes[name] = (difference > 0) - (difference < 0)
    return StanceSignals(negations, nulls, axes)


def overlap(claim: str, sentence: str) -> float:
    """Share of the claim's content stems found in the sentence."""
    terms = content_stems(claim)
    return len(terms & content_stems(sentence)) / len(terms) if terms else 0.0


def _polarity(claim: str, sentence: str) -> tuple[int, int]:
    """(+1 agree / -1 disagree, number of cues seen) for a sentence about the claim."""
    c, s = signals(claim), signals(sentence, evidence=True)
    flips = int(c.negated) + int(s.negations + s.nulls > 0)
    for axis, sign in c.axes.items():
        other = s.axes[axis]
        if sign and other and sign != other:
            flips += 1
    return (1 if flips % 2 == 0 else -1), c.cues + s.cues


def stance(claim: str, sentence: str) -> Stance:
    """SUPPORTS / REFUTES when `sentence` is about `claim`, else NEUTRAL."""
    if overlap(claim, sentence) < MIN_OVERLAP:
        return Stance.NEUTRAL
    sign, _ = _polarity(claim, sentence)
    return Stance.SUPPORTS if sign > 0 else Stance.REFUTES


def stance_score(claim: str, sentence: str) -> float:
    """Signed strength in [-1, 1]: sign from `stance`, size from term overlap, halved when no cue was seen.

    0 for a sentence not about the claim; used to weight sentences when several vote on a verdict.
    """
    share = overlap(claim, sentence)
    if share < MIN_OVERLAP:
        return 0.0
    sign, cues = _polarity(claim, sentence)
    strength = min(1.0, share / 0.6) * (1.0 if cues else 0.5)
    return float(sign) * round(strength, 4)
