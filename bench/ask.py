"""`evidex ask` speed on the sample library: cold start and per-question p50/p95 of the answer engine.

Run from the repository root:

    .venv/bin/python bench/ask.py --library ~/.local/share/evidex/library   # an existing sample library
    .venv/bin/python bench/ask.py --questions 100 --preset default --json

Cold start = opening the library and answering the first question in a fresh engine (models load on
first use); then each question's whole `AnswerEngine.ask` call is timed. Questions are real consumer
questions (HealthSearchQA) and PubMedQA dev questions, alternately.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from _metrics import add_data_dir_argument, machine, table
from evidex.answer.analysis import QuestionError
from evidex.answer.engine import AnswerEngine
from evidex.evaluation.metrics import percentile
from evidex.search.settings import PRESETS
from evidex.store.library import Library


def questions(data_dir: Path, count: int) -> list[str]:
    consumer = [
        line.strip()
        for line in (data_dir / "eval" / "healthsearchqa" / "questions.txt")
        .read_text(encoding="utf-8")
        .splitlines()
        if line.strip()
    ]
    pubmedqa = [
        json.loads(line)["question"]
        for line in (data_dir / "eval" / "pubmedqa" / "dev.jsonl").read_text(encoding="utf-8").split("\n")
        if line.strip()
    ]
    mixed = [q for pair in zip(consumer, pubmedqa, strict=False) for q in pair]
    return mixed[:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--library", type=Path, required=True, help="a built sample library")
    add_data_dir_argument(parser)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--preset", choices=PRESETS, default="default")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    asked = questions(args.data_dir, args.questions + 1)
    started = time.perf_counter()
    with Library(args.library) as library:
        engine = AnswerEngine(library, args.preset)
        engine.ask(asked[0])
        cold = time.perf_counter() - started
        timings: list[float] = []
        outcomes = {"answered": 0, "insufficient": 0, "refused": 0}
        for question in asked[1:]:
            begin = time.perf_counter()
            try:
                answer = engine.ask(question)
            except QuestionError:
                outcomes["refused"] += 1
                continue
            timings.append(time.perf_counter() - begin)
            outcomes["insufficient" if answer.insufficient else "answered"] += 1
    result = {
        "preset": args.preset,
        "questions": len(asked) - 1,
        "cold_start_s": round(cold, 2),
        "p50_s": round(percentile(timings, 50), 3),
        "p95_s": round(percentile(timings, 95), 3),
        "max_s": round(max(timings), 3),
        **outcomes,
        "machine": machine(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"machine: {result['machine']}")
    print(
        table(
            ["preset", "questions", "cold start s", "p50 s", "p95 s", "max s", "answered", "insufficient"],
            [
                [
                    args.preset,
                    result["questions"],
                    result["cold_start_s"],
                    result["p50_s"],
                    result["p95_s"],
                    result["max_s"],
                    outcomes["answered"],
                    outcomes["insufficient"],
                ]
            ],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
