"""Abstention: questions on topics a tiny library does not hold must come back insufficient."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from evidex.cli import main
from evidex.evaluation.abstention import absent, run_abstention_eval, select_off_topic
from evidex.ingest.runner import ingest
from evidex.store.library import Library

NOTES = {
    "aspirin.md": "# Aspirin for tension headache\n\nAspirin reduced tension headache pain in adults.\n",
    "vitamin-d.md": "# Vitamin D\n\nVitamin D did not reduce hip fractures in older adults.\n",
    "sleep.md": "# Sleep hygiene\n\nCognitive behavioural therapy improved sleep in adults with insomnia.\n",
}


def build_tiny_library(folder: Path) -> Path:
    """Three Markdown notes (aspirin, vitamin D, sleep) ingested into `folder / "library"`."""
    notes = folder / "notes"
    notes.mkdir(parents=True, exist_ok=True)
    for name, text in NOTES.items():
        (notes / name).write_text(text, encoding="utf-8")
    with Library(folder / "library", create=True) as library:
        assert ingest(library, [notes]).added == 3
    return folder / "library"


OFF_TOPIC = ["What causes kidney stones?", "How is glaucoma treated?"]
ON_TOPIC = ["Does aspirin reduce tension headache pain?"]


def test_off_topic_questions_abstain(tmp_path: Path) -> None:
    with Library(build_tiny_library(tmp_path)) as library:
        report = run_abstention_eval(library, OFF_TOPIC, limit=10)
    assert [case.question for case in report.cases] == OFF_TOPIC
    assert report.abstention_rate == 1.0
    assert report.failures == []
    data = report.as_dict()
    assert data["questions"] == 2 and data["abstained"] == 2
    assert "quoted phrase" in data["selection_rule"]


def test_selection_skips_topics_the_library_holds(tmp_path: Path) -> None:
    with Library(build_tiny_library(tmp_path)) as library:
        assert absent(library, ["kidney stones"])
        assert not absent(library, ["tension headache"])
        assert not absent(library, ["kidney stones", "aspirin"])
        assert absent(library, ['odd "quoted" phrase'])
        assert not absent(library, ["older fractures"], rule="terms")
        assert absent(library, ["older fractures"], rule="phrase")
        # "parts" (the default): a run of the entity's words, or a synonym, shows the topic is here
        assert not absent(library, ["top tension headache remedies"])
        assert absent(library, ["top tension headache remedies"], rule="terms")
        assert not absent(library, ["acetylsalicylic acid"])  # the synonym "aspirin" is in a note
        assert absent(library, ["acetylsalicylic acid"], rule="terms")
        chosen = select_off_topic(library, ON_TOPIC + OFF_TOPIC, limit=10)
        assert sorted(question for question, _ in chosen) == sorted(OFF_TOPIC)
        assert len(select_off_topic(library, ON_TOPIC + OFF_TOPIC, limit=1)) == 1


def test_cli(tmp_path: Path) -> None:
    library = build_tiny_library(tmp_path)
    data = tmp_path / "data" / "eval" / "healthsearchqa"
    data.mkdir(parents=True)
    (data / "questions.txt").write_text("\n".join(ON_TOPIC + OFF_TOPIC) + "\n", encoding="utf-8")
    runner = CliRunner()
    args = ["eval", "abstention", "--library", str(library), "--data-dir", str(tmp_path / "data")]
    result = runner.invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["questions"] == 2 and payload["abstention_rate"] == 1.0
    verbose = runner.invoke(main, [*args, "--verbose"])
    assert verbose.exit_code == 0 and "kidney stones" in verbose.output
    (data / "questions.txt").write_text("\n".join(ON_TOPIC) + "\n", encoding="utf-8")
    none = runner.invoke(main, args)
    assert none.exit_code == 1 and "covered" in none.output
