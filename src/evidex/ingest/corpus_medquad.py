"""MedQuAD consumer-health answers from NIH sites (shared sample corpus): one Document per answer."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

from evidex.ingest.records import LoadItem, Rejected, read_lines
from evidex.ingest.text_utils import normalize_space
from evidex.models import Document, EvidenceKind, Section

PUBLISHERS: dict[str, str] = {
    "CancerGov": "National Cancer Institute (cancer.gov)",
    "GARD": "Genetic and Rare Diseases Information Center (NIH)",
    "GHR": "Genetics Home Reference (NLM)",
    "MedlinePlus": "MedlinePlus (NLM)",
    "NIDDK": "National Institute of Diabetes and Digestive and Kidney Diseases",
    "NINDS": "National Institute of Neurological Disorders and Stroke",
    "NIHSeniorHealth": "NIHSeniorHealth (NIH)",
    "NHLBI": "National Heart, Lung, and Blood Institute",
    "CDC": "Centers for Disease Control and Prevention",
}


def _clean_question(question: str) -> str:
    """'What is (are) Adult ALL ?' reads better as 'What is (are) Adult ALL?'."""
    return normalize_space(question).replace(" ?", "?")


def medquad_id(qid: str, collection: str, question: str) -> str:
    """MedQuAD reuses a qid for several questions of one page, so the question is part of the id."""
    digest = hashlib.sha1(f"{collection}|{question}".encode()).hexdigest()[:8]
    return f"medquad:{qid}:{digest}"


def load(path: Path) -> Iterator[LoadItem]:
    """Question becomes the title and the answer the text; all are consumer information by source."""
    for number, line in read_lines(path):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            qid = str(record["qid"]).strip()
            question = _clean_question(str(record["question"]))
            answer = normalize_space(str(record["answer"] or ""))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            yield Rejected(str(path), number, f"not a MedQuAD record ({exc})")
            continue
        if not qid or not answer:
            yield Rejected(str(path), number, "record has no qid or an empty answer")
            continue
        source_site = str(record.get("source") or "")
        yield Document(
            id=medquad_id(qid, str(record.get("collection") or ""), question),
            title=question,
            publisher=PUBLISHERS.get(source_site, source_site or None),
            url=record.get("url") or None,
            licence="CC BY 4.0 (MedQuAD)",
            source="medquad",
            kind=EvidenceKind.CONSUMER_INFORMATION,
            sections=[Section(label="Answer", text=answer)],
            extra={key: str(record[key]) for key in ("focus", "qtype", "collection") if record.get(key)},
        )
