"""Citation quality on a tiny library of three Markdown notes and two questions it can answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from evidex.answer.verify import ClaimVerifier
from evidex.cli import main
from evidex.evaluation.citations import (
    JUDGE_NOTE,
    draw_questions,
    judge_claim,
    run_citation_eval,
)
from evidex.evaluation.judges import VerifierJudge
from evidex.evaluation.retrieval import EvalError
from evidex.ingest.runner import ingest
from evidex.models import Claim
from evidex.store.library import Library

NOTES = {
    "aspirin.md": (
        "# Aspirin for tension headache\n\n## Results\n\n"
        "Aspirin 1000 mg reduced tension headache pain within two hours compared with placebo. "
        "Aspirin reduced the need for rescue medication in adults with tension headache.\n"
    ),
    "vitamin-d.md": (
        "# Vitamin D and fractures in older adults\n\n## Results\n\n"
        "Vitamin D supplementation did not reduce hip fractures in older adults living in the community. "
        "Vitamin D with calcium reduced fractures in older adults living in care homes.\n"
    ),
    "sleep.md": (
        "# Sleep hygiene for insomnia\n\n## Results\n\n"
        "Cognitive behavioural therapy for insomnia improved sleep efficiency in adults with insomnia. "
        "Sleep hygiene advice alone had a small effect on insomnia severity.\n"
    ),
}
QUESTIONS = [
    ("toy", "Does aspirin reduce tension headache pain?"),
    ("toy", "Does vitamin D reduce fractures in older adults?"),
]


def build_tiny_library(folder: Path) -> Path:
    """Three Markdown notes ingested into `folder / "library"`; returns the library folder."""
    notes = folder / "notes"
    notes.mkdir(parents=True, exist_ok=True)
    for name, text in NOTES.items():
        (notes / name).write_text(text, encoding="utf-8")
    path = folder / "library"
    with Library(path, create=True) as library:
        summary = ingest(library, [notes])
    assert summary.added == 3
    return path


@pytest.fixture()
def tiny_library(tmp_path: Path) -> Iterator[Library]:
    with Library(build_tiny_library(tmp_path)) as library:
        yield library


def test_citation_quality_on_a_tiny_library(tiny_library: Library) -> None:
    report = run_citation_eval(tiny_library, QUESTIONS)
    data = report.as_dict()
    assert data["questions"] == 2
    assert data["pages_with_claims"] == 2
    assert data["claims"] >= 2
    assert 0.0 <= report.citation_recall <= 1.0
    assert 0.0 <= report.citation_precision <= 1.0
    assert 0.0 <= report.flagged_share <= 1.0
    assert all(claim.citations >= 1 for claim in report.claims)
    assert data["every_claim_cited"] is True and data["claims_without_citation"] == 0
    assert data["judge"] == JUDGE_NOTE and "circular" in JUDGE_NOTE


def test_judge_claim_alce_precision() -> None:
    verifier = VerifierJudge(ClaimVerifier(dense=False))
    text = "Aspirin reduced tension headache pain within two hours compared with placebo."
    good = "Aspirin 1000 mg reduced tension headache pain within two hours compared with placebo."
    off = "Sleep hygiene advice alone had a small effect on insomnia severity."
    passages = {1: good, 2: off}
    both = judge_claim(
        verifier, Claim(text=text, citations=[1, 2], passage_ids=[1, 2], verified=True), passages
    )
    assert (
        both.supported and both.citations == 2 and both.precise == 1
    )  # the off-topic citation is irrelevant
    alone = judge_claim(verifier, Claim(text=text, citations=[2], passage_ids=[2]), passages)
    assert not alone.supported and alone.precise == 0 and alone.flagged
    uncited = judge_claim(verifier, Claim(text=text, citations=[], passage_ids=[]), passages)
    assert uncited.citations == 0 and not uncited.supported


def test_draw_questions_is_deterministic(data_dir: Path) -> None:
    first = draw_questions(data_dir, 10)
    assert first == draw_questions(data_dir, 10)
    assert [source for source, _ in first].count("pubmedqa") == 5
    assert [source for source, _ in first].count("bioasq") == 5
    assert draw_questions(data_dir, 10, seed=1) != first


def test_no_questions_is_an_error(tiny_library: Library) -> None:
    with pytest.raises(EvalError):
        run_citation_eval(tiny_library, [])


def test_cli_json(tmp_path: Path, data_dir: Path) -> None:
    library = build_tiny_library(tmp_path)
    result = CliRunner().invoke(
        main,
        [
            "eval",
            "citations",
            "--limit",
            "4",
            "--library",
            str(library),
            "--data-dir",
            str(data_dir),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["questions"] == 4
    assert {"citation_recall", "citation_precision", "flagged_share", "every_claim_cited"} <= payload.keys()
