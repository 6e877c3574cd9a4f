"""Abstention: questions on topics the library does not hold must come back as "insufficient evidence".

Selection rule (deterministic, stated in the output): the consumer questions of
`eval/healthsearchqa/questions.txt` are shuffled with a fixed seed; in that order, a question is kept
when `analyse` finds at least one key entity and no entity, searched as a quoted phrase in the
library's lexical index (k = 1), matches any passage — the topic is absent from the library, not
merely poorly covered. The first `limit` such questions are asked. Entities are noisy phrases
("top 10 learning disabilities", "Q fever stand"), so a whole phrase can be missing while its topic
is present. The default rule "parts" therefore also requires that no run of two or more of the
entity's consecutive content words matches ("learning disabilities"), that no passage holds all its
content words at once, and the same for its synonyms and other spellings ("haematoma" → "hematoma",
"glandular fever" → "infectious mononucleosis"). "phrase" (the whole phrase only) and "terms"
(phrase or all words) are the looser rules of earlier runs, kept for comparison. An answer abstains
when its verdict is INSUFFICIENT or it has no claim at all (`Answer.insufficient`).
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.table import Table

from evidex.answer.analysis import QuestionError, analyse
from evidex.answer.engine import AnswerEngine
from evidex.evaluation.retrieval import EvalError, EvalProgress
from evidex.models import Verdict
from evidex.search.query import query_terms
from evidex.search.synonyms import expand_query
from evidex.store.library import Library

SEED = 13
RULES = ("parts", "phrase", "terms")
SELECTION_RULE = (
    "healthsearchqa questions shuffled with seed {seed}; kept, in that order, when analyse() finds ≥ 1 "
    "key entity and every entity, searched as a quoted phrase in the library's lexical index (k=1), "
    "matches no passage{extra}; first {limit} kept"
)
_EXTRA = {
    "phrase": "",
    "terms": " and no passage holds all of the entity's content words (AND query)",
    "parts": (
        ", nor does any run of two or more of its consecutive content words, nor do all its content words "
        "in one passage (AND query), each also tried with the entity's synonyms and other spellings"
    ),
}


def load_questions(path: Path) -> list[str]:
    """One question a line, blank lines skipped, file order."""
    if not path.is_file():
        raise EvalError(f"{path} not found; point --data-dir (or EVIDEX_DATA_DIR) at the shared data folder")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def phrase(entity: str) -> str:
    """An FTS5 phrase query for `entity` (double quotes doubled inside)."""
    return '"' + entity.replace('"', '""') + '"'


def _word_runs(terms: list[str]) -> list[str]:
    """Every run of two or more consecutive terms, longest first: "top 10 learning disabilities" → …,
    "learning disabilities"."""
    return [
        " ".join(terms[start : start + size])
        for size in range(len(terms) - 1, 1, -1)
        for start in range(len(terms) - size + 1)
    ]


def _queries(entity: str, rule: str) -> list[str]:
    """The FTS5 queries any of which, matching a passage, shows that `entity` is in the library."""
    variants = [entity, *expand_query(entity, max_expansions=4)] if rule == "parts" else [entity]
    queries: list[str] = []
    for variant in variants:
        queries.append(phrase(variant))
        terms = query_terms(variant)
        if rule == "parts":
            queries.extend(phrase(run) for run in _word_runs(terms))
        if rule in ("terms", "parts") and terms:
            queries.append(" AND ".join(phrase(term) for term in terms))
    return list(dict.fromkeys(queries))


def absent(library: Library, entities: Sequence[str], rule: str = "parts") -> bool:
    """Whether no entity matches any passage of the library as a phrase (rule "terms": nor by all its
    content words; rule "parts": nor by a run of its words, all its words, or any of that for a
    synonym); False when one cannot be searched, as the question is then not provably off-topic."""
    if rule not in RULES:
        raise EvalError(f"unknown selection rule {rule!r}; choose {' or '.join(RULES)}")
    try:
        return all(
            not library.lexical.search(query, 1) for entity in entities for query in _queries(entity, rule)
        )
    except sqlite3.Error:
        return False


def select_off_topic(
    library: Library, questions: Iterable[str], limit: int, seed: int = SEED, rule: str = "parts"
) -> list[tuple[str, list[str]]]:
    """(question, entities) of the first `limit` questions, in seeded-shuffle order, whose every key
    entity is absent from the library."""
    order = list(questions)
    random.Random(seed).shuffle(order)
    chosen: list[tuple[str, list[str]]] = []
    for question in order:
        if len(chosen) >= limit:
            break
        try:
            entities = analyse(question).entities
        except QuestionError:
            continue
        if entities and absent(library, entities, rule):
            chosen.append((question, entities))
    return chosen


@dataclass
class AbstentionCase:
    question: str
    entities: list[str]
    verdict: str | None
    claims: int
    abstained: bool
    headline: str


@dataclass
class AbstentionReport:
    """What `evidex eval abstention` prints."""

    library: Path
    candidates: int
    cases: list[AbstentionCase] = field(default_factory=list)
    seed: int = SEED
    limit: int = 50
    selection: str = "parts"
    notes: list[str] = field(default_factory=list)

    @property
    def rule(self) -> str:
        return SELECTION_RULE.format(seed=self.seed, limit=self.limit, extra=_EXTRA[self.selection])

    @property
    def abstention_rate(self) -> float:
        return sum(c.abstained for c in self.cases) / len(self.cases) if self.cases else 0.0

    @property
    def failures(self) -> list[AbstentionCase]:
        return [c for c in self.cases if not c.abstained]

    def as_dict(self) -> dict[str, Any]:
        return {
            "library": str(self.library),
            "selection": self.selection,
            "selection_rule": self.rule,
            "candidate_questions": self.candidates,
            "questions": len(self.cases),
            "abstained": sum(c.abstained for c in self.cases),
            "abstention_rate": round(self.abstention_rate, 4),
            "failures": [
                {
                    "question": c.question,
                    "entities": c.entities,
                    "verdict": c.verdict,
                    "claims": c.claims,
                    "headline": c.headline,
                }
                for c in self.failures
            ],
            "chosen": [{"question": c.question, "entities": c.entities} for c in self.cases],
            "notes": list(self.notes),
        }

    def as_table(self) -> Table:
        table = Table(title=f"abstention on off-topic questions, library {self.library}")
        table.add_column("measure")
        table.add_column("value", justify="right")
        table.add_row("questions (all entities absent)", f"{len(self.cases)} of {self.candidates} scanned")
        table.add_row("abstained", str(sum(c.abstained for c in self.cases)))
        table.add_row("abstention rate", f"{self.abstention_rate:.3f}")
        table.add_row("failures (answered anyway)", str(len(self.failures)))
        return table


def run_abstention_eval(
    library: Library,
    questions: Sequence[str],
    limit: int = 50,
    preset: str = "default",
    seed: int = SEED,
    rule: str = "parts",
    progress: EvalProgress | None = None,
) -> AbstentionReport:
    """Ask the off-topic questions chosen by `select_off_topic`; each should come back insufficient."""
    chosen = select_off_topic(library, questions, limit, seed, rule)
    if not chosen:
        raise EvalError(
            "no question has all its key entities absent from the library; every topic is covered"
        )
    engine = AnswerEngine(library, preset)
    report = AbstentionReport(
        library=library.path, candidates=len(questions), seed=seed, limit=limit, selection=rule
    )
    if progress:
        progress.start("abstention", len(chosen))
    try:
        for question, entities in chosen:
            try:
                answer = engine.ask(question)
            except QuestionError as exc:
                report.cases.append(AbstentionCase(question, entities, None, 0, True, str(exc)))
            else:
                claims = sum(len(section.claims) for section in answer.sections)
                abstained = answer.verdict is Verdict.INSUFFICIENT or answer.insufficient
                verdict = answer.verdict.value if answer.verdict else None
                report.cases.append(
                    AbstentionCase(question, entities, verdict, claims, abstained, answer.headline)
                )
            if progress:
                progress.advance(1)
    finally:
        if progress:
            progress.end()
    report.notes = list(engine.retriever.notes)
    return report
