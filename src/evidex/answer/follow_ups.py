"""Suggested follow-up questions: the next things a reader usually asks, aimed at what the answer left out.

Why templates: a follow-up must be answerable by the same library and must read naturally, so it
is built from the question's own entities (the drug, the condition) and a fixed plan of what
clinicians ask next for each question type (therapy → dose, harms, alternatives, special
populations, monitoring), skipping aspects the answer already covered. Deterministic, no model.
"""

from __future__ import annotations

import re

from evidex.models import QuestionAnalysis, QuestionType

__all__ = ["ASPECTS", "suggest"]

# What each aspect asks; {x} is the intervention, {c} the condition, {for_c} " for <condition>" or "".
_TEMPLATES: dict[str, tuple[str, str]] = {
    "dosing": ("x", "What is the recommended dose of {x}{for_c}?"),
    "adverse_effects": ("x", "What are the side effects of {x}?"),
    "comparison": ("x", "What are the alternatives to {x}{for_c}?"),
    "pregnancy": ("x", "Is {x} safe in pregnancy?"),
    "renal": ("x", "Should the dose of {x} be adjusted in renal impairment?"),
    "children": ("x", "Can {x} be used in children?"),
    "monitoring": ("x", "What monitoring is needed during treatment with {x}?"),
    "prevention": ("c", "How can {c} be prevented?"),
    "therapy": ("c", "What is the first-line treatment for {c}?"),
    "diagnosis": ("c", "How {be} {c} diagnosed?"),
    "prognosis": ("c", "What is the prognosis of {c}?"),
    "etiology": ("c", "What are the risk factors for {c}?"),
    "definition": ("c", "What is {c}?"),
}
_COMPARE_WITH = "How does {x} compare with {alt}{for_c}?"
# Longer "entities" (a passed-in document title, say) would not read as a drug or test name.
_MAX_ALTERNATIVE_WORDS = 4
_COMPLICATIONS = "What are the complications of {x}?"
# Procedures have complications rather than side effects, and no dose to adjust or monitor.
_PROCEDURE = re.compile(
    r"(?:scopy|ectomy|otomy|ostomy|plasty|graphy)\b|\b(?:surgery|surgical|transplant\w*|repair|ablation"
    r"|resection|biopsy|radiotherapy|implant\w*|bypass|stent\w*|acupuncture)\b",
    re.I,
)
_NOT_FOR_PROCEDURES = frozenset({"dosing", "renal", "monitoring", "pregnancy", "children"})

ASPECTS = frozenset({*_TEMPLATES, "special_populations"})
"""Names accepted in `covered_types`, besides QuestionType values ("special_populations" = all three)."""
_SPECIAL = frozenset({"pregnancy", "renal", "children"})

# Which aspects to suggest next, in order, after an answer of each type.
_PLANS: dict[QuestionType, tuple[str, ...]] = {
    QuestionType.THERAPY: (
        "dosing",
        "adverse_effects",
        "comparison",
        "pregnancy",
        "renal",
        "children",
        "monitoring",
        "prevention",
        "prognosis",
        "etiology",
        "diagnosis",
    ),
    QuestionType.DOSING: ("adverse_effects", "renal", "children", "pregnancy", "monitoring", "comparison"),
    QuestionType.COMPARISON: ("adverse_effects", "dosing", "pregnancy", "renal", "monitoring", "therapy"),
    QuestionType.PREVENTION: ("adverse_effects", "dosing", "etiology", "pregnancy", "therapy", "diagnosis"),
    QuestionType.DIAGNOSIS: ("therapy", "prognosis", "etiology", "prevention", "definition"),
    QuestionType.PROGNOSIS: ("therapy", "prevention", "etiology", "diagnosis"),
    QuestionType.ETIOLOGY: ("prevention", "diagnosis", "therapy", "prognosis"),
    QuestionType.DEFINITION: (
        "etiology",
        "diagnosis",
        "therapy",
        "prognosis",
        "adverse_effects",
        "dosing",
        "comparison",
    ),
    QuestionType.YES_NO: (
        "therapy",
        "adverse_effects",
        "dosing",
        "prognosis",
        "prevention",
        "etiology",
        "diagnosis",
    ),
}

_POPULATION = re.compile(
    r"\b(?:patients?|people|persons?|adults?|child(?:ren)?|women|men|infants?|neonates?|elderly|pregnan\w*"
    r"|adolescents?|athletes?|smokers?|seniors?|residents?|population)\b",
    re.I,
)
_GENERIC = re.compile(r"^(?:[\w-]+ )?(?:therapy|treatment|management|care|use|setting)$", re.I)
_CONDITION = re.compile(
    r"\b(?:infections?|diseases?|syndromes?|cancers?|disorders?|failure|pain|attacks?|injur(?:y|ies)"
    r"|fever|virus|stroke|hypertension|diabetes|asthma|fractures?|ulcers?|tumou?rs?|deficiency"
    r"|influenza|flu|covid(?:-19)?|hiv|hsv|sepsis|depression|dementia|obesity|acne|eczema|migraine"
    r"|\w+(?:itis|osis|emia|aemia|oma|omas|pathy|algia|pnea|rrhea|plasia|ism|ia))\b",
    re.I,
)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _roles(entities: list[str]) -> tuple[str | None, str | None]:
    """(intervention, condition): the first condition-like entity and the first other one that is
    neither a population ("immunocompromised patients") nor a generic phrase ("first-line therapy")."""
    intervention: str | None = None
    condition: str | None = None
    for entity in entities:
        if _POPULATION.search(entity) or _GENERIC.match(entity):
            continue
        if _CONDITION.search(entity):
            condition = condition or entity
        else:
            intervention = intervention or entity
    return intervention, condition


def _plural(phrase: str) -> bool:
    """Whether a noun phrase is plural by its last word ("mouth ulcers"), for "How are ... diagnosed?"."""
    last = phrase.split()[-1].lower()
    return last.endswith("s") and not last.endswith(("ss", "us", "is", "sis", "ics", "hsv", "hiv"))


def _as_object(entity: str, question: str) -> str:
    """The entity as it reads mid-sentence: "Double balloon enteroscopy" → "double balloon enteroscopy"."""
    if question.startswith(entity) and entity[1:2].islower():
        return entity[0].lower() + entity[1:]
    return entity


def suggest(
    analysis: QuestionAnalysis, covered_types: set[str], entities_in_evidence: list[str], n: int = 3
) -> list[str]:
    """Up to `n` follow-up questions on aspects neither asked nor covered, in the plan's order.

    `covered_types` holds QuestionType values or ASPECTS names the answer already addresses;
    `entities_in_evidence` supplies an alternative to compare with ("How does IVIG compare with
    aciclovir ...?"). Aspects needing an intervention or a condition the question lacks are
    skipped; a candidate that restates the question is never returned.
    """
    covered = {name.lower() for name in covered_types} | {analysis.question_type.value}
    if "special_populations" in covered:
        covered |= _SPECIAL
    intervention, condition = _roles(analysis.entities)
    if intervention is None and condition is None:
        intervention, condition = _roles(entities_in_evidence)
    x = _as_object(intervention, analysis.question) if intervention else None
    c = _as_object(condition, analysis.question) if condition else None
    known = {entity.lower() for entity in analysis.entities}
    alternative = next(
        (
            entity
            for entity in entities_in_evidence
            if entity.lower() not in known
            and len(entity.split()) <= _MAX_ALTERNATIVE_WORDS
            and not _POPULATION.search(entity)
            and not _GENERIC.match(entity)
            and not _CONDITION.search(entity)
        ),
        None,
    )
    procedure = x is not None and _PROCEDURE.search(x) is not None
    asked = _words(analysis.question)
    suggestions: list[str] = []
    for aspect in _PLANS[analysis.question_type]:
        if aspect in covered or len(suggestions) >= n:
            continue
        needs, template = _TEMPLATES[aspect]
        if (needs == "x" and x is None) or (needs == "c" and c is None):
            continue
        if procedure and aspect in _NOT_FOR_PROCEDURES:
            continue
        if aspect == "comparison" and alternative is not None:
            template = _COMPARE_WITH
        elif aspect == "adverse_effects" and procedure:
            template = _COMPLICATIONS
        be = "are" if c and _plural(c) else "is"
        text = template.format(x=x, c=c, alt=alternative, be=be, for_c=f" for {c}" if c else "")
        words = _words(text)
        overlap = len(words & asked) / max(1, len(words | asked))
        if overlap >= 0.8 or text in suggestions:
            continue
        suggestions.append(text)
    return suggestions
