"""Live PubMed search: query building, when it runs, what it keeps, and the answer it leads to.

A local server on 127.0.0.1 plays NCBI E-utilities (tests/fixtures/eutils/fake_eutils.py); no test
reaches the network.
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from rich.console import Console

from evidex.answer.analysis import analyse
from evidex.answer.engine import INSUFFICIENT, AnswerEngine
from evidex.answer.live import LIVE_FETCHED_AT, LIVE_QUERY, LiveMode, LiveSearch
from evidex.answer.pubmed_query import MeshVocabulary, QueryOptions, build_queries, concepts
from evidex.answer.render import render_html, render_json, render_markdown, render_terminal
from evidex.cli import main
from evidex.ingest.eutils import EutilsConfig
from evidex.ingest.runner import ingest
from evidex.models import Answer
from evidex.settings import load_settings
from evidex.store.library import Library

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "eutils"
QUESTION = (
    "Should IVIG be used as first-line therapy for HSV infection in severely immunocompromised patients?"
)
PMIDS = ["39100001", "39100002", "39100003"]
NOW = datetime(2025, 6, 1, 12, 30, tzinfo=UTC)
OPTIONS = QueryOptions(year_to=2025)
HUMANS = "NOT (animals[MeSH Terms] NOT humans[MeSH Terms])"
EFFECT_TYPES = (
    '("guideline"[pt] OR "practice guideline"[pt] OR "systematic review"[pt] OR "meta-analysis"[pt] '
    'OR "randomized controlled trial"[pt])'
)
IVIG = '("Immunoglobulins, Intravenous"[MeSH Terms] OR ivig[tiab] OR "intravenous immunoglobulin"[tiab])'
HSV = '("Herpes Simplex"[MeSH Terms] OR hsv[tiab] OR "herpes simplex virus"[tiab])'
STRICT = (
    f"({IVIG} AND {HSV} AND immunocompromised[tiab]) AND {EFFECT_TYPES} AND english[la] "
    f"AND 2006:2025[dp] {HUMANS}"
)


def _helper() -> ModuleType:
    """tests/fixtures/eutils/fake_eutils.py, shared with the client tests (tests are not a package)."""
    if "fake_eutils" not in sys.modules:
        spec = importlib.util.spec_from_file_location("fake_eutils", FIXTURES / "fake_eutils.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["fake_eutils"] = module
        spec.loader.exec_module(module)
    return sys.modules["fake_eutils"]


fake = _helper()
RECORDS: dict[str, str] = fake.records_of((FIXTURES / "efetch_ivig_hsv.xml").read_text(encoding="utf-8"))


def live(base_url: str, mode: str = "when_insufficient", budget: float = 5.0, **extra: object) -> LiveSearch:
    config = EutilsConfig(base_url=base_url, min_interval=0.0, backoff=0.01, timeout=2.0)
    return LiveSearch(mode, config, budget=budget, options=OPTIONS, now=lambda: NOW, **extra)


@pytest.fixture()
def server() -> Iterator[Any]:
    with fake.FakeEutils(RECORDS) as running:
        yield running


@pytest.fixture()
def library(tmp_path: Path) -> Iterator[Library]:
    with Library(tmp_path / "lib", create=True) as lib:
        yield lib


# ---------------------------------------------------------------------------------- queries


def test_query_for_the_ivig_question_maps_terms_to_mesh_and_filters_for_evidence() -> None:
    queries = build_queries(analyse(QUESTION), options=OPTIONS)
    assert queries == [
        STRICT,
        f"({IVIG} AND {HSV} AND immunocompromised[tiab]) AND english[la] {HUMANS}",
        f"({IVIG} AND {HSV}) AND english[la] {HUMANS}",
    ]


def test_query_for_a_three_concept_prevention_question() -> None:
    analysis = analyse("Does aspirin reduce the risk of stroke in patients with atrial fibrillation?")
    assert build_queries(analysis, options=OPTIONS)[0] == (
        '(("Aspirin"[MeSH Terms] OR aspirin[tiab]) AND ("Stroke"[MeSH Terms] OR stroke[tiab]) AND '
        '("Atrial Fibrillation"[MeSH Terms] OR "atrial fibrillation"[tiab])) AND '
        f"{EFFECT_TYPES} AND english[la] AND 2006:2025[dp] {HUMANS}"
    )


def test_query_for_a_diagnosis_question_asks_for_syntheses_and_keeps_lay_words() -> None:
    queries = build_queries(analyse("What are the symptoms of shingles?"), options=OPTIONS)
    shingles = '("Herpes Zoster"[MeSH Terms] OR shingles[tiab] OR "herpes zoster"[tiab])'
    assert queries == [
        f'{shingles} AND ("guideline"[pt] OR "practice guideline"[pt] OR "systematic review"[pt] '
        f'OR "meta-analysis"[pt]) AND english[la] AND 2006:2025[dp] {HUMANS}',
        f"{shingles} AND english[la] {HUMANS}",
    ]


def test_plural_drug_classes_map_to_their_heading_and_keep_both_forms() -> None:
    (statins, diabetes) = concepts(analyse("Do statins cause diabetes?"))
    assert statins.render() == (
        '("Hydroxymethylglutaryl-CoA Reductase Inhibitors"[MeSH Terms] OR statins[tiab] OR statin[tiab])'
    )
    assert diabetes.render() == "diabetes[tiab]"


def test_library_headings_name_terms_the_synonym_table_does_not_know() -> None:
    analysis = analyse("Is rituximab effective for pemphigus vulgaris?")
    assert [c.render() for c in concepts(analysis)] == ["rituximab[tiab]", '"pemphigus vulgaris"[tiab]']
    vocabulary = MeshVocabulary(["Rituximab", "Pemphigus", "Pemphigus Vulgaris"])
    assert [c.render() for c in concepts(analysis, vocabulary)] == [
        '("Rituximab"[MeSH Terms] OR rituximab[tiab])',
        '("Pemphigus Vulgaris"[MeSH Terms] OR "pemphigus vulgaris"[tiab])',
    ]


def test_options_switch_filters_off_and_a_question_without_specific_terms_gives_no_query() -> None:
    bare = QueryOptions(publication_types=False, english=False, humans=False, years=None)
    assert build_queries(analyse("thymectomy in myasthenia gravis"), options=bare) == [
        '(("Thymectomy"[MeSH Terms] OR thymectomy[tiab]) AND '
        '("Myasthenia Gravis"[MeSH Terms] OR "myasthenia gravis"[tiab]))'
    ]
    assert build_queries(analyse("What is the recommended first-line therapy for patients?")) == []


# ------------------------------------------------------------------------------- end to end


def _cited(answer: Answer) -> set[str]:
    return {reference.document_id for reference in answer.references}


def test_empty_library_to_cited_answer_and_the_records_stay(
    server: Any, library: Library, tmp_path: Path
) -> None:
    engine = AnswerEngine(library, preset="fast", live=live(server.base_url))
    stages: list[str] = []
    answer = engine.ask(QUESTION, progress=stages.append)

    assert not answer.insufficient and answer.sections
    cited = _cited(answer)
    assert cited and cited <= {f"pmid:{pmid}" for pmid in PMIDS}
    assert all(reference.live_fetched_at == "2025-06-01T12:30:00+00:00" for reference in answer.references)
    assert f"PubMed query: {STRICT}" in answer.notes
    assert (
        "live PubMed search on 2025-06-01: 3 matching records, 3 fetched (best matches first), "
        "3 new in the library" in answer.notes
    )
    assert stages.count("searching PubMed") == 1 and stages.count("retrieving") == 2
    assert "live_search" in answer.timings_ms
    (esearch,) = server.endpoint_hits("esearch")
    assert esearch.params["term"] == STRICT and esearch.params["usehistory"] == "y"
    assert esearch.params["retmax"] == "20" and esearch.params["sort"] == "relevance"

    # the page shows where each reference came from, and the query to rerun, in every format
    markdown = render_markdown(answer)
    assert "_(found by live PubMed search on 2025-06-01)_" in markdown
    assert "PubMed query: " in markdown
    page = render_html(answer)
    assert '<span class="evidex-ref-live">found by live PubMed search on 2025-06-01</span>' in page
    console = Console(file=io.StringIO(), width=200, color_system=None)
    render_terminal(answer, console)
    assert "found by live PubMed search on 2025-06-01" in console.file.getvalue()
    assert json.loads(render_json(answer))["references"][0]["live_fetched_at"].startswith("2025-06-01")

    # graded, indexed and marked in the library
    guideline = library.records.document("pmid:39100001")
    assert guideline is not None and guideline.kind.value == "guideline"
    assert guideline.extra[LIVE_FETCHED_AT] == "2025-06-01T12:30:00+00:00"
    assert guideline.extra[LIVE_QUERY] == STRICT
    assert library.records.counts()["documents"] == 3

    # a second ask works with the server stopped: nothing to fetch, references still marked
    server.stop()
    again = AnswerEngine(library, preset="fast", live=live(server.base_url)).ask(QUESTION)
    assert _cited(again) == cited
    assert all(reference.live_fetched_at for reference in again.references)
    assert not any("PubMed" in note for note in again.notes)


def test_no_network_gives_one_line_and_the_library_answer(library: Library) -> None:
    engine = AnswerEngine(library, preset="fast", live=live(fake.closed_port()))
    started = time.monotonic()
    answer = engine.ask(QUESTION)
    assert time.monotonic() - started < 5
    assert answer.headline == INSUFFICIENT
    notes = [note for note in answer.notes if "PubMed" in note]
    assert len(notes) == 1
    assert notes[0].startswith("live PubMed search unavailable: cannot connect to 127.0.0.1:")
    assert notes[0].endswith("; answered from the library only")
    assert library.records.counts()["documents"] == 0


def test_a_hung_server_costs_the_budget_not_more(library: Library) -> None:
    with fake.SilentServer() as silent:
        engine = AnswerEngine(library, preset="fast", live=live(silent.base_url, budget=1.0))
        started = time.monotonic()
        answer = engine.ask(QUESTION)
        elapsed = time.monotonic() - started
    assert elapsed < 3.0, elapsed
    (note,) = [note for note in answer.notes if "PubMed" in note]
    assert note.startswith("live PubMed search unavailable: no complete answer from 127.0.0.1:")
    assert "within the 1 s time budget" in note


def test_a_malformed_response_is_one_line_too(server: Any, library: Library) -> None:
    server.then("efetch", fake.Scripted(body=fake.fixture("error_page.html"), content_type="text/html"))
    answer = AnswerEngine(library, preset="fast", live=live(server.base_url)).ask(QUESTION)
    (note,) = [note for note in answer.notes if "PubMed" in note]
    assert note == (
        "live PubMed search unavailable: efetch returned an HTML page instead of PubMed XML (an NCBI "
        "error page or a proxy); try again later; answered from the library only"
    )
    assert answer.insufficient


def test_a_strict_query_that_finds_too_little_gives_way_to_a_broader_one(library: Library) -> None:
    def search(term: str) -> list[str]:
        return [] if "[pt]" in term else PMIDS

    with fake.FakeEutils(RECORDS, search) as server:
        answer = AnswerEngine(library, preset="fast", live=live(server.base_url)).ask(QUESTION)
    terms = [hit.params["term"] for hit in server.endpoint_hits("esearch")]
    assert terms == [STRICT, f"({IVIG} AND {HSV} AND immunocompromised[tiab]) AND english[la] {HUMANS}"]
    assert f"PubMed query: {terms[1]}" in answer.notes
    assert _cited(answer)


def test_nothing_found_says_so_with_the_query(library: Library) -> None:
    with fake.FakeEutils(RECORDS, lambda term: []) as server:
        answer = AnswerEngine(library, preset="fast", live=live(server.base_url)).ask(QUESTION)
    assert len(server.endpoint_hits("esearch")) == 3 and not server.endpoint_hits("efetch")
    assert "live PubMed search on 2025-06-01 found no records" in answer.notes
    assert f"PubMed query: ({IVIG} AND {HSV}) AND english[la] {HUMANS}" in answer.notes


# ------------------------------------------------------------------------------- the modes


GUIDE = """---
title: Herpes simplex in immunocompromised hosts
kind: guideline
year: 2021
---

# Herpes simplex in immunocompromised hosts

## Recommendations

IVIG is not recommended as first-line therapy for HSV infection in severely immunocompromised patients.
Intravenous acyclovir is the first-line therapy for HSV infection in severely immunocompromised patients.
"""


@pytest.fixture()
def stocked(tmp_path: Path) -> Iterator[Library]:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "guide.md").write_text(GUIDE, encoding="utf-8")
    with Library(tmp_path / "stocked", create=True) as lib:
        ingest(lib, [docs])
        yield lib


def test_when_insufficient_leaves_a_sufficient_library_alone(server: Any, stocked: Library) -> None:
    answer = AnswerEngine(stocked, preset="fast", live=live(server.base_url)).ask(QUESTION)
    assert not answer.insufficient
    assert server.hits == []
    assert all(reference.live_fetched_at is None for reference in answer.references)


def test_always_searches_first_and_never_never_does(server: Any, stocked: Library) -> None:
    answer = AnswerEngine(stocked, preset="fast", live=live(server.base_url, "always")).ask(QUESTION)
    assert len(server.endpoint_hits("esearch")) == 1
    assert any(note.startswith("PubMed query: ") for note in answer.notes)
    assert stocked.records.counts()["documents"] == 4

    server.hits.clear()
    plain = AnswerEngine(stocked, preset="fast").ask(QUESTION)
    never = AnswerEngine(stocked, preset="fast", live=live(server.base_url, "never")).ask(QUESTION)
    assert server.hits == []
    same = {"created_at", "timings_ms"}
    live_cited = {r.document_id for r in never.references if r.live_fetched_at}
    assert live_cited and live_cited <= {f"pmid:{pmid}" for pmid in PMIDS}
    assert not any(r.live_fetched_at for r in plain.references)  # no LiveSearch, no provenance lookup
    # the only difference `never` makes is the provenance of references a live search once brought in
    for reference in plain.references:
        reference.live_fetched_at = None
    for reference in never.references:
        reference.live_fetched_at = None
    assert plain.model_dump(exclude=same) == never.model_dump(exclude=same)


def test_never_on_an_untouched_library_is_byte_identical(stocked: Library) -> None:
    plain = AnswerEngine(stocked, preset="fast").ask(QUESTION)
    never = AnswerEngine(stocked, preset="fast", live=live(fake.closed_port(), "never")).ask(QUESTION)
    for answer in (plain, never):
        answer.created_at, answer.timings_ms = None, {}
    assert render_json(plain) == render_json(never)
    assert render_markdown(plain) == render_markdown(never)


def test_records_already_held_are_not_refetched_into_the_library_or_marked(
    server: Any, tmp_path: Path
) -> None:
    held = tmp_path / "held.xml"
    held.write_bytes(fake.pubmed_set([RECORDS["39100001"]]))
    with Library(tmp_path / "lib", create=True) as lib:
        ingest(lib, [held])
        outcome = live(server.base_url).run(lib, analyse(QUESTION))
        assert (outcome.added, outcome.held, outcome.fetched) == (2, 1, PMIDS)
        assert "3 fetched (best matches first), 2 new in the library, 1 already held" in outcome.notes[0]
        first = lib.records.document("pmid:39100001")
        assert first is not None and LIVE_FETCHED_AT not in first.extra
        second = lib.records.document("pmid:39100002")
        assert second is not None and second.extra[LIVE_FETCHED_AT] == "2025-06-01T12:30:00+00:00"


class _FakeEmbedder:
    name = "fake-embedder"
    dimensions = 4

    def __init__(self) -> None:
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        self.texts.extend(texts)
        vectors = np.ones((len(texts), self.dimensions), dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_new_passages_are_embedded_when_the_library_has_vectors(server: Any, stocked: Library) -> None:
    embedder = _FakeEmbedder()
    ids = sorted(stocked.records.passage_ids())
    stocked.vectors.append(ids, embedder.embed(["x"] * len(ids)), embedder.name)
    embedder.texts.clear()
    outcome = live(server.base_url, embedder=embedder).run(stocked, analyse(QUESTION))
    assert outcome.added == 3 and outcome.embedded == 3
    assert stocked.vectors.ids() == stocked.records.passage_ids()
    assert embedder.texts[0].startswith("Management of herpes simplex virus infection")


def test_a_library_without_vectors_is_not_embedded(server: Any, library: Library) -> None:
    embedder = _FakeEmbedder()
    outcome = live(server.base_url, embedder=embedder).run(library, analyse(QUESTION))
    assert outcome.added == 3 and outcome.embedded == 0 and embedder.texts == []


# ---------------------------------------------------------------------------- settings, CLI


def test_settings_default_to_offline_and_configure_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().live_search == "never"
    monkeypatch.setenv("EVIDEX_LIVE_SEARCH", "when_insufficient")
    monkeypatch.setenv("EVIDEX_EUTILS_API_KEY", "k3y-secret")
    monkeypatch.setenv("EVIDEX_EUTILS_EMAIL", "team@example.org")
    monkeypatch.setenv("EVIDEX_LIVE_SEARCH_TIMEOUT", "7.5")
    settings = load_settings()
    search = LiveSearch.from_settings(settings)
    assert search.mode is LiveMode.WHEN_INSUFFICIENT and search.budget == 7.5
    assert search.client.config.api_key == "k3y-secret" and search.client.config.email == "team@example.org"
    assert search.client.config.interval == 0.1
    assert LiveSearch.from_settings(settings, "always").mode is LiveMode.ALWAYS
    assert "k3y-secret" not in repr(settings) and "k3y-secret" not in repr(search.client.config)


def test_cli_ask_live_search_flag_overrides_the_setting(
    server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Library(tmp_path / "lib", create=True).close()
    monkeypatch.setenv("EVIDEX_EUTILS_BASE_URL", server.base_url)
    monkeypatch.setenv("EVIDEX_LIVE_SEARCH", "never")
    args = ["ask", QUESTION, "--library", str(tmp_path / "lib"), "--preset", "fast", "--format", "md"]
    offline = CliRunner().invoke(main, args)
    assert offline.exit_code == 0, offline.output
    assert "found by live PubMed search" not in offline.output and server.hits == []
    result = CliRunner().invoke(main, [*args, "--live-search", "when_insufficient"])
    assert result.exit_code == 0, result.output
    assert "found by live PubMed search on" in result.output
    assert "PubMed query: " in result.output


def test_records_from_a_live_search_return_an_approved_article_to_review(
    server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the library holds the systematic review only, and an article answering from it is approved
    start = tmp_path / "start"
    start.mkdir()
    (start / "review.xml").write_bytes(fake.pubmed_set([RECORDS["39100002"]]))
    runner = CliRunner()

    def cli(*args: str, input: str | None = None) -> Any:
        result = runner.invoke(main, [*args, "--library", str(tmp_path / "lib")], input=input)
        assert result.exit_code == 0, result.output
        return result

    cli("ingest", str(start), "--no-embed")
    for name, role in (("edith", "editor"), ("rev.one", "reviewer"), ("rev.two", "reviewer")):
        cli("user", "add", name, "--role", role, "--password-stdin", input="correct horse battery\n")
    article_id = json.loads(cli("article", "create", QUESTION, "--as", "edith", "--json").output)["id"]
    cli("article", "act", article_id, "submit", "--as", "edith")
    cli("article", "act", article_id, "start_review", "--as", "rev.one")
    cli("article", "act", article_id, "sign_off", "--as", "rev.one")
    cli("article", "act", article_id, "sign_off", "--as", "rev.two")

    # a live search brings in the guideline: the article goes back to review, as after an ingest
    monkeypatch.setenv("EVIDEX_EUTILS_BASE_URL", server.base_url)
    asked = cli("ask", QUESTION, "--live-search", "always", "--preset", "fast", "--format", "md")
    assert "found by live PubMed search on" in asked.output
    assert f"article returned to review {article_id}" in asked.output
    shown = json.loads(cli("article", "show", article_id, "--json").output)
    assert shown["status"] == "submitted"
    assert "new guideline evidence not cited: Management of herpes simplex" in shown["evidence_changed"]
    # asking again adds nothing, so nothing is rechecked
    again = cli("ask", QUESTION, "--live-search", "always", "--preset", "fast", "--format", "md")
    assert "article returned to review" not in again.output


def test_the_web_service_rechecks_only_after_a_live_search_added_records(
    server: Any, library: Library
) -> None:
    from evidex.web.service import AnswerService

    calls: list[int] = []
    service = AnswerService(
        library, "fast", live=live(server.base_url, mode="always"), after_live_ingest=lambda: calls.append(1)
    )
    first = service.answer(QUESTION)
    assert first.answer.references and calls == [1]
    service.answer(QUESTION)  # the records are held now: nothing new, no recheck
    assert calls == [1]


RETRACTED_TYPE = '<PublicationType UI="D016441">Retracted Publication</PublicationType>'


def test_refresh_brings_retractions_and_corrections_to_live_records(
    server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = tmp_path / "lib"
    with Library(lib, create=True) as library:
        AnswerEngine(library, preset="fast", live=live(server.base_url, mode="always")).ask(QUESTION)
        assert library.records.counts()["documents"] == 3
        first_fetched = library.records.document("pmid:39100001").extra[LIVE_FETCHED_AT]  # type: ignore[union-attr]
    monkeypatch.setenv("EVIDEX_EUTILS_BASE_URL", server.base_url)
    runner = CliRunner()
    args = ["library", "refresh", "--json", "--library", str(lib)]

    unchanged = runner.invoke(main, args)
    assert unchanged.exit_code == 0, unchanged.output
    assert json.loads(unchanged.output) == {
        "checked": 3,
        "updated": [],
        "retracted": [],
        "missing": [],
        "rejected": 0,
    }

    # PubMed has since retracted the guideline and dropped the trial
    record = server.records["39100001"]
    server.records["39100001"] = record.replace(
        "</PublicationTypeList>", RETRACTED_TYPE + "</PublicationTypeList>", 1
    )
    del server.records["39100003"]
    changed = runner.invoke(main, args)
    assert changed.exit_code == 0, changed.output
    assert json.loads(changed.output) == {
        "checked": 3,
        "updated": ["pmid:39100001"],
        "retracted": ["pmid:39100001"],
        "missing": ["39100003"],
        "rejected": 0,
    }
    with Library(lib) as library:
        guideline = library.records.document("pmid:39100001")
        assert guideline is not None and guideline.retracted
        assert guideline.extra[LIVE_FETCHED_AT] == first_fetched  # when it was first found stays
        assert library.records.document("pmid:39100003") is not None  # listed, never deleted
        assert library.lexical.count() == library.records.counts()["passages"]
    again = json.loads(runner.invoke(main, args).output)
    assert (again["checked"], again["updated"]) == (3, [])  # the refreshed record is still a live one

    # PubMed unreachable: one line, and nothing changes
    server.stop()
    down = runner.invoke(main, ["library", "refresh", "--timeout", "2", "--library", str(lib)])
    assert down.exit_code == 1
    assert "could not refresh from PubMed" in down.output and "the library is unchanged" in down.output


def test_refresh_of_a_library_without_live_records_says_so(tmp_path: Path) -> None:
    Library(tmp_path / "lib", create=True).close()
    result = CliRunner().invoke(main, ["library", "refresh", "--library", str(tmp_path / "lib")])
    assert result.exit_code == 0 and "nothing to refresh" in result.output
