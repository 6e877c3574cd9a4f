"""Yes/no accuracy: a toy PubMedQA file whose verdicts are fixed by construction, and the real dev set.

The toy contexts state their finding plainly: one supports its question, one negates it ("did not"),
and the third supports a question whose gold answer is "maybe", so accuracy is exactly 2/3.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from evidex.cli import main
from evidex.evaluation.qa import (
    LABELS,
    context_verdict,
    label,
    load_bioasq_yesno,
    load_pubmedqa,
    run_qa_eval,
    score,
)
from evidex.evaluation.retrieval import EvalError
from evidex.models import Verdict

REPO = Path(__file__).resolve().parents[2]

TOY: list[dict[str, Any]] = [
    {
        "pmid": "1",
        "question": "Does aspirin reduce headache pain in adults?",
        "contexts": [
            "We enrolled 200 adults with tension headache.",
            "Aspirin significantly reduced headache pain in adults compared with placebo.",
        ],
        "final_decision": "yes",
    },
    {
        "pmid": "2",
        "question": "Does vitamin C prevent the common cold in athletes?",
        "contexts": [
            "Athletes took vitamin C or placebo for three months.",
            "Vitamin C did not prevent the common cold in athletes.",
        ],
        "final_decision": "no",
    },
    {
        "pmid": "3",
        "question": "Does zinc shorten the duration of colds in children?",
        "contexts": ["Zinc shortened the duration of colds in children by one day."],
        "final_decision": "maybe",
    },
]

TOY_ABSTRACTS = [
    {
        "pmid": str(i + 1),
        "year": 2020,
        "mesh": [],
        "sections": [{"label": "RESULTS", "text": " ".join(record["contexts"])}],
    }
    for i, record in enumerate(TOY)
]


def _data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    (data / "eval" / "pubmedqa").mkdir(parents=True)
    (data / "corpus").mkdir()
    (data / "eval" / "pubmedqa" / "dev.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in TOY), encoding="utf-8"
    )
    (data / "corpus" / "pubmedqa_abstracts.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in TOY_ABSTRACTS), encoding="utf-8"
    )
    return data


def test_label_mapping() -> None:
    assert label(Verdict.YES) == "yes"
    assert label(Verdict.NO) == "no"
    assert label(Verdict.UNCERTAIN) == "maybe"
    assert label(Verdict.INSUFFICIENT) == "maybe"
    assert label(None) == "maybe"


def test_context_verdicts_follow_the_stated_finding() -> None:
    assert context_verdict(TOY[0]["question"], TOY[0]["contexts"]) is Verdict.YES
    assert context_verdict(TOY[1]["question"], TOY[1]["contexts"]) is Verdict.NO
    assert context_verdict("Does aspirin reduce headache pain?", []) is Verdict.INSUFFICIENT


def test_score_counts_and_confusion() -> None:
    result = score("contexts", ["yes", "no", "maybe", "yes"], ["yes", "yes", "maybe", "no"])
    assert result.correct == 2 and result.accuracy == 0.5
    assert result.baseline_yes == 0.5
    assert result.gold == {"yes": 2, "no": 1, "maybe": 1}
    assert result.predicted == {"yes": 2, "no": 1, "maybe": 1}
    assert result.confusion["no"]["yes"] == 1 and result.confusion["yes"]["no"] == 1
    assert sum(sum(row.values()) for row in result.confusion.values()) == 4


def test_toy_contexts_accuracy_is_exact(tmp_path: Path) -> None:
    report = run_qa_eval("pubmedqa", "contexts", _data_dir(tmp_path), tmp_path / "cache")
    result = report.result("contexts")
    assert result.questions == 3
    assert result.correct == 2
    assert result.accuracy == pytest.approx(2 / 3)
    assert result.baseline_yes == pytest.approx(1 / 3)
    assert result.predicted == {"yes": 2, "no": 1, "maybe": 0}
    assert result.confusion["maybe"]["yes"] == 1


def test_toy_retrieval_builds_a_cached_library(tmp_path: Path) -> None:
    data = _data_dir(tmp_path)
    report = run_qa_eval("pubmedqa", "both", data, tmp_path / "cache", limit=2)
    assert [r.mode for r in report.results] == ["contexts", "retrieval"]
    retrieval = report.result("retrieval")
    assert retrieval.questions == 2 and len(retrieval.seconds) == 2
    assert report.library is not None and report.library.is_relative_to(tmp_path / "cache")
    assert "own abstracts" in (report.library_note or "")
    data_json = report.as_dict()["modes"]["retrieval"]
    assert {"seconds_per_question_p50", "seconds_per_question_p95", "accuracy"} <= data_json.keys()


def test_loaders(tmp_path: Path) -> None:
    path = tmp_path / "bioasq.jsonl"
    rows = [
        {"id": "a", "type": "yesno", "question": "Is X a gene?", "exact_answer": "Yes", "snippets": []},
        {"id": "b", "type": "factoid", "question": "Which gene?", "exact_answer": [["X"]]},
        {
            "id": "c",
            "type": "yesno",
            "question": "Is Y a gene?",
            "exact_answer": "no",
            "snippets": [{"text": "Y is not a gene."}],
        },
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    items = load_bioasq_yesno(path)
    assert [(i.id, i.gold) for i in items] == [("a", "yes"), ("c", "no")]
    assert items[1].contexts == ["Y is not a gene."]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"pmid": "1", "question": "Q?", "final_decision": "perhaps"}\n', encoding="utf-8")
    with pytest.raises(EvalError, match="yes/no/maybe"):
        load_pubmedqa(bad)
    with pytest.raises(EvalError, match="not found"):
        load_pubmedqa(tmp_path / "missing.jsonl")
    assert LABELS == ("yes", "no", "maybe")


def test_cli_json_and_errors(tmp_path: Path) -> None:
    data = _data_dir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["eval", "qa", "--mode", "contexts", "--data-dir", str(data), "--cache", str(tmp_path), "--json"],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["modes"]["contexts"]["accuracy"] == pytest.approx(0.6667, abs=1e-4)
    assert payload["modes"]["contexts"]["baseline_always_yes_accuracy"] == pytest.approx(0.3333, abs=1e-4)
    missing = runner.invoke(main, ["eval", "qa", "--data-dir", str(tmp_path / "none")])
    assert missing.exit_code == 1 and "not found" in missing.output
    no_library = runner.invoke(
        main, ["eval", "qa", "--mode", "retrieval", "--data-dir", str(data), "--library", str(tmp_path / "x")]
    )
    assert no_library.exit_code == 1 and "no evidence library" in no_library.output
    assert "Traceback" not in no_library.output


def test_pubmedqa_dev_contexts_via_cli(data_dir: Path) -> None:
    """The first 100 real PubMedQA dev questions with their contexts (a few seconds)."""
    command = [sys.executable, "-m", "evidex.cli", "eval", "qa", "--dataset", "pubmedqa"]
    command += ["--mode", "contexts", "--limit", "100", "--data-dir", str(data_dir), "--json"]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO, timeout=300)
    payload = json.loads(done.stdout)
    assert payload["dataset"] == "pubmedqa" and payload["questions"] == 100
    contexts = payload["modes"]["contexts"]
    assert {"accuracy", "baseline_always_yes_accuracy", "gold", "predicted", "confusion"} <= contexts.keys()
    assert contexts["accuracy"] >= 0.5
    assert sum(contexts["gold"].values()) == 100


@pytest.mark.slow
def test_bioasq_retrieval_via_cli(data_dir: Path, tmp_path: Path) -> None:
    """BioASQ yes/no with retrieval: ingests all 21,452 gold snippets into a fresh cached library."""
    command = [sys.executable, "-m", "evidex.cli", "eval", "qa", "--dataset", "bioasq", "--mode", "both"]
    command += ["--limit", "30", "--data-dir", str(data_dir), "--cache", str(tmp_path), "--json"]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO, timeout=900)
    payload = json.loads(done.stdout)
    retrieval = payload["modes"]["retrieval"]
    assert retrieval["questions"] == 30
    assert retrieval["gold"]["maybe"] == 0
    assert 0.0 <= retrieval["accuracy"] <= 1.0
    assert retrieval["seconds_per_question_p95"] >= retrieval["seconds_per_question_p50"] > 0
