"""Question analysis on real questions from the shared evaluation sets (PubMedQA, BioASQ,
HealthSearchQA, MedicationQA) and on the design document's IVIG/HSV example."""

from __future__ import annotations

import pytest

from evidex.answer.analysis import QuestionError, analyse
from evidex.models import QuestionType

T = QuestionType

CASES = [
    # PubMedQA (pubmedqa/dev.jsonl)
    (
        "Can tailored interventions increase mammography use among HMO women?",
        T.YES_NO,
        True,
        "Tailored interventions can increase mammography use among HMO women.",
    ),
    (
        "Double balloon enteroscopy: is it efficacious and safe in a community setting?",
        T.THERAPY,
        True,
        "Double balloon enteroscopy is efficacious and safe in a community setting.",
    ),
    (
        "Do mutations causing low HDL-C promote increased carotid intima-media thickness?",
        T.ETIOLOGY,
        True,
        "Mutations causing low HDL-C promote increased carotid intima-media thickness.",
    ),
    (
        "Did Chile's traffic law reform push police enforcement?",
        T.YES_NO,
        True,
        "Chile's traffic law reform pushed police enforcement.",
    ),
    (
        "Therapeutic anticoagulation in the trauma patient: is it safe?",
        T.THERAPY,
        True,
        "Therapeutic anticoagulation in the trauma patient is safe.",
    ),
    (
        "Is there still a need for living-related liver transplantation in children?",
        T.YES_NO,
        True,
        "There is still a need for living-related liver transplantation in children.",
    ),
    (
        "Are reports of mechanical dysfunction in chronic oro-facial pain related to somatisation?",
        T.YES_NO,
        True,
        "Reports of mechanical dysfunction in chronic oro-facial pain are related to somatisation.",
    ),
    (
        "Is the Hawkins sign able to predict necrosis in fractures of the neck of the astragalus?",
        T.PROGNOSIS,
        True,
        "The Hawkins sign is able to predict necrosis in fractures of the neck of the astragalus.",
    ),
    (
        "Does diabetes mellitus influence the efficacy of FDG-PET in the diagnosis of cervical cancer?",
        T.DIAGNOSIS,
        True,
        "Diabetes mellitus influences the efficacy of FDG-PET in the diagnosis of cervical cancer.",
    ),
    # PubMedQA title-style questions: the yes/no part after a full stop, or a bare noun phrase
    (
        "Multidisciplinary breast cancer clinics. Do they work?",
        T.YES_NO,
        True,
        "Multidisciplinary breast cancer clinics work.",
    ),
    (
        "Aripiprazole: a new risk factor for pathological gambling?",
        T.ETIOLOGY,
        True,
        "Aripiprazole is a new risk factor for pathological gambling.",
    ),
    (
        "Rotator cuff tear--an occupational disease?",
        T.YES_NO,
        True,
        "Rotator cuff tear is an occupational disease.",
    ),
    ("Shingles: symptoms and treatment?", T.DIAGNOSIS, False, None),
    ("How do you fix dysphagia?", T.THERAPY, False, None),
    ("What can I take for an ear infection if I am allergic to amoxicillin?", T.THERAPY, False, None),
    (
        "Where, in the body, would the Cobb-Stainsby excision arthroplasty be performed?",
        T.DEFINITION,
        False,
        None,
    ),
    # BioASQ (bioasq/dev.jsonl)
    (
        "Tocilizumab is an anti-TNF antibody, yes or no?",
        T.YES_NO,
        True,
        "Tocilizumab is an anti-TNF antibody.",
    ),
    (
        "Is there any association between suicide and autism in adolescents, yes or no?",
        T.YES_NO,
        True,
        "There is association between suicide and autism in adolescents.",
    ),
    (
        "As of Feb 2019, are major brain gangliosides a target for the treatment of Alzheimer's disease?",
        T.THERAPY,
        True,
        "Major brain gangliosides are a target for the treatment of Alzheimer's disease.",
    ),
    (
        "Does Eucommia ulmoides leaf extract ameliorates steatosis/fatty liver induced by high-fat diet?",
        T.YES_NO,
        True,
        "Eucommia ulmoides leaf extract ameliorates steatosis/fatty liver induced by high-fat diet.",
    ),
    ("Is Baloxavir effective for influenza?", T.THERAPY, True, "Baloxavir is effective for influenza."),
    ("What does the pembrolizumab companion diagnostic test assess?", T.DIAGNOSIS, False, None),
    ("Which member of the human mycobiota is associated to atherosclerosis?", T.ETIOLOGY, False, None),
    ("Cemiplimab is used for treatment of which cancer?", T.THERAPY, False, None),
    # HealthSearchQA (healthsearchqa/questions.txt)
    ("Are mouth ulcers caused by stress?", T.ETIOLOGY, True, "Mouth ulcers are caused by stress."),
    (
        "Are human bites more infectious than animal bites?",
        T.COMPARISON,
        True,
        "Human bites are more infectious than animal bites.",
    ),
    (
        "Are there any warning signs of a brain aneurysm?",
        T.DIAGNOSIS,
        True,
        "There are warning signs of a brain aneurysm.",
    ),
    (
        "Are soft tissue sarcomas always malignant?",
        T.YES_NO,
        True,
        "Soft tissue sarcomas are always malignant.",
    ),
    # MedicationQA (medicationqa/dev.jsonl), lower case and stray quotes as typed
    ('is oxybutynin an "opioid?"', T.YES_NO, True, "Oxybutynin is an opioid."),
    ("do ursodiol and coconut oil mix?", T.YES_NO, True, "Ursodiol and coconut oil mix."),
    ("what strengths do valproic acid come in meds come in", T.DOSING, False, None),
    ('what is the survival rate of opdivo "&" yervoy combo treatments', T.PROGNOSIS, False, None),
    ("what is barbiturates", T.DEFINITION, False, None),
    # The brief's own examples
    ("Is X associated with Y?", T.ETIOLOGY, True, "X is associated with Y."),
    ("Does aspirin reduce stroke risk?", T.PREVENTION, True, "Aspirin reduces stroke risk."),
    ("Is amoxicillin or azithromycin better for community-acquired pneumonia?", T.COMPARISON, False, None),
    ("What is the life expectancy after a diagnosis of ALS?", T.PROGNOSIS, False, None),
    ("Doesn't smoking cause lung cancer?", T.ETIOLOGY, True, "Smoking causes lung cancer."),
]


@pytest.mark.parametrize(("question", "question_type", "yes_no", "claim"), CASES)
def test_real_questions(question: str, question_type: QuestionType, yes_no: bool, claim: str | None) -> None:
    analysis = analyse(question)
    assert (analysis.question_type, analysis.is_yes_no, analysis.claim) == (question_type, yes_no, claim)


IVIG = "Should IVIG be used as first-line therapy for HSV infection in severely immunocompromised patients?"


def test_ivig_question() -> None:
    analysis = analyse(IVIG)
    assert analysis.question_type is T.THERAPY
    assert analysis.is_yes_no
    assert analysis.entities == [
        "IVIG",
        "first-line therapy",
        "HSV infection",
        "severely immunocompromised patients",
    ]
    assert analysis.claim == (
        "IVIG should be used as first-line therapy for HSV infection in severely immunocompromised patients."
    )
    assert analysis.search_query == IVIG


@pytest.mark.parametrize(
    ("question", "entities"),
    [
        ("Does aspirin reduce stroke risk?", ["aspirin", "stroke risk"]),
        # a synonym-table phrase keeps its inner "of"; a dose with its unit stands alone
        ("Does quality of life improve after CABG?", ["quality of life", "CABG"]),
        (
            "Is metformin 500 mg twice daily better than sulfonylurea for type 2 diabetes?",
            ["metformin", "500 mg", "twice daily", "sulfonylurea", "type 2 diabetes"],
        ),
        (
            "What is the first-line treatment for hypertension in pregnancy?",
            ["first-line treatment", "hypertension", "pregnancy"],
        ),
        ("what type if medicine is pots chloride 10meq er cap pad", ["pots chloride", "10meq", "er cap pad"]),
        # everyday verbs and text-speak say what is asked, not what it is about (HealthSearchQA)
        ("How do you fix dysphagia?", ["dysphagia"]),
        ("How do u catch norovirus?", ["norovirus"]),
        ("What kill scabies instantly?", ["scabies"]),
        ("How do I get rid of head lice?", ["head lice"]),
        # "yes or no" and a dating preamble are not what a question is about
        ("Is mumps contagious yes or no?", ["mumps"]),
        (
            "As of 2019, what type of cancer is commonly associated with ionizing radiation",
            ["cancer", "ionizing radiation"],
        ),
        (
            "Is TIAM1 favoring tumor progression in colorectal cancer (CRC)?",
            ["TIAM1", "tumor progression", "colorectal cancer", "CRC"],
        ),
    ],
)
def test_entities(question: str, entities: list[str]) -> None:
    assert analyse(question).entities == entities


def test_follow_up_carries_previous_entities_into_retrieval() -> None:
    first = analyse("IVIG for HSV in immunocompromised patients")
    assert first.question_type is T.THERAPY  # a keyword query asks how to treat
    follow_up = analyse("What dose?", previous=first)
    assert follow_up.question_type is T.DOSING
    assert follow_up.search_query == "What dose? IVIG HSV immunocompromised patients"
    assert follow_up.entities == ["IVIG", "HSV", "immunocompromised patients"]
    # a cue-less follow-up keeps the thread's type; entities already in its text are not repeated
    again = analyse("And in children with HSV?", previous=follow_up)
    assert again.question_type is T.DOSING
    assert again.entities == ["children", "HSV", "IVIG", "immunocompromised patients"]
    assert again.search_query == "And in children with HSV? IVIG immunocompromised patients"


def test_analysis_is_deterministic_and_normalises_whitespace() -> None:
    assert analyse("  Does  aspirin\nreduce stroke risk? ") == analyse("Does aspirin reduce stroke risk?")


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "empty"),
        ("   \n\t", "empty"),
        ("?!?", "no words"),
        ("123 456", "no words"),
        ("What is it?", "no searchable words"),
        ("aspirin " * 200, "characters long"),
    ],
)
def test_unusable_questions_raise_a_clear_error(question: str, message: str) -> None:
    with pytest.raises(QuestionError, match=message) as error:
        analyse(question)
    assert isinstance(error.value, ValueError)
    assert any(hint in str(error.value) for hint in ("name the", "type a", "ask one"))
