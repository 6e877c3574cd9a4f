"""Copular yes/no questions are decided only by evidence about the property they ask about."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidex.answer.engine import AnswerEngine
from evidex.answer.predicates import copular_predicate, speaks_to
from evidex.ingest.runner import ingest
from evidex.models import Verdict
from evidex.store.library import Library

DESCRIPTION = """---
title: What is lip and oral cavity cancer?
kind: consumer_information
---

# What is lip and oral cavity cancer?

## Answer

Lip and oral cavity cancer is a disease in which malignant cells form in the lips or mouth.
Lip and oral cavity cancer is a type of head and neck cancer.
Tobacco use and heavy alcohol use increase the risk of lip and oral cavity cancer.
"""

CURE = """---
title: Treatment of early lip and oral cavity cancer
kind: guideline
developer: Example Head and Neck Society
year: 2024
---

# Treatment of early lip and oral cavity cancer

## Recommendations

Early lip and oral cavity cancer is curable with surgery or radiation therapy in most patients.
Most patients with early oral cavity cancer are cured by surgery alone.
"""


@pytest.mark.parametrize(
    ("claim", "predicate"),
    [
        ("Oral mouth cancer is curable.", "curable"),
        ("Polycystic syndrome can be cured.", "cured"),
        ("It is normal to have discharge everyday.", "normal"),
        ("Shingles is contagious.", "contagious"),
        ("Aspirin reduces mortality after myocardial infarction.", None),
        ("IVIG should be used as first-line therapy for HSV infection.", None),
        ("The rash is red.", None),  # a property we cannot check is left to the general rule
    ],
)
def test_copular_claims_name_their_property(claim: str, predicate: str | None) -> None:
    assert copular_predicate(claim) == predicate


def test_a_sentence_speaks_to_a_property_through_its_word_family() -> None:
    assert speaks_to("curable", "Most patients are cured by surgery alone.")
    assert speaks_to("curable", "It is curable in most patients.")
    assert not speaks_to("curable", "Current smokers have a higher risk of oral cancer.")
    assert speaks_to("contagious", "The virus can spread to people who never had chickenpox.")
    assert speaks_to("serious", "It can be life-threatening in older adults.")


def _ask(tmp_path: Path, *docs: str) -> Verdict | None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for n, text in enumerate(docs):
        (folder / f"doc{n}.md").write_text(text, encoding="utf-8")
    library = Library(tmp_path / "lib", create=True)
    ingest(library, [folder])
    answer = AnswerEngine(library, "fast").ask("Is oral cavity cancer curable?")
    library.close()
    return answer.verdict


def test_description_alone_cannot_say_a_cancer_is_curable(tmp_path: Path) -> None:
    assert _ask(tmp_path, DESCRIPTION) is Verdict.INSUFFICIENT


def test_evidence_about_cure_decides_it(tmp_path: Path) -> None:
    assert _ask(tmp_path, DESCRIPTION, CURE) is Verdict.YES


def test_evidence_must_name_the_specific_words_of_the_subject() -> None:
    from evidex.answer.select import SPECIFIC_WEIGHT, Relevance

    relevance = Relevance("How do you make an IO game?", ["IO game"], None)
    relevance.weights = {"io": SPECIFIC_WEIGHT + 1, "game": SPECIFIC_WEIGHT + 1}  # both rare in a library
    assert not relevance.names_subject("173 Met io nine toxicity in chickens")
    assert relevance.names_subject("An IO game is played in the browser.")
    relevance.weights["game"] = 1.0  # a common word need not be there
    assert relevance.names_subject("173 Met io nine toxicity in chickens")
