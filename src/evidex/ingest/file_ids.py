"""Identity of a user's own file: a content-derived id and the file facts every file loader records.

The id comes from the bytes, not the path, so moving or renaming a file and ingesting it again
updates the same Document instead of creating a duplicate.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from evidex.ingest.records import SourceError


def file_document_id(data: bytes) -> str:
    """Stable id for a file's content: ``file:`` plus the first 16 hex digits of its SHA-256."""
    return "file:" + hashlib.sha256(data).hexdigest()[:16]


def read_file_bytes(path: Path, what: str) -> bytes:
    """Read a whole file, turning a missing, unreadable or empty file into a SourceError.

    `what` names the expected format ("Markdown", "PDF" ...) so the message tells the user what
    the loader was trying to read.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SourceError(
            f"{path}: cannot read this {what} file ({reason}); check the path and its permissions"
        ) from exc
    if not data.strip():
        raise SourceError(f"{path}: the {what} file is empty; add content or remove it from ingest")
    return data


def file_extra(path: Path, fmt: str) -> dict[str, str]:
    """The `extra` facts every file Document carries: where it came from and how it was parsed."""
    return {"path": str(path.resolve()), "format": fmt}
