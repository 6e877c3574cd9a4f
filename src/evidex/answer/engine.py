"""The answer engine: question → analyse → retrieve → select → compose → verify → Answer.

Verification runs on every claim whatever composer wrote it: a claim whose cited passage does not
support it, or whose numbers are not in the cited source, is dropped (or shown flagged, by setting),
and the answer reports how many were checked, kept and dropped. When the library holds too little
evidence the answer says so instead of guessing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from evidex.answer import audience as plain
from evidex.answer.analysis import analyse
from evidex.answer.extractive import candidates, pick
from evidex.answer.follow_ups import suggest
from evidex.answer.live import LiveOutcome, LiveSearch, mark_live
from evidex.answer.llm_composer import MAX_PASSAGES, ComposerFailed, Composition
from evidex.answer.llm_composer import compose as llm_compose
from evidex.answer.predicates import copular_predicate, speaks_to
from evidex.answer.select import Relevance, SelectedEvidence, select
from evidex.answer.verdict import Vote, decide, vote
from evidex.answer.verify import ClaimVerifier
from evidex.ingest.text_utils import split_sentences
from evidex.llm.protocol import ChatModel
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


@dataclass(frozen=True)
class Draft:
    """A statement some composer wrote, the evidence it cites, and the extractive role it fills."""

    heading: str
    text: str
    items: list[SelectedEvidence]
    role: str | None
    rewrite: bool = True  # patient pages put extractive sentences in plain words; the LLM already did


class AnswerEngine:
    """Answers questions from one library; keeps the retriever and verifier warm between questions."""

    def __init__(
        self,
        library: Library,
        preset: str = "default",
        failed_claims: Literal["drop", "flag"] = "drop",
        verifier: ClaimVerifier | None = None,
        live: LiveSearch | None = None,
        llm: ChatModel | None = None,
    ) -> None:
        self.library = library
        self.llm = llm
        self.retriever = Retriever(library, RetrievalSettings.preset(preset))
        self.failed_claims = failed_claims
        self._verifier = verifier
        self.live = live
        self.live_added = 0
        """Documents the last `ask` brought into the library by live search (callers recheck articles)."""

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
        self.live_added = 0
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
        drafts: list[Draft] | None = None
        composed: Composition | None = None
        failure = ""
        if self.llm is not None and evidence:
            try:
                composed = llm_compose(
                    self.llm,
                    analysis,
                    audience,
                    [item.hit for item in evidence],
                    on_progress=lambda n: report(f"composing: {n} tokens") if n % 25 == 0 else None,
                )
                given = evidence[:MAX_PASSAGES]
                drafts = [
                    Draft(d.heading, d.text, [given[n - 1] for n in d.passages], None, rewrite=False)
                    for d in composed.claims
                ]
            except ComposerFailed as exc:
                failure = f"the language model could not compose this answer ({exc}); extractive answer shown"
        if drafts is None:
            drafts = [
                Draft(c.heading, c.text, [c.evidence], c.role.value)
                for c in pick(candidates(analysis, evidence, audience, relevance))
            ]
        stage("compose")
        report("verifying")
        answer = self._page(analysis, audience, evidence, drafts, relevance, composed)
        if failure:
            answer.notes.append(failure)
        stage("verify")
        return answer

    def _live(self, analysis: QuestionAnalysis, report: Progress, stage: Progress) -> LiveOutcome:
        """Search PubMed and ingest what it finds (see answer/live.py)."""
        assert self.live is not None
        report("searching PubMed")
        outcome = self.live.run(self.library, analysis)
        self.live_added += outcome.added
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
        drafts: list[Draft],
        relevance: Relevance,
        composed: Composition | None = None,
    ) -> Answer:
        references: dict[str, Reference] = {}
        cited: dict[int, Evidence] = {}
        sections: dict[str, list[Claim]] = {}
        verification = Verification(method=self.verifier.method)
        if composed is not None:
            verification.dropped_reasons.extend(composed.rejected)
        for draft in drafts:
            checked = self._check(draft, audience, references, cited, verification)
            if checked is not None:
                sections.setdefault(draft.heading, []).append(checked)
        llm_bottom: str | None = None
        if composed is not None and composed.bottom_line is not None and sections:
            given = evidence[:MAX_PASSAGES]
            bottom = composed.bottom_line
            draft = Draft("", bottom.text, [given[n - 1] for n in bottom.passages], None, rewrite=False)
            checked = self._check(draft, audience, references, cited, None)
            if checked is not None and checked.verified:
                llm_bottom = f"{checked.text} [{', '.join(str(n) for n in checked.citations)}]"

        verdict, strength = None, None
        if analysis.is_yes_no:
            votes = self._votes(analysis, evidence, relevance)
            verdict, strength, _ = decide(votes, analysis.claim or analysis.question)
        if not sections:
            page = self._insufficient(analysis, audience, verification)
            page.notes = self._llm_notes(composed)
            return page

        section_list = [AnswerSection(heading=h, claims=c) for h, c in sections.items()]
        first = section_list[0].claims[0]
        bottom_line = llm_bottom or f"{first.text} [{first.citations[0]}]"
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
        covered = {draft.role for draft in drafts if draft.role is not None}
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
            notes=notes + self._llm_notes(composed),
            composer=f"llm:{composed.model}" if composed is not None else "extractive",
        )

    def _check(
        self,
        draft: Draft,
        audience: Audience,
        references: dict[str, Reference],
        cited: dict[int, Evidence],
        verification: Verification | None,
    ) -> Claim | None:
        """Verify one drafted statement against the passages it cites; None when it is dropped.

        Reference numbers are given in order of first use; a dropped statement's sources get none.
        With `verification` None (the LLM's bottom line) nothing is counted and a failure is always
        dropped, whatever `failed_claims` says.
        """
        text = draft.text
        if audience is Audience.PATIENT and draft.rewrite:
            text = plain.shorten(plain.plain_language(text))
        numbers: list[int] = []
        fresh: dict[str, tuple[int, SelectedEvidence]] = {}
        for item in draft.items:
            document_id = item.hit.document_id
            if document_id in references:
                number = references[document_id].number
            elif document_id in fresh:
                number = fresh[document_id][0]
            else:
                number = len(references) + len(fresh) + 1
                fresh[document_id] = (number, item)
            if number not in numbers:
                numbers.append(number)
        passage_ids = list(dict.fromkeys(item.hit.passage_id for item in draft.items))
        claim = Claim(text=text, citations=numbers, passage_ids=passage_ids)
        checked = self.verifier.verify(claim, {item.hit.passage_id: item.hit.text for item in draft.items})
        keep_flagged = verification is not None and self.failed_claims == "flag"
        if verification is not None:
            verification.checked += 1
            if checked.verified:
                verification.kept += 1
            else:
                reason = checked.flagged or "not supported by its cited passage"
                verification.dropped_reasons.append(f"{text[:80]}… — {reason}")
                if keep_flagged:
                    verification.flagged += 1
                else:
                    verification.dropped += 1
        if not checked.verified and not keep_flagged:
            return None
        for document_id, (number, item) in fresh.items():
            references[document_id] = self._reference(number, item)
        for item in draft.items:
            hit = item.hit
            number = references[hit.document_id].number
            cited.setdefault(
                hit.passage_id,
                Evidence(reference=number, passage_id=hit.passage_id, section=hit.section, text=hit.text),
            )
        return checked

    @staticmethod
    def _llm_notes(composed: Composition | None) -> list[str]:
        if composed is None:
            return []
        notes = [
            f"composed by the language model {composed.model} in {composed.seconds:.1f} s "
            f"({composed.prompt_tokens} prompt + {composed.completion_tokens} completion tokens); "
            "every statement was verified against the passages it cites"
        ]
        if composed.rejected:
            notes.append(f"{len(composed.rejected)} statement(s) rejected for citing passages not given")
        if composed.repaired:
            notes.append(
                f"{len(composed.repaired)} citation(s) corrected to the passage that states the sentence "
                "word for word"
            )
        return notes

    @staticmethod
    def _votes(
        analysis: QuestionAnalysis, evidence: list[SelectedEvidence], relevance: Relevance
    ) -> list[Vote]:
        """Stances of the sentences of the passages that are about the claim; for "Is X P?" claims only
        the sentences that speak to P. Evidence about something else does not vote.

        A passage is about the claim when it names the question's subject, covers at least half of
        its weighted terms, and either one of its sentences does both on its own or it holds every
        specific word of the question. Why passages: an abstract names its subject once and states
        its finding in another sentence ("The difference was not significant"), so a test of single
        sentences left most answerable questions without a vote; why the extra condition: a passage
        on IVIG for myasthenia covers most of "IVIG for HSV infection" without being about it."""
        claim = analysis.claim or analysis.question
        predicate = copular_predicate(claim)
        votes: list[Vote] = []
        for item in evidence:
            hit = item.hit
            text = f"{hit.title} {hit.text}"
            if relevance.coverage(text) < VOTE_COVERAGE or not relevance.mentions_subject(text):
                continue
            shares = [(sentence, relevance.coverage(sentence)) for sentence in _sentences(hit.text)]
            if not relevance.has_specific_terms(text) and not any(
                share >= VOTE_COVERAGE and relevance.mentions_subject(sentence) for sentence, share in shares
            ):
                continue
            for sentence, share in shares:
                if predicate is not None and not speaks_to(predicate, sentence):
                    continue  # "Is X curable?" is decided only by sentences about curing X
                votes.append(vote(claim, sentence, hit.kind, share, hit.document_id))
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
