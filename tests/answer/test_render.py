"""Renderers: every format shows the same page, cites every bullet, escapes content and never goes blank."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from rich.console import Console

from evidex.answer.render import (
    INSUFFICIENT_MESSAGE,
    render_html,
    render_json,
    render_markdown,
    render_terminal,
    verification_summary,
)
from evidex.models import (
    DISCLAIMER,
    Answer,
    AnswerSection,
    Audience,
    Claim,
    Evidence,
    EvidenceKind,
    QuestionAnalysis,
    QuestionType,
    Reference,
    Strength,
    Verdict,
    Verification,
)

PASSAGE_1 = "IVIG did not improve outcomes in HSV infection in immunocompromised hosts."
PASSAGE_2 = "Acyclovir 5 mg/kg IV every 8 hours is first-line therapy for severe HSV."
PASSAGE_3 = "Foscarnet is reserved for acyclovir-resistant HSV."


def _refs() -> list[Reference]:
    return [
        Reference(
            number=1,
            document_id="ngc:1",
            title="Guidelines for the prevention and treatment of opportunistic infections",
            source_label="CDC",
            year=2020,
            kind=EvidenceKind.GUIDELINE,
            kind_label="Guideline",
            url="https://example.org/guideline",
        ),
        Reference(
            number=2,
            document_id="pmid:2",
            title="Antiviral therapy for HSV: a systematic review.",
            source_label="Cochrane Database Syst Rev",
            year=2018,
            kind=EvidenceKind.SYSTEMATIC_REVIEW,
            kind_label="Systematic review",
            url="https://pubmed.ncbi.nlm.nih.gov/2/",
        ),
        Reference(
            number=3,
            document_id="pmid:3",
            title="IVIG in severe HSV: a randomized trial",
            source_label="Lancet",
            year=2011,
            kind=EvidenceKind.RANDOMIZED_TRIAL,
            kind_label="Trial",
            url="javascript:alert(1)",
            retracted=True,
        ),
    ]


def _analysis(question: str, *, yes_no: bool = True) -> QuestionAnalysis:
    return QuestionAnalysis(
        question=question,
        question_type=QuestionType.YES_NO if yes_no else QuestionType.THERAPY,
        is_yes_no=yes_no,
        entities=["IVIG", "HSV", "immunocompromised"],
        claim="IVIG is first-line therapy for HSV" if yes_no else None,
        search_query="IVIG first-line therapy HSV immunocompromised",
    )


QUESTION = "Should IVIG be used as first-line therapy for HSV in severely immunocompromised patients?"


@pytest.fixture
def clinician() -> Answer:
    """A yes/no clinician answer: two sections, three references (one retracted), one flagged claim."""
    return Answer(
        question=QUESTION,
        analysis=_analysis(QUESTION),
        headline="No — IVIG is not first-line therapy for HSV",
        bottom_line="Use IV acyclovir first; IVIG has no proven benefit for HSV.",
        verdict=Verdict.NO,
        strength=Strength.MODERATE,
        sections=[
            AnswerSection(
                heading="First-line treatment",
                claims=[
                    Claim(
                        text="Give IV acyclovir 5 mg/kg every 8 hours.", citations=[1, 2], passage_ids=[20]
                    ),
                    Claim(
                        text="IVIG did not improve outcomes.", citations=[3], passage_ids=[30], verified=True
                    ),
                ],
            ),
            AnswerSection(
                heading="When alternatives may be considered",
                claims=[
                    Claim(
                        text="Foscarnet is reserved for resistant HSV.",
                        citations=[2],
                        passage_ids=[21],
                        flagged="low support (0.41)",
                    )
                ],
            ),
        ],
        references=_refs(),
        evidence=[
            Evidence(reference=1, passage_id=10, section="Recommendations", text=PASSAGE_2),
            Evidence(reference=2, passage_id=20, section="Results", text=PASSAGE_2),
            Evidence(reference=2, passage_id=21, section="Discussion", text=PASSAGE_3),
            Evidence(reference=3, passage_id=30, section="Abstract", text=PASSAGE_1),
        ],
        follow_ups=["What is the dose of acyclovir in renal impairment?"],
        verification=Verification(checked=12, kept=11, dropped=1),
        reading_grade=13.4,
        notes=["dense search off: no embedding model installed"],
        timings_ms={"retrieve": 120.4, "compose": 3.25},
    )


@pytest.fixture
def patient() -> Answer:
    return Answer(
        question="Is it safe to take ibuprofen while pregnant?",
        audience=Audience.PATIENT,
        analysis=_analysis("Is it safe to take ibuprofen while pregnant?"),
        headline="Avoid ibuprofen later in pregnancy",
        bottom_line="Ask your doctor before taking ibuprofen when pregnant.",
        verdict=Verdict.UNCERTAIN,
        strength=Strength.LOW,
        sections=[
            AnswerSection(
                heading="What you should know",
                claims=[Claim(text="Ibuprofen can harm the baby after 20 weeks.", citations=[1])],
            )
        ],
        references=[
            Reference(
                number=1,
                document_id="medlineplus:1",
                title="Pain relievers and pregnancy",
                source_label="MedlinePlus",
                kind=EvidenceKind.CONSUMER_INFORMATION,
                kind_label="Consumer information",
            )
        ],
        verification=Verification(checked=1, kept=1),
        reading_grade=6.2,
    )


@pytest.fixture
def insufficient() -> Answer:
    q = "Does zinc cure tinnitus?"
    return Answer(
        question=q,
        analysis=QuestionAnalysis(
            question=q,
            question_type=QuestionType.YES_NO,
            is_yes_no=True,
            entities=["zinc", "tinnitus"],
            search_query="zinc tinnitus",
        ),
        headline="Not enough evidence",
        bottom_line="",
        verdict=Verdict.INSUFFICIENT,
    )


def _all_formats(answer: Answer) -> list[str]:
    console = Console(record=True, width=80)
    render_terminal(answer, console)
    return [render_markdown(answer), render_json(answer), render_html(answer), console.export_text()]


def _terminal(answer: Answer) -> str:
    console = Console(record=True, width=80)
    render_terminal(answer, console)
    return console.export_text()


# ------------------------------------------------------------------------------------------- shared


def test_verification_summary_wording() -> None:
    assert (
        verification_summary(Verification(checked=12, kept=11, dropped=1))
        == "12 claims checked against their cited passages: 11 kept, 1 dropped"
    )
    assert verification_summary(Verification(checked=1, kept=1)).startswith("1 claim checked against its")
    assert verification_summary(Verification(checked=3, kept=2, flagged=1, method="nli")).endswith(
        "2 kept, 0 dropped, 1 shown flagged (method: nli)"
    )
    assert verification_summary(Verification()) == "No claims were checked against cited passages."


@pytest.mark.parametrize("name", ["clinician", "patient", "insufficient"])
def test_disclaimer_in_every_format(name: str, request: pytest.FixtureRequest) -> None:
    answer: Answer = request.getfixturevalue(name)
    for text in _all_formats(answer):
        assert "Educational purpose only" in text
    md, js, page, term = _all_formats(answer)
    assert DISCLAIMER in md
    assert json.loads(js)["disclaimer"] == DISCLAIMER
    assert DISCLAIMER in page
    assert " ".join(DISCLAIMER.split()) in " ".join(term.split())


# ----------------------------------------------------------------------------------------- markdown


def test_markdown_page_layout(clinician: Answer) -> None:
    md = render_markdown(clinician)
    lines = md.splitlines()
    assert lines[0] == "> **Educational purpose only** — not medical advice."
    assert "# No — IVIG is not first-line therapy for HSV" in lines
    assert "**Verdict: No** · **Evidence strength: Moderate** · Written for clinicians" in lines
    assert "**Bottom line:** Use IV acyclovir first; IVIG has no proven benefit for HSV." in lines
    assert "## First-line treatment" in lines
    assert "## When alternatives may be considered" in lines
    assert "- Give IV acyclovir 5 mg/kg every 8 hours. [1][2]" in lines
    assert "- _(unverified: low support (0.41))_ Foscarnet is reserved for resistant HSV. [2]" in lines
    assert "## Suggested follow-up questions" in lines
    assert "- What is the dose of acyclovir in renal impairment?" in lines
    assert "**Verification:** 12 claims checked against their cited passages: 11 kept, 1 dropped." in lines
    assert "**Reading grade:** 13.4" in lines
    assert "- dense search off: no embedding model installed" in lines
    assert "**Timings:** retrieve 120 ms · compose 3.2 ms" in lines
    assert INSUFFICIENT_MESSAGE not in md
    # order: verdict before sections before references before follow-ups before disclaimer
    order = ["**Verdict", "## First-line", "## References", "## Suggested", "**Verification", "> Educational"]
    positions = [md.index(marker) for marker in order]
    assert positions == sorted(positions)


def test_markdown_every_bullet_ends_with_citations(clinician: Answer) -> None:
    md = render_markdown(clinician)
    body = md[md.index("## First-line") : md.index("## References")]
    bullets = [line for line in body.splitlines() if line.startswith("- ")]
    assert len(bullets) == 3
    assert all(re.search(r" (\[\d+\])+$", b) for b in bullets)


def test_markdown_references(clinician: Answer) -> None:
    md = render_markdown(clinician)
    refs = [line for line in md[md.index("## References") :].splitlines() if line.startswith("- **[")]
    assert refs == [
        "- **[1]** Guidelines for the prevention and treatment of opportunistic infections. CDC, 2020. "
        "`Guideline` <https://example.org/guideline>",
        "- **[2]** Antiviral therapy for HSV: a systematic review. Cochrane Database Syst Rev, 2018. "
        "`Systematic review` <https://pubmed.ncbi.nlm.nih.gov/2/>",
        # the javascript: link is dropped, the retraction is loud
        "- **[3]** **RETRACTED** IVIG in severe HSV: a randomized trial. Lancet, 2011. `Trial`",
    ]


def test_markdown_escapes_content(clinician: Answer) -> None:
    clinician.sections[0].claims[0].text = "Dose <b>*high*</b> [9]"
    md = render_markdown(clinician)
    assert "- Dose \\<b\\>\\*high\\*\\</b\\> \\[9\\] [1][2]" in md.splitlines()


def test_markdown_patient(patient: Answer) -> None:
    md = render_markdown(patient)
    assert "**Verdict: Uncertain** · **Evidence strength: Low** · Written for patients" in md
    assert "- **[1]** Pain relievers and pregnancy. MedlinePlus. `Consumer information`" in md
    assert "**Reading grade:** 6.2" in md
    assert "- Ibuprofen can harm the baby after 20 weeks. [1]" in md


def test_markdown_insufficient(insufficient: Answer) -> None:
    md = render_markdown(insufficient)
    assert f"**{INSUFFICIENT_MESSAGE}**" in md.splitlines()
    assert "**Verdict: Insufficient evidence** · Written for clinicians" in md
    assert "## What was searched" in md
    assert "- **Search query:** zinc tinnitus" in md
    assert "- **Key terms:** zinc, tinnitus" in md
    assert "- **Sources found:** 0" in md
    assert "## References" not in md


def test_no_sections_is_insufficient_even_with_a_verdict(clinician: Answer) -> None:
    clinician.sections = []
    assert INSUFFICIENT_MESSAGE in render_markdown(clinician)
    assert INSUFFICIENT_MESSAGE in render_html(clinician)
    assert INSUFFICIENT_MESSAGE in _terminal(clinician)


# --------------------------------------------------------------------------------------------- json


def test_json_round_trips(clinician: Answer) -> None:
    js = render_json(clinician)
    assert Answer.model_validate_json(js) == clinician
    assert js.startswith('{\n  "schema_version": "1.0"')


# --------------------------------------------------------------------------------------------- html


class _Structure(HTMLParser):
    """Collects tags, attributes and checks nesting so tests can assert structure rather than text."""

    VOID = frozenset({"br", "hr", "img", "meta", "link", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.roots: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.stack:
            self.roots.append(tag)
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"misnested </{tag}> in {self.stack}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if data.strip() and not self.stack:
            raise AssertionError(f"text outside the root: {data!r}")
        self.text.append(data)


def _parse(page: str) -> _Structure:
    parser = _Structure()
    parser.feed(page)
    parser.close()
    assert parser.stack == []
    return parser


def test_html_is_one_article_fragment(clinician: Answer) -> None:
    page = render_html(clinician)
    parsed = _parse(page)
    assert parsed.roots == ["article"]
    assert parsed.tags[0] == ("article", {"class": "evidex-answer evidex-audience-clinician", "lang": "en"})
    names = {tag for tag, _ in parsed.tags}
    assert {"header", "section", "h1", "h2", "ul", "li", "ol", "sup", "footer"} <= names
    assert not names & {"html", "head", "body", "script", "style", "link", "img", "iframe"}
    assert "<h2>First-line treatment</h2>" in page
    assert '<span class="evidex-verdict evidex-verdict-no">Verdict: No</span>' in page
    assert '<span class="evidex-strength evidex-strength-moderate">Evidence strength: Moderate</span>' in page
    assert "12 claims checked against their cited passages: 11 kept, 1 dropped" in page
    assert "Reading grade: 13.4" in page
    assert '<li class="evidex-note">dense search off: no embedding model installed</li>' in page
    assert '<p class="evidex-banner" role="note"><strong>Educational purpose only</strong>' in page


def test_html_citations_carry_passages(clinician: Answer) -> None:
    parsed = _parse(render_html(clinician))
    claims = [attrs for tag, attrs in parsed.tags if tag == "li" and "evidex-claim" in (attrs["class"] or "")]
    assert len(claims) == 3
    cites = [
        attrs for tag, attrs in parsed.tags if tag == "a" and (attrs.get("class") or "").startswith("cite")
    ]
    assert [c["href"] for c in cites] == ["#ref-1", "#ref-2", "#ref-3", "#ref-2"]
    # claim 1 cites passage 20 under ref 2; ref 1 has no matching id so it falls back to its own evidence
    assert cites[0]["data-passage"] == f"Recommendations: {PASSAGE_2}"
    assert cites[1]["title"] == f"Results: {PASSAGE_2}"
    assert cites[2]["data-passage"] == f"Abstract: {PASSAGE_1}"
    assert cites[2]["class"] == "cite cite-retracted"
    assert cites[3]["title"] == f"Discussion: {PASSAGE_3}"


def test_html_every_claim_has_a_citation(clinician: Answer) -> None:
    page = render_html(clinician)
    items = re.findall(r'<li class="evidex-claim[^"]*">.*?</li>', page)
    assert len(items) == 3
    assert all(re.search(r"(<sup><a href=\"#ref-\d+\"[^>]*>\d+</a></sup>)+</li>$", item) for item in items)
    assert (
        '<li class="evidex-claim evidex-claim-flagged"><span class="evidex-flag">'
        "unverified: low support (0.41)</span> Foscarnet is reserved for resistant HSV.<sup>" in page
    )
    assert '<li class="evidex-claim evidex-claim-verified">IVIG did not improve outcomes.<sup>' in page


def test_html_references(clinician: Answer) -> None:
    page = render_html(clinician)
    parsed = _parse(page)
    refs = [attrs for tag, attrs in parsed.tags if tag == "li" and attrs.get("id", "").startswith("ref-")]  # type: ignore[union-attr]
    assert [r["id"] for r in refs] == ["ref-1", "ref-2", "ref-3"]
    assert [r["value"] for r in refs] == ["1", "2", "3"]
    assert refs[2]["class"] == "evidex-reference evidex-reference-retracted"
    assert '<span class="evidex-badge evidex-kind evidex-kind-guideline">Guideline</span>' in page
    assert (
        '<span class="evidex-badge evidex-kind evidex-kind-systematic-review">Systematic review</span>'
        in page
    )
    assert '<span class="evidex-badge evidex-kind evidex-kind-randomized-trial">Trial</span>' in page
    assert '<span class="evidex-badge evidex-retracted">RETRACTED</span>' in page
    assert '<span class="evidex-ref-source">Cochrane Database Syst Rev</span>' in page
    assert '<span class="evidex-ref-year">2018</span>' in page
    assert 'href="https://example.org/guideline" rel="noopener noreferrer"' in page
    assert "javascript:" not in page


def test_html_escapes_malicious_content(clinician: Answer) -> None:
    evil = '<script>alert("x")</script>'
    clinician.headline = evil
    clinician.references[0].title = evil
    clinician.references[0].source_label = '"><img src=x onerror=alert(1)>'
    clinician.sections[0].heading = evil
    clinician.sections[0].claims[0].text = evil
    clinician.evidence[0] = clinician.evidence[0].model_copy(update={"text": '" onmouseover="alert(1)'})
    clinician.follow_ups = [evil]
    clinician.notes = [evil]
    page = render_html(clinician)
    assert "<script" not in page.lower()
    assert "<img" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    parsed = _parse(page)
    assert all(not key.startswith("on") for _, attrs in parsed.tags for key in attrs)
    assert evil in "".join(parsed.text)


def test_html_size_for_30_claims(clinician: Answer) -> None:
    long_passage = "Acyclovir remains the treatment of choice for severe HSV disease. " * 20
    clinician.evidence = [
        Evidence(reference=n, passage_id=100 + n, section="Results", text=long_passage) for n in (1, 2, 3)
    ]
    clinician.sections = [
        AnswerSection(
            heading=f"Section {s}",
            claims=[
                Claim(
                    text=f"Claim {s}-{c}: acyclovir dosing should be adjusted to renal function in adults.",
                    citations=[1, 2, 3],
                    passage_ids=[101, 102, 103],
                )
                for c in range(6)
            ],
        )
        for s in range(5)
    ]
    page = render_html(clinician)
    assert page.count('class="evidex-claim"') == 30
    assert len(page.encode("utf-8")) < 100_000


def test_html_patient_and_insufficient(patient: Answer, insufficient: Answer) -> None:
    page = render_html(patient)
    assert page.startswith('<article class="evidex-answer evidex-audience-patient"')
    assert (
        '<span class="evidex-badge evidex-kind evidex-kind-consumer-information">Consumer information</span>'
        in page
    )
    assert "Written for patients" in page
    empty = render_html(insufficient)
    _parse(empty)
    assert f"<strong>{INSUFFICIENT_MESSAGE}</strong>" in empty
    assert "<dt>Search query</dt><dd>zinc tinnitus</dd>" in empty
    assert '<span class="evidex-verdict evidex-verdict-insufficient-evidence">' in empty
    assert 'class="evidex-section"' not in empty


# ----------------------------------------------------------------------------------------- terminal


def test_terminal_page(clinician: Answer) -> None:
    text = _terminal(clinician)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "No — IVIG is not first-line therapy for HSV" in text
    assert "Verdict: No" in text
    assert "Evidence strength: Moderate" in text
    assert "Give IV acyclovir 5 mg/kg every 8 hours. [1][2]" in text
    assert "[1]" in text
    assert "[3]" in text
    assert "RETRACTED" in text
    assert "unverified: low support (0.41)" in text
    for label in ("Guideline", "Systematic review", "Trial"):
        assert f" {label} " in text
    assert "12 claims checked against their cited passages: 11 kept, 1 dropped" in text
    assert "Note: dense search off: no embedding model installed" in text
    assert "What is the dose of acyclovir in renal impairment?" in text
    assert "javascript:" not in text
    assert INSUFFICIENT_MESSAGE not in text


def test_terminal_does_not_interpret_markup(clinician: Answer) -> None:
    clinician.headline = "[bold red]loud[/bold red] headline"
    clinician.references[0].title = "[link=https://evil]click[/link]"
    text = _terminal(clinician)
    assert "[bold red]loud[/bold red] headline" in text
    assert "[link=https://evil]click[/link]" in text


def test_terminal_patient(patient: Answer) -> None:
    text = _terminal(patient)
    assert "Written for patients" in text
    assert "Ibuprofen can harm the baby after 20 weeks. [1]" in text
    assert " Consumer information " in text
    assert "Reading grade: 6.2" in text


def test_terminal_insufficient(insufficient: Answer) -> None:
    text = _terminal(insufficient)
    assert "Not enough evidence" in text
    assert INSUFFICIENT_MESSAGE in text
    assert "What was searched" in text
    assert "Search query: zinc tinnitus" in text
    assert "Educational purpose only" in text
