"""What a loader yields: a Document, or a Rejected record that says what was wrong with it."""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from evidex.models import Document


@dataclass(frozen=True)
class Rejected:
    """A record (or a whole file) that could not be read; ingest reports it and carries on."""

    path: str
    record: int | None
    reason: str

    def describe(self) -> str:
        where = f"{self.path}, record {self.record}" if self.record is not None else self.path
        return f"{where}: {self.reason}"


LoadItem = Document | Rejected


class SourceError(Exception):
    """A whole file cannot be read (empty, unreadable, wrong format); the message says what to do."""


def open_text(path: Path) -> TextIO:
    """Open a plain or gzipped UTF-8 file for streaming, by looking at its first bytes, not its name."""
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace")
    return path.open("r", encoding="utf-8", errors="replace")


def read_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (1-based line number, line) and turn a truncated gzip into a SourceError naming the line."""
    number = 0
    try:
        with open_text(path) as handle:
            for number, line in enumerate(handle, start=1):
                yield number, line
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise SourceError(
            f"{path}: compressed file is truncated or corrupt after line {number} ({exc}); "
            "the records before it were read — re-download or re-compress the file"
        ) from exc
