"""Sentence roles for extractive answers: which sentences recommend, dose, conclude, warn or define.

Why cues and not a model: no sentence classifier ships inside a PyPI wheel here, and the roles that
matter on a clinical answer page are marked by stable wording ("is recommended", "mg/kg", "In
conclusion", "contraindicated"). The roles decide which section a sentence goes to and its priority.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Role(StrEnum):
    RECOMMENDATION = "recommendation"
    DOSE = "dose"
    CONCLUSION = "conclusion"
    WARNING = "warning"
    DEFINITION = "definition"
    SYMPTOM = "symptom"
    FINDING = "finding"
    BACKGROUND = "background"


_ROLE_PATTERNS: tuple[tuple[Role, re.Pattern[str]], ...] = (
    (
        Role.DOSE,
        re.compile(
            r"\b\d+(?:[.,]\d+)?\s?(?:mg|mcg|µg|g|ml|mL|IU|units?|mg/kg|mg/m2|mmol)\b"
            r"|\b(?:once|twice|three times|four times) (?:a |per )?(?:day|daily|week)"
            r"|\bevery \d+ (?:hours?|days?|weeks?)\b"
            r"|\bfor \d+(?:\s?(?:-|–|to)\s?\d+)? (?:days|weeks|months)\b",
            re.I,
        ),
    ),
    (
        Role.RECOMMENDATION,
        re.compile(
            r"\b(?:is|are) (?:recommended|indicated|suggested|preferred|advised)\b|\brecommend(?:s|ed)?\b"
            r"|\bshould (?:be|not|receive|consider|undergo|avoid)\b|\bfirst[- ]line\b|\btreatment of choice\b"
            r"|\bwe suggest\b|\b(?:strong|weak|conditional) recommendation\b|\(Class I{1,3}\w?\)"
            r"|\bLevel [ABC]\b|\bGrade [ABCD]\b|\bmust (?:be|not)\b",
            re.I,
        ),
    ),
    (
        Role.WARNING,
        re.compile(
            r"\bcontraindicat\w*|\bavoid\w*\b|\bcaution\b|\bshould not\b|\badverse (?:events?|effects?)\b"
            r"|\bside effects?\b|\btoxicit\w*|\bwarning\b|\bmonitor\w*\b|\brisk of (?:bleeding|death|harm)\b"
            r"|\bnot recommended\b|\binteract\w*\b",
            re.I,
        ),
    ),
    (
        Role.CONCLUSION,
        re.compile(
            r"\b(?:in conclusion|we conclude|these (?:findings|results|data) (?:suggest|indicate|show)"
            r"|(?:results|findings|data) suggest|our (?:study|results|findings) (?:show|suggest|indicate)"
            r"|this (?:study|trial|review) (?:shows|suggests|demonstrates|found)|conclusions?:)",
            re.I,
        ),
    ),
    (
        Role.DEFINITION,
        re.compile(
            r"^\s*[\w\s\-(),']{2,80}?\b(?:is|are) (?:a|an|the) (?:\w+ ){0,4}"
            r"(?:disease|disorder|condition|infection|syndrome|cancer|drug|medicine|medication|test|"
            r"procedure|virus|bacteri\w+|type|group|class|form|inflammation)\b"
            r"|\brefers to\b|\bis defined as\b|\bis characteri[sz]ed by\b",
            re.I,
        ),
    ),
    (
        Role.SYMPTOM,
        re.compile(
            r"\b(?:signs? and symptoms?|symptoms?|signs?) "
            r"(?:include|includes|are|may include|can include|of)\b"
            r"|\bpresents? with\b|\bcharacteri[sz]ed by\b|\bcauses? (?:a |an )?(?:painful |itchy )?"
            r"(?:rash|pain|fever|blisters|itching|swelling)\b",
            re.I,
        ),
    ),
    (
        Role.FINDING,
        re.compile(
            r"\b(?:significant(?:ly)?|associated with|reduced|increased|improved|decreased|"
            r"(?:odds|hazard|risk) ratio|95% ?CI|p ?[<=]|compared with|versus|was (?:higher|lower))\b",
            re.I,
        ),
    ),
)


def roles(sentence: str) -> list[Role]:
    """Every role the sentence shows, most important first (a dosing recommendation is both)."""
    found = [role for role, pattern in _ROLE_PATTERNS if pattern.search(sentence)]
    return found or [Role.BACKGROUND]


def primary_role(sentence: str) -> Role:
    return roles(sentence)[0]
