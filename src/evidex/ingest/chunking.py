"""Cut documents into passages: the unit that is retrieved, cited and checked.

Sizes, and why:
- A document of at most ``WHOLE_DOCUMENT_CHARS`` (3,000 characters, a long abstract) stays one
  passage, its labelled parts joined ("BACKGROUND: ... RESULTS: ..."): an abstract is one argument
  and is judged whole by readers and by the PubMedQA/SciFact/BioASQ benchmarks.
- In longer documents each section is cut separately (a passage never spans two sections), at line
  and sentence boundaries, into passages of at most ``MAX_CHARS`` (1,200 characters, about 200
  words): one reading unit for a citation, and near the 256-token window of small sentence
  encoders. A section of up to ``MAX_CHARS`` stays whole; a lone sentence longer than that is cut
  at a word boundary rather than dropped. Lines are kept whole where they fit, so a guideline
  statement never loses the grade written at its end.
"""

from __future__ import annotations

from evidex.ingest.text_utils import split_sentences
from evidex.models import Document, Passage, Section

WHOLE_DOCUMENT_CHARS = 3000
MAX_CHARS = 1200


def _pieces(text: str) -> list[tuple[int, int]]:
    """Spans no longer than MAX_CHARS: whole lines where they fit, else sentences, else words."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in text.split("\n"):
        start, end = offset, offset + len(line)
        offset = end + 1
        if not line.strip():
            continue
        if len(line) <= MAX_CHARS:
            spans.append((start, end))
            continue
        for s, e in split_sentences(line):
            while e - s > MAX_CHARS:
                cut = line.rfind(" ", s, s + MAX_CHARS)
                cut = cut if cut > s else s + MAX_CHARS
                spans.append((start + s, start + cut))
                s = cut + 1 if line[cut : cut + 1] == " " else cut
            spans.append((start + s, start + e))
    return spans


def _pack(section: Section) -> list[tuple[int, int]]:
    """Greedily pack consecutive pieces into passages of at most MAX_CHARS."""
    packed: list[tuple[int, int]] = []
    for start, end in _pieces(section.text):
        if packed and end - packed[-1][0] <= MAX_CHARS:
            packed[-1] = (packed[-1][0], end)
        else:
            packed.append((start, end))
    return packed


def _whole(document: Document) -> Passage:
    sections = document.sections
    if len(sections) == 1:
        only = sections[0]
        return Passage(
            document_id=document.id,
            ordinal=0,
            section=only.label,
            text=only.text,
            start=only.start,
            end=only.start + len(only.text),
            page=only.page,
        )
    labels = {section.label for section in sections}
    text = "\n".join(
        section.text if len(labels) == 1 else f"{section.label}: {section.text}" for section in sections
    )
    label = sections[0].label if len(labels) == 1 else "ABSTRACT"
    return Passage(
        document_id=document.id,
        ordinal=0,
        section=label,
        text=text,
        start=0,
        end=len(text),
        page=sections[0].page,
    )


def split_document(document: Document) -> list[Passage]:
    """All passages of a document, in reading order, each tied to its section and offsets."""
    sections = [section for section in document.sections if section.text.strip()]
    if not sections:
        return []
    document = document.model_copy(update={"sections": sections})
    if sum(len(section.text) for section in sections) <= WHOLE_DOCUMENT_CHARS:
        return [_whole(document)]
    passages: list[Passage] = []
    for section in sections:
        for start, end in _pack(section):
            passages.append(
                Passage(
                    document_id=document.id,
                    ordinal=len(passages),
                    section=section.label,
                    text=section.text[start:end],
                    start=section.start + start,
                    end=section.start + end,
                    page=section.page,
                )
            )
    return passages
