"""Small shared helpers for the bench scripts: plain-text tables.

The ranking metrics and percentiles live in `evidex.evaluation.metrics` (also used by
`evidex eval retrieval`); they are re-exported here under their old names for older scripts.
Not part of the evidex package and never imported by tests.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

from evidex.evaluation.metrics import mean, percentile
from evidex.evaluation.metrics import mrr_at_k as mrr_at
from evidex.evaluation.metrics import ndcg_at_k as ndcg_at
from evidex.evaluation.metrics import recall_at_k as recall_at

__all__ = ["mean", "mrr_at", "ndcg_at", "percentile", "recall_at", "table"]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], title: str | None = None) -> str:
    """A fixed-width text table; numbers right-aligned, text left-aligned."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(value))
    numeric = [
        bool(rows) and all(isinstance(row[i], int | float) or row[i] == "-" for row in rows)
        for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    out: list[str] = []
    if title:
        out.append(title)
    out.append(line(list(headers)))
    out.append("  ".join("-" * w for w in widths))
    out.extend(line(row) for row in cells)
    return "\n".join(out)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) <= 1 else f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def machine() -> dict[str, Any]:
    """CPU model, core count, Python version and date: printed beside every figure."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"


def add_data_dir_argument(parser: argparse.ArgumentParser) -> None:
    """`--data-dir`: the shared data folder, $EVIDEX_DATA_DIR or ../shared/data beside the checkout."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("EVIDEX_DATA_DIR", DEFAULT_DATA_DIR)),
        help="shared data folder holding corpus/ and eval/ (default: $EVIDEX_DATA_DIR or %(default)s)",
    )


Array = npt.NDArray[np.float64]


def fit_logistic(x: Array, y: Array, l2: float = 1e-3) -> Array:
    """Weights (bias first) minimising mean log loss + l2·|w|² (bias not penalised)."""
    design = np.hstack([np.ones((len(x), 1)), x])

    def loss(w: Array) -> tuple[float, Array]:
        z = design @ w
        p = 1.0 / (1.0 + np.exp(-z))
        eps = 1e-12
        value = -np.mean(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps)) + l2 * float(w[1:] @ w[1:])
        grad = design.T @ (p - y) / len(y)
        grad[1:] += 2 * l2 * w[1:]
        return float(value), grad

    result = minimize(loss, np.zeros(design.shape[1]), jac=True, method="L-BFGS-B")
    weights: Array = result.x
    return weights


def load_scifact_claims(data_dir: Path) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """SciFact train claims with their evidence labels, and the corpus by document id."""
    rows = [
        json.loads(line)
        for line in (data_dir / "eval" / "scifact" / "claims_with_evidence_train.jsonl").open(
            encoding="utf-8"
        )
        if line.strip()
    ]
    corpus: dict[str, dict[str, Any]] = {}
    for line in (data_dir / "corpus" / "scifact_corpus.jsonl").open(encoding="utf-8"):
        if line.strip():
            record = json.loads(line)
            corpus[str(record["_id"])] = record
    return rows, corpus
