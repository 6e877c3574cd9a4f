"""The extractive composer — the default, needing no generative model.

It builds the page from sentences of the selected passages, copied word for word, so every claim is
tied to the passage it came from: recommendation statements, dose statements, conclusions and
warnings are picked by their wording (answer/sentences.py), scored by how much of the question they
cover and how strong their source is, deduplicated, and grouped under headings that fit the question
type. For yes/no questions the verdict comes from the stance of the best evidence (answer/verdict.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evidex.answer.select import Relevance, SelectedEvidence, near_duplicate
from evidex.answer.sentences import Role, roles
from evidex.ingest.text_utils import split_sentences
from evidex.models import Audience, EvidenceKind, QuestionAnalysis, QuestionType

# "RESULTS: ..." / "Recommendations: ..." — the section label that whole-abstract passages carry
_LABEL = re.compile(r"^(?:[A-Z][A-Za-z /()&-]{2,40}|[A-Z ]{3,40}): (?=[A-Z0-9])")

MAX_PER_SECTION = 4
MAX_CLAIMS = 14
# a table cell or list item without its subject ("Should be considered if ...") means nothing alone
_FRAGMENT = re.compile(
    r"^(?:should|may|might|can|could|must|will|would|is|are|was|were)\s+(?:be|not)\b", re.I
)
MIN_CHARS, MAX_CHARS = 30, 450
FINDING_COVERAGE = 0.5
"""For yes/no questions, a sentence covering this share of the question's weighted terms is a finding."""

_ROLE_BONUS = {
    Role.RECOMMENDATION: 1.0,
    Role.DOSE: 0.8,
    Role.CONCLUSION: 0.8,
    Role.WARNING: 0.6,
    Role.DEFINITION: 0.5,
    Role.SYMPTOM: 0.5,
    Role.FINDING: 0.4,
    Role.BACKGROUND: 0.0,
}
_KIND_BONUS = {
    EvidenceKind.GUIDELINE: 0.6,
    EvidenceKind.SYSTEMATIC_REVIEW: 0.5,
    EvidenceKind.RANDOMIZED_TRIAL: 0.4,
    EvidenceKind.OBSERVATIONAL_STUDY: 0.2,
    EvidenceKind.CONSUMER_INFORMATION: 0.2,
}

_THERAPY = {
    Role.RECOMMENDATION: "Recommended treatment",
    Role.DOSE: "Dosing and administration",
    Role.CONCLUSION: "What the studies show",
    Role.FINDING: "What the studies show",
    Role.WARNING: "Cautions and pitfalls",
}
HEADINGS: dict[QuestionType, dict[Role, str]] = {
    QuestionType.THERAPY: _THERAPY,
    QuestionType.DOSING: {
        Role.DOSE: "Dosing",
        Role.RECOMMENDATION: "Recommendations",
        Role.WARNING: "Cautions",
        Role.CONCLUSION: "Evidence",
        Role.FINDING: "Evidence",
    },
    QuestionType.DIAGNOSIS: {
        Role.RECOMMENDATION: "Recommended testing",
        Role.CONCLUSION: "Diagnostic evidence",
        Role.FINDING: "Diagnostic evidence",
        Role.WARNING: "Pitfalls",
        Role.SYMPTOM: "Signs and symptoms",
        Role.DEFINITION: "Background",
        Role.DOSE: "Details",
    },
    QuestionType.PREVENTION: {
        Role.RECOMMENDATION: "Prevention recommendations",
        Role.DOSE: "Regimens",
        Role.CONCLUSION: "What the studies show",
        Role.FINDING: "What the studies show",
        Role.WARNING: "Cautions",
    },
    QuestionType.PROGNOSIS: {
        Role.CONCLUSION: "What the studies show",
        Role.FINDING: "What the studies show",
        Role.RECOMMENDATION: "Recommendations",
        Role.WARNING: "Cautions",
        Role.DEFINITION: "Background",
    },
    QuestionType.DEFINITION: {
        Role.DEFINITION: "Overview",
        Role.SYMPTOM: "Signs and symptoms",
        Role.BACKGROUND: "More about it",
        Role.FINDING: "More about it",
        Role.CONCLUSION: "More about it",
        Role.RECOMMENDATION: "Care and treatment",
        Role.DOSE: "Care and treatment",
        Role.WARNING: "When to be careful",
    },
}
_DEFAULT = {
    Role.RECOMMENDATION: "What guidelines recommend",
    Role.CONCLUSION: "What the studies show",
    Role.FINDING: "What the studies show",
    Role.DOSE: "Dosing",
    Role.WARNING: "Cautions and pitfalls",
    Role.DEFINITION: "Background",
}


def headings_for(question_type: QuestionType) -> dict[Role, str]:
    if question_type is QuestionType.ETIOLOGY:
        return HEADINGS[QuestionType.PROGNOSIS]
    return HEADINGS.get(question_type, _DEFAULT)


@dataclass(frozen=True)
class Candidate:
    """A sentence that may become a claim, with everything needed to cite and rank it."""

    text: str
    role: Role
    heading: str
    score: float
    evidence: SelectedEvidence


_EXCLUDING = (
    r"(?:allerg(?:y|ies|ic) to|hypersensitivity to|intoleran(?:t|ce) (?:of|to)|unresponsive to|"
    r"refractory to|resistant to|resistance to|fail(?:ed|ure of|ure on|ing)|instead of|rather than|"
    r"other than|alternatives? to|in place of|contraindications? to|unable to take|cannot take)"
)


def _mentions(sentence: str, subject: str) -> tuple[list[int], set[int]]:
    """Where `subject` occurs in the sentence, and which of those places follow an excluding phrase."""
    name = re.escape(subject.strip())
    if not name:
        return [], set()
    mentions = [m.start() for m in re.finditer(rf"\b{name}\b", sentence, re.I)]
    pattern = rf"\b{_EXCLUDING}\s+(?:the\s+|an?\s+)?(?:(?:first|initial|high-dose)\s+)?({name})\b"
    excluded = {m.start(1) for m in re.finditer(pattern, sentence, re.I)}
    return mentions, excluded


def only_as_alternative(sentence: str, subject: str) -> bool:
    """Whether every mention of `subject` in the sentence is as the thing excluded ("allergy to X",
    "unresponsive to X", "instead of X"): such a sentence answers with something else, so on a page
    about X it would put another drug's dose under X's question."""
    mentions, excluded = _mentions(sentence, subject)
    return bool(mentions) and all(start in excluded for start in mentions)


def asks_for_alternatives(question: str, subject: str) -> bool:
    """Whether the question itself names `subject` as excluded ("... if I am allergic to X?")."""
    return bool(_mentions(question, subject)[1])


def candidates(
    analysis: QuestionAnalysis, evidence: list[SelectedEvidence], audience: Audience, relevance: Relevance
) -> list[Candidate]:
    """Every usable sentence of the selected passages, scored, best first."""
    headings = headings_for(analysis.question_type)
    found: list[Candidate] = []
    subject = analysis.entities[0] if analysis.entities else None
    # "What can I take if I am allergic to penicillin?" asks for the alternatives: keep them
    excluded_subject = subject if subject and not asks_for_alternatives(analysis.question, subject) else None
    for item in evidence:
        text = item.hit.text.replace("\n", " ")
        for start, end in split_sentences(text):
            sentence = _LABEL.sub("", text[start:end].strip())
            if (
                not MIN_CHARS <= len(sentence) <= MAX_CHARS
                or sentence.endswith(":")
                or _FRAGMENT.match(sentence)
            ):
                continue
            share = relevance.coverage(sentence)
            sentence_roles = roles(sentence)
            role = next((r for r in sentence_roles if r in headings), None)
            if role is None and analysis.is_yes_no and share >= FINDING_COVERAGE and Role.FINDING in headings:
                # "The two groups did not differ in X": a result about the question, without a cue word
                role = Role.FINDING
            if role is None:
                continue
            if share == 0:  # a sentence that names nothing of the question is about something else
                continue
            if excluded_subject is not None and only_as_alternative(sentence, excluded_subject):
                continue  # "In the event of allergy to amoxicillin, azithromycin ...": not about amoxicillin
            kind_bonus = _KIND_BONUS.get(item.hit.kind, 0.0)
            if audience is Audience.PATIENT and item.hit.kind is EvidenceKind.CONSUMER_INFORMATION:
                kind_bonus = 1.0  # patients: consumer information first
            lead = 0.5 if role is next(iter(headings)) else 0.0  # the role the question type asks for
            score = 2.0 * share + _ROLE_BONUS[role] + lead + kind_bonus - 0.02 * item.rank
            found.append(Candidate(sentence, role, headings[role], score, item))
    return sorted(found, key=lambda c: -c.score)


def pick(found: list[Candidate]) -> list[Candidate]:
    """The best candidates, near-duplicates dropped, at most MAX_PER_SECTION per heading."""
    chosen: list[Candidate] = []
    per_heading: dict[str, int] = {}
    for candidate in found:
        if len(chosen) >= MAX_CLAIMS:
            break
        if per_heading.get(candidate.heading, 0) >= MAX_PER_SECTION:
            continue
        if any(near_duplicate(candidate.text, other.text) for other in chosen):
            continue
        chosen.append(candidate)
        per_heading[candidate.heading] = per_heading.get(candidate.heading, 0) + 1
    return chosen
