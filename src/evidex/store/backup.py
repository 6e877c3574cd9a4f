"""Back up a library folder while it may be in use, and restore it, with every file checksummed.

What is copied, and why in this order:

1. **Vector shards first.** A shard counts only once its ids file is renamed into place, after its
   vectors file (see store/vectors.py), so a listed pair is complete; pairs that are not complete yet
   and `.tmp` files are left behind, and each copied pair is loaded to check that it holds one vector
   per id. Shards are never rewritten in place, only removed (by `compact` or `embed --rebuild`); a
   shard that vanishes mid-copy restarts the vector copy.
2. **Then the records database, then the lexical index**, each with SQLite's online backup API in one
   step: one read transaction, so the copy is the last committed state even in WAL mode and while an
   ingest or the web server holds a write transaction (WAL readers do not wait for writers).

Taking vectors *before* records means every copied vector was computed from a passage as it stood
before the records snapshot. Vectors lagging records is a state the library already lives with (an
embedding run killed half way): passages without a vector are "missing" and `evidex library embed`
adds them. The other order would be unsafe: a vector written after the records snapshot can belong to
a passage the snapshot lacks, and because SQLite hands the next insert `max(id) + 1`, the restored
library's next ingest would give that id to another passage, which `embed` would then skip for
already "having" a vector. For the same reason vectors of passages absent from the records snapshot
(stale ones, which the live library only masks on load until `compact`) are dropped from the copy.

The snapshot is then made internally consistent before checksumming: the lexical index is reconciled
with the records snapshot (`Library.reconcile`, as ingest does after a kill; opening it also brings
its records schema to this Evidex's revision, as any command would) and both databases are switched to
rollback-journal mode so each is one self-contained file. A manifest records versions, counts and the
sha256 and size of every file. Restore checks all of them in a temporary sibling folder and renames it
into place only when every file matches, so a corrupted backup never leaves a half-restored library.

Records in PostgreSQL are refused before anything is opened: `pg_dump` is the tool that copies them
consistently, and a folder backup without them would look complete and not be.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import tarfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from evidex import __version__
from evidex.store.library import (
    FORMAT_VERSION,
    LEXICAL_FILE,
    MARKER_FILE,
    RECORDS_FILE,
    SENTENCE_VECTORS_DIR,
    VECTORS_DIR,
    Library,
)
from evidex.store.vectors import SENTENCE_SLOTS

MANIFEST_FILE = "manifest.json"
MANIFEST_VERSION = 1
EXTRA_FILES = ("abbreviations.json", "last-question.json")
"""Small JSON files of the library, each replaced whole or tiny enough to read in one go."""
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")
VECTOR_ATTEMPTS = 3
ROWS_PER_CHUNK = 65_536


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the one-line message says what to do."""


@dataclass(frozen=True)
class BackupResult:
    """What a backup wrote: for the command's report and for scripts (`--json`)."""

    library: Path
    destination: Path
    archive: bool
    files: int
    bytes: int
    counts: dict[str, int]
    seconds: float
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "library": str(self.library),
            "destination": str(self.destination),
            "archive": self.archive,
            "files": self.files,
            "bytes": self.bytes,
            "counts": self.counts,
            "seconds": round(self.seconds, 3),
            "notes": self.notes,
        }


@dataclass(frozen=True)
class RestoreResult:
    """What a restore put in place."""

    source: Path
    library: Path
    files: int
    bytes: int
    counts: dict[str, int]
    created_at: str
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "source": str(self.source),
            "library": str(self.library),
            "files": self.files,
            "bytes": self.bytes,
            "counts": self.counts,
            "backup_created_at": self.created_at,
            "seconds": round(self.seconds, 3),
        }


# -- backup ------------------------------------------------------------------------------------------


def backup_library(library: Path, destination: Path, database_url: str | None = None) -> BackupResult:
    """Copy `library` into a new folder, or a `.tar.gz` when `destination` ends so; see module doc."""
    started = time.perf_counter()
    library = library.expanduser()
    destination = destination.expanduser()
    records_path = _records_file(library, database_url)  # first: a PostgreSQL URL is never opened
    _check_library(library)
    archive = destination.name.endswith(ARCHIVE_SUFFIXES)
    _check_backup_destination(library, destination, archive)
    staging = _staging_folder(destination, "partial")
    partial_archive = staging.with_name(staging.name + ".tar.gz")
    try:
        notes = _snapshot(library, records_path, staging)
        counts = _make_consistent(staging, notes)
        files = _checksums(staging)
        _write_json(
            staging / MANIFEST_FILE,
            {
                "manifest_version": MANIFEST_VERSION,
                "evidex_version": __version__,
                "library_format": FORMAT_VERSION,
                "records_schema": _schema_revision(staging / RECORDS_FILE),
                "created_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
                "source": str(library.resolve()),
                "counts": counts,
                "files": files,
            },
        )
        _fsync_tree(staging)
        if archive:
            _write_archive(staging, partial_archive)
            os.replace(partial_archive, destination)
            shutil.rmtree(staging)
            size = destination.stat().st_size
        else:
            if destination.exists():
                destination.rmdir()  # checked empty above
            os.rename(staging, destination)
            size = sum(entry["size"] for entry in files.values())
        _fsync_dir(destination.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        partial_archive.unlink(missing_ok=True)
        raise
    return BackupResult(
        library=library,
        destination=destination,
        archive=archive,
        files=len(files),
        bytes=size,
        counts=counts,
        seconds=time.perf_counter() - started,
        notes=notes,
    )


def _records_file(library: Path, database_url: str | None) -> Path:
    """The SQLite file holding the records; refuses a server database without connecting to it."""
    if not database_url:
        return library / RECORDS_FILE
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(database_url)
    except ArgumentError as exc:
        raise BackupError(f"EVIDEX_DATABASE_URL is not a database URL ({exc}); fix or unset it") from exc
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database)).expanduser()
    would_copy = ", ".join(_library_files(library)) or "no library files"
    raise BackupError(
        f"the records of {library} live in {url.get_backend_name()} "
        f"({url.render_as_string(hide_password=True)}), which this command does not copy: dump that "
        "database with pg_dump (e.g. `pg_dump --format=custom --file=evidex.dump DBNAME`); a backup of "
        f"the folder alone would hold only {would_copy}"
    )


def _staging_folder(destination: Path, kind: str) -> Path:
    """A new hidden sibling of `destination`: same file system, so the final rename is atomic.

    Made with mkdir rather than tempfile.mkdtemp, whose 0700 mode would carry over to the library
    and lock out, say, a web server running as another user.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(100):
        folder = destination.with_name(f".{destination.name}.{secrets.token_hex(4)}.{kind}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise BackupError(f"cannot create a working folder beside {destination}")


def _library_files(library: Path) -> list[str]:
    """The library files in the folder besides the records, as a backup would name them (for messages)."""
    names = [name for name in (MARKER_FILE, LEXICAL_FILE, *EXTRA_FILES) if (library / name).is_file()]
    for folder in (VECTORS_DIR, SENTENCE_VECTORS_DIR):
        if (library / folder).is_dir():
            names.append(f"{folder}/ ({len(_shard_pairs(library / folder))} shards)")
    return names


def _check_library(library: Path) -> None:
    marker = library / MARKER_FILE
    if not marker.is_file():
        raise BackupError(f"no evidence library at {library}: give the library folder with --library")
    try:
        version = json.loads(marker.read_text(encoding="utf-8")).get("format")
    except (ValueError, AttributeError) as exc:
        raise BackupError(f"{marker} is unreadable ({exc}); is {library} an Evidex library?") from exc
    if version != FORMAT_VERSION:
        raise BackupError(
            f"library at {library} has format {version}, this Evidex reads {FORMAT_VERSION}; "
            "back it up with the Evidex that made it"
        )


def _check_backup_destination(library: Path, destination: Path, archive: bool) -> None:
    try:
        destination.resolve().relative_to(library.resolve())
    except ValueError:
        pass
    else:
        raise BackupError(f"{destination} is inside the library {library}; back up to a place outside it")
    if archive:
        if destination.exists():
            raise BackupError(f"{destination} already exists; give a new file name for the archive")
    elif destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise BackupError(f"{destination} exists and is not an empty folder; give a new or empty folder")


def _snapshot(library: Path, records_path: Path, staging: Path) -> list[str]:
    """Copy the library's files into `staging` in the safe order; returns notes for the user."""
    notes: list[str] = []
    shutil.copyfile(library / MARKER_FILE, staging / MARKER_FILE)
    notes += _copy_vectors(library / VECTORS_DIR, staging / VECTORS_DIR)
    notes += _copy_vectors(library / SENTENCE_VECTORS_DIR, staging / SENTENCE_VECTORS_DIR)
    if not records_path.is_file():
        raise BackupError(f"the records database {records_path} is missing; the library is incomplete")
    _backup_sqlite(records_path, staging / RECORDS_FILE)
    if (library / LEXICAL_FILE).is_file():
        _backup_sqlite(library / LEXICAL_FILE, staging / LEXICAL_FILE)
    for name in EXTRA_FILES:
        try:
            data = (library / name).read_bytes()
        except FileNotFoundError:
            continue
        try:
            json.loads(data)
        except ValueError:
            notes.append(f"left out {name}: it was being written or is not JSON")
            continue
        (staging / name).write_bytes(data)
    return notes


def _backup_sqlite(source: Path, target: Path) -> None:
    """A transactionally consistent copy of a live SQLite database, WAL mode included.

    The whole copy runs as one backup step (`pages=-1`), hence one read transaction: an incremental
    backup restarts whenever another connection writes, and could chase a busy database for ever.
    """
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot open {source} ({exc})") from exc
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"could not copy {source} ({exc}); try again") from exc
    finally:
        src.close()


def _shard_pairs(folder: Path) -> list[tuple[Path, Path]]:
    """Complete shards, as VectorStore counts them: an ids file with its vectors file beside it."""
    pairs = []
    for ids_path in sorted(folder.glob("shard-*.ids.npy")):
        vec_path = ids_path.with_name(ids_path.name.replace(".ids.npy", ".vec.npy"))
        if vec_path.exists():
            pairs.append((ids_path, vec_path))
    return pairs


def _copy_vectors(source: Path, target: Path) -> list[str]:
    """Copy meta.json and every complete shard; retried when shards vanish under a compact or rebuild."""
    if not source.is_dir():
        return []
    for _ in range(VECTOR_ATTEMPTS):
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        try:
            return _copy_vector_files(source, target)
        except FileNotFoundError:
            continue
    raise BackupError(
        f"the vectors in {source} kept changing during the backup (is `evidex library embed --rebuild` "
        "running?); try again when it has finished"
    )


def _copy_vector_files(source: Path, target: Path) -> list[str]:
    pairs = _shard_pairs(source)
    if not pairs:
        return []  # a meta.json alone says nothing a later embed would not write again
    try:  # meta.json is written before the first shard, so it is whole once a shard exists
        dimensions = int(json.loads((source / "meta.json").read_text(encoding="utf-8"))["dimensions"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(
            f"{source / 'meta.json'} is unreadable ({exc}); rebuild the vectors with "
            "`evidex library embed --rebuild` or move the vectors folder away, then back up again"
        ) from exc
    shutil.copyfile(source / "meta.json", target / "meta.json")
    notes = []
    for ids_path, vec_path in pairs:
        ids_copy, vec_copy = target / ids_path.name, target / vec_path.name
        shutil.copyfile(ids_path, ids_copy)
        shutil.copyfile(vec_path, vec_copy)
        problem = _shard_problem(ids_copy, vec_copy, dimensions)
        if problem:
            ids_copy.unlink()
            vec_copy.unlink()
            notes.append(
                f"left out {source.name}/{ids_path.name}: {problem}; "
                "`evidex library embed` embeds its passages again"
            )
    return notes


def _shard_problem(ids_path: Path, vec_path: Path, dimensions: int) -> str | None:
    """Why a copied shard cannot be used, or None when it loads with one vector per id."""
    try:
        ids = np.load(ids_path)
        vectors = np.load(vec_path, mmap_mode="r")
    except (OSError, ValueError, EOFError) as exc:
        return f"unreadable ({exc})"
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        return "its ids file holds no list of ids"
    if vectors.ndim != 2 or vectors.dtype != np.float32 or vectors.shape[1] != dimensions:
        return f"its vectors are not {dimensions}-d float32"
    if vectors.shape[0] != len(ids):
        return f"{len(ids)} ids but {vectors.shape[0]} vectors"
    return None


def _make_consistent(staging: Path, notes: list[str]) -> dict[str, int]:
    """Tie the copied stores to the records snapshot (see module doc); returns the snapshot's counts."""
    with Library(staging) as snapshot:
        added, removed = snapshot.reconcile()
        valid = snapshot.records.passage_ids()
        documents = int(snapshot.records.counts()["documents"])
        indexed = snapshot.lexical.count()
    if added or removed:
        notes.append(f"lexical index brought in line with the records: {added} added, {removed} removed")
    vectors, dropped = _drop_stale_vectors(staging / VECTORS_DIR, valid)
    if dropped:
        notes.append(f"{dropped} vectors of passages no longer in the records left out")
    if len(valid) > vectors:
        notes.append(f"{len(valid) - vectors} passages have no vector yet; `evidex library embed` adds them")
    _, dropped = _drop_stale_vectors(staging / SENTENCE_VECTORS_DIR, valid, SENTENCE_SLOTS)
    if dropped:
        notes.append(f"{dropped} sentence vectors of passages no longer in the records left out")
    for name in (RECORDS_FILE, LEXICAL_FILE):
        if (staging / name).exists():
            _single_file(staging / name)
    return {"documents": documents, "passages": len(valid), "indexed_passages": indexed, "vectors": vectors}


def _drop_stale_vectors(folder: Path, valid: set[int], slots: int = 1) -> tuple[int, int]:
    """Rewrite copied shards without vectors of passages absent from `valid` (a vector's passage is its
    id // `slots`); returns (passages with a vector, vectors dropped)."""
    if not folder.is_dir():
        return 0, 0
    valid_array = np.fromiter(valid, dtype=np.int64, count=len(valid))
    kept_ids: set[int] = set()
    dropped = 0
    for ids_path, vec_path in _shard_pairs(folder):
        ids = np.load(ids_path)
        keep = np.isin(ids // slots, valid_array)
        kept_ids.update(int(i) for i in ids[keep] // slots)
        if keep.all():
            continue
        dropped += int((~keep).sum())
        if not keep.any():
            ids_path.unlink()
            vec_path.unlink()
            continue
        vectors = np.load(vec_path, mmap_mode="r")
        rewritten = vec_path.with_name(vec_path.name + ".tmp")
        out = np.lib.format.open_memmap(
            rewritten, mode="w+", dtype=np.float32, shape=(int(keep.sum()), vectors.shape[1])
        )
        row = 0
        for start in range(0, len(ids), ROWS_PER_CHUNK):  # chunked: a compacted shard can be GBs
            chunk = np.asarray(vectors[start : start + ROWS_PER_CHUNK])[keep[start : start + ROWS_PER_CHUNK]]
            out[row : row + len(chunk)] = chunk
            row += len(chunk)
        out.flush()
        del out, vectors
        os.replace(rewritten, vec_path)
        np.save(ids_path, ids[keep])
    if not _shard_pairs(folder):
        shutil.rmtree(folder)
    return len(kept_ids), dropped


def _single_file(path: Path) -> None:
    """Checkpoint and leave rollback-journal mode, so the file alone holds the database."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()
    for suffix in ("-wal", "-shm", "-journal"):
        if path.with_name(path.name + suffix).exists():
            raise BackupError(f"{path.name} left a {suffix} file behind after the copy; try again")


def _schema_revision(path: Path) -> str | None:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return str(row[0]) if row else None


def _checksums(folder: Path) -> dict[str, dict[str, Any]]:
    return {
        path.relative_to(folder).as_posix(): {"size": path.stat().st_size, "sha256": _sha256(path)}
        for path in sorted(p for p in folder.rglob("*") if p.is_file())
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_archive(folder: Path, target: Path) -> None:
    """The manifest first, so a reader meets it before the files it describes."""
    names = [MANIFEST_FILE] + [
        p.relative_to(folder).as_posix()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST_FILE
    ]
    with target.open("wb") as raw:
        with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
            for name in names:
                tar.add(folder / name, arcname=name, recursive=False)
        raw.flush()
        os.fsync(raw.fileno())


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    for path in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        _fsync_dir(path)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # not every platform opens folders
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- restore -----------------------------------------------------------------------------------------


def restore_library(source: Path, destination: Path) -> RestoreResult:
    """Put the backup at `source` (folder or .tar.gz) in place as the library `destination`.

    Every file is checked against the manifest in a temporary sibling folder first; the folder is
    renamed to `destination` only when all match, so a failure leaves no destination behind.
    """
    started = time.perf_counter()
    source, destination = source.expanduser(), destination.expanduser()
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise BackupError(f"{destination} exists and is not an empty folder; restore into a new or empty one")
    if not source.exists():
        raise BackupError(f"no backup at {source}")
    staging = _staging_folder(destination, "restoring")
    try:
        with _opened_backup(source, staging) as backup:
            manifest = backup.manifest
            for name in manifest["files"]:
                backup.copy(name, staging / name)
        _verify(staging, manifest, source)
        _fsync_tree(staging)
        if destination.exists():
            destination.rmdir()  # checked empty above
        os.rename(staging, destination)
        _fsync_dir(destination.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    files: dict[str, dict[str, Any]] = manifest["files"]
    return RestoreResult(
        source=source,
        library=destination,
        files=len(files),
        bytes=sum(int(entry["size"]) for entry in files.values()),
        counts=dict(manifest.get("counts", {})),
        created_at=str(manifest.get("created_at")),
        seconds=time.perf_counter() - started,
    )


class _Backup:
    """A backup being read: its checked manifest and a way to copy out one listed file."""

    def __init__(self, source: Path, manifest: dict[str, Any]) -> None:
        self.source = source
        self.manifest = manifest

    def copy(self, name: str, target: Path) -> None:
        raise NotImplementedError


class _FolderBackup(_Backup):
    def copy(self, name: str, target: Path) -> None:
        path = self.source.joinpath(*PurePosixPath(name).parts)
        if not path.is_file() or path.is_symlink():
            raise BackupError(f"{name} is missing from the backup {self.source}; nothing was restored")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


class _ArchiveBackup(_Backup):
    def __init__(self, source: Path, manifest: dict[str, Any], tar: tarfile.TarFile, prefix: str) -> None:
        super().__init__(source, manifest)
        self.tar = tar
        self.prefix = prefix

    def copy(self, name: str, target: Path) -> None:
        try:
            member = self.tar.getmember(self.prefix + name)
            stream = self.tar.extractfile(member)
        except KeyError:
            stream = None
        if stream is None:
            raise BackupError(f"{name} is missing from the backup {self.source}; nothing was restored")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with stream, target.open("wb") as out:
                shutil.copyfileobj(stream, out, 1 << 20)
        except (OSError, EOFError, tarfile.TarError) as exc:
            raise BackupError(
                f"{name} cannot be read from {self.source} ({exc}); nothing was restored"
            ) from exc


@contextmanager
def _opened_backup(source: Path, staging: Path) -> Iterator[_Backup]:
    if source.is_dir():
        manifest_path = source / MANIFEST_FILE
        if not manifest_path.is_file():
            raise BackupError(f"{source} holds no {MANIFEST_FILE}; it is not an Evidex backup")
        yield _FolderBackup(source, _check_manifest(manifest_path.read_bytes(), source))
        return
    with ExitStack() as stack:
        try:
            tar = stack.enter_context(tarfile.open(source, mode="r:*"))
        except (OSError, EOFError, tarfile.TarError) as exc:
            raise BackupError(
                f"{source} is neither a backup folder nor a readable .tar.gz archive ({exc})"
            ) from exc
        try:
            members = tar.getmembers()  # reads the whole archive: a truncated one fails here
        except (OSError, EOFError, tarfile.TarError) as exc:
            raise BackupError(f"{source} is truncated or corrupted ({exc}); nothing was restored") from exc
        prefix = _safe_members(members, source, staging)
        manifest_member = next((m for m in members if m.name == prefix + MANIFEST_FILE), None)
        stream = tar.extractfile(manifest_member) if manifest_member else None
        if stream is None:
            raise BackupError(f"{source} holds no {MANIFEST_FILE}; it is not an Evidex backup")
        with stream:
            manifest = _check_manifest(stream.read(), source)
        yield _ArchiveBackup(source, manifest, tar, prefix)


def _safe_members(members: list[tarfile.TarInfo], source: Path, staging: Path) -> str:
    """Refuse links, devices and names that leave the folder; returns the common top folder ("" or "x/").

    tarfile's own `data` filter (Python 3.11.4+) is applied too where present; files are then written
    by this module to paths it builds from the checked names, never by tarfile's extraction.
    """
    data_filter = getattr(tarfile, "data_filter", None)
    for member in members:
        if not _safe_name(member.name) or not (member.isfile() or member.isdir()):
            raise BackupError(
                f"{source} holds an unsafe member {member.name!r} (a link, device, absolute path or `..`); "
                "nothing was restored"
            )
        if data_filter is not None:
            try:
                data_filter(member, str(staging))
            except tarfile.FilterError as exc:
                raise BackupError(f"{source} holds an unsafe member {member.name!r} ({exc})") from exc
    names = {member.name for member in members}
    # a backup archived by hand: `tar czf x.tar.gz folder/` or `tar czf x.tar.gz -C folder .`
    prefixes = ["", "./", *sorted({name.split("/", 1)[0] + "/" for name in names if "/" in name})]
    return next((prefix for prefix in prefixes if prefix + MANIFEST_FILE in names), "")


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and "\\" not in name and ".." not in path.parts


def _check_manifest(data: bytes, source: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        raise BackupError(
            f"the {MANIFEST_FILE} of {source} is not JSON ({exc}); the backup is damaged"
        ) from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise BackupError(f"the {MANIFEST_FILE} of {source} lists no files; it is not an Evidex backup")
    version = manifest.get("library_format")
    if not isinstance(version, int):
        raise BackupError(
            f"the {MANIFEST_FILE} of {source} names no library format; it is not an Evidex backup"
        )
    if version > FORMAT_VERSION:
        raise BackupError(
            f"{source} holds a library of format {version}, made by Evidex {manifest.get('evidex_version')}; "
            f"this Evidex reads format {FORMAT_VERSION}: restore it with a newer Evidex"
        )
    if version < FORMAT_VERSION:
        raise BackupError(
            f"{source} holds a library of the older format {version}; this Evidex reads {FORMAT_VERSION}: "
            "restore it with the Evidex that made it and rebuild the library with `evidex ingest`"
        )
    for name, entry in manifest["files"].items():
        if (
            not isinstance(name, str)
            or not _safe_name(name)
            or name == MANIFEST_FILE
            or not isinstance(entry, dict)
            or not isinstance(entry.get("size"), int)
            or not isinstance(entry.get("sha256"), str)
        ):
            raise BackupError(
                f"the {MANIFEST_FILE} of {source} has a bad entry {name!r}; nothing was restored"
            )
    if MARKER_FILE not in manifest["files"] or RECORDS_FILE not in manifest["files"]:
        raise BackupError(
            f"the {MANIFEST_FILE} of {source} lists no {RECORDS_FILE}; it is not a whole library"
        )
    return manifest


def _verify(staging: Path, manifest: dict[str, Any], source: Path) -> None:
    """Size, then sha256, of every restored file against the manifest; the first mismatch is named."""
    for name, entry in manifest["files"].items():
        path = staging / name
        size = path.stat().st_size
        if size != entry["size"]:
            raise BackupError(
                f"{name} in {source} has {size:,} bytes, the manifest says {entry['size']:,}: "
                "the backup is truncated or damaged; nothing was restored"
            )
        if _sha256(path) != entry["sha256"]:
            raise BackupError(
                f"{name} in {source} does not match its sha256 in the manifest: the backup is damaged; "
                "nothing was restored"
            )
