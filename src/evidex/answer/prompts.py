"""Every prompt Evidex sends to a language model, in one place, so they can be read and changed together.

The model sees only numbered passages and must cite them by number; the code, not the prompt, is what
keeps an uncited or unsupported sentence off the page (see answer/llm_composer.py).
"""

from __future__ import annotations

from evidex.models import Audience, QuestionAnalysis

COMPOSER_SYSTEM = (
    "You are a careful clinical evidence writer. You answer a clinician's question using ONLY the "
    "numbered evidence passages you are given. Rules:\n"
    "1. Every claim must be a single sentence that is directly stated in the passage(s) it cites.\n"
    "2. Cite passages by their numbers in the `citations` list; never cite a number that was not given.\n"
    "3. Copy every dose, interval, duration and percentage exactly as the passage states it.\n"
    "4. If the passages do not answer the question, say so in the bottom line and write no claims.\n"
    "5. Do not add knowledge from outside the passages. Answer in JSON matching the schema."
)

AUDIENCE_STYLE: dict[Audience, str] = {
    Audience.CLINICIAN: "Write for a clinician: precise, with doses and steps where the passages give them.",
    Audience.PATIENT: (
        "Write for a patient: plain words, short sentences (under 20 words), no jargon; "
        "keep the facts exactly as the passages state them."
    ),
    Audience.STUDENT: "Write for a medical student: precise, and name the key concepts the passages use.",
}


def composer_user(
    analysis: QuestionAnalysis, audience: Audience, passages: list[tuple[int, str, str]], headings: list[str]
) -> str:
    """The user turn: the question, who it is for, the headings to use and the numbered passages."""
    lines = [
        f"Question: {analysis.question}",
        AUDIENCE_STYLE[audience],
        "Group claims under these headings (use only those that fit): " + "; ".join(headings) + ".",
        "",
        "Evidence passages:",
    ]
    for number, source, text in passages:
        lines.append(f"[{number}] ({source}) {text}")
    lines += [
        "",
        "Return JSON: a bottom_line (one sentence answering the question, with citations) and sections "
        "of claims, each claim with the numbers of the passages that state it.",
    ]
    return "\n".join(lines)


def answer_schema(max_passage: int, headings: list[str]) -> dict[str, object]:
    """JSON schema of the composer's output; citation numbers are bounded to the passages given."""
    citations = {
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": max_passage},
        "minItems": 1,
        "maxItems": 3,
    }
    statement = {
        "type": "object",
        "properties": {"text": {"type": "string"}, "citations": citations},
        "required": ["text", "citations"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "bottom_line": statement,
            "sections": {
                "type": "array",
                "maxItems": len(headings),
                "items": {
                    "type": "object",
                    "properties": {
                        "heading": {"type": "string", "enum": headings},
                        "claims": {"type": "array", "items": statement, "minItems": 1, "maxItems": 4},
                    },
                    "required": ["heading", "claims"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["bottom_line", "sections"],
        "additionalProperties": False,
    }


MIRAGE_SYSTEM = (
    "You answer multiple-choice medical questions. Reply in JSON with the key of the single best option."
)


def mirage_user(question: str, options: dict[str, str], passages: list[str]) -> str:
    """A multiple-choice question, optionally preceded by numbered evidence passages (as in MedRAG)."""
    lines: list[str] = []
    if passages:
        lines.append("Relevant documents:")
        lines += [f"[{i}] {text}" for i, text in enumerate(passages, start=1)]
        lines.append("")
    lines.append(f"Question: {question}")
    lines += [f"{key}. {text}" for key, text in sorted(options.items())]
    lines.append("Answer with the option key.")
    return "\n".join(lines)
