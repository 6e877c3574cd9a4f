"""How well the cue-only evidence classifier (`grading.from_text`) agrees with indexers' labels.

Run from the repository root:

    .venv/bin/python bench/grading_agreement.py
    .venv/bin/python bench/grading_agreement.py --json

The shared data carries no PubMed publication types, so the main reference is the MeSH study-design
headings NLM indexers assign (`grading.from_mesh`: Double-Blind Method → randomized trial, Cohort
Studies → observational study, ...) on the PubMedQA abstracts that have one. The cue classifier sees
what the ingest gives it for those records: the stand-in title (first sentence) and the abstract
sections joined (PubMedQA abstracts come without their conclusion). A second, small row uses the
PubMed XML test fixtures, whose records carry real publication types
(`grading.from_publication_types`).

Caveat: MeSH design headings only ever say randomized trial or observational study, so every other
kind the cues produce counts as a disagreement on that row.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _metrics import add_data_dir_argument, table
from evidex.ingest import corpus_pubmedqa, pubmed_xml
from evidex.ingest.grading import from_mesh, from_publication_types, from_text
from evidex.models import Document, EvidenceKind

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FIXTURES = REPO_ROOT / "tests" / "fixtures" / "pubmed"
_SHORT = {
    EvidenceKind.GUIDELINE: "guideline",
    EvidenceKind.SYSTEMATIC_REVIEW: "sys_review",
    EvidenceKind.RANDOMIZED_TRIAL: "rct",
    EvidenceKind.OBSERVATIONAL_STUDY: "observ",
    EvidenceKind.CASE_REPORT: "case_rep",
    EvidenceKind.NARRATIVE_REVIEW: "narr_rev",
    EvidenceKind.CONSUMER_INFORMATION: "consumer",
    EvidenceKind.OTHER: "other",
}


@dataclass
class Agreement:
    """Reference-vs-cue pairs for one reference source."""

    name: str
    reference_basis: str
    records_read: int = 0
    pairs: list[tuple[EvidenceKind, EvidenceKind]] = field(default_factory=list)
    unlabelled_cues: Counter[EvidenceKind] = field(default_factory=Counter)

    def add(self, reference: EvidenceKind | None, cue: EvidenceKind) -> None:
        self.records_read += 1
        if reference is None:
            self.unlabelled_cues[cue] += 1
        else:
            self.pairs.append((reference, cue))

    @property
    def accuracy(self) -> float:
        return sum(r is c for r, c in self.pairs) / len(self.pairs) if self.pairs else 0.0

    def kinds(self) -> list[EvidenceKind]:
        seen = {k for pair in self.pairs for k in pair}
        return [k for k in EvidenceKind if k in seen]

    def per_kind(self) -> list[dict[str, Any]]:
        rows = []
        for kind in self.kinds():
            true_positive = sum(r is kind and c is kind for r, c in self.pairs)
            reference = sum(r is kind for r, _ in self.pairs)
            predicted = sum(c is kind for _, c in self.pairs)
            rows.append(
                {
                    "kind": kind.value,
                    "reference": reference,
                    "cue": predicted,
                    "agree": true_positive,
                    "precision": true_positive / predicted if predicted else None,
                    "recall": true_positive / reference if reference else None,
                }
            )
        return rows

    def confusion(self) -> dict[str, dict[str, int]]:
        counts = Counter(self.pairs)
        kinds = self.kinds()
        return {
            r.value: {c.value: counts[(r, c)] for c in kinds}
            for r in kinds
            if any(ref is r for ref, _ in self.pairs)
        }

    def trial_recall(self) -> dict[str, Any]:
        cues = Counter(c for r, c in self.pairs if r is EvidenceKind.RANDOMIZED_TRIAL)
        total = sum(cues.values())
        return {
            "reference_randomized_trial": total,
            "cue_says_trial": cues[EvidenceKind.RANDOMIZED_TRIAL],
            "share": cues[EvidenceKind.RANDOMIZED_TRIAL] / total if total else None,
            "cue_kinds": {k.value: n for k, n in cues.most_common()},
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "reference_basis": self.reference_basis,
            "records_read": self.records_read,
            "records_with_reference": len(self.pairs),
            "accuracy": self.accuracy,
            "per_kind": self.per_kind(),
            "confusion_reference_by_cue": self.confusion(),
            "randomized_trial": self.trial_recall(),
            "cue_kinds_without_reference": {k.value: n for k, n in self.unlabelled_cues.most_common()},
        }


def documents(items: Iterable[object]) -> Iterable[Document]:
    return (item for item in items if isinstance(item, Document))


def abstract_of(document: Document) -> str:
    """The abstract as `grading.grade` builds it: the sections joined by spaces."""
    return " ".join(section.text for section in document.sections)


def measure(
    name: str, basis: str, docs: Iterable[Document], reference: Callable[[Document], EvidenceKind | None]
) -> Agreement:
    result = Agreement(name, basis)
    for document in docs:
        result.add(reference(document), from_text(document.title, abstract_of(document)))
    return result


def pubmedqa_agreement(data_dir: Path) -> Agreement:
    path = data_dir / "corpus" / "pubmedqa_abstracts.jsonl"
    return measure(
        f"PubMedQA abstracts ({path.name})",
        "MeSH study-design headings (grading.from_mesh)",
        documents(corpus_pubmedqa.load(path)),
        lambda d: from_mesh(d.mesh_terms),
    )


def fixture_agreement(fixtures: Path) -> Agreement:
    docs: list[Document] = []
    for path in sorted(fixtures.glob("*.xml")):
        docs.extend(documents(pubmed_xml.load(path)))
    return measure(
        f"PubMed XML fixtures ({fixtures})",
        "PubMed publication types (grading.from_publication_types)",
        docs,
        lambda d: from_publication_types(d.publication_types),
    )


def _fmt(value: float | None) -> object:
    return "-" if value is None else value


def print_agreement(result: Agreement) -> None:
    data = result.as_dict()
    print(f"\n== {data['name']}")
    print(f"reference: {data['reference_basis']}")
    print(
        f"records read {data['records_read']:,}; with a reference label {data['records_with_reference']:,}; "
        f"overall agreement (accuracy) {data['accuracy']:.4f}"
    )
    if not result.pairs:
        return
    print(
        table(
            ["kind", "reference n", "cue n", "agree", "precision", "recall"],
            [
                [r["kind"], r["reference"], r["cue"], r["agree"], _fmt(r["precision"]), _fmt(r["recall"])]
                for r in data["per_kind"]
            ],
            title="\nper kind (precision = agree / cue n; recall = agree / reference n)",
        )
    )
    kinds = result.kinds()
    confusion = data["confusion_reference_by_cue"]
    rows: list[list[object]] = []
    for ref_kind, by_cue in confusion.items():
        row: list[object] = [ref_kind]
        row.extend(by_cue[k.value] for k in kinds)
        row.append(sum(by_cue.values()))
        rows.append(row)
    print(
        table(
            ["reference \\ cue", *(_SHORT[k] for k in kinds), "total"],
            rows,
            title="\nconfusion: reference kind (rows) × cue kind (columns)",
        )
    )
    trial = data["randomized_trial"]
    if trial["reference_randomized_trial"]:
        print(
            f"\nreference randomized_trial: {trial['reference_randomized_trial']}; cues say trial "
            f"{trial['cue_says_trial']} ({trial['share']:.1%}); all cue kinds: {trial['cue_kinds']}"
        )
    if result.unlabelled_cues:
        print(f"cue kinds on records without a reference label: {data['cue_kinds_without_reference']}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    add_data_dir_argument(parser)
    parser.add_argument(
        "--fixtures",
        type=Path,
        default=DEFAULT_FIXTURES,
        help="folder of PubMed XML files with publication types (default: %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    args = parser.parse_args(argv)

    results = [pubmedqa_agreement(args.data_dir)]
    if args.fixtures.is_dir():
        results.append(fixture_agreement(args.fixtures))
    if args.json:
        json.dump({"results": [r.as_dict() for r in results]}, sys.stdout, indent=2)
        print()
        return 0
    print(
        table(
            ["reference", "records", "labelled", "accuracy", "rct→cue rct"],
            [
                [
                    r.reference_basis.split(" (")[0],
                    r.records_read,
                    len(r.pairs),
                    r.accuracy,
                    _fmt(r.trial_recall()["share"]),
                ]
                for r in results
            ],
            title="Cue-only classifier (grading.from_text) vs indexer labels",
        )
    )
    for result in results:
        print_agreement(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
