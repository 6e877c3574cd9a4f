"""The `evidex` command: build and inspect an evidence library, and search it.

Every error a user can cause ends in one line that says what to do (exit status 1 or 2), never a
traceback; every command has `--json` for scripts.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from evidex import __version__
from evidex.ingest.embedding import (
    embed_missing,
    embed_missing_sentences,
    missing_passages,
    missing_sentence_passages,
)
from evidex.ingest.formats import FORMATS
from evidex.ingest.records import SourceError
from evidex.ingest.runner import IngestSummary, ingest, ingest_sample
from evidex.models import Audience, EvidenceKind, QuestionAnalysis
from evidex.search.embedder import BACKENDS, EmbedderUnavailable, load_embedder
from evidex.search.query import QueryError
from evidex.search.retriever import MAX_K, Retriever, SearchFilters
from evidex.search.settings import PRESETS, RetrievalSettings
from evidex.settings import Settings, load_settings
from evidex.store.backup import BackupError, backup_library, restore_library
from evidex.store.library import Library, LibraryError
from evidex.store.vectors import VectorStoreError

F = TypeVar("F", bound=Callable[..., Any])

out = Console(soft_wrap=True)
err = Console(stderr=True)


def _library_option(func: F) -> F:
    return click.option(
        "--library",
        "library",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="Library folder (default: $EVIDEX_LIBRARY or ~/.local/share/evidex/library).",
    )(func)


def _json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")(func)


_data_dir_option = click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Shared data folder holding corpus/ and eval/ (default: $EVIDEX_DATA_DIR or ../shared/data).",
)
_cache_option = click.option(
    "--cache",
    "cache",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder for the per-dataset libraries (default: beside $EVIDEX_LIBRARY, else ~/.cache/evidex/eval).",
)


def _settings(library: Path | None, **extra: object) -> Settings:
    return load_settings(library=library, **extra)


def _open(settings: Settings, create: bool = False) -> Library:
    try:
        return Library(settings.library, settings.database_url, create=create)
    except LibraryError as exc:
        raise click.ClickException(str(exc)) from exc


def _recheck_articles(lib: Library) -> list[Any]:
    """After an ingest, return approved articles whose evidence moved to review (see `article recheck`)."""
    from evidex.cli_editorial import run_recheck

    return run_recheck(lib)


_composer_option = click.option(
    "--composer",
    type=click.Choice(["extractive", "llm"]),
    default="extractive",
    show_default=True,
    help="Who writes the statements: the extractive composer (no model) or the configured language "
    "model (EVIDEX_LLM_BACKEND=openai with EVIDEX_LLM_BASE_URL, or local with EVIDEX_LLM_MODEL_PATH).",
)


def _chat_model(settings: Settings, composer: str) -> Any:
    """The configured language model when `composer` is llm, else None; a clear error when none is set."""
    if composer != "llm":
        return None
    from evidex.llm.factory import load_chat_model
    from evidex.llm.protocol import LLMError

    try:
        model = load_chat_model(settings)
    except LLMError as exc:
        raise click.ClickException(str(exc)) from exc
    if model is None:
        raise click.UsageError(
            "--composer llm needs a model: set EVIDEX_LLM_BACKEND=openai and EVIDEX_LLM_BASE_URL "
            "(vLLM, llama.cpp server, Ollama, a hosted API) or EVIDEX_LLM_BACKEND=local"
        )
    return model


def _print_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


class _RateColumn(ProgressColumn):
    """Items per second of the current task."""

    def __init__(self, unit: str = "docs/s") -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.1f} {self.unit}" if speed else "", style="progress.data.speed")


class _ProgressReporter:
    """Progress bar per file: documents read, rate and elapsed time (on stderr)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: Any = None

    def start_file(self, path: Path, fmt: str) -> None:
        self.task = self.progress.add_task(f"{path.name} ({fmt})", total=None)

    def advance(self, documents: int) -> None:
        self.progress.advance(self.task, documents)

    def end_file(self) -> None:
        self.progress.stop_task(self.task)


def _run_with_progress(job: Callable[[_ProgressReporter], IngestSummary]) -> IngestSummary:
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        MofNCompleteColumn(),
        TextColumn("docs"),
        _RateColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )
    with progress:
        return job(_ProgressReporter(progress))


def _report(summary: IngestSummary, as_json: bool) -> None:
    if as_json:
        _print_json(summary.as_dict())
    else:
        rate = (summary.added + summary.updated) / summary.seconds if summary.seconds else 0.0
        out.print(
            f"[bold]Ingest finished[/] in {summary.seconds:.1f} s: {summary.files} file(s), "
            f"[green]{summary.added} added[/], {summary.updated} updated, "
            f"{summary.skipped} skipped, [red]{len(summary.rejected)} rejected[/] "
            f"({summary.passages_added} passages indexed, {rate:.0f} documents/s)"
        )
        for reason, count in summary.skip_reasons.most_common():
            out.print(f"  skipped {count}: {escape(reason)}")
        if summary.superseded:
            out.print(
                f"  replaced {summary.superseded} earlier version(s) of edited file(s): "
                "their old text is no longer searched or cited"
            )
        for rejected in summary.rejected[:20]:
            err.print(f"  [red]rejected[/] {escape(rejected.describe())}")
        if len(summary.rejected) > 20:
            err.print(f"  ... and {len(summary.rejected) - 20} more rejected (see --json)")
    if not summary.read_anything and summary.rejected:
        sys.exit(1)


def _embed(lib: Library, backend: str | None, as_json: bool, sentences: bool = False) -> dict[str, object]:
    """Embed every passage that has no vector (and, with `sentences`, every passage's sentences),
    with a progress bar; errors end in one line."""
    try:
        embedder = load_embedder(backend)
        lib.vectors.check_model(embedder.name, embedder.dimensions)
        if sentences:
            lib.sentence_vectors.check_model(embedder.name, embedder.dimensions)
    except (EmbedderUnavailable, VectorStoreError) as exc:
        raise click.ClickException(str(exc)) from exc
    result: dict[str, object] = {"model": embedder.name, "backend": embedder.backend}
    jobs: list[tuple[str, str, int, Callable[[Callable[[int], None]], int]]] = [
        (
            "embedded",
            "embedding passages",
            len(missing_passages(lib)),
            lambda advance: embed_missing(lib, embedder, advance),
        )
    ]
    if sentences:
        jobs.append(
            (
                "sentence_embedded",
                "embedding sentences",
                len(missing_sentence_passages(lib)),
                lambda advance: embed_missing_sentences(lib, embedder, advance),
            )
        )
    for key, label, total, job in jobs:
        progress = Progress(
            SpinnerColumn(),
            TextColumn(label),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(unit="passages/s"),
            TimeElapsedColumn(),
            console=err,
            disable=as_json or total == 0,
        )
        with progress:
            task = progress.add_task("embed", total=total)
            done = job(functools.partial(progress.advance, task))
        result[key] = done
    return result


def _report_flags(flags: list[Any]) -> None:
    """One line per article an ingest, a live search or a refresh sent back to review."""
    for flag in flags:
        err.print(
            f"[yellow]article returned to review[/] {flag.article_id}: {escape('; '.join(flag.reasons))}"
        )


def _report_embedded(embedded: dict[str, object] | None, as_json: bool) -> None:
    if embedded and not as_json:
        out.print(
            f"{embedded['embedded']} passages embedded with {embedded['model']} ({embedded['backend']})"
        )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="evidex")
def main() -> None:
    """Evidex: a clinical evidence library and answer engine that runs offline.

    \b
    Example:
      evidex library sample
      evidex search "first-line treatment of genital herpes" -k 5
    """


@main.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(FORMATS)),
    default=None,
    help="Read every file as this format instead of detecting it.",
)
@click.option(
    "--embed/--no-embed",
    default=True,
    show_default=True,
    help="Also embed the new passages for dense search (about 10–20 passages/s on 2 cores).",
)
@_library_option
@_json_option
def ingest_command(
    paths: tuple[Path, ...], fmt: str | None, embed: bool, library: Path | None, as_json: bool
) -> None:
    """Add files or folders of evidence to the library (resumable, idempotent).

    \b
    Formats: PubMed/MEDLINE XML (.xml, .xml.gz), PMC JATS XML, Markdown, HTML, PDF, text,
    BEIR corpus JSONL, and the shared sample corpora. Bad records are reported and skipped.
    Example:
      evidex ingest pubmed_result.xml guidelines/ --library ./mylib
    """
    for path in paths:
        if not path.exists():
            raise click.BadParameter(f"{path} does not exist", param_hint="PATHS")
    settings = _settings(library)
    with _open(settings, create=True) as lib:
        summary = _run_with_progress(
            lambda reporter: ingest(lib, list(paths), fmt, settings.ingest_batch, reporter)
        )
        embedded = None
        if embed and (summary.added or summary.updated or missing_passages(lib)):
            try:
                # a library that keeps sentence vectors (for `best`) gets them for new passages too
                embedded = _embed(lib, None, as_json, lib.sentence_vectors.meta() is not None)
            except click.ClickException as exc:
                err.print(f"[yellow]passages not embedded:[/] {escape(exc.message)}")
        changed = summary.added or summary.updated or summary.superseded
        flags = _recheck_articles(lib) if changed else []
    _report(summary, as_json)
    _report_flags(flags)
    _report_embedded(embedded, as_json)


@main.group("library")
def library_group() -> None:
    """Build and inspect the evidence library."""


@library_group.command("sample")
@_data_dir_option
@click.option(
    "--embed",
    is_flag=True,
    help="Also embed all passages for dense search (83,516 passages: about 1.5 hours on 2 cores).",
)
@_library_option
@_json_option
def sample_command(data_dir: Path | None, embed: bool, library: Path | None, as_json: bool) -> None:
    """Build the sample library from the six shared corpora (37,710 documents).

    \b
    Example:
      evidex library sample --library ./sample-library
    """
    settings = _settings(library, data_dir=data_dir)
    with _open(settings, create=True) as lib:
        try:
            summary = _run_with_progress(
                lambda reporter: ingest_sample(
                    lib, settings.data_dir / "corpus", settings.ingest_batch, reporter
                )
            )
        except SourceError as exc:
            raise click.ClickException(str(exc)) from exc
        embedded = _embed(lib, None, as_json) if embed else None
    _report(summary, as_json)
    _report_embedded(embedded, as_json)


@library_group.command("embed")
@click.option("--rebuild", is_flag=True, help="Drop all vectors and embed every passage again.")
@click.option(
    "--sentences",
    is_flag=True,
    help=(
        "Also embed each passage's sentences, for the `best` preset's re-ranking (about as long "
        "again as the passages, and eight vectors per passage on disk and in memory)."
    ),
)
@click.option(
    "--backend",
    type=click.Choice(BACKENDS),
    default=None,
    help="Embedding runtime (default $EVIDEX_EMBEDDING_BACKEND or onnx-int8).",
)
@_library_option
@_json_option
def embed_command(
    rebuild: bool, sentences: bool, backend: str | None, library: Path | None, as_json: bool
) -> None:
    """Embed the library's passages for dense search (resumable: kill it and run it again).

    \b
    Example:
      evidex library embed --library ./sample-library
      evidex library embed --sentences      # also what the `best` preset re-ranks by
    """
    settings = _settings(library)
    with _open(settings) as lib:
        if rebuild:
            lib.vectors.clear()
            lib.sentence_vectors.clear()
        result = _embed(lib, backend, as_json, sentences)
        result["vectors"] = len(lib.vectors.ids() & lib.records.passage_ids())
        if sentences:
            result["sentence_vector_passages"] = len(lib.records.passage_ids()) - len(
                missing_sentence_passages(lib)
            )
    if as_json:
        _print_json(result)
    else:
        line = (
            f"{result['embedded']} passages embedded with {result['model']} ({result['backend']}); "
            f"{result['vectors']} passages have vectors"
        )
        if sentences:
            line += f"; sentences of {result['sentence_embedded']} passages embedded"
        out.print(line)


@library_group.command("refresh")
@click.option(
    "--timeout",
    type=click.FloatRange(1, 3600),
    default=120.0,
    show_default=True,
    help="Seconds the whole fetch may take (E-utilities allow 3 requests/s, 10 with an API key).",
)
@_library_option
@_json_option
def refresh_command(timeout: float, library: Path | None, as_json: bool) -> None:
    """Fetch the records a live PubMed search added again, so corrections and retractions arrive.

    Changed records are updated in place, retracted ones flagged; records PubMed no longer returns
    are listed, never deleted. Approved articles citing a changed record go back to review.

    \b
    Example:
      evidex library refresh --json
    """
    from evidex.answer.live import eutils_config
    from evidex.answer.live_refresh import refresh_live_records
    from evidex.ingest.eutils import EutilsClient, EutilsError

    settings = _settings(library)
    with _open(settings) as lib:
        try:
            outcome = refresh_live_records(lib, EutilsClient(eutils_config(settings)), timeout)
        except EutilsError as exc:
            raise click.ClickException(
                f"could not refresh from PubMed: {exc}; the library is unchanged, try again later"
            ) from exc
        embedded = None
        if outcome.updated and lib.vectors.meta() is not None and missing_passages(lib):
            embedded = _embed(lib, None, as_json, lib.sentence_vectors.meta() is not None)
        flags = _recheck_articles(lib) if outcome.updated else []
    if as_json:
        _print_json(outcome.as_dict())
    elif not outcome.checked:
        out.print("no records from a live PubMed search in this library: nothing to refresh")
    else:
        out.print(
            f"checked {outcome.checked} live-fetched record(s): {len(outcome.updated)} updated "
            f"({len(outcome.retracted)} newly retracted), {len(outcome.missing)} no longer returned by PubMed"
        )
        for document_id in outcome.retracted:
            out.print(f"  [red]retracted[/] {escape(document_id)}")
        if outcome.missing:
            out.print(f"  not returned: {escape(', '.join(outcome.missing))}")
    _report_embedded(embedded, as_json)
    _report_flags(flags)


@library_group.command("stats")
@_library_option
@_json_option
def stats_command(library: Path | None, as_json: bool) -> None:
    """Documents by source and evidence kind, passages, and size on disk.

    \b
    Example:
      evidex library stats --json
    """
    settings = _settings(library)
    with _open(settings) as lib:
        counts = lib.records.counts()
        counts["indexed_passages"] = lib.lexical.count()
        counts["embedded_passages"] = len(lib.vectors.ids() & lib.records.passage_ids())
        counts["sentence_embedded_passages"] = len(lib.records.passage_ids()) - len(
            missing_sentence_passages(lib)
        )
        counts["embedding_model"] = (lib.vectors.meta() or {}).get("model")
        counts["size_bytes"] = lib.size_on_disk()
        counts["path"] = str(lib.path)
    if as_json:
        _print_json(counts)
        return
    out.print(f"[bold]Library[/] {escape(counts['path'])}")
    out.print(
        f"{counts['documents']:,} documents, {counts['passages']:,} passages "
        f"({counts['indexed_passages']:,} indexed, {counts['embedded_passages']:,} embedded, "
        f"{counts['sentence_embedded_passages']:,} with sentence vectors), "
        f"{counts['retracted']} retracted, "
        f"{counts['size_bytes'] / 1e6:,.1f} MB on disk"
    )
    for title, key in (("Source", "by_source"), ("Evidence kind", "by_kind")):
        table = Table(title=None)
        table.add_column(title)
        table.add_column("Documents", justify="right")
        for name, count in counts[key].items():
            label = EvidenceKind(name).label if key == "by_kind" else name
            table.add_row(f"{label} ({name})" if key == "by_kind" else label, f"{count:,}")
        out.print(table)


@library_group.command("backup")
@click.argument("dest", type=click.Path(path_type=Path))
@_library_option
@_json_option
def backup_command(dest: Path, library: Path | None, as_json: bool) -> None:
    """Copy the library to a new folder, or to DEST.tar.gz, consistently even while it is in use.

    Records in PostgreSQL ($EVIDEX_DATABASE_URL) are refused: back them up with pg_dump.

    \b
    Example:
      evidex library backup ~/backups/evidex-2025-01-31.tar.gz
    """
    settings = _settings(library)
    try:
        result = backup_library(settings.library, dest, settings.database_url)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        _print_json(result.to_json())
        return
    counts = result.counts
    out.print(
        f"Backed up {escape(str(result.library))} to {escape(str(result.destination))}: "
        f"{result.files} files, {result.bytes / 1e6:,.1f} MB{' compressed' if result.archive else ''}; "
        f"{counts['documents']:,} documents, {counts['passages']:,} passages, "
        f"{counts['vectors']:,} vectors in {result.seconds:.1f} s"
    )
    for note in result.notes:
        err.print(f"[yellow]note:[/] {escape(note)}")


@library_group.command("restore")
@click.argument("src", type=click.Path(path_type=Path))
@click.argument("dest_library", type=click.Path(path_type=Path))
@_json_option
def restore_command(src: Path, dest_library: Path, as_json: bool) -> None:
    """Restore a backup (folder or .tar.gz) as a new library; every file is checked first.

    \b
    Example:
      evidex library restore ~/backups/evidex-2025-01-31.tar.gz ~/evidex-library
    """
    try:
        result = restore_library(src, dest_library)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        _print_json(result.to_json())
        return
    counts = result.counts
    out.print(
        f"Library restored to {escape(str(result.library))} from the backup of {result.created_at}: "
        f"{result.files} files checked, {result.bytes / 1e6:,.1f} MB; {counts.get('documents', 0):,} "
        f"documents, {counts.get('passages', 0):,} passages, {counts.get('vectors', 0):,} vectors "
        f"in {result.seconds:.1f} s. Use it with --library {escape(str(result.library))}"
    )
    if _settings(None).database_url:
        err.print(
            "[yellow]note:[/] EVIDEX_DATABASE_URL is set, so Evidex reads records from that database, "
            "not from the restored records.sqlite; unset it to use the restored library's own"
        )


@main.command("search")
@click.argument("query")
@click.option("-k", "k", type=click.IntRange(1, MAX_K), default=10, show_default=True)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice([kind.value for kind in EvidenceKind]),
    help="Only this evidence kind (repeatable).",
)
@click.option("--source", "sources", multiple=True, help="Only this source, e.g. ngc (repeatable).")
@click.option("--year-from", type=int, default=None, help="Only documents from this year on.")
@click.option("--year-to", type=int, default=None, help="Only documents up to this year.")
@click.option("--exclude-retracted", is_flag=True, help="Leave out retracted publications.")
@click.option(
    "--preset",
    type=click.Choice(PRESETS),
    default="default",
    show_default=True,
    help="fast: BM25 + medical synonyms; default: + dense vectors (RRF); best: + re-scoring; bm25: plain.",
)
@_library_option
@_json_option
def search_command(
    query: str,
    preset: str,
    k: int,
    kinds: tuple[str, ...],
    sources: tuple[str, ...],
    year_from: int | None,
    year_to: int | None,
    exclude_retracted: bool,
    library: Path | None,
    as_json: bool,
) -> None:
    """Rank passages of the library for a query.

    \b
    Example:
      evidex search "acyclovir dose for herpes simplex encephalitis" -k 5 --kind guideline
    """
    settings = _settings(library)
    filters = SearchFilters(
        kinds=[EvidenceKind(kind) for kind in kinds],
        sources=sources,
        year_from=year_from,
        year_to=year_to,
        include_retracted=not exclude_retracted,
    )
    with _open(settings) as lib:
        try:
            retriever = Retriever(lib, RetrievalSettings.preset(preset))
            hits = retriever.search(query, k, filters)
        except QueryError as exc:
            raise click.UsageError(str(exc)) from exc
    for note in retriever.notes:
        err.print(f"[yellow]note:[/] {escape(note)}")
    if as_json:
        _print_json([hit.model_dump(mode="json") for hit in hits])
        return
    if not hits:
        out.print("No passage matches this query; try other words or fewer filters.")
        return
    for rank, hit in enumerate(hits, start=1):
        retracted = " [bold red]RETRACTED[/]" if hit.retracted else ""
        year = f", {hit.year}" if hit.year else ""
        out.print(
            f"[bold]{rank}. {escape(hit.title)}[/]{retracted}\n"
            f"   [cyan]{hit.kind.label}[/]{year} · {escape(hit.document_id)} · "
            f"{escape(hit.section)} · score {hit.score:.2f}"
        )
        snippet = hit.text if len(hit.text) <= 300 else hit.text[:300].rsplit(" ", 1)[0] + " …"
        out.print(f"   {escape(snippet)}\n")


THREAD_FILE = "last-question.json"


@main.command("ask")
@click.argument("question")
@click.option(
    "--audience",
    type=click.Choice([a.value for a in Audience]),
    default=Audience.CLINICIAN.value,
    show_default=True,
    help="Which best describes you: plain words for patients, key terms for students.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["terminal", "md", "json", "html"]),
    default="terminal",
    show_default=True,
    help="terminal page, Markdown, JSON (versioned schema) or an HTML fragment.",
)
@click.option("--follow-up", is_flag=True, help="Continue the previous question's thread (its entities).")
@click.option("--preset", type=click.Choice(PRESETS), default="default", show_default=True)
@click.option(
    "--show-flagged",
    is_flag=True,
    help="Show claims that fail verification, flagged, instead of dropping them.",
)
@click.option(
    "--live-search",
    "live_search",
    type=click.Choice(["never", "when_insufficient", "always"]),
    default=None,
    help="Search PubMed (NCBI E-utilities) and add what it finds to the library: never, when the "
    "library holds too little, or always (default: $EVIDEX_LIVE_SEARCH or never).",
)
@_composer_option
@_library_option
def ask_command(
    question: str,
    audience: str,
    fmt: str,
    follow_up: bool,
    preset: str,
    show_flagged: bool,
    live_search: str | None,
    composer: str,
    library: Path | None,
) -> None:
    """Answer a clinical question from the library: a cited, verified answer page.

    \b
    Example:
      evidex ask "Should IVIG be used as first-line therapy for HSV in immunocompromised patients?"
      evidex ask "What dose?" --follow-up
      evidex ask "What is shingles?" --audience patient --format md
      evidex ask "Does IVIG help in HSV encephalitis?" --live-search when_insufficient
      EVIDEX_LLM_BACKEND=openai evidex ask "What is the treatment for genital herpes?" --composer llm
    """
    # the answer engine loads its models on first use; importing it here keeps other commands quick
    from evidex.answer.analysis import QuestionError
    from evidex.answer.engine import AnswerEngine
    from evidex.answer.live import LiveSearch
    from evidex.answer.render import render_html, render_json, render_markdown, render_terminal

    settings = _settings(library)
    with _open(settings) as lib:
        thread = lib.path / THREAD_FILE
        previous = None
        if follow_up:
            if not thread.exists():
                raise click.UsageError(
                    "there is no earlier question to follow up; ask one without --follow-up"
                )
            previous = QuestionAnalysis.model_validate_json(thread.read_text(encoding="utf-8"))
        live = LiveSearch.from_settings(settings, live_search)
        llm = _chat_model(settings, composer)
        engine = AnswerEngine(lib, preset, "flag" if show_flagged else "drop", live=live, llm=llm)
        with err.status("retrieving…") as status:
            try:
                answer = engine.ask(
                    question,
                    Audience(audience),
                    previous,
                    progress=lambda stage: status.update(f"{stage}…"),
                )
            except QuestionError as exc:
                raise click.UsageError(str(exc)) from exc
        thread.write_text(answer.analysis.model_dump_json(), encoding="utf-8")
        # records a live PubMed search added are new evidence for approved articles, as after an ingest
        flags = _recheck_articles(lib) if engine.live_added else []
    _report_flags(flags)
    if fmt == "json":
        click.echo(render_json(answer))
    elif fmt == "md":
        click.echo(render_markdown(answer))
    elif fmt == "html":
        click.echo(render_html(answer))
    else:
        render_terminal(answer, out)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--preset",
    type=click.Choice(PRESETS),
    default="default",
    show_default=True,
    help="Retrieval preset for answers and searches.",
)
@click.option(
    "--rate-limit",
    type=click.IntRange(0, 1_000_000),
    default=None,
    help="Answers and searches per minute per client (0: none; default $EVIDEX_RATE_LIMIT or 60).",
)
@click.option("--show-flagged", is_flag=True, help="Show claims that failed verification, flagged.")
@_composer_option
@_library_option
def serve_command(
    host: str,
    port: int,
    preset: str,
    rate_limit: int | None,
    show_flagged: bool,
    composer: str,
    library: Path | None,
) -> None:
    """Serve the web app and JSON API (pages at /, API under /api, schema at /openapi.json).

    \b
    Example:
      evidex serve                 # then open http://127.0.0.1:8000/
      evidex serve --host 0.0.0.0 --port 8080 --library /srv/evidex/library
    """
    import uvicorn

    from evidex.answer.live import LiveSearch
    from evidex.web.app import create_app

    settings = _settings(library, rate_limit=rate_limit)
    lib = _open(settings)
    app = create_app(
        lib,
        preset=preset,
        rate_limit=settings.rate_limit,
        max_request_bytes=settings.max_request_bytes,
        failed_claims="flag" if show_flagged else "drop",
        signoffs_required=settings.signoffs_required,
        live=LiveSearch.from_settings(settings) if settings.live_search != "never" else None,
        llm=_chat_model(settings, composer),
    )
    err.print(f"Evidex serving {lib.path} at http://{host}:{port}/ (Ctrl+C to stop)")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}; choose another --port") from exc
    finally:
        lib.close()


@main.command("show")
@click.argument("document_id")
@_library_option
@_json_option
def show_command(document_id: str, library: Path | None, as_json: bool) -> None:
    """Show one document: its facts and all its passages.

    \b
    Example:
      evidex show pmid:21645374
    """
    settings = _settings(library)
    with _open(settings) as lib:
        document = lib.records.document(document_id)
        if document is None:
            raise click.ClickException(
                f"no document {document_id!r} in {lib.path}; ids look like pmid:123, ngc:2052, "
                "scifact:4983 — find them with `evidex search`"
            )
        passages = lib.records.passages_of(document_id)
    if as_json:
        data = document.model_dump(mode="json", exclude={"sections"})
        data["kind_label"] = document.kind.label
        data["passages"] = [{"id": pid, **p.model_dump(mode="json")} for pid, p in passages]
        _print_json(data)
        return
    if document.retracted:
        out.print("[bold white on red] RETRACTED PUBLICATION [/]")
    out.print(f"[bold]{escape(document.title)}[/]")
    facts = [
        ("Id", document.id),
        ("Evidence", f"{document.kind.label} ({document.extra.get('kind_basis', '')})"),
        (
            "Authors",
            ", ".join(document.authors[:6]) + (" et al." if len(document.authors) > 6 else ""),
        ),
        ("Journal", document.journal),
        ("Publisher", document.publisher),
        ("Year", document.year),
        ("Date", document.date),
        ("DOI", document.doi),
        ("PMID", document.pmid),
        ("URL", document.url),
        ("MeSH", "; ".join(document.mesh_terms)),
        ("Publication types", "; ".join(document.publication_types)),
        ("Licence", document.licence),
        ("Source", document.source),
    ]
    for name, value in facts:
        if value:
            out.print(f"[dim]{name}:[/] {escape(str(value))}")
    for pid, passage in passages:
        page = f", page {passage.page}" if passage.page else ""
        out.print(f"\n[bold cyan]§ {escape(passage.section)}[/] [dim](passage {pid}{page})[/]")
        out.print(escape(passage.text))


# -- evidex eval ----------------------------------------------------------------------------------

_EVAL_PRESETS = ("bm25", "fast", "default", "best")


class _EvalProgress:
    """Progress bars for `evidex eval` (ingest, embedding, queries per preset), on stderr."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: Any = None

    def start(self, description: str, total: int | None) -> None:
        self.task = self.progress.add_task(description, total=total)

    def advance(self, amount: int) -> None:
        self.progress.advance(self.task, amount)

    def end(self) -> None:
        self.progress.stop_task(self.task)


@main.group("eval")
def eval_group() -> None:
    """Measure retrieval quality on benchmark datasets (SciFact, BioASQ, NFCorpus, any BEIR folder)."""


@eval_group.command("retrieval")
@click.argument("dataset")
@click.option(
    "--preset",
    "presets",
    multiple=True,
    type=click.Choice(_EVAL_PRESETS),
    help="Retrieval preset to score (repeatable; default: all four). bm25 always runs as the baseline.",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N queries.")
@_cache_option
@_data_dir_option
@click.option("--split", default="test", show_default=True, help="Judgments split of a BEIR folder.")
@click.option(
    "--queries",
    "nfcorpus_queries",
    type=click.Choice(["titles", "vid-desc"]),
    default="titles",
    show_default=True,
    help="NFCorpus query field.",
)
@_json_option
def eval_retrieval_command(
    dataset: str,
    presets: tuple[str, ...],
    limit: int | None,
    cache: Path | None,
    data_dir: Path | None,
    split: str,
    nfcorpus_queries: str,
    as_json: bool,
) -> None:
    """Score retrieval presets on a benchmark: nDCG@10, Recall@10/100, MRR@10, latency.

    DATASET is scifact, bioasq, nfcorpus or the path of a BEIR folder (corpus.jsonl, queries.jsonl,
    qrels/SPLIT.tsv). The corpus is ingested into its own cached library (never your library), and
    embedded when a preset needs vectors.

    \b
    Example:
      evidex eval retrieval scifact --preset bm25 --preset fast
      evidex eval retrieval ./beir/nfcorpus --split test --limit 200 --json
    """
    from evidex.evaluation.datasets import DATASETS, DatasetError, load_dataset
    from evidex.evaluation.retrieval import EvalError, run_retrieval_eval
    from evidex.settings import DEFAULT_LIBRARY

    settings = load_settings(data_dir=data_dir)
    if dataset in DATASETS and not settings.data_dir.is_dir():
        raise click.ClickException(
            f"shared data folder {settings.data_dir} not found; pass --data-dir or set EVIDEX_DATA_DIR"
        )
    if cache is None:
        explicit = settings.library.expanduser() != DEFAULT_LIBRARY
        cache = settings.library.expanduser().parent / "eval-cache" if explicit else None
        cache = cache or Path.home() / ".cache" / "evidex" / "eval"
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    try:
        data = load_dataset(dataset, settings.data_dir, split=split, nfcorpus_queries=nfcorpus_queries)
        with progress:
            report = run_retrieval_eval(
                data, list(presets or _EVAL_PRESETS), cache, limit=limit, progress=_EvalProgress(progress)
            )
    except (DatasetError, EvalError, LibraryError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        _print_json(report.as_dict())
        return
    out.print(report.as_table())
    out.print(
        f"[dim]library {escape(str(report.library))}; ingest {report.ingest_seconds:.1f} s"
        + (
            f"; embedded {report.embedded_passages:,} passages in {report.embed_seconds:.1f} s"
            if report.embedded_passages
            else ""
        )
        + "[/]"
    )
    for result in report.results:
        for note in result.notes:
            err.print(f"[yellow]{result.preset}[/]: {escape(note)}")


# -- evidex eval qa / citations / abstention ------------------------------------------------------


def _eval_bar() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def _eval_data_dir(data_dir: Path | None) -> Path:
    folder = load_settings(data_dir=data_dir).data_dir
    if not folder.is_dir():
        raise click.ClickException(
            f"shared data folder {folder} not found; pass --data-dir or set EVIDEX_DATA_DIR"
        )
    return folder


_eval_preset_option = click.option(
    "--preset", type=click.Choice(PRESETS), default="default", show_default=True, help="Retrieval preset."
)


@eval_group.command("qa")
@click.option("--dataset", type=click.Choice(["pubmedqa", "bioasq"]), default="pubmedqa", show_default=True)
@click.option(
    "--mode",
    type=click.Choice(["contexts", "retrieval", "both"]),
    default="both",
    show_default=True,
    help="contexts: the verdict rule on the question's given evidence; retrieval: the answer engine.",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N questions.")
@click.option(
    "--library",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Answer from this library (default: a cached library of the dataset's own corpus only).",
)
@_cache_option
@_data_dir_option
@_eval_preset_option
@_composer_option
@_json_option
def eval_qa_command(
    dataset: str,
    mode: str,
    limit: int | None,
    library: Path | None,
    cache: Path | None,
    data_dir: Path | None,
    preset: str,
    composer: str,
    as_json: bool,
) -> None:
    """Yes/no accuracy on PubMedQA or BioASQ, with the given contexts and with retrieval.

    Verdicts map yes → yes, no → no, uncertain or insufficient → maybe; the always-"yes" baseline is
    printed beside each mode.

    \b
    Example:
      evidex eval qa --dataset pubmedqa --mode both
      evidex eval qa --dataset bioasq --limit 100 --json
    """
    from evidex.evaluation.qa import run_qa_eval
    from evidex.evaluation.retrieval import EvalError
    from evidex.settings import DEFAULT_LIBRARY

    folder = _eval_data_dir(data_dir)
    if cache is None:
        user_library = load_settings().library.expanduser()
        explicit = user_library != DEFAULT_LIBRARY
        cache = user_library.parent / "eval-cache" if explicit else Path.home() / ".cache" / "evidex" / "eval"
    bar = _eval_bar()
    try:
        with bar:
            report = run_qa_eval(
                dataset,
                mode,
                folder,
                cache,
                library,
                limit,
                preset,
                progress=_EvalProgress(bar),
                llm=_chat_model(load_settings(), composer),
            )
    except (EvalError, LibraryError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        _print_json(report.as_dict())
        return
    out.print(report.as_table())
    for result in report.results:
        out.print(report.confusion_table(result.mode))
        raw = ", ".join(f"{name} {count}" for name, count in sorted(result.verdicts.items()))
        out.print(f"[dim]{result.mode}: verdicts before mapping: {escape(raw)}[/]")
        if result.unanswerable:
            out.print(f"[dim]{result.mode}: {result.unanswerable} questions unanswerable (counted maybe)[/]")
        for note in result.notes:
            err.print(f"[yellow]{result.mode}[/]: {escape(note)}")
    if report.library is not None:
        out.print(f"[dim]library {escape(str(report.library))}: {escape(report.library_note or '')}[/]")


@eval_group.command("mirage")
@click.option(
    "--task",
    "tasks",
    type=click.Choice(["mmlu", "medqa", "medmcqa", "pubmedqa", "bioasq"]),
    multiple=True,
    help="Only these tasks (repeatable; default all five).",
)
@click.option("--limit", type=click.IntRange(1, 40), default=None, help="A fixed sample of N per task.")
@click.option(
    "--mode",
    "modes",
    type=click.Choice(["closed", "retrieval"]),
    multiple=True,
    help="closed (question only) and/or retrieval (the library's top passages first); default both.",
)
@_library_option
@_data_dir_option
@_json_option
def eval_mirage_command(
    tasks: tuple[str, ...],
    limit: int | None,
    modes: tuple[str, ...],
    library: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Multiple-choice accuracy of the configured language model on MIRAGE, with and without retrieval.

    \b
    Example:
      EVIDEX_LLM_BACKEND=openai evidex eval mirage --limit 10
    """
    from evidex.evaluation.mirage import TASKS, MirageError, as_dict, as_table, evaluate, load
    from evidex.search.retriever import Retriever
    from evidex.search.settings import RetrievalSettings

    settings = _settings(library)
    model = _chat_model(settings, "llm")
    try:
        items = load(_eval_data_dir(data_dir) / "eval" / "mirage" / "dev.json", tasks or TASKS, limit)
    except MirageError as exc:
        raise click.ClickException(str(exc)) from exc
    chosen = modes or ("closed", "retrieval")
    bar = _eval_bar()
    lib = _open(settings) if "retrieval" in chosen else None
    try:
        retriever = Retriever(lib, RetrievalSettings.preset("default")) if lib is not None else None
        with bar:
            task = bar.add_task("MIRAGE", total=len(items) * len(chosen))
            scores = evaluate(
                model,
                items,
                retriever,
                chosen,
                progress=lambda done, _total: bar.update(task, completed=done),
            )
    finally:
        if lib is not None:
            lib.close()
    name = getattr(model, "name", "model")
    if as_json:
        _print_json(as_dict(scores, name))
    else:
        out.print(as_table(scores, name))


def _citation_judge(settings: Settings, judge: str, judge_model: Path | None) -> Any:
    """None for the verifier (run_citation_eval's default), else an LlmJudge on the chosen model."""
    if judge != "llm":
        if judge_model is not None:
            raise click.UsageError("--judge-model goes with --judge llm")
        return None
    from evidex.evaluation.judges import LlmJudge
    from evidex.llm.protocol import LLMError

    if judge_model is None:
        return LlmJudge(_chat_model(settings, "llm"), settings.llm_model)
    if not judge_model.is_file():
        raise click.UsageError(f"--judge-model {judge_model}: no such file; give the path of a GGUF model")
    from evidex.llm.llamacpp_local import LocalLlamaClient

    try:
        return LlmJudge(LocalLlamaClient(judge_model), judge_model.name)
    except LLMError as exc:
        raise click.ClickException(str(exc)) from exc


@eval_group.command("citations")
@click.option("--limit", type=click.IntRange(min=2), default=100, show_default=True, help="Questions asked.")
@_library_option
@_data_dir_option
@_eval_preset_option
@click.option("--verbose", is_flag=True, help="List each question with its claim and support counts.")
@_composer_option
@click.option(
    "--judge",
    type=click.Choice(["verifier", "llm"]),
    default="verifier",
    show_default=True,
    help="Who decides support: the engine's own verifier (fast, partly circular) or a language model.",
)
@click.option(
    "--judge-model",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="GGUF file of the judge model (llama-cpp-python); default: the configured LLM (EVIDEX_LLM_*).",
)
@_json_option
def eval_citations_command(
    limit: int,
    library: Path | None,
    data_dir: Path | None,
    preset: str,
    verbose: bool,
    composer: str,
    judge: str,
    judge_model: Path | None,
    as_json: bool,
) -> None:
    """Citation recall and precision (ALCE-style) of answers from your library.

    Half the questions come from PubMedQA dev, half from BioASQ dev, drawn with a fixed seed; unsupported
    claims are kept flagged so they count. With --judge llm a language model, not the engine's own
    verifier, decides whether each claim's cited passages support it.

    \b
    Example:
      evidex eval citations --limit 100
      evidex eval citations --limit 100 --judge llm --judge-model qwen2.5-coder-1.5b-q4_k_m.gguf
    """
    from evidex.evaluation.citations import draw_questions, run_citation_eval
    from evidex.evaluation.retrieval import EvalError

    try:
        questions = draw_questions(_eval_data_dir(data_dir), limit)
    except EvalError as exc:
        raise click.ClickException(str(exc)) from exc
    bar = _eval_bar()
    settings = _settings(library)
    llm = _chat_model(settings, composer)
    judge_by = _citation_judge(settings, judge, judge_model)
    with _open(settings) as lib:
        try:
            with bar:
                report = run_citation_eval(
                    lib, questions, preset, progress=_EvalProgress(bar), llm=llm, judge=judge_by
                )
        except (EvalError, LibraryError) as exc:
            raise click.ClickException(str(exc)) from exc
    if as_json:
        data = report.as_dict()
        if verbose:
            data["pages"] = [
                {
                    "source": page.source,
                    "question": page.question,
                    "insufficient": page.insufficient,
                    "claims": len(page.claims),
                    "supported": sum(c.supported for c in page.claims),
                    "flagged": sum(c.flagged for c in page.claims),
                }
                for page in report.pages
            ]
        _print_json(data)
        return
    out.print(report.as_table())
    if verbose:
        for page in report.pages:
            supported = sum(c.supported for c in page.claims)
            out.print(
                f"[dim]{page.source}[/] {escape(page.question)} — {len(page.claims)} claims, "
                f"{supported} supported" + (" · insufficient" if page.insufficient else "")
            )
    for note in report.notes:
        err.print(f"[yellow]note[/]: {escape(note)}")


@eval_group.command("abstention")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Questions asked.")
@_library_option
@_data_dir_option
@_eval_preset_option
@click.option(
    "--rule",
    type=click.Choice(["parts", "phrase", "terms"]),
    default="parts",
    show_default=True,
    help=(
        "Off-topic test. phrase: no entity matches as a phrase; terms: nor do all its words in one "
        "passage; parts: nor does any run of 2+ of its words, also for its synonyms."
    ),
)
@click.option("--verbose", is_flag=True, help="Print the chosen questions and their entities.")
@_json_option
def eval_abstention_command(
    limit: int,
    library: Path | None,
    data_dir: Path | None,
    preset: str,
    rule: str,
    verbose: bool,
    as_json: bool,
) -> None:
    """Abstention on questions about topics absent from your library (HealthSearchQA).

    Each chosen question should come back as insufficient evidence; the selection rule is printed.

    \b
    Example:
      evidex eval abstention --limit 50 --verbose
    """
    from evidex.evaluation.abstention import load_questions, run_abstention_eval
    from evidex.evaluation.retrieval import EvalError

    folder = _eval_data_dir(data_dir)
    bar = _eval_bar()
    try:
        questions = load_questions(folder / "eval" / "healthsearchqa" / "questions.txt")
        with _open(_settings(library)) as lib, bar:
            report = run_abstention_eval(
                lib, questions, limit, preset, rule=rule, progress=_EvalProgress(bar)
            )
    except (EvalError, LibraryError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        _print_json(report.as_dict())
        return
    out.print(report.as_table())
    out.print(f"[dim]selection: {escape(report.rule)}[/]")
    if verbose:
        for case in report.cases:
            mark = "[green]abstained[/]" if case.abstained else "[red]answered[/]"
            out.print(f"{mark} {escape(case.question)} [dim]({escape(', '.join(case.entities))})[/]")
    for case in report.failures:
        out.print(
            f"[red]failure[/] {escape(case.question)} — verdict {case.verdict or 'none'}, "
            f"{case.claims} claims: {escape(case.headline)}"
        )
    for note in report.notes:
        err.print(f"[yellow]note[/]: {escape(note)}")


# the editorial commands (`evidex user`, `evidex article`) register themselves on `main`
import evidex.cli_editorial  # noqa: E402, F401

if __name__ == "__main__":
    main()
