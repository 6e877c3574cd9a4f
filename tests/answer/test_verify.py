"""Claim verification: verbatim, paraphrase, unrelated and wrong-number claims, with the real embedder."""

from __future__ import annotations

import pytest

from evidex.answer.verify import ClaimVerifier, numbers_supported, numbers_with_units
from evidex.models import Claim

PASSAGE = (
    "Acute otitis media in children is usually treated with amoxicillin. "
    "In children older than two years with mild symptoms, watchful waiting for 48 to 72 hours is an option. "
    "The recommended dose of amoxicillin is 500 mg every 8 hours for 10 to 14 days in adults. "
    "Penicillin-allergic patients may receive azithromycin instead."
)
UNRELATED = (
    "Statins lower low-density lipoprotein cholesterol and reduce the risk of myocardial infarction "
    "in adults with established cardiovascular disease. Muscle symptoms are the most common complaint."
)


@pytest.fixture(scope="module")
def verifier() -> ClaimVerifier:
    return ClaimVerifier()


def claim(text: str) -> Claim:
    return Claim(text=text, citations=[1], passage_ids=[7])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500mg", ["500 mg"]),
        ("2.5 mg/kg", ["2.5 mg/kg"]),
        ("every 8 hours", ["every 8 hours"]),
        ("10–14 days", ["10-14 days"]),
        ("95 %", ["95%"]),
        ("1.5 g per day", ["1.5 g/day"]),
        ("q8h", ["every 8 hours"]),
        ("three times a day", ["3 times daily"]),
        ("1,000 mg twice daily for 10 to 14 days", ["1000 mg", "2 times daily", "10-14 days"]),
        ("In 2019, COVID-19 and IL-6 in type 2 diabetes: 1,204 patients, HR 0.75", ["1204", "0.75"]),
    ],
)
def test_numbers_with_units(text: str, expected: list[str]) -> None:
    assert numbers_with_units(text) == expected


def test_numbers_supported_reports_missing() -> None:
    assert numbers_supported("Give 500mg q8h.", [PASSAGE]) == (True, [])
    assert numbers_supported("Give 1000 mg every 8 hours.", [PASSAGE]) == (False, ["1000 mg"])
    # a per-day source covers a bare dose; a per-kg source does not
    assert numbers_supported("500 mg", ["500 mg daily"]) == (True, [])
    assert numbers_supported("500 mg", ["500 mg/kg"]) == (False, ["500 mg"])


def test_verbatim_sentence_is_fully_supported_without_embedding() -> None:
    lazy = ClaimVerifier()
    text = "The recommended dose of amoxicillin is 500 mg every 8 hours for 10 to 14 days in adults."
    assert lazy.support(text, [PASSAGE]) == 1.0
    assert lazy._embedder is None  # the cheap path never loads the model
    checked = lazy.verify(claim(text), {7: PASSAGE})
    assert checked.verified and checked.support == 1.0 and checked.flagged is None


def test_paraphrase_is_verified(verifier: ClaimVerifier) -> None:
    text = "Adults should get amoxicillin 500 mg every 8 hours for 10 to 14 days."
    checked = verifier.verify(claim(text), {7: PASSAGE})
    assert checked.verified, checked
    assert checked.support is not None and verifier.threshold <= checked.support < 1.0


def test_unrelated_passage_is_flagged(verifier: ClaimVerifier) -> None:
    text = "Amoxicillin is the usual treatment for acute otitis media in children."
    checked = verifier.verify(claim(text), {7: UNRELATED})
    assert not checked.verified
    assert checked.flagged is not None and checked.flagged.startswith("cited passage does not state this")


def test_number_mismatch_is_flagged(verifier: ClaimVerifier) -> None:
    text = "The recommended dose of amoxicillin is 1000 mg every 8 hours in adults."
    checked = verifier.verify(claim(text), {7: PASSAGE})
    assert not checked.verified
    assert checked.flagged == "numbers not in source: 1000 mg"
    assert checked.support == 0.0


def test_claim_without_a_cited_passage_is_flagged(verifier: ClaimVerifier) -> None:
    checked = verifier.verify(Claim(text="Amoxicillin works.", citations=[3]), {7: PASSAGE})
    assert not checked.verified and checked.flagged == "no cited passage to check against"


def test_support_is_a_probability(verifier: ClaimVerifier) -> None:
    for text in ("Azithromycin can be given to penicillin-allergic patients.", "Statins cure otitis."):
        assert 0.0 <= verifier.support(text, [PASSAGE, UNRELATED]) <= 1.0
