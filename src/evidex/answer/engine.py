"""The answer engine: question → analyse → retrieve → select → compose → verify → Answer.

Verification runs on every claim whatever composer wrote it: a claim whose cited passage does not
support it, or whose numbers are not in the cited source, is dropped (or shown flagged, by setting),
and the answer reports how many were checked, kept and dropped. When the library holds too little
evidence the answer says so instead of guessing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from evidex.answer import audience as plain
from evidex.answer.analysis import analyse
from evidex.answer.extractive import Candidate, candidates, pick
from evidex.answer.follow_ups import suggest
from evidex.answer.live import LiveOutcome, LiveSearch, mark_live
from evidex.answer.select import Relevance, SelectedEvidence, select
from evidex.answer.stance import stance_score
from evidex.answer.verdict import Vote, decide
from evidex.answer.verify import ClaimVerifier
from evidex.ingest.text_utils import split_sentences
from evidex.models import (
    Answer,
    AnswerSection,
    Audience,
    Claim,
    Evidence,
    QuestionAnalysis,
    Reference,
    Verdict,
    Verification,
)
from evidex.search.retriever import Retriever
from evidex.search.settings import RetrievalSettings
from evidex.store.library import Library

INSUFFICIENT = "The library holds too little evidence to answer this question."
CLOSEST_EVIDENCE = "Closest evidence in the library (not a direct answer)"
RETRIEVE_K = 30
VOTE_COVERAGE = 0.5

Progress = Callable[[str], None]


class AnswerEngine:
    """Answers questions from one library; keeps the retriever and verifier warm between questions."""

    def __init__(
        self,
        library: Library,
        preset: str = "default",
        failed_claims: Literal["drop", "flag"] = "drop",
        verifier: ClaimVerifier | None = None,
        live: LiveSearch | None = None,
    ) -> None:
        self.library = library
        self.retriever = Retriever(library, RetrievalSettings.preset(preset))
        self.failed_claims = failed_claims
        self._verifier = verifier
        self.live = live

    @property
    def verifier(self) -> ClaimVerifier:
        if self._verifier is None:
            self._verifier = ClaimVerifier()
        return self._verifier

    def ask(
        self,
        question: str,
        audience: Audience = Audience.CLINICIAN,
        previous: QuestionAnalysis | None = None,
        progress: Progress | None = None,
    ) -> Answer:
        """A complete answer page; raises QuestionError for an empty or absurd question."""
        timings: dict[str, float] = {}
        clock = time.perf_counter()

        def stage(name: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            timings[name] = round((now - clock) * 1000, 1)
            clock = now

        report = progress or (lambda _stage: None)
        report("analysing")
        analysis = analyse(question, previous)
        stage("analyse")
        live_notes: list[str] = []
        if self.live is not None and self.live.before_retrieval:
            live_notes = self._live(analysis, report, stage).notes
        answer = self._compose(analysis, audience, report, stage)
        if self.live is not None and self.live.after_retrieval(answer.insufficient):
            outcome = self._live(analysis, report, stage)
            live_notes = outcome.notes
            if outcome.changed:
                answer = self._compose(analysis, audience, report, stage)
        answer.timings_ms = timings
        answer.notes = [*self.retriever.notes, *answer.notes, *live_notes]
        if self.live is not None:
            mark_live(self.library, answer.references)
        answer.created_at = datetime.now(UTC).isoformat(timespec="seconds")
        return answer

    def _compose(
        self, analysis: QuestionAnalysis, audience: Audience, report: Progress, stage: Progress
    ) -> Answer:
        """Retrieve → select → compose → verify: the page from what the library holds now."""
        report("retrieving")
        hits = self.retriever.search(analysis.search_query, k=RETRIEVE_K)
        stage("retrieve")
        relevance = Relevance(analysis.question, analysis.entities, self.library.lexical)
        evidence = select(relevance, hits, audience)
        report("composing")
        chosen = pick(candidates(analysis, evidence, audience, relevance))
        stage("compose")
        report("verifying")
        answer = self._page(analysis, audience, evidence, chosen, relevance)
        stage("verify")
        return answer

    def _live(self, analysis: QuestionAnalysis, report: Progress, stage: Progress) -> LiveOutcome:
        """Search PubMed and ingest what it finds (see answer/live.py)."""
        assert self.live is not None
        report("searching PubMed")
        outcome = self.live.run(self.library, analysis)
        if outcome.embedded:
            # the dense index is loaded once per retriever: a fresh one sees the new vectors
            self.retriever = Retriever(self.library, self.retriever.settings)
        stage("live_search")
        return outcome

    # -- building the page ----------------------------------------------------------------------

    def _page(
        self,
        analysis: QuestionAnalysis,
        audience: Audience,
        evidence: list[SelectedEvidence],
        chosen: list[Candidate],
        relevance: Relevance,
    ) -> Answer:
        references: dict[str, Reference] = {}
        cited: dict[int, Evidence] = {}
        sections: dict[str, list[Claim]] = {}
        verification = Verification(method=self.verifier.method)
        for candidate in chosen:
            hit = candidate.evidence.hit
            text = candidate.text
            if audience is Audience.PATIENT:
                text = plain.shorten(plain.plain_language(text))
            reference = references.get(hit.document_id)
            number = reference.number if reference else len(references) + 1
            claim = Claim(text=text, citations=[number], passage_ids=[hit.passage_id])
            checked = self.verifier.verify(claim, {hit.passage_id: hit.text})
            verification.checked += 1
            if not checked.verified:
                reason = checked.flagged or "not supported by its cited passage"
                verification.dropped_reasons.append(f"{text[:80]}… — {reason}")
                if self.failed_claims == "drop":
                    verification.dropped += 1
                    continue
                verification.flagged += 1
            else:
                verification.kept += 1
            if reference is None:
                references[hit.document_id] = self._reference(number, candidate.evidence)
            cited.setdefault(
                hit.passage_id,
                Evidence(reference=number, passage_id=hit.passage_id, section=hit.section, text=hit.text),
            )
            sections.setdefault(candidate.heading, []).append(checked)

        verdict, strength = None, None
        if analysis.is_yes_no:
            votes = self._votes(analysis, evidence, relevance)
            verdict, strength, _ = decide(votes)
        if not sections:
            return self._insufficient(analysis, audience, verification)

        section_list = [AnswerSection(heading=h, claims=c) for h, c in sections.items()]
        first = section_list[0].claims[0]
        bottom_line = f"{first.text} [{first.citations[0]}]"
        if verdict is Verdict.INSUFFICIENT:
            # nothing here answers the question: one plainly labelled list, never "Recommended treatment"
            claims = [claim for section in section_list for claim in section.claims]
            section_list = [AnswerSection(heading=CLOSEST_EVIDENCE, claims=claims)]
            subject = analysis.entities[0] if analysis.entities else "this question"
            bottom_line = (
                f"No passage in the library speaks directly to {subject} here; "
                "the closest evidence it holds is listed below, each statement with its source."
            )
        headline = self._headline(analysis, verdict)
        notes: list[str] = []
        if audience is Audience.PATIENT:
            notes.append(plain.TALK_TO_YOUR_DOCTOR)
        if audience is Audience.STUDENT:
            notes.extend(
                f"Key term — {term}: {meaning}"
                for term, meaning in plain.define_terms(
                    " ".join(c.text for s in section_list for c in s.claims)
                )
            )
        body = " ".join(claim.text for section in section_list for claim in section.claims)
        covered = {candidate.role.value for candidate in chosen}
        return Answer(
            question=analysis.question,
            audience=audience,
            analysis=analysis,
            headline=headline,
            bottom_line=bottom_line,
            verdict=verdict,
            strength=strength,
            sections=section_list,
            references=sorted(references.values(), key=lambda r: r.number),
            evidence=sorted(cited.values(), key=lambda e: (e.reference, e.passage_id)),
            follow_ups=suggest(analysis, covered, []),
            verification=verification,
            reading_grade=round(plain.flesch_kincaid_grade(body), 1) if body else None,
            notes=notes,
        )

    @staticmethod
    def _votes(
        analysis: QuestionAnalysis, evidence: list[SelectedEvidence], relevance: Relevance
    ) -> list[Vote]:
        """Stances of the sentences that are about the claim: they name its subject and cover at
        least half of the question's weighted terms. Evidence about something else does not vote."""
        claim = analysis.claim or analysis.question
        votes: list[Vote] = []
        for item in evidence:
            for sentence in _sentences(item.hit.text):
                share = relevance.coverage(sentence)
                if share < VOTE_COVERAGE or not relevance.mentions_subject(sentence):
                    continue
                votes.append(Vote(stance_score(claim, sentence), item.hit.kind, share, item.hit.document_id))
        return votes

    @staticmethod
    def _reference(number: int, item: SelectedEvidence) -> Reference:
        hit = item.hit
        return Reference(
            number=number,
            document_id=hit.document_id,
            title=hit.title,
            source_label=hit.source_label,
            year=hit.year,
            kind=hit.kind,
            kind_label=hit.kind.label,
            url=hit.url,
            retracted=hit.retracted,
        )

    @staticmethod
    def _headline(analysis: QuestionAnalysis, verdict: Verdict | None) -> str:
        claim = (analysis.claim or analysis.question).rstrip(".?")
        if verdict is Verdict.YES:
            return f"Yes — the evidence supports this: {claim}."
        if verdict is Verdict.NO:
            return f"No — the evidence does not support this: {claim}."
        if verdict is Verdict.INSUFFICIENT:
            lowered = _lower_first(claim)
            return f"Insufficient evidence — the library holds no direct evidence on whether {lowered}."
        if verdict is Verdict.UNCERTAIN:
            return f"Uncertain — the evidence is mixed or indirect on whether {_lower_first(claim)}."
        topic = ", ".join(analysis.entities[:3]) or analysis.question.rstrip("?")
        kind = analysis.question_type.value.replace("_", " ").capitalize()
        return f"{kind}: what the evidence says on {topic}"

    @staticmethod
    def _insufficient(analysis: QuestionAnalysis, audience: Audience, verification: Verification) -> Answer:
        return Answer(
            question=analysis.question,
            audience=audience,
            analysis=analysis,
            headline=INSUFFICIENT,
            bottom_line=(
                f"No passage in the library states an answer to this question (searched for: "
                f"{analysis.search_query}). Add evidence on the topic, or ask in other words."
            ),
            verdict=Verdict.INSUFFICIENT,
            verification=verification,
        )


def _lower_first(text: str) -> str:
    """Lower-case the first letter for use mid-sentence, but leave acronyms (IVIG, HSV) alone."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _sentences(text: str) -> list[str]:
    flat = text.replace("\n", " ")
    return [flat[s:e] for s, e in split_sentences(flat)]
