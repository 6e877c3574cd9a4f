"""Suggested follow-up questions: built from the question's entities, aimed at the answer's gaps."""

from __future__ import annotations

from evidex.answer.analysis import analyse
from evidex.answer.follow_ups import ASPECTS, suggest

IVIG = "Should IVIG be used as first-line therapy for HSV infection in severely immunocompromised patients?"


def test_therapy_answer_asks_dose_harms_and_compares_with_an_alternative_from_the_evidence() -> None:
    analysis = analyse(IVIG)
    assert suggest(analysis, {"therapy"}, ["HSV infection", "aciclovir", "foscarnet"]) == [
        "What is the recommended dose of IVIG for HSV infection?",
        "What are the side effects of IVIG?",
        "How does IVIG compare with aciclovir for HSV infection?",
    ]


def test_covered_aspects_are_skipped() -> None:
    analysis = analyse(IVIG)
    assert suggest(analysis, {"dosing", "adverse_effects", "comparison"}, []) == [
        "Is IVIG safe in pregnancy?",
        "Should the dose of IVIG be adjusted in renal impairment?",
        "Can IVIG be used in children?",
    ]
    assert suggest(analysis, {"dosing", "adverse_effects", "comparison", "special_populations"}, [], n=2) == [
        "What monitoring is needed during treatment with IVIG?",
        "How can HSV infection be prevented?",
    ]


def test_etiology_question_asks_about_prevention_diagnosis_and_treatment() -> None:
    analysis = analyse("Are mouth ulcers caused by stress?")  # HealthSearchQA
    assert suggest(analysis, set(), []) == [
        "How can mouth ulcers be prevented?",
        "How are mouth ulcers diagnosed?",
        "What is the first-line treatment for mouth ulcers?",
    ]


def test_diagnosis_question_and_procedures() -> None:
    analysis = analyse("How is celiac disease diagnosed?")
    assert suggest(analysis, set(), ["gluten-free diet"]) == [
        "What is the first-line treatment for celiac disease?",
        "What is the prognosis of celiac disease?",
        "What are the risk factors for celiac disease?",
    ]
    # a procedure has complications, not side effects or doses (PubMedQA question)
    procedure = analyse("Double balloon enteroscopy: is it efficacious and safe in a community setting?")
    assert suggest(procedure, set(), []) == [
        "What are the complications of double balloon enteroscopy?",
        "What are the alternatives to double balloon enteroscopy?",
    ]


def test_follow_up_thread_and_edge_cases() -> None:
    follow_up = analyse("What dose?", previous=analyse(IVIG))
    assert suggest(follow_up, set(), []) == [
        "What are the side effects of IVIG?",
        "Should the dose of IVIG be adjusted in renal impairment?",
        "Can IVIG be used in children?",
    ]
    # never restates the question itself
    asked = analyse("What are the side effects of IVIG?")
    assert "What are the side effects of IVIG?" not in suggest(asked, set(), [], n=10)
    # deterministic, and n bounds the list
    analysis = analyse(IVIG)
    assert suggest(analysis, set(), [], n=5) == suggest(analysis, set(), [], n=5)
    assert len(suggest(analysis, set(), [], n=1)) == 1
    assert suggest(analysis, set(ASPECTS), []) == []
    # a long phrase such as a document title is not taken as an alternative to compare with
    title = "Intravenous immunoglobulin versus placebo in herpes simplex encephalitis: a randomised trial"
    assert suggest(analysis, {"dosing", "adverse_effects"}, [title], n=1) == [
        "What are the alternatives to IVIG for HSV infection?"
    ]
