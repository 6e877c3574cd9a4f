"""Fit and measure claim verification (support score, number gate) and the rule-based stance on SciFact.

Run from the repository root:

    .venv/bin/python bench/verify_calibration.py            # tables
    .venv/bin/python bench/verify_calibration.py --json     # machine-readable
    .venv/bin/python bench/verify_calibration.py --limit 100  # quick run on fewer claims

Support: SciFact train claims are split 70/30 by claim id (crc32(id) % 10 < 7 → fit). Positives are
(claim, the abstract holding its rationale sentences), SUPPORT or CONTRADICT alike — the abstract is
*about* the claim; stance is measured separately. Negatives per claim: the best BM25 (rank_bm25 over the
corpus) abstract that is not one of the claim's cited abstracts (hard negative) and one random abstract.
SciFact's "cited but no rationale" pairs (NEI) are reported on the side, never fitted. The logistic
weights over (lexical best sentence, lexical passage, dense max cosine) are fitted with scipy on the fit
split; the threshold is the lowest cut with precision ≥ --min-precision (0.9) on the fit split (the
accuracy-maximising cut is reported beside it). Paste the printed constants into
src/evidex/answer/verify.py to adopt them. Sentence embeddings are cached in --cache (an .npz).

Stance: every (claim, rationale sentence) of SUPPORT / CONTRADICT pairs, all claims (rules are not fitted).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rank_bm25 import BM25Okapi

from _metrics import add_data_dir_argument, fit_logistic, load_scifact_claims, machine, table
from evidex.answer.stance import stance, stance_score
from evidex.answer.verify import ClaimVerifier, numbers_supported, numbers_with_units
from evidex.ingest.text_utils import split_sentences
from evidex.models import Stance
from evidex.search.embedder import load_embedder
from evidex.search.query import STOPWORDS

DEFAULT_CACHE = Path(tempfile.gettempdir()) / "evidex-verify-calibration-embeddings.npz"
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
Array = npt.NDArray[np.float64]


class CachedEmbedder:
    """The real embedder behind a text → vector dict persisted as .npz, so reruns embed nothing."""

    def __init__(self, path: Path | None) -> None:
        self.inner = load_embedder()
        self.name = self.inner.name
        self.dimensions = self.inner.dimensions
        self.path = path
        self.vectors: dict[str, npt.NDArray[np.float32]] = {}
        self.computed = 0
        self.seconds = 0.0
        if path and path.exists():
            data = np.load(path, allow_pickle=False)
            self.vectors = dict(zip(data["texts"].tolist(), data["vectors"], strict=True))

    def embed(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> npt.NDArray[np.float32]:
        todo = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        if todo:
            started = time.perf_counter()
            for text, vector in zip(todo, self.inner.embed(todo), strict=True):
                self.vectors[text] = vector
            self.seconds += time.perf_counter() - started
            self.computed += len(todo)
        return (
            np.stack([self.vectors[t] for t in texts])
            if texts
            else np.zeros((0, self.dimensions), np.float32)
        )

    def save(self) -> None:
        if self.path and self.computed:
            texts = list(self.vectors)
            np.savez(self.path, texts=np.array(texts), vectors=np.stack([self.vectors[t] for t in texts]))


@dataclass
class Pair:
    claim_id: str
    claim: str
    passage: str
    group: str  # support | contradict | hard | random | nei
    fit: bool

    @property
    def positive(self) -> bool:
        return self.group in {"support", "contradict"}


def in_fit_split(claim_id: str) -> bool:
    return zlib.crc32(claim_id.encode()) % 10 < 7


def tokens(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


def build_pairs(
    rows: list[dict[str, Any]], corpus: dict[str, dict[str, Any]], limit: int | None
) -> list[Pair]:
    """Positives, hard and random negatives per labelled claim; NEI pairs on the side."""
    ids = list(corpus)
    bm25 = BM25Okapi([tokens(f"{corpus[i]['title']} {corpus[i]['text']}") for i in ids])
    rng = random.Random(13)
    by_claim: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_claim.setdefault(str(row["id"]), []).append(row)
    claim_ids = sorted(by_claim, key=int)[:limit] if limit else sorted(by_claim, key=int)
    pairs: list[Pair] = []
    for claim_id in claim_ids:
        group = by_claim[claim_id]
        text = str(group[0]["claim"])
        fit = in_fit_split(claim_id)
        own = {str(d) for r in group for d in r["cited_doc_ids"]} | {str(r["evidence_doc_id"]) for r in group}
        labelled = [r for r in group if r["evidence_label"]]
        for row in group:
            if row["evidence_label"]:
                doc = corpus[str(row["evidence_doc_id"])]["text"]
                pairs.append(Pair(claim_id, text, doc, str(row["evidence_label"]).lower(), fit))
            else:
                for doc_id in row["cited_doc_ids"]:
                    if str(doc_id) in corpus:
                        pairs.append(Pair(claim_id, text, corpus[str(doc_id)]["text"], "nei", fit))
        if not labelled:
            continue
        scores = bm25.get_scores(tokens(text))
        for index in np.argsort(-scores):
            if ids[index] not in own:
                pairs.append(Pair(claim_id, text, corpus[ids[index]]["text"], "hard", fit))
                break
        while (pick := rng.choice(ids)) in own:
            pass
        pairs.append(Pair(claim_id, text, corpus[pick]["text"], "random", fit))
    return pairs


def roc_auc(scores: Array, labels: Array) -> float:
    """Mann–Whitney AUC with ties counted half."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def best_threshold(scores: Array, labels: Array) -> float:
    """The cut maximising accuracy (midpoint between neighbouring scores)."""
    order = np.unique(scores)
    cuts = np.concatenate([[0.0], (order[:-1] + order[1:]) / 2, [1.0]])
    accuracy = [float(np.mean((scores >= c) == (labels == 1))) for c in cuts]
    return float(cuts[int(np.argmax(accuracy))])


def precision_threshold(scores: Array, labels: Array, target: float) -> float:
    """The lowest cut whose precision of "supported" reaches `target` (clinical safety: few false passes)."""
    for cut in np.unique(scores):
        predicted = scores >= cut
        if predicted.any() and float(np.mean(labels[predicted] == 1)) >= target:
            return float(cut)
    return 1.0


def classification(scores: Array, labels: Array, threshold: float) -> dict[str, float]:
    predicted = scores >= threshold
    tp = int(np.sum(predicted & (labels == 1)))
    fp = int(np.sum(predicted & (labels == 0)))
    fn = int(np.sum(~predicted & (labels == 1)))
    return {
        "auc": roc_auc(scores, labels),
        "accuracy": float(np.mean(predicted == (labels == 1))),
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
    }


def run_support(pairs: list[Pair], embedder: CachedEmbedder, min_precision: float) -> dict[str, Any]:
    verifier = ClaimVerifier(embedder=embedder)
    started = time.perf_counter()
    # one big length-sorted batch is much faster than one call per abstract; the verifier then hits the cache
    texts = dict.fromkeys(p.claim for p in pairs)
    for passage in dict.fromkeys(p.passage for p in pairs):
        texts.update(dict.fromkeys(passage[s:e].strip() for s, e in split_sentences(passage)))
    embedder.embed(list(texts))
    embedder.save()
    features = np.array(
        [[f if f is not None else 0.0 for f in verifier.features(p.claim, [p.passage])] for p in pairs]
    )
    feature_seconds = time.perf_counter() - started
    embedder.save()
    gates = [numbers_supported(p.claim, [p.passage]) for p in pairs]
    labels = np.array([1.0 if p.positive else 0.0 for p in pairs])
    fit = np.array([p.positive or p.group in {"hard", "random"} for p in pairs]) & np.array(
        [p.fit for p in pairs]
    )
    held = np.array([not p.fit and p.group != "nei" for p in pairs])
    models: dict[str, Any] = {}
    for name, columns in (("full", [0, 1, 2]), ("lexical", [0, 1])):
        weights = fit_logistic(features[fit][:, columns], labels[fit])
        design = np.hstack([np.ones((len(pairs), 1)), features[:, columns]])
        probability = 1.0 / (1.0 + np.exp(-(design @ weights)))
        accuracy_cut = best_threshold(probability[fit], labels[fit])
        threshold = precision_threshold(probability[fit], labels[fit], min_precision)
        gated = np.where([ok for ok, _ in gates], probability, 0.0)
        groups = {
            group: float(
                np.mean(
                    probability[
                        (~np.array([p.fit for p in pairs])) & np.array([p.group == group for p in pairs])
                    ]
                    >= threshold
                )
            )
            for group in ("support", "contradict", "hard", "random", "nei")
        }
        padded = [0.0, 0.0, 0.0]
        for column, value in zip(columns, weights[1:], strict=True):
            padded[column] = float(value)
        models[name] = {
            "weights": [round(float(weights[0]), 4), *(round(v, 4) for v in padded)],
            "threshold": round(threshold, 4),
            "fit": classification(probability[fit], labels[fit], threshold),
            "held_out": classification(probability[held], labels[held], threshold),
            "held_out_gated": classification(gated[held], labels[held], threshold),
            "accuracy_max_threshold": round(accuracy_cut, 4),
            "held_out_at_accuracy_max": classification(probability[held], labels[held], accuracy_cut),
            "held_out_rate_supported_by_group": groups,
        }
    counts = Counter((p.group, "fit" if p.fit else "held-out") for p in pairs)
    with_numbers = [(p, g) for p, g in zip(pairs, gates, strict=True) if numbers_with_units(p.claim)]
    number_rows = Counter((p.group, ok) for p, (ok, _) in with_numbers)
    return {
        "pairs": {f"{g}/{s}": n for (g, s), n in sorted(counts.items())},
        "feature_seconds": round(feature_seconds, 2),
        "pairs_per_s": round(len(pairs) / feature_seconds, 1) if feature_seconds else 0.0,
        "sentences_embedded": embedder.computed,
        "embedding_seconds": round(embedder.seconds, 2),
        "models": models,
        "number_gate_on_scifact": {
            group: {
                "claims_with_numbers": number_rows[(group, True)] + number_rows[(group, False)],
                "gate_failed": number_rows[(group, False)],
            }
            for group in ("support", "contradict", "hard", "random", "nei")
        },
        "feature_means": {
            group: [
                round(float(v), 3) for v in features[np.array([p.group == group for p in pairs])].mean(axis=0)
            ]
            for group in ("support", "contradict", "hard", "random", "nei")
            if any(p.group == group for p in pairs)
        },
    }


NUMBER_PROBES: list[tuple[str, str, bool]] = [
    ("Give amoxicillin 500 mg every 8 hours.", "Amoxicillin 500mg q8h for 10–14 days.", True),
    ("Give amoxicillin 1000 mg every 8 hours.", "Amoxicillin 500mg q8h for 10–14 days.", False),
    ("Treat for 10-14 days.", "Amoxicillin 500mg q8h for 10 to 14 days.", True),
    ("Treat for 7 days.", "Amoxicillin 500mg q8h for 10 to 14 days.", False),
    ("The dose is 500 mg.", "The dose is 500 mg/kg.", False),
    ("The dose is 500 mg.", "The dose is 500 mg daily.", True),
    ("Take it twice daily.", "Take one tablet b.i.d.", True),
    ("Mortality fell by 25%.", "Mortality fell by 25 percent (1,204 patients).", True),
    ("Mortality fell in 1204 patients.", "Mortality fell by 25 percent (1,204 patients).", True),
    ("Mortality fell by 35%.", "Mortality fell by 25 percent (1,204 patients).", False),
]


def run_numbers() -> list[dict[str, Any]]:
    out = []
    for claim, passage, expected in NUMBER_PROBES:
        ok, missing = numbers_supported(claim, [passage])
        out.append({"claim": claim, "passage": passage, "expected": expected, "ok": ok, "missing": missing})
    return out


def run_stance(rows: list[dict[str, Any]], corpus: dict[str, dict[str, Any]]) -> dict[str, Any]:
    gold_map = {"SUPPORT": Stance.SUPPORTS, "CONTRADICT": Stance.REFUTES}
    confusion: Counter[tuple[str, str]] = Counter()
    held: Counter[tuple[str, str]] = Counter()
    pair_votes: Counter[tuple[str, str]] = Counter()
    started = time.perf_counter()
    count = 0
    for row in rows:
        if not row["evidence_label"]:
            continue
        gold = gold_map[row["evidence_label"]]
        sentences = corpus[str(row["evidence_doc_id"])]["metadata"]["sentences"]
        total = 0.0
        for index in row["evidence_sentences"]:
            predicted = stance(row["claim"], sentences[index])
            total += stance_score(row["claim"], sentences[index])
            confusion[(gold.value, predicted.value)] += 1
            if not in_fit_split(str(row["id"])):
                held[(gold.value, predicted.value)] += 1
            count += 1
        vote = Stance.SUPPORTS if total > 0 else Stance.REFUTES if total < 0 else Stance.NEUTRAL
        pair_votes[(gold.value, vote.value)] += 1
    seconds = time.perf_counter() - started

    def summary(matrix: Counter[tuple[str, str]]) -> dict[str, Any]:
        n = sum(matrix.values())
        correct = matrix[("supports", "supports")] + matrix[("refutes", "refutes")]
        per_class = {}
        for label in ("supports", "refutes"):
            predicted = sum(v for (g, p), v in matrix.items() if p == label)
            actual = sum(v for (g, p), v in matrix.items() if g == label)
            per_class[label] = {
                "precision": matrix[(label, label)] / predicted if predicted else 0.0,
                "recall": matrix[(label, label)] / actual if actual else 0.0,
                "gold": actual,
                "predicted": predicted,
            }
        return {
            "n": n,
            "accuracy": correct / n if n else 0.0,
            "neutral_predicted": sum(v for (g, p), v in matrix.items() if p == "neutral"),
            "per_class": per_class,
            "confusion": {f"{g}->{p}": v for (g, p), v in sorted(matrix.items())},
        }

    majority = sum(v for (g, _), v in confusion.items() if g == "supports") / max(1, sum(confusion.values()))
    return {
        "sentences": summary(confusion),
        "sentences_held_out": summary(held),
        "pairs_weighted_vote": summary(pair_votes),
        "majority_baseline_accuracy": majority,
        "ms_per_sentence": round(1000 * seconds / max(1, count), 3),
    }


def time_extractive(passages: list[str]) -> dict[str, float]:
    """Verbatim claims: the shortcut must not embed; time per claim over real abstracts."""
    verifier = ClaimVerifier(embedder=None)
    claims = [p.split(". ")[0] for p in passages]
    started = time.perf_counter()
    supports = [verifier.support(c, [p]) for c, p in zip(claims, passages, strict=True)]
    seconds = time.perf_counter() - started
    return {
        "claims": len(claims),
        "ms_per_claim": round(1000 * seconds / max(1, len(claims)), 3),
        "share_support_1": sum(s == 1.0 for s in supports) / max(1, len(supports)),
        "embedder_loaded": verifier._embedder is not None,
    }


def print_report(result: dict[str, Any]) -> None:
    m = result["machine"]
    print(f"machine: {m['cpu']}, {m['cpus']} CPUs, Python {m['python']}, {m['date']}")
    support = result["support"]
    print(f"\npairs: {support['pairs']}")
    print(
        f"features: {support['feature_seconds']} s ({support['pairs_per_s']} pairs/s), "
        f"{support['sentences_embedded']:,} texts embedded this run in {support['embedding_seconds']} s"
    )
    print(
        table(
            ["group", "lex sentence", "lex passage", "dense"],
            [[g, *v] for g, v in support["feature_means"].items()],
            title="\nMean features by group",
        )
    )
    rows = []
    for name, model in support["models"].items():
        for part in ("fit", "held_out", "held_out_gated"):
            r = model[part]
            rows.append(
                [name, part, r["auc"], r["accuracy"], r["precision"], r["recall"], model["threshold"]]
            )
    print(
        table(
            ["model", "split", "ROC AUC", "accuracy", "precision", "recall", "threshold"],
            rows,
            title="\nSupport score (positive = the passage states the claim's topic)",
        )
    )
    group_rows = [
        [name, *(round(v, 4) for v in model["held_out_rate_supported_by_group"].values())]
        for name, model in support["models"].items()
    ]
    print(
        table(
            ["model", "support", "contradict", "hard neg", "random neg", "NEI"],
            group_rows,
            title="\nHeld-out share scored ≥ threshold, by pair group",
        )
    )
    for name, model in support["models"].items():
        bias, lex_s, lex_p, dense = model["weights"]
        prefix = "" if name == "full" else "LEXICAL_"
        print(
            f"{prefix}WEIGHTS = ({bias}, {lex_s}, {lex_p}, {dense})  {prefix}THRESHOLD = {model['threshold']}"
        )
    gate = support["number_gate_on_scifact"]
    print(
        table(
            ["group", "claims with numbers", "gate failed"],
            [[g, v["claims_with_numbers"], v["gate_failed"]] for g, v in gate.items()],
            title="\nNumber gate on SciFact pairs",
        )
    )
    print(
        table(
            ["claim", "passage", "expected", "ok", "missing"],
            [
                [p["claim"], p["passage"], p["expected"], p["ok"], ", ".join(p["missing"])]
                for p in result["numbers"]
            ],
            title="\nNumber check probes",
        )
    )
    ex = result["extractive"]
    print(
        f"\nverbatim shortcut: {ex['claims']} claims, {ex['ms_per_claim']} ms/claim, "
        f"support 1.0 for {ex['share_support_1']:.1%}, embedder loaded: {ex['embedder_loaded']}"
    )
    st = result["stance"]
    rows = []
    for part in ("sentences", "sentences_held_out", "pairs_weighted_vote"):
        s = st[part]
        rows.append(
            [
                part,
                s["n"],
                s["accuracy"],
                s["neutral_predicted"],
                s["per_class"]["supports"]["precision"],
                s["per_class"]["supports"]["recall"],
                s["per_class"]["refutes"]["precision"],
                s["per_class"]["refutes"]["recall"],
            ]
        )
    print(
        table(
            ["unit", "n", "accuracy", "neutral", "P(sup)", "R(sup)", "P(ref)", "R(ref)"],
            rows,
            title="\nStance (SciFact SUPPORT vs CONTRADICT; NEUTRAL counts as wrong)",
        )
    )
    print(
        f"majority-class baseline accuracy {st['majority_baseline_accuracy']:.4f}; "
        f"{st['ms_per_sentence']} ms per sentence; confusion {st['sentences']['confusion']}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    add_data_dir_argument(parser)
    parser.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, help="embedding cache (default %(default)s)"
    )
    parser.add_argument("--no-cache", action="store_true", help="embed everything afresh, save nothing")
    parser.add_argument(
        "--min-precision",
        type=float,
        default=0.9,
        help="threshold: lowest cut with this precision of supported on the fit split (%(default)s)",
    )
    parser.add_argument("--limit", type=int, default=None, help="only the first N claims (quick runs)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    args = parser.parse_args(argv)

    rows, corpus = load_scifact_claims(args.data_dir)
    embedder = CachedEmbedder(None if args.no_cache else args.cache)
    pairs = build_pairs(rows, corpus, args.limit)
    result: dict[str, Any] = {"machine": machine()}
    result["support"] = run_support(pairs, embedder, args.min_precision)
    result["numbers"] = run_numbers()
    result["extractive"] = time_extractive([p.passage for p in pairs if p.group == "random"][:300])
    result["stance"] = run_stance(rows, corpus)
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
    else:
        print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
