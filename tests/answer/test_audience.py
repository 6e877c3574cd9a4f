"""Plain language, sentence shortening, readability scores and key-term definitions."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from evidex.answer.audience import (
    _SYNONYM_PAIRS,
    KEY_TERMS,
    LAY_TERMS,
    TALK_TO_YOUR_DOCTOR,
    count_syllables,
    define_terms,
    flesch_kincaid_grade,
    plain_language,
    reading_ease,
    shorten,
)

NGC = Path(__file__).resolve().parents[3] / "shared" / "data" / "corpus" / "ngc_guideline_summaries.jsonl.gz"


def test_tables_are_large_and_reuse_the_synonym_groups() -> None:
    assert len(LAY_TERMS) >= 120
    assert 55 <= len(KEY_TERMS) <= 70
    # pairs taken from search/synonyms.py, not copied
    assert _SYNONYM_PAIRS["myocardial infarction"] == "heart attack"
    assert _SYNONYM_PAIRS["hypertension"] == "high blood pressure"
    assert _SYNONYM_PAIRS["pruritus"] == "itching"
    assert "mi" not in LAY_TERMS and "gerd" not in LAY_TERMS  # ambiguous abbreviations are left alone
    assert all(key == key.lower() for key in LAY_TERMS)


@pytest.mark.parametrize(
    ("sentence", "plain"),
    [
        (
            "Myocardial infarction is a common cause of mortality in patients with hypertension.",
            "Heart attack is a common cause of risk of death in patients with high blood pressure.",
        ),
        (
            "An analgesic is contraindicated in renal failure; prophylaxis reduces adverse events.",
            "A pain reliever should not be used in kidney failure; prevention reduces side effects.",
        ),
        (
            "Pruritus and urticaria were the most common adverse events.",
            "Itching and hives were the most common side effects.",
        ),
        (
            "The efficacy of anticoagulation in elderly patients is well established.",
            "The benefit of blood-thinning treatment in older patients is well established.",
        ),
        # whole words only: "renal" inside "adrenal" and "mi" in "mild" stay
        ("Adrenal crisis can be mild.", "Adrenal crisis can be mild."),
    ],
)
def test_plain_language(sentence: str, plain: str) -> None:
    assert plain_language(sentence) == plain


def test_plain_language_keeps_the_clinical_term_in_brackets_on_first_use() -> None:
    seen: set[str] = set()
    first = plain_language("Myocardial infarction and hypertension are linked.", seen)
    second = plain_language("Hypertension raises the risk of myocardial infarctions.", seen)
    assert first == "Heart attack (myocardial infarction) and high blood pressure (hypertension) are linked."
    assert second == "High blood pressure raises the risk of heart attacks."
    # vocabulary (not a condition name) is never bracketed
    assert plain_language("Efficacy was high.", set()) == "How well it works was high."


def test_shorten_splits_only_where_both_parts_stand_alone() -> None:
    long = (
        "Aspirin should be given to all patients with suspected myocardial infarction as soon as possible, "
        "and clopidogrel should be added in patients who undergo percutaneous coronary intervention "
        "within the first day."
    )
    assert shorten(long) == (
        "Aspirin should be given to all patients with suspected myocardial infarction as soon as possible. "
        "Clopidogrel should be added in patients who undergo percutaneous coronary intervention within "
        "the first day."
    )
    semicolon = (
        "Antibiotics are not recommended for most adults with acute bronchitis in primary care settings; "
        "symptomatic treatment with fluids and rest is usually enough for the first three weeks of illness."
    )
    assert shorten(semicolon) == (
        "Antibiotics are not recommended for most adults with acute bronchitis in primary care settings. "
        "Symptomatic treatment with fluids and rest is usually enough for the first three weeks of illness."
    )
    but = (
        "Oral corticosteroids reduce symptoms in the first days of a severe asthma attack in most children, "
        "but they should not be used for longer than five days without review by a specialist."
    )
    assert shorten(but) == (
        "Oral corticosteroids reduce symptoms in the first days of a severe asthma attack in most children. "
        "But they should not be used for longer than five days without review by a specialist."
    )
    # the part after ", and" has no verb of its own: left as it was
    fragment = (
        "Patients with suspected bacterial meningitis should receive empirical antibiotics, intravenous "
        "fluids and dexamethasone, and supportive care in an intensive care unit when it is available."
    )
    assert shorten(fragment, max_words=15) == fragment
    assert shorten("Short sentences are kept.") == "Short sentences are kept."


def test_flesch_kincaid_by_hand() -> None:
    # 6 words, 2 sentences, 6 syllables: 0.39*3 + 11.8*1 - 15.59 = -2.62
    assert flesch_kincaid_grade("The cat sat. The dog ran.") == pytest.approx(-2.62)
    # hy-per-ten-sion (4) is (1) dan-ger-ous (3): 0.39*3 + 11.8*8/3 - 15.59 = 17.0467
    assert flesch_kincaid_grade("Hypertension is dangerous.") == pytest.approx(17.046667, abs=1e-5)
    # 206.835 - 1.015*3 - 84.6*1 = 119.19
    assert reading_ease("The cat sat. The dog ran.") == pytest.approx(119.19)
    assert flesch_kincaid_grade("") == 0.0 and reading_ease("  ") == 0.0


@pytest.mark.parametrize(
    ("word", "syllables"),
    [("hypertension", 4), ("dangerous", 3), ("table", 2), ("made", 1), ("takes", 1), ("the", 1), ("500", 1)],
)
def test_count_syllables(word: str, syllables: int) -> None:
    assert count_syllables(word) == syllables


# Real recommendation sentences from the NGC guideline summaries (ngc_id, sentence).
GUIDELINE_SENTENCES = [
    (
        "ngc-6827",
        "Use the local antibiotic formulary and always consider potential adverse effects when choosing "
        "specific antibiotics for prophylaxis.",
    ),
    (
        "ngc-7747",
        "Gemfibrozil should be the first choice in patients with renal insufficiency who require treatment "
        "with fibrates.",
    ),
    (
        "ngc-7748",
        "A diet rich in fruit and vegetables with high potassium content is recommended for all patients "
        "with hypertension.",
    ),
]


@pytest.mark.parametrize(("ngc_id", "sentence"), GUIDELINE_SENTENCES)
def test_plain_language_lowers_the_grade_of_guideline_sentences(ngc_id: str, sentence: str) -> None:
    if NGC.exists():  # the sentence is quoted from the real guideline summary
        with gzip.open(NGC, "rt", encoding="utf-8") as handle:
            record = next(r for r in map(json.loads, handle) if r["ngc_id"] == ngc_id)
        assert sentence in " ".join(record["major_recommendations"].split())
    plain = plain_language(sentence)
    assert plain != sentence
    assert flesch_kincaid_grade(plain) < flesch_kincaid_grade(sentence)
    assert reading_ease(plain) > reading_ease(sentence)


def test_define_terms_gives_at_most_three_in_order_of_use() -> None:
    text = (
        "A randomized controlled trial and a meta-analysis reported the hazard ratio; "
        "first line therapy improved the odds ratios."
    )
    assert [term for term, _ in define_terms(text)] == [
        "randomized controlled trial",
        "meta-analysis",
        "hazard ratio",
    ]
    assert define_terms("Prophylaxis is first-line in immunocompromised hosts.", limit=5) == [
        ("prophylaxis", KEY_TERMS["prophylaxis"]),
        ("first-line", KEY_TERMS["first-line"]),
        ("immunocompromised", KEY_TERMS["immunocompromised"]),
    ]
    assert define_terms("Drink water.") == []


def test_talk_to_your_doctor_line() -> None:
    assert "doctor" in TALK_TO_YOUR_DOCTOR and TALK_TO_YOUR_DOCTOR.endswith(".")
