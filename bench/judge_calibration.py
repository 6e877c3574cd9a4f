"""How good is a citation judge? Measure it on SciFact claim–evidence pairs before trusting its figures.

Run from the repository root:

    .venv/bin/python bench/judge_calibration.py --judge-model qwen2.5-coder-1.5b-q4_k_m.gguf --pairs 60
    .venv/bin/python bench/judge_calibration.py --judge verifier --pairs 200 --json

Pairs (seeded shuffle of SciFact train claims with evidence): "support" = a SUPPORT claim with its
rationale sentences (the judge should say yes), "contradict" = a CONTRADICT claim with its rationale
sentences (no), "random" = a SUPPORT claim with the first two sentences of a random abstract (no).
Reported: accuracy, precision and recall of "yes" (support), the share of "yes" per group and the
seconds per pair. `evidex eval citations --judge llm` uses the same prompt (evaluation/judges.py).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _metrics import add_data_dir_argument, load_scifact_claims, machine, table
from evidex.answer.verify import ClaimVerifier
from evidex.evaluation.judges import Judge, LlmJudge, VerifierJudge
from evidex.llm.bundled import bundled_model_path
from evidex.llm.llamacpp_local import LocalLlamaClient

GROUPS = ("support", "contradict", "random")


def pairs(data_dir: Path, count: int, seed: int = 5) -> list[tuple[str, str, str]]:
    """(claim, evidence, group) triples, shuffled with `seed`, the first `count`."""
    rows, corpus = load_scifact_claims(data_dir)
    rng = random.Random(seed)
    ids = list(corpus)
    found: list[tuple[str, str, str]] = []
    for row in rows:
        if row["evidence_label"] not in ("SUPPORT", "CONTRADICT"):
            continue
        sentences = corpus[str(row["evidence_doc_id"])]["metadata"]["sentences"]
        evidence = " ".join(sentences[i] for i in row["evidence_sentences"])
        if row["evidence_label"] == "SUPPORT":
            found.append((row["claim"], evidence, "support"))
            other = corpus[rng.choice(ids)]["metadata"]["sentences"]
            found.append((row["claim"], " ".join(other[:2]), "random"))
        else:
            found.append((row["claim"], evidence, "contradict"))
    rng.shuffle(found)
    return found[:count]


def measure(judge: Judge, triples: list[tuple[str, str, str]]) -> dict[str, Any]:
    said_yes: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    started = time.perf_counter()
    for claim, evidence, group in triples:
        totals[group] += 1
        said_yes[group] += judge.supports(claim, [evidence])
    seconds = time.perf_counter() - started
    yes = sum(said_yes.values())
    true_yes = said_yes["support"]
    correct = true_yes + sum(totals[g] - said_yes[g] for g in ("contradict", "random"))
    return {
        "judge": judge.name,
        "pairs": len(triples),
        "accuracy": round(correct / len(triples), 4) if triples else 0.0,
        "precision_yes": round(true_yes / yes, 4) if yes else 0.0,
        "recall_yes": round(true_yes / totals["support"], 4) if totals["support"] else 0.0,
        "yes_share": {g: round(said_yes[g] / totals[g], 4) if totals[g] else None for g in GROUPS},
        "pairs_per_group": {g: totals[g] for g in GROUPS},
        "seconds_per_pair": round(seconds / len(triples), 3) if triples else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_data_dir_argument(parser)
    parser.add_argument("--judge", choices=["llm", "verifier"], default="llm")
    parser.add_argument(
        "--judge-model", type=Path, help="GGUF of the judge model (default: the bundled 0.5B)"
    )
    parser.add_argument("--pairs", type=int, default=60, help="pairs to judge (default 60)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if args.judge == "verifier":
        judge: Judge = VerifierJudge(ClaimVerifier())
    else:
        path = args.judge_model or bundled_model_path()
        judge = LlmJudge(LocalLlamaClient(path), path.name)
    result = {"machine": machine(), **measure(judge, pairs(args.data_dir, args.pairs))}
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
        return 0
    share = result["yes_share"]
    print(
        table(
            [
                "judge",
                "pairs",
                "accuracy",
                "P(yes)",
                "R(yes)",
                "yes: support",
                "contradict",
                "random",
                "s/pair",
            ],
            [
                [
                    result["judge"],
                    result["pairs"],
                    result["accuracy"],
                    result["precision_yes"],
                    result["recall_yes"],
                    share["support"],
                    share["contradict"],
                    share["random"],
                    result["seconds_per_pair"],
                ]
            ],
            title="Citation judge on SciFact pairs (yes = the evidence supports the claim)",
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
