"""The extractive composer's choice of sentences: what it keeps for a question and what it leaves out."""

from __future__ import annotations

from evidex.answer.analysis import analyse
from evidex.answer.extractive import candidates, only_as_alternative
from evidex.answer.select import Relevance, SelectedEvidence
from evidex.models import Audience, EvidenceKind, SearchHit

OTITIS = (
    "Amoxicillin is the first choice of antibiotic therapy for all cases of AOM. "
    "In the event of allergy to amoxicillin, azithromycin (Zithromax) dosed at 30 mg/kg for one dose is "
    "the appropriate first line therapy. "
    "High-dose amoxicillin 80 to 90 mg/kg/day divided twice daily is given for 10 days."
)


def _evidence(text: str) -> list[SelectedEvidence]:
    hit = SearchHit(
        passage_id=1,
        document_id="ngc:9909",
        title="Otitis media",
        kind=EvidenceKind.GUIDELINE,
        year=1997,
        source="ngc",
        section="Major Recommendations",
        text=text,
        score=1.0,
    )
    return [SelectedEvidence(hit, 1.0, 0)]


def _texts(question: str, text: str) -> list[str]:
    analysis = analyse(question)
    relevance = Relevance(analysis.question, analysis.entities, None)
    return [c.text for c in candidates(analysis, _evidence(text), Audience.CLINICIAN, relevance)]


def test_a_sentence_about_the_alternative_is_not_an_answer_about_the_drug() -> None:
    texts = _texts("What is the dose of amoxicillin for acute otitis media in children?", OTITIS)
    assert not any("azithromycin" in text for text in texts)
    assert any("80 to 90 mg/kg/day" in text for text in texts)


def test_a_question_about_alternatives_keeps_them() -> None:
    texts = _texts("What replaces amoxicillin in allergy to amoxicillin for otitis media?", OTITIS)
    assert any("azithromycin" in text for text in texts)


def test_only_as_alternative() -> None:
    assert only_as_alternative(
        "In the event of allergy to amoxicillin, azithromycin is given.", "amoxicillin"
    )
    assert only_as_alternative(
        "For patients unable to take metformin, a sulfonylurea may be used.", "metformin"
    )
    assert only_as_alternative("Use doxycycline instead of amoxicillin.", "Amoxicillin")
    # a mention outside the excluding phrase keeps the sentence about the drug
    assert not only_as_alternative(
        "If unresponsive to amoxicillin, give amoxicillin/clavulanate (amoxicillin component 80 mg/kg/day).",
        "amoxicillin",
    )
    assert not only_as_alternative("Amoxicillin is the first choice for AOM.", "amoxicillin")
    assert not only_as_alternative("Azithromycin is an option.", "amoxicillin")


def test_a_sentence_without_its_subject_is_not_a_claim() -> None:
    text = OTITIS + " Should be considered if previous bad experience with amoxicillin."
    texts = _texts("What is the dose of amoxicillin for acute otitis media in children?", text)
    assert texts and not any(t.startswith("Should be considered") for t in texts)
