"""Fit the yes/no verdict model on BioASQ and measure it on PubMedQA, which it never sees.

Run from the repository root:

    .venv/bin/python bench/verdict_calibration.py            # tables and the constants to paste
    .venv/bin/python bench/verdict_calibration.py --json     # machine-readable

Fit set: BioASQ dev yes/no questions (`eval/bioasq/dev.jsonl`) with their gold snippets; every
sentence of the snippets is evidence, as in `evidex eval qa --mode contexts`. The four cues of
`evidex.answer.verdict.FEATURES` feed a logistic regression (mean log loss + l2·|w|², scipy). It is
measured three ways: 10-fold cross-validation on BioASQ (folds by crc32 of the question id), the
model fitted on all of BioASQ in-sample, and PubMedQA dev (500 questions, yes/no/maybe, held out)
with the model's uncertain band. Paste the printed WEIGHTS and BIAS into src/evidex/answer/verdict.py
to adopt them; `evidex eval qa` then reports the same PubMedQA figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from _metrics import Array, add_data_dir_argument, fit_logistic, machine, table
from evidex.answer import verdict
from evidex.answer.stance import signals
from evidex.evaluation.qa import QaItem, context_votes, load_bioasq_yesno, load_pubmedqa

FOLDS = 10


def feature_rows(items: list[QaItem]) -> tuple[Array, list[bool]]:
    """Feature matrix (one row per question, from the votes `evidex eval qa --mode contexts` counts)
    and whether each question's claim is negated."""
    rows: list[tuple[float, ...]] = []
    negated: list[bool] = []
    for item in items:
        claim, votes = context_votes(item.question, item.contexts, item.id)
        rows.append(verdict.features(claim, votes))
        negated.append(signals(claim).negated)
    return np.array(rows, dtype=np.float64), negated


def probabilities(weights: Array, x: Array, negated: list[bool]) -> Array:
    p: Array = 1.0 / (1.0 + np.exp(-(weights[0] + x @ weights[1:])))
    flip = np.array(negated, dtype=bool)
    p[flip] = 1.0 - p[flip]
    return p


def labels(p: Array, band: float) -> list[str]:
    return ["yes" if v >= 0.5 + band else "no" if v <= 0.5 - band else "maybe" for v in p]


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_data_dir_argument(parser)
    parser.add_argument("--l2", type=float, default=1e-5, help="L2 penalty on the weights (default 1e-5)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args(argv)

    bioasq = load_bioasq_yesno(args.data_dir / "eval" / "bioasq" / "dev.jsonl")
    pubmedqa = load_pubmedqa(args.data_dir / "eval" / "pubmedqa" / "dev.jsonl")
    xb, negated_b = feature_rows(bioasq)
    yb = np.array([item.gold == "yes" for item in bioasq], dtype=np.float64)
    gold_b = [item.gold for item in bioasq]

    folds = np.array([zlib.crc32(item.id.encode()) % FOLDS for item in bioasq])
    out_of_fold = np.zeros(len(bioasq))
    for fold in range(FOLDS):
        test = folds == fold
        weights = fit_logistic(xb[~test], yb[~test], args.l2)
        out_of_fold[test] = probabilities(
            weights, xb[test], [n for n, t in zip(negated_b, test, strict=True) if t]
        )
    weights = fit_logistic(xb, yb, args.l2)

    xp, negated_p = feature_rows(pubmedqa)
    gold_p = [item.gold for item in pubmedqa]
    p_pubmedqa = probabilities(weights, xp, negated_p)
    predicted_p = labels(p_pubmedqa, verdict.UNCERTAIN_BAND)
    confusion = {
        g: dict(Counter(p for gg, p in zip(gold_p, predicted_p, strict=True) if gg == g))
        for g in ("yes", "no", "maybe")
    }

    result: dict[str, Any] = {
        "machine": machine(),
        "features": list(verdict.FEATURES),
        "weights": [round(float(w), 4) for w in weights[1:]],
        "bias": round(float(weights[0]), 4),
        "uncertain_band": verdict.UNCERTAIN_BAND,
        "bioasq": {
            "questions": len(bioasq),
            "always_yes": round(float(yb.mean()), 4),
            "cross_validated_accuracy": round(accuracy(gold_b, labels(out_of_fold, 0.0)), 4),
            "cross_validated_accuracy_with_band": round(
                accuracy(gold_b, labels(out_of_fold, verdict.UNCERTAIN_BAND)), 4
            ),
            "in_sample_accuracy": round(
                accuracy(gold_b, labels(probabilities(weights, xb, negated_b), 0.0)), 4
            ),
        },
        "pubmedqa_held_out": {
            "questions": len(pubmedqa),
            "always_yes": round(gold_p.count("yes") / len(gold_p), 4),
            "accuracy": round(accuracy(gold_p, predicted_p), 4),
            "accuracy_without_band": round(accuracy(gold_p, labels(p_pubmedqa, 0.0)), 4),
            "confusion": confusion,
        },
    }
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
        return 0
    b, p = result["bioasq"], result["pubmedqa_held_out"]
    print(
        table(
            ["set", "n", "accuracy", "always yes"],
            [
                ["BioASQ yes/no, 10-fold CV", b["questions"], b["cross_validated_accuracy"], b["always_yes"]],
                [
                    "BioASQ yes/no, CV, with band",
                    b["questions"],
                    b["cross_validated_accuracy_with_band"],
                    b["always_yes"],
                ],
                ["BioASQ yes/no, in-sample", b["questions"], b["in_sample_accuracy"], b["always_yes"]],
                ["PubMedQA dev (held out)", p["questions"], p["accuracy"], p["always_yes"]],
                ["PubMedQA dev, without band", p["questions"], p["accuracy_without_band"], p["always_yes"]],
            ],
            title="Verdict model: fitted on BioASQ yes/no gold snippets",
        )
    )
    print(f"PubMedQA confusion (gold → predicted): {json.dumps(confusion)}")
    print("\nPaste into src/evidex/answer/verdict.py:")
    print(f"WEIGHTS = ({', '.join(f'{w:.4f}' for w in weights[1:])})")
    print(f"BIAS = {weights[0]:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
