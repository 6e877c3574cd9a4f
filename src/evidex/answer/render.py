"""Renderers for an answer page: Markdown, JSON, an HTML fragment and a rich terminal page.

Every format shows the same page in the same order (banner, headline, verdict and strength, bottom line,
sections of cited bullets, typed references, follow-ups, verification, notes, timings, disclaimer), so a
reader who checks a claim in one format finds it in the same place in another. Content comes from sources
we do not control, so each format escapes it: HTML with `html.escape`, Markdown with backslashes, and the
terminal builds `rich.text.Text` objects (or escapes markup) so a title like "[bold]" stays literal.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable

from rich.console import Console, Group, RenderableType
from rich.markup import escape as rich_escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from evidex.models import (
    Answer,
    Audience,
    Claim,
    EvidenceKind,
    Reference,
    Strength,
    Verdict,
    Verification,
)

__all__ = [
    "BANNER",
    "INSUFFICIENT_MESSAGE",
    "render_html",
    "render_json",
    "render_markdown",
    "render_terminal",
    "verification_summary",
]

INSUFFICIENT_MESSAGE = "The library holds too little evidence to answer this question."
BANNER = "Educational purpose only"
BANNER_DETAIL = "not medical advice."
PASSAGE_ATTR_LIMIT = 400
"""Cited passages ride in attributes of every citation; capping them keeps a long page small."""

_VERDICT_LABELS: dict[Verdict, str] = {
    Verdict.YES: "Yes",
    Verdict.NO: "No",
    Verdict.UNCERTAIN: "Uncertain",
    Verdict.INSUFFICIENT: "Insufficient evidence",
}
_STRENGTH_LABELS: dict[Strength, str] = {
    Strength.HIGH: "High",
    Strength.MODERATE: "Moderate",
    Strength.LOW: "Low",
    Strength.VERY_LOW: "Very low",
}
_AUDIENCE_LABELS: dict[Audience, str] = {
    Audience.CLINICIAN: "Written for clinicians",
    Audience.PATIENT: "Written for patients",
    Audience.STUDENT: "Written for students",
}
_VERDICT_STYLES: dict[Verdict, str] = {
    Verdict.YES: "bold green",
    Verdict.NO: "bold red",
    Verdict.UNCERTAIN: "bold yellow",
    Verdict.INSUFFICIENT: "bold magenta",
}
_STRENGTH_STYLES: dict[Strength, str] = {
    Strength.HIGH: "bold green",
    Strength.MODERATE: "bold cyan",
    Strength.LOW: "bold yellow",
    Strength.VERY_LOW: "bold red",
}
_KIND_STYLES: dict[EvidenceKind, str] = {
    EvidenceKind.GUIDELINE: "bold white on dark_green",
    EvidenceKind.SYSTEMATIC_REVIEW: "bold white on blue",
    EvidenceKind.RANDOMIZED_TRIAL: "bold white on dark_cyan",
    EvidenceKind.CONSUMER_INFORMATION: "bold black on bright_yellow",
}
_KIND_STYLE_DEFAULT = "bold white on grey37"


# ------------------------------------------------------------------------------------ shared text


def verdict_label(verdict: Verdict) -> str:
    """Capitalised verdict as a reader expects it ("Yes", "Insufficient evidence")."""
    return _VERDICT_LABELS[verdict]


def strength_label(strength: Strength) -> str:
    """Capitalised evidence strength ("Very low")."""
    return _STRENGTH_LABELS[strength]


def audience_label(audience: Audience) -> str:
    """Who the page is written for, phrased for the reader rather than as an enum value."""
    return _AUDIENCE_LABELS[audience]


def kind_label(reference: Reference) -> str:
    """The badge text; falls back to the kind's own label when the composer left it empty."""
    return reference.kind_label or reference.kind.label


def verification_summary(verification: Verification) -> str:
    """One line telling the reader how many claims survived checking against their cited passages."""
    checked = verification.checked
    if checked == 0:
        return "No claims were checked against cited passages."
    noun = "claim" if checked == 1 else "claims"
    pronoun = "its" if checked == 1 else "their"
    line = (
        f"{checked} {noun} checked against {pronoun} cited passages: "
        f"{verification.kept} kept, {verification.dropped} dropped"
    )
    if verification.flagged:
        line += f", {verification.flagged} shown flagged"
    if verification.method:
        line += f" (method: {verification.method})"
    return line


def _ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"


def timings_summary(timings: dict[str, float]) -> str:
    """Stage timings in pipeline order, so slow stages are visible on the page itself."""
    return " · ".join(f"{stage} {_ms(ms)}" for stage, ms in timings.items())


def searched_items(answer: Answer) -> list[tuple[str, str]]:
    """What the engine looked for, shown when it could not answer so the reader can rephrase."""
    analysis = answer.analysis
    items: list[tuple[str, str]] = [
        ("Question type", analysis.question_type.value.replace("_", "/")),
        ("Search query", analysis.search_query),
    ]
    if analysis.entities:
        items.append(("Key terms", ", ".join(analysis.entities)))
    if analysis.claim:
        items.append(("Claim tested", analysis.claim))
    items.append(("Sources found", str(len(answer.references))))
    return items


def _one_line(text: str) -> str:
    """Collapse whitespace: passages keep source line breaks that would break a bullet or attribute."""
    return " ".join(text.split())


def _shorten(text: str, limit: int) -> str:
    text = _one_line(text)
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def safe_url(url: str | None) -> str | None:
    """Only http(s) links: a `javascript:` URL stays dangerous even when escaped."""
    if url and re.match(r"^https?://[^\s<>\"']+$", url.strip(), re.IGNORECASE):
        return url.strip()
    return None


def _ends(text: str) -> str:
    """Title with a closing full stop, without doubling one the source already has."""
    text = _one_line(text)
    return text if text.endswith((".", "?", "!")) else text + "."


def _source_bits(reference: Reference) -> list[str]:
    bits = [reference.source_label] if reference.source_label else []
    if reference.year is not None:
        bits.append(str(reference.year))
    return bits


def cited_passage(answer: Answer, claim: Claim, number: int) -> str:
    """Text of the passage(s) a claim cites under reference `number`, for hover and checking.

    Prefers the claim's own passage ids; falls back to any evidence of that reference so the hover is never
    empty when the composer did not record passage ids.
    """
    pool = [e for e in answer.evidence if e.reference == number]
    chosen = [e for e in pool if e.passage_id in claim.passage_ids] or pool
    return " … ".join(f"{e.section}: {_one_line(e.text)}" if e.section else _one_line(e.text) for e in chosen)


def live_label(reference: Reference) -> str | None:
    """The line marking a source that a live PubMed search brought into the library, with the date."""
    if not reference.live_fetched_at:
        return None
    return f"found by live PubMed search on {reference.live_fetched_at[:10]}"


def _retracted_numbers(answer: Answer) -> set[int]:
    return {r.number for r in answer.references if r.retracted}


# --------------------------------------------------------------------------------------- markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def _md(text: str) -> str:
    """Escape Markdown syntax so source text cannot fake citations, links or raw HTML."""
    return _MD_SPECIAL.sub(r"\\\1", _one_line(text))


def _md_cites(citations: Iterable[int]) -> str:
    return "".join(f"[{n}]" for n in citations)


def _md_claim(claim: Claim) -> str:
    flag = f"_(unverified: {_md(claim.flagged)})_ " if claim.flagged is not None else ""
    cites = _md_cites(claim.citations)
    return f"- {flag}{_md(claim.text)}" + (f" {cites}" if cites else "")


def _md_reference(reference: Reference) -> str:
    parts = [f"- **[{reference.number}]**"]
    if reference.retracted:
        parts.append("**RETRACTED**")
    parts.append(_md(_ends(reference.title)))
    bits = _source_bits(reference)
    if bits:
        parts.append(_md(_ends(", ".join(bits))))
    parts.append(f"`{kind_label(reference)}`")
    url = safe_url(reference.url)
    if url:
        parts.append(f"<{url}>")
    live = live_label(reference)
    if live:
        parts.append(f"_({_md(live)})_")
    return " ".join(parts)


def render_markdown(answer: Answer) -> str:
    """The page as Markdown, for the CLI, files and chat tools; citations read as [1][3] on every bullet."""
    out: list[str] = [f"> **{BANNER}** — {BANNER_DETAIL}", "", f"# {_md(answer.headline)}", ""]
    out += [f"**Question:** {_md(answer.question)}", ""]
    facts: list[str] = []
    if answer.verdict is not None:
        facts.append(f"**Verdict: {verdict_label(answer.verdict)}**")
    if answer.strength is not None:
        facts.append(f"**Evidence strength: {strength_label(answer.strength)}**")
    facts.append(audience_label(answer.audience))
    out += [" · ".join(facts), ""]
    if answer.insufficient:
        out += [f"**{INSUFFICIENT_MESSAGE}**", ""]
    if answer.bottom_line:
        out += [f"**Bottom line:** {_md(answer.bottom_line)}", ""]
    for section in answer.sections:
        out += [f"## {_md(section.heading)}", ""]
        out += [_md_claim(claim) for claim in section.claims]
        out.append("")
    if answer.insufficient:
        out += ["## What was searched", ""]
        out += [f"- **{label}:** {_md(value)}" for label, value in searched_items(answer)]
        out.append("")
    if answer.references:
        out += ["## References", ""]
        out += [_md_reference(r) for r in answer.references]
        out.append("")
    if answer.follow_ups:
        out += ["## Suggested follow-up questions", ""]
        out += [f"- {_md(q)}" for q in answer.follow_ups]
        out.append("")
    out += ["---", "", f"**Verification:** {_md(verification_summary(answer.verification))}.", ""]
    if answer.reading_grade is not None:
        out += [f"**Reading grade:** {answer.reading_grade:.1f}", ""]
    if answer.notes:
        out += ["**Notes:**", ""]
        out += [f"- {_md(note)}" for note in answer.notes]
        out.append("")
    if answer.timings_ms:
        out += [f"**Timings:** {_md(timings_summary(answer.timings_ms))}", ""]
    out += [f"> {_md(answer.disclaimer)}", ""]
    return "\n".join(out)


# ------------------------------------------------------------------------------------------- json


def render_json(answer: Answer) -> str:
    """The versioned Answer schema as JSON, for the API and `--json`; nothing is lost or reshaped."""
    return answer.model_dump_json(indent=2)


# ------------------------------------------------------------------------------------------- html


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _html_cite(answer: Answer, claim: Claim, number: int, retracted: set[int]) -> str:
    passage = _e(_shorten(cited_passage(answer, claim, number), PASSAGE_ATTR_LIMIT))
    cls = "cite cite-retracted" if number in retracted else "cite"
    return (
        f'<sup><a href="#ref-{number}" class="{cls}" title="{passage}" data-ref="{number}" '
        f'data-passage="{passage}" aria-label="Reference {number}">{number}</a></sup>'
    )


def _html_claim(answer: Answer, claim: Claim, retracted: set[int]) -> str:
    classes = ["evidex-claim"]
    flag = ""
    if claim.flagged is not None:
        classes.append("evidex-claim-flagged")
        flag = f'<span class="evidex-flag">unverified: {_e(claim.flagged)}</span> '
    elif claim.verified:
        classes.append("evidex-claim-verified")
    cites = "".join(_html_cite(answer, claim, n, retracted) for n in claim.citations)
    return f'<li class="{" ".join(classes)}">{flag}{_e(_one_line(claim.text))}{cites}</li>'


def _html_reference(
    reference: Reference, document_href: Callable[[str], str] | None = None, passage_id: int | None = None
) -> str:
    classes = "evidex-reference evidex-reference-retracted" if reference.retracted else "evidex-reference"
    parts: list[str] = []
    if reference.retracted:
        parts.append('<span class="evidex-badge evidex-retracted">RETRACTED</span>')
    parts.append(f'<cite class="evidex-ref-title">{_e(_ends(reference.title))}</cite>')
    if reference.source_label:
        parts.append(f'<span class="evidex-ref-source">{_e(reference.source_label)}</span>')
    if reference.year is not None:
        parts.append(f'<span class="evidex-ref-year">{reference.year}</span>')
    kind = _e(kind_label(reference))
    parts.append(
        f'<span class="evidex-badge evidex-kind evidex-kind-{_slug(reference.kind.value)}">{kind}</span>'
    )
    url = safe_url(reference.url)
    if url:
        parts.append(f'<a class="evidex-ref-link" href="{_e(url)}" rel="noopener noreferrer">{_e(url)}</a>')
    live = live_label(reference)
    if live:
        parts.append(f'<span class="evidex-ref-live">{_e(live)}</span>')
    if document_href is not None:
        anchor = f"#p-{passage_id}" if passage_id is not None else ""
        href = _e(document_href(reference.document_id) + anchor)
        parts.append(f'<a class="evidex-ref-document" href="{href}">Cited passages</a>')
    return (
        f'<li id="ref-{reference.number}" value="{reference.number}" class="{classes}">{" ".join(parts)}</li>'
    )


def render_html(
    answer: Answer,
    document_href: Callable[[str], str] | None = None,
    follow_ups: bool = True,
) -> str:
    """The page as one escaped HTML fragment (`<article class="evidex-answer">`) for the web app.

    No scripts, styles or external resources: the host page styles it through class names, and hovering a
    citation shows its passage through the plain `title` attribute, which also works when printed to PDF.
    `document_href` maps a document id to the host's page for it (a "Cited passages" link on each
    reference, anchored at its first cited passage, `#p-<passage id>`); `follow_ups=False` leaves the
    suggestions to the host, which renders them as buttons.
    """
    retracted = _retracted_numbers(answer)
    audience = _slug(answer.audience.value)
    out: list[str] = [f'<article class="evidex-answer evidex-audience-{audience}" lang="en">']
    out.append(f'<p class="evidex-banner" role="note"><strong>{BANNER}</strong> — {BANNER_DETAIL}</p>')
    out.append('<header class="evidex-header">')
    out.append(f'<p class="evidex-question">{_e(answer.question)}</p>')
    out.append(f'<h1 class="evidex-headline">{_e(answer.headline)}</h1>')
    facts: list[str] = []
    if answer.verdict is not None:
        slug = _slug(answer.verdict.value)
        label = _e(verdict_label(answer.verdict))
        facts.append(f'<span class="evidex-verdict evidex-verdict-{slug}">Verdict: {label}</span>')
    if answer.strength is not None:
        slug = _slug(answer.strength.value)
        label = _e(strength_label(answer.strength))
        facts.append(
            f'<span class="evidex-strength evidex-strength-{slug}">Evidence strength: {label}</span>'
        )
    facts.append(f'<span class="evidex-audience">{_e(audience_label(answer.audience))}</span>')
    out.append(f'<p class="evidex-facts">{" ".join(facts)}</p>')
    if answer.bottom_line:
        out.append(
            f'<p class="evidex-bottom-line"><strong>Bottom line:</strong> {_e(answer.bottom_line)}</p>'
        )
    out.append("</header>")
    if answer.insufficient:
        out.append('<section class="evidex-insufficient">')
        out.append(f'<p class="evidex-insufficient-message"><strong>{INSUFFICIENT_MESSAGE}</strong></p>')
        out.append("<h2>What was searched</h2>")
        out.append('<dl class="evidex-searched">')
        out += [f"<dt>{_e(label)}</dt><dd>{_e(value)}</dd>" for label, value in searched_items(answer)]
        out.append("</dl>")
        out.append("</section>")
    for section in answer.sections:
        out.append(f'<section class="evidex-section"><h2>{_e(section.heading)}</h2>')
        out.append('<ul class="evidex-claims">')
        out += [_html_claim(answer, claim, retracted) for claim in section.claims]
        out.append("</ul></section>")
    if answer.references:
        out.append('<section class="evidex-references"><h2>References</h2>')
        out.append('<ol class="evidex-reference-list">')
        first_passage: dict[int, int] = {}
        for evidence in answer.evidence:
            first_passage.setdefault(evidence.reference, evidence.passage_id)
        out += [_html_reference(r, document_href, first_passage.get(r.number)) for r in answer.references]
        out.append("</ol></section>")
    if answer.follow_ups and follow_ups:
        out.append('<section class="evidex-follow-ups"><h2>Suggested follow-up questions</h2><ul>')
        out += [f'<li class="evidex-follow-up">{_e(q)}</li>' for q in answer.follow_ups]
        out.append("</ul></section>")
    out.append('<footer class="evidex-footer">')
    out.append(f'<p class="evidex-verification">{_e(verification_summary(answer.verification))}</p>')
    if answer.reading_grade is not None:
        out.append(f'<p class="evidex-reading-grade">Reading grade: {answer.reading_grade:.1f}</p>')
    if answer.notes:
        out.append('<ul class="evidex-notes">')
        out += [f'<li class="evidex-note">{_e(note)}</li>' for note in answer.notes]
        out.append("</ul>")
    if answer.timings_ms:
        out.append(f'<p class="evidex-timings">Timings: {_e(timings_summary(answer.timings_ms))}</p>')
    out.append(f'<p class="evidex-disclaimer">{_e(answer.disclaimer)}</p>')
    out.append("</footer>")
    out.append("</article>")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------- terminal


def _badge(reference: Reference) -> Text:
    style = _KIND_STYLES.get(reference.kind, _KIND_STYLE_DEFAULT)
    return Text(f" {kind_label(reference)} ", style=style)


def _bullets(rows: Iterable[Text], marker: str = "•") -> Table:
    """A two-column grid gives bullets a hanging indent, so wrapped lines stay readable at 80 columns."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for row in rows:
        grid.add_row(Text(f" {marker}", style="dim"), row)
    return grid


def _term_claim(claim: Claim, retracted: set[int]) -> Text:
    line = Text()
    if claim.flagged is not None:
        line.append(f"unverified: {claim.flagged}", style="bold yellow reverse")
        line.append(" ")
    line.append(_one_line(claim.text))
    if claim.citations:
        line.append(" ")
    for n in claim.citations:
        line.append(f"[{n}]", style="bold red" if n in retracted else "cyan")
    return line


def _term_reference(reference: Reference) -> Text:
    line = Text()
    if reference.retracted:
        line.append("RETRACTED", style="bold white on red")
        line.append(" ")
    line.append(_ends(reference.title), style="bold")
    bits = _source_bits(reference)
    if bits:
        line.append("\n" + ", ".join(bits), style="italic")
        line.append(" ")
    else:
        line.append("\n")
    line.append_text(_badge(reference))
    url = safe_url(reference.url)
    if url:
        line.append("\n" + url, style="dim underline")
    live = live_label(reference)
    if live:
        line.append("\n" + live, style="italic green")
    return line


def _heading(console: Console, title: str) -> None:
    console.print()
    console.rule(Text(title, style="bold"), align="left", style="dim")


def render_terminal(answer: Answer, console: Console) -> None:
    """Print the page with rich: verdict in a panel, cited bullets, badged references, dim disclaimer.

    All content goes through `Text` objects (never parsed as markup), so source text such as "[bold]" is
    printed literally rather than restyling the page.
    """
    retracted = _retracted_numbers(answer)
    console.print(Text(f"{BANNER} — {BANNER_DETAIL}", style="bold yellow"))

    head: list[RenderableType] = [Text(answer.question, style="dim"), Text(answer.headline, style="bold")]
    facts = Text()
    if answer.verdict is not None:
        facts.append("Verdict: ")
        facts.append(verdict_label(answer.verdict), style=_VERDICT_STYLES[answer.verdict])
        facts.append("   ")
    if answer.strength is not None:
        facts.append("Evidence strength: ")
        facts.append(strength_label(answer.strength), style=_STRENGTH_STYLES[answer.strength])
        facts.append("   ")
    facts.append(audience_label(answer.audience), style="dim")
    head.append(facts)
    if answer.insufficient:
        head.append(Text(INSUFFICIENT_MESSAGE, style="bold magenta"))
    border = _VERDICT_STYLES[answer.verdict].split()[-1] if answer.verdict is not None else "blue"
    console.print(
        Panel(Group(*head), title=rich_escape("Evidex answer"), title_align="left", border_style=border)
    )

    if answer.bottom_line:
        bottom = Text("Bottom line: ", style="bold")
        bottom.append(_one_line(answer.bottom_line))
        console.print(bottom)

    for section in answer.sections:
        _heading(console, section.heading)
        console.print(_bullets(_term_claim(claim, retracted) for claim in section.claims))

    if answer.insufficient:
        _heading(console, "What was searched")
        rows = []
        for label, value in searched_items(answer):
            row = Text(f"{label}: ", style="bold")
            row.append(_one_line(value))
            rows.append(row)
        console.print(_bullets(rows))

    if answer.references:
        _heading(console, "References")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True, justify="right")
        grid.add_column(overflow="fold")
        for reference in answer.references:
            number_style = "bold red" if reference.retracted else "cyan"
            grid.add_row(Text(f"[{reference.number}]", style=number_style), _term_reference(reference))
        console.print(grid)

    if answer.follow_ups:
        _heading(console, "Suggested follow-up questions")
        console.print(_bullets(Text(_one_line(q)) for q in answer.follow_ups))

    console.print()
    footer = [verification_summary(answer.verification)]
    if answer.reading_grade is not None:
        footer.append(f"Reading grade: {answer.reading_grade:.1f}")
    footer += [f"Note: {_one_line(note)}" for note in answer.notes]
    if answer.timings_ms:
        footer.append(f"Timings: {timings_summary(answer.timings_ms)}")
    for line in footer:
        console.print(Text(line, style="dim"))
    console.print()
    console.print(Text(_one_line(answer.disclaimer), style="dim italic"))
