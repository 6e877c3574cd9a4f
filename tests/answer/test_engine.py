"""The answer engine end to end on a small real library: cited, verified pages, and honest abstention."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidex.answer.analysis import QuestionError
from evidex.answer.engine import INSUFFICIENT, AnswerEngine
from evidex.answer.render import render_markdown
from evidex.ingest.runner import ingest
from evidex.models import Audience, EvidenceKind, Verdict
from evidex.store.library import Library

GUIDELINE = """---
title: Management of herpes simplex encephalitis
year: 2022
kind: guideline
developer: Example Society of Infectious Diseases
---

# Management of herpes simplex encephalitis

## Recommendations

Intravenous acyclovir is recommended as first-line therapy for herpes simplex encephalitis.
Acyclovir 10 mg/kg intravenously every 8 hours for 14 to 21 days is recommended for adults
with normal renal function.
Acyclovir dosing should be reduced in patients with renal impairment.

## Cautions

Acyclovir can cause nephrotoxicity; monitor renal function and keep patients well hydrated.
"""

TRIAL = """---
title: Valacyclovir after intravenous acyclovir in herpes simplex encephalitis
year: 2019
kind: randomized_trial
---

# Valacyclovir after intravenous acyclovir in herpes simplex encephalitis

## Results

In this randomized trial, acyclovir reduced mortality from herpes simplex encephalitis
compared with historical controls.
Long-term oral valacyclovir did not improve neuropsychological outcomes after herpes simplex encephalitis.
"""

CONSUMER = """---
title: What is herpes simplex encephalitis?
kind: consumer_information
---

# What is herpes simplex encephalitis?

## Answer

Herpes simplex encephalitis is a rare but serious brain infection caused by the herpes simplex virus.
Symptoms include fever, headache, confusion and seizures.
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> AnswerEngine:
    folder = tmp_path_factory.mktemp("engine")
    docs = folder / "docs"
    docs.mkdir()
    for name, text in (("guideline.md", GUIDELINE), ("trial.md", TRIAL), ("consumer.md", CONSUMER)):
        (docs / name).write_text(text, encoding="utf-8")
    library = Library(folder / "lib", create=True)
    assert ingest(library, [docs]).added == 3
    return AnswerEngine(library, preset="fast")


def test_every_claim_is_cited_verified_and_numbers_come_from_the_source(engine: AnswerEngine) -> None:
    answer = engine.ask("What is the treatment and dose of acyclovir for herpes simplex encephalitis?")
    claims = [claim for section in answer.sections for claim in section.claims]
    assert claims, "an answer page with statements"
    passages = {evidence.passage_id: evidence.text for evidence in answer.evidence}
    numbers = {ref.number for ref in answer.references}
    for claim in claims:
        assert claim.citations and set(claim.citations) <= numbers
        assert claim.verified and claim.flagged is None
        assert any(claim.text in passages[pid] for pid in claim.passage_ids)  # extractive: verbatim
    dose = "Acyclovir 10 mg/kg intravenously every 8 hours for 14 to 21 days is recommended"
    assert any(dose in claim.text for claim in claims)
    assert answer.verification.checked == answer.verification.kept + answer.verification.dropped
    assert answer.references[0].kind is EvidenceKind.GUIDELINE  # guidelines come first
    assert answer.bottom_line.endswith("]")
    assert len(answer.follow_ups) == 3
    assert "Educational purpose only" in answer.disclaimer


def test_yes_no_question_gets_a_verdict_from_the_best_evidence(engine: AnswerEngine) -> None:
    answer = engine.ask(
        "Is intravenous acyclovir recommended as first-line therapy for herpes simplex encephalitis?"
    )
    assert answer.analysis.is_yes_no
    assert answer.verdict is Verdict.YES
    assert answer.strength is not None


def test_question_about_something_the_library_lacks_is_answered_honestly(engine: AnswerEngine) -> None:
    answer = engine.ask("Does metformin reduce the risk of colon cancer?")
    assert answer.verdict is Verdict.INSUFFICIENT
    assert answer.insufficient
    assert "too little evidence" in render_markdown(answer)
    off_topic = engine.ask("What is the best treatment for plantar fasciitis?")
    assert off_topic.headline == INSUFFICIENT and not off_topic.sections


def test_patient_answers_use_plain_words_and_consumer_sources(engine: AnswerEngine) -> None:
    answer = engine.ask("What is herpes simplex encephalitis?", audience=Audience.PATIENT)
    assert answer.audience is Audience.PATIENT
    assert answer.references[0].kind is EvidenceKind.CONSUMER_INFORMATION
    assert answer.reading_grade is not None
    assert any("doctor" in note.lower() for note in answer.notes)


def test_follow_up_carries_the_thread(engine: AnswerEngine) -> None:
    first = engine.ask("How is herpes simplex encephalitis treated?")
    follow = engine.ask("What about patients with kidney problems?", previous=first.analysis)
    assert "encephalitis" in follow.analysis.search_query.lower()
    assert follow.sections


@pytest.mark.parametrize("question", ["", "   ", "?!?", "x" * 5000])
def test_absurd_questions_are_refused_clearly(engine: AnswerEngine, question: str) -> None:
    with pytest.raises(QuestionError):
        engine.ask(question)


def test_answer_json_round_trips(engine: AnswerEngine, tmp_path: Path) -> None:
    answer = engine.ask("What dose of acyclovir is used for herpes simplex encephalitis?")
    again = type(answer).model_validate_json(answer.model_dump_json())
    assert again == answer and again.schema_version == "1.0"
