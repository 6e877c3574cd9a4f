"""Yes/no answer accuracy on PubMedQA and BioASQ: the verdict rule with given contexts, and end to end.

Two modes, reported side by side with the always-"yes" baseline (the majority class of both sets):

- contexts: the question's own evidence is given (PubMedQA `contexts`, BioASQ gold `snippets`). The
  question is analysed into the claim it tests; every sentence of the contexts is evidence about it
  (evidence kind OTHER), and `verdict.decide` turns them into yes / no / uncertain / insufficient.
  This measures the verdict model alone, without retrieval. Its weights are fitted on BioASQ yes/no
  (bench/verdict_calibration.py), so BioASQ figures in this mode are in-sample; PubMedQA is held out.
- retrieval: `AnswerEngine.ask` on a library, the verdict read from the answer page. By default the
  library is a cached one built from the dataset's own corpus file only (never the user's library).

Verdicts map to labels as yes → yes, no → no, and uncertain, insufficient evidence, no verdict at all
(the question was not read as yes/no) or an unanswerable question → maybe. BioASQ has no "maybe", so
every uncertain verdict there counts as wrong.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rich.table import Table

from evidex.answer.analysis import QuestionError, analyse
from evidex.answer.engine import AnswerEngine
from evidex.answer.select import Relevance
from evidex.answer.verdict import Vote, decide, vote
from evidex.evaluation.metrics import percentile
from evidex.evaluation.retrieval import EvalError, EvalProgress, _IngestReporter
from evidex.ingest.runner import ingest
from evidex.ingest.text_utils import split_sentences
from evidex.llm.protocol import ChatModel
from evidex.models import EvidenceKind, Verdict
from evidex.store.library import Library

QA_DATASETS = ("pubmedqa", "bioasq")
MODES = ("contexts", "retrieval", "both")
Label = Literal["yes", "no", "maybe"]
LABELS: tuple[Label, ...] = ("yes", "no", "maybe")

# dataset → (eval file, corpus file, ingest format) under the shared data folder
_FILES: dict[str, tuple[str, str, str]] = {
    "pubmedqa": ("eval/pubmedqa/dev.jsonl", "corpus/pubmedqa_abstracts.jsonl", "pubmedqa"),
    "bioasq": ("eval/bioasq/dev.jsonl", "corpus/bioasq_snippets.jsonl", "bioasq"),
}
_LIBRARY_NOTES = {
    "pubmedqa": (
        "the library holds the dev questions' own abstracts (without their conclusions), so retrieval "
        "can find each question's source; the answer must still be read from the background, methods "
        "and results"
    ),
    "bioasq": "the library holds the BioASQ gold snippets (7B–11B), which include each question's own",
}


@dataclass(frozen=True)
class QaItem:
    """One yes/no question with its gold label and the evidence the dataset gives for it."""

    id: str
    question: str
    gold: Label
    contexts: list[str]


def _need(path: Path) -> Path:
    if not path.is_file():
        raise EvalError(f"{path} not found; point --data-dir (or EVIDEX_DATA_DIR) at the shared data folder")
    return path


def _records(path: Path) -> Iterator[dict[str, Any]]:
    with _need(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvalError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(record, dict):
                raise EvalError(f"{path}:{number}: expected a JSON object")
            yield record


def _label(value: object) -> Label | None:
    """Yes, no or maybe from a gold answer (any case), else None."""
    text = str(value or "").strip().lower()
    return next((name for name in LABELS if name == text), None)


def load_pubmedqa(path: Path, limit: int | None = None) -> list[QaItem]:
    """PubMedQA questions (`pmid`, `question`, `contexts`, `final_decision`) in file order."""
    items: list[QaItem] = []
    for record in _records(path):
        gold = _label(record.get("final_decision"))
        if gold is None or not record.get("question"):
            raise EvalError(f"{path}: record {record.get('pmid')!r} lacks a question or a yes/no/maybe label")
        contexts = [str(c) for c in record.get("contexts") or []]
        ident = str(record.get("pmid", len(items)))
        items.append(QaItem(ident, str(record["question"]), gold, contexts))
        if limit is not None and len(items) >= limit:
            break
    return items


def load_bioasq_yesno(path: Path, limit: int | None = None) -> list[QaItem]:
    """BioASQ questions of type "yesno" with an exact answer yes or no, with their gold snippets."""
    items: list[QaItem] = []
    for record in _records(path):
        if record.get("type") != "yesno":
            continue
        answer = record.get("exact_answer")
        if isinstance(answer, list):
            answer = answer[0] if answer else ""
        gold = _label(answer)
        if gold not in ("yes", "no") or not record.get("question"):
            continue
        contexts = [str(s.get("text", "")) for s in record.get("snippets") or [] if isinstance(s, dict)]
        ident = str(record.get("id", len(items)))
        items.append(QaItem(ident, str(record["question"]), gold, contexts))
        if limit is not None and len(items) >= limit:
            break
    return items


def load_bioasq_all(path: Path) -> list[str]:
    """Every BioASQ question text (yes/no, factoid, list and summary) in file order."""
    return [str(record["question"]) for record in _records(path) if record.get("question")]


def load_items(dataset: str, data_dir: Path, limit: int | None = None) -> list[QaItem]:
    if dataset not in _FILES:
        raise EvalError(f"unknown dataset {dataset!r}; choose {' or '.join(QA_DATASETS)}")
    path = data_dir / _FILES[dataset][0]
    return load_pubmedqa(path, limit) if dataset == "pubmedqa" else load_bioasq_yesno(path, limit)


def label(verdict: Verdict | None) -> Label:
    """yes → yes, no → no; uncertain, insufficient evidence or no verdict → maybe."""
    if verdict is Verdict.YES:
        return "yes"
    if verdict is Verdict.NO:
        return "no"
    return "maybe"


def sentences(text: str) -> list[str]:
    flat = " ".join(text.split())
    return [flat[start:end] for start, end in split_sentences(flat)]


def context_votes(question: str, contexts: list[str], document_id: str = "context") -> tuple[str, list[Vote]]:
    """The claim `question` tests and the vote of every sentence of the given contexts on it."""
    analysis = analyse(question)
    claim = analysis.claim or analysis.question
    relevance = Relevance(analysis.question, analysis.entities, None)
    votes = [
        vote(claim, sentence, EvidenceKind.OTHER, relevance.coverage(sentence), document_id)
        for context in contexts
        for sentence in sentences(context)
    ]
    return claim, votes


def context_verdict(question: str, contexts: list[str], document_id: str = "context") -> Verdict:
    """The verdict rule on given contexts: every sentence votes on the question's claim."""
    claim, votes = context_votes(question, contexts, document_id)
    verdict, _, _ = decide(votes, claim)
    return verdict


def cached_library(
    cache_dir: Path, name: str, corpus: Path, fmt: str, progress: EvalProgress | None = None
) -> Path:
    """The folder of a library built from `corpus` alone under `cache_dir` (built once, then reused).

    Named `<name>-<hash of the corpus path>/library` as `evidex eval retrieval` names its libraries,
    so both commands share one library per corpus.
    """
    digest = hashlib.sha1(str(_need(corpus).resolve()).encode()).hexdigest()[:8]
    folder = cache_dir.expanduser() / f"{name}-{digest}" / "library"
    with Library(folder, create=True) as library:
        summary = ingest(library, [corpus], fmt=fmt, reporter=_IngestReporter(progress) if progress else None)
        if summary.rejected and not summary.read_anything:
            raise EvalError(f"could not ingest {corpus}: {summary.rejected[0].describe()}")
    return folder


@dataclass
class ModeResult:
    """Accuracy of one mode: gold and predicted label counts, confusion (gold → predicted → count)."""

    mode: str
    questions: int
    correct: int
    gold: dict[str, int]
    predicted: dict[str, int]
    confusion: dict[str, dict[str, int]]
    baseline_yes: float
    seconds: list[float] = field(default_factory=list)
    unanswerable: int = 0
    """Questions the engine refused (QuestionError); counted as "maybe"."""
    verdicts: dict[str, int] = field(default_factory=dict)
    """Raw verdicts before mapping to labels ("none": the question was not read as yes/no)."""
    notes: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.questions if self.questions else 0.0

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "questions": self.questions,
            "accuracy": round(self.accuracy, 4),
            "correct": self.correct,
            "baseline_always_yes_accuracy": round(self.baseline_yes, 4),
            "gold": self.gold,
            "predicted": self.predicted,
            "confusion": self.confusion,
            "verdicts": self.verdicts,
            "notes": list(self.notes),
        }
        if self.seconds:
            data["seconds_per_question_p50"] = round(percentile(self.seconds, 50), 4)
            data["seconds_per_question_p95"] = round(percentile(self.seconds, 95), 4)
            data["unanswerable"] = self.unanswerable
        return data


def score(mode: str, gold: list[Label], predicted: list[Label]) -> ModeResult:
    """Accuracy, counts and confusion of predicted against gold labels (same order)."""
    confusion: dict[str, dict[str, int]] = {g: dict.fromkeys(LABELS, 0) for g in LABELS}
    for g, p in zip(gold, predicted, strict=True):
        confusion[g][p] += 1
    gold_counts, predicted_counts = Counter(gold), Counter(predicted)
    return ModeResult(
        mode=mode,
        questions=len(gold),
        correct=sum(g == p for g, p in zip(gold, predicted, strict=True)),
        gold={name: gold_counts[name] for name in LABELS},
        predicted={name: predicted_counts[name] for name in LABELS},
        confusion=confusion,
        baseline_yes=gold_counts["yes"] / len(gold) if gold else 0.0,
    )


@dataclass
class QaReport:
    """What `evidex eval qa` prints: one result per mode on one dataset."""

    dataset: str
    questions: int
    results: list[ModeResult] = field(default_factory=list)
    library: Path | None = None
    library_note: str | None = None
    preset: str = "default"

    def result(self, mode: str) -> ModeResult:
        return next(r for r in self.results if r.mode == mode)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "questions": self.questions,
            "label_mapping": "yes→yes, no→no, uncertain / insufficient / no verdict → maybe",
            "modes": {r.mode: r.as_dict() for r in self.results},
            "library": str(self.library) if self.library else None,
            "library_note": self.library_note,
            "preset": self.preset,
        }

    def as_table(self) -> Table:
        table = Table(
            title=f"{self.dataset}: yes/no accuracy on {self.questions:,} questions",
            caption="always yes = accuracy of answering yes to every question · s = seconds per question",
        )
        table.add_column("mode")
        for name in ("n", "accuracy", "always yes", "p50 s", "p95 s"):
            table.add_column(name, justify="right")
        for r in self.results:
            table.add_row(
                r.mode,
                str(r.questions),
                f"{r.accuracy:.3f}",
                f"{r.baseline_yes:.3f}",
                f"{percentile(r.seconds, 50):.3f}" if r.seconds else "-",
                f"{percentile(r.seconds, 95):.3f}" if r.seconds else "-",
            )
        return table

    def confusion_table(self, mode: str) -> Table:
        result = self.result(mode)
        table = Table(title=f"{mode}: confusion (rows gold, columns predicted)")
        table.add_column("gold \\ predicted")
        for name in (*LABELS, "total"):
            table.add_column(name, justify="right")
        for gold in LABELS:
            table.add_row(gold, *(str(result.confusion[gold][p]) for p in LABELS), str(result.gold[gold]))
        table.add_row("total", *(str(result.predicted[p]) for p in LABELS), str(result.questions))
        return table


def _run_contexts(items: list[QaItem], progress: EvalProgress | None) -> ModeResult:
    predicted: list[Label] = []
    verdicts: Counter[str] = Counter()
    if progress:
        progress.start("contexts", len(items))
    try:
        for item in items:
            try:
                verdict: Verdict | None = context_verdict(item.question, item.contexts, item.id)
            except QuestionError:
                verdict = None
            verdicts[verdict.value if verdict else "none"] += 1
            predicted.append(label(verdict))
            if progress:
                progress.advance(1)
    finally:
        if progress:
            progress.end()
    result = score("contexts", [item.gold for item in items], predicted)
    result.verdicts = dict(verdicts)
    return result


def _run_retrieval(
    items: list[QaItem],
    library: Library,
    preset: str,
    progress: EvalProgress | None,
    llm: ChatModel | None = None,
) -> ModeResult:
    engine = AnswerEngine(library, preset, llm=llm)
    predicted: list[Label] = []
    seconds: list[float] = []
    verdicts: Counter[str] = Counter()
    unanswerable = 0
    if progress:
        progress.start("retrieval", len(items))
    try:
        for item in items:
            started = time.perf_counter()
            try:
                verdict: Verdict | None = engine.ask(item.question).verdict
            except QuestionError:
                verdict = None
                unanswerable += 1
            verdicts[verdict.value if verdict else "none"] += 1
            predicted.append(label(verdict))
            seconds.append(time.perf_counter() - started)
            if progress:
                progress.advance(1)
    finally:
        if progress:
            progress.end()
    result = score("retrieval", [item.gold for item in items], predicted)
    result.seconds = seconds
    result.unanswerable = unanswerable
    result.verdicts = dict(verdicts)
    result.notes = list(engine.retriever.notes)
    return result


def run_qa_eval(
    dataset: str,
    mode: str,
    data_dir: Path,
    cache_dir: Path,
    library_path: Path | None = None,
    limit: int | None = None,
    preset: str = "default",
    progress: EvalProgress | None = None,
    llm: ChatModel | None = None,
) -> QaReport:
    """Accuracy of `mode` ("contexts", "retrieval" or "both") on the first `limit` questions."""
    if mode not in MODES:
        raise EvalError(f"unknown mode {mode!r}; choose {', '.join(MODES)}")
    items = load_items(dataset, data_dir, limit)
    if not items:
        raise EvalError(f"{dataset} has no yes/no questions to evaluate")
    report = QaReport(dataset=dataset, questions=len(items), preset=preset)
    if mode in ("contexts", "both"):
        report.results.append(_run_contexts(items, progress))
    if mode in ("retrieval", "both"):
        if library_path is None:
            _, corpus, fmt = _FILES[dataset]
            library_path = cached_library(cache_dir, dataset, data_dir / corpus, fmt, progress)
            report.library_note = _LIBRARY_NOTES[dataset]
        else:
            report.library_note = "the given library (not a benchmark-only library)"
        report.library = library_path
        with Library(library_path) as library:
            report.results.append(_run_retrieval(items, library, preset, progress, llm))
    return report
