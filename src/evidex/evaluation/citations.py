"""Citation quality of answer pages, ALCE-style (Gao et al. 2023, "Enabling LLMs to generate text with
citations"), on questions drawn from the evaluation sets and answered from a library.

Every claim of a page cites one or more passages. A judge decides whether passages support a claim:
- citation recall: the share of claims that the union of their cited passages supports;
- citation precision: the share of citations that support their claim. As in ALCE, a citation counts
  when the claim is supported by all its citations together and the citation is not irrelevant, i.e.
  it supports the claim alone, or the claim's other citations no longer support it without it (with
  one citation per claim this is simply "the cited passage supports the claim").

The judge (evaluation/judges.py) is by default `ClaimVerifier`, the model the answer engine itself uses
to keep or drop claims; figures on kept claims are therefore partly circular. `--judge llm` asks a
language model instead, which shares nothing with the verifier. Pages are built with failed claims
flagged, not dropped, so unsupported claims stay visible and are counted; the share flagged by the
engine is reported beside the judge's figures, with the check that every claim cites at least one
passage.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.table import Table

from evidex.answer.analysis import QuestionError
from evidex.answer.engine import AnswerEngine
from evidex.answer.verify import ClaimVerifier, is_extractive
from evidex.evaluation.judges import VERIFIER_NOTE, Judge, JudgeError, VerifierJudge
from evidex.evaluation.qa import load_bioasq_all, load_pubmedqa
from evidex.evaluation.retrieval import EvalError, EvalProgress
from evidex.llm.protocol import ChatModel
from evidex.models import Answer, Claim
from evidex.store.library import Library

SEED = 13
JUDGE_NOTE = VERIFIER_NOTE


def draw_questions(data_dir: Path, limit: int, seed: int = SEED) -> list[tuple[str, str]]:
    """(source, question) pairs: half from PubMedQA dev, half from BioASQ dev (all types), drawn with a
    fixed seed, PubMedQA first; the odd question of an odd `limit` comes from PubMedQA."""
    pubmedqa = [item.question for item in load_pubmedqa(data_dir / "eval" / "pubmedqa" / "dev.jsonl")]
    bioasq = load_bioasq_all(data_dir / "eval" / "bioasq" / "dev.jsonl")
    rng = random.Random(seed)
    from_bioasq = min(limit // 2, len(bioasq))
    from_pubmedqa = min(limit - from_bioasq, len(pubmedqa))
    return [("pubmedqa", q) for q in rng.sample(pubmedqa, from_pubmedqa)] + [
        ("bioasq", q) for q in rng.sample(bioasq, from_bioasq)
    ]


@dataclass(frozen=True)
class ClaimJudgement:
    """One claim: how many passages it cites, whether they support it, and which citations count."""

    text: str
    citations: int
    supported: bool
    precise: int
    flagged: bool
    verbatim: bool = False
    """The claim is copied word for word from a cited passage (the verifier then passes it outright)."""


def judge_claim(judge: Judge, claim: Claim, passages: dict[int, str]) -> ClaimJudgement:
    """ALCE recall and precision of one claim against the texts of its cited passages (by passage id)."""
    keys = claim.passage_ids or []
    cited = [passages.get(key, "") for key in keys]
    supported = judge.supports(claim.text, [text for text in cited if text])
    precise = 0
    if supported:
        for index, text in enumerate(cited):
            if not text:
                continue
            rest = [t for i, t in enumerate(cited) if i != index and t]
            if judge.supports(claim.text, [text]) or not judge.supports(claim.text, rest):
                precise += 1
    return ClaimJudgement(
        text=claim.text,
        citations=max(len(keys), len(claim.citations)),
        supported=supported,
        precise=precise,
        flagged=not claim.verified,
        verbatim=any(is_extractive(claim.text, [text]) for text in cited if text),
    )


@dataclass
class PageJudgement:
    question: str
    source: str
    insufficient: bool
    claims: list[ClaimJudgement] = field(default_factory=list)
    error: str | None = None


def judge_page(judge: Judge, answer: Answer) -> list[ClaimJudgement]:
    passages = {evidence.passage_id: evidence.text for evidence in answer.evidence}
    return [judge_claim(judge, claim, passages) for section in answer.sections for claim in section.claims]


@dataclass
class CitationReport:
    """What `evidex eval citations` prints."""

    library: Path
    pages: list[PageJudgement]
    seed: int = SEED
    preset: str = "default"
    notes: list[str] = field(default_factory=list)
    judge: str = JUDGE_NOTE

    @property
    def claims(self) -> list[ClaimJudgement]:
        return [claim for page in self.pages for claim in page.claims]

    def _share(self, part: int, whole: int) -> float:
        return part / whole if whole else 0.0

    @property
    def citation_recall(self) -> float:
        claims = self.claims
        return self._share(sum(c.supported for c in claims), len(claims))

    @property
    def citation_precision(self) -> float:
        claims = self.claims
        return self._share(sum(c.precise for c in claims), sum(c.citations for c in claims))

    @property
    def flagged_share(self) -> float:
        claims = self.claims
        return self._share(sum(c.flagged for c in claims), len(claims))

    @property
    def uncited_claims(self) -> int:
        return sum(c.citations < 1 for c in self.claims)

    def as_dict(self) -> dict[str, Any]:
        claims = self.claims
        by_source = {
            source: [p.question for p in self.pages if p.source == source]
            for source in dict.fromkeys(p.source for p in self.pages)
        }
        return {
            "library": str(self.library),
            "questions": len(self.pages),
            "questions_by_source": {source: len(questions) for source, questions in by_source.items()},
            "seed": self.seed,
            "preset": self.preset,
            "pages_with_claims": sum(bool(p.claims) for p in self.pages),
            "abstentions": sum(p.insufficient for p in self.pages),
            "unanswerable_questions": sum(p.error is not None for p in self.pages),
            "claims": len(claims),
            "citations": sum(c.citations for c in claims),
            "citation_recall": round(self.citation_recall, 4),
            "citation_precision": round(self.citation_precision, 4),
            "verbatim_claims": sum(c.verbatim for c in claims),
            "flagged_claims": sum(c.flagged for c in claims),
            "flagged_share": round(self.flagged_share, 4),
            "claims_without_citation": self.uncited_claims,
            "every_claim_cited": self.uncited_claims == 0,
            "judge": self.judge,
            "notes": list(self.notes),
        }

    def as_table(self) -> Table:
        data = self.as_dict()
        table = Table(
            title=f"citation quality: {data['questions']} questions (seed {self.seed}) on {self.library}",
            caption=self.judge,
        )
        table.add_column("measure")
        table.add_column("value", justify="right")
        table.add_row("pages with ≥ 1 claim", f"{data['pages_with_claims']} / {data['questions']}")
        table.add_row("abstentions (insufficient evidence)", str(data["abstentions"]))
        table.add_row("claims · citations", f"{data['claims']} · {data['citations']}")
        table.add_row("citation recall", f"{self.citation_recall:.3f}")
        table.add_row("citation precision", f"{self.citation_precision:.3f}")
        table.add_row("claims copied verbatim from a cited passage", str(data["verbatim_claims"]))
        table.add_row("claims flagged by the engine", f"{data['flagged_claims']} ({self.flagged_share:.1%})")
        table.add_row(
            "every claim cites ≥ 1 passage",
            "yes" if data["every_claim_cited"] else f"no ({self.uncited_claims} claims without)",
        )
        return table


def run_citation_eval(
    library: Library,
    questions: Sequence[tuple[str, str]],
    preset: str = "default",
    verifier: ClaimVerifier | None = None,
    progress: EvalProgress | None = None,
    llm: ChatModel | None = None,
    judge: Judge | None = None,
) -> CitationReport:
    """Answer each (source, question) with failed claims flagged and judge every claim's citations
    (by default with the engine's own verifier; see evaluation/judges.py)."""
    if not questions:
        raise EvalError("no questions to evaluate")
    engine = AnswerEngine(library, preset, failed_claims="flag", verifier=verifier, llm=llm)
    judge = judge or VerifierJudge(engine.verifier)
    pages: list[PageJudgement] = []
    if progress:
        progress.start("citations", len(questions))
    try:
        for source, question in questions:
            try:
                answer = engine.ask(question)
            except QuestionError as exc:
                pages.append(PageJudgement(question, source, insufficient=True, error=str(exc)))
            else:
                page = PageJudgement(question, source, insufficient=answer.insufficient)
                try:
                    page.claims = judge_page(judge, answer)
                except JudgeError as exc:
                    raise EvalError(
                        f"{exc}; check the judge model (--judge-model) or run with --judge verifier"
                    ) from exc
                pages.append(page)
            if progress:
                progress.advance(1)
    finally:
        if progress:
            progress.end()
    notes = list(engine.retriever.notes)
    return CitationReport(library=library.path, pages=pages, preset=preset, notes=notes, judge=judge.note)
