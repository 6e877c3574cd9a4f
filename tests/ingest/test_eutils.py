"""The E-utilities client against a local server that plays NCBI: formats, paging, etiquette, failures."""

from __future__ import annotations

import importlib.util
import itertools
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from evidex.ingest.eutils import (
    BudgetSpent,
    EutilsClient,
    EutilsConfig,
    EutilsError,
    EutilsUnavailable,
    RateLimiter,
)
from evidex.ingest.pubmed_xml import load
from evidex.models import Document
from evidex.settings import load_settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "eutils"


def _helper() -> ModuleType:
    """tests/fixtures/eutils/fake_eutils.py, shared with the answer tests (tests are not a package)."""
    if "fake_eutils" not in sys.modules:
        spec = importlib.util.spec_from_file_location("fake_eutils", FIXTURES / "fake_eutils.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["fake_eutils"] = module
        spec.loader.exec_module(module)
    return sys.modules["fake_eutils"]


fake = _helper()
FakeEutils, Scripted, SilentServer = fake.FakeEutils, fake.Scripted, fake.SilentServer
IVIG_RECORDS = fake.records_of((FIXTURES / "efetch_ivig_hsv.xml").read_text(encoding="utf-8"))
KEY = "SECRET-api-key-0123456789"


def client_for(server: Any, **config: object) -> EutilsClient:
    """A client for the fake server; no rate-limit spacing unless a test is about it."""
    settings: dict[str, object] = {"base_url": server.base_url, "min_interval": 0.0, "backoff": 0.01}
    settings.update(config)
    return EutilsClient(EutilsConfig(**settings))


def documents(xml: str, tmp_path: Path) -> list[Document]:
    path = tmp_path / f"batch-{time.monotonic_ns()}.xml"
    path.write_text(xml, encoding="utf-8")
    return [item for item in load(path) if isinstance(item, Document)]


# ---------------------------------------------------------------------------------- formats


def test_esearch_json_is_read_and_every_request_identifies_the_tool() -> None:
    with FakeEutils() as server:
        server.then("esearch", Scripted(body=fake.fixture("esearch.json")))
        client = client_for(server, email="team@example.org", api_key=KEY)
        result = client.esearch('ivig[tiab] AND "herpes simplex"[MeSH Terms]', retmax=3, usehistory=True)
    assert result.count == 3
    assert result.ids == ["39100001", "39100002", "39100003"]
    assert (result.webenv, result.query_key) == ("MCID_67a1c0ffee0123456789abcd", "1")
    assert result.translation is not None and "Title/Abstract" in result.translation
    (hit,) = server.hits
    assert hit.method == "GET" and hit.endpoint == "esearch"
    assert hit.params == {
        "db": "pubmed",
        "term": 'ivig[tiab] AND "herpes simplex"[MeSH Terms]',
        "retmax": "3",
        "retstart": "0",
        "retmode": "json",
        "sort": "relevance",
        "usehistory": "y",
        "tool": "evidex",
        "email": "team@example.org",
        "api_key": KEY,
    }


def test_esearch_xml_is_read_too() -> None:
    with FakeEutils() as server:
        server.then("esearch", Scripted(body=fake.fixture("esearch.xml"), content_type="text/xml"))
        result = client_for(server).esearch("hsv[tiab]", retmax=3, retmode="xml")
    assert result.count == 1284
    assert result.ids == ["39100001", "39100002", "39100003"]
    assert result.webenv == "MCID_67a1c0ffee0123456789abce" and result.query_key == "1"
    assert server.hits[0].params["retmode"] == "xml"


def test_esummary_lists_titles_and_publication_types_and_skips_missing_uids() -> None:
    with FakeEutils() as server:
        server.then("esummary", Scripted(body=fake.fixture("esummary.json")))
        summaries = client_for(server).esummary(["39100001", "39100002", "1"])
    assert [s.pmid for s in summaries] == ["39100001", "39100002"]
    assert summaries[0].publication_types == ["Journal Article", "Practice Guideline"]
    assert summaries[0].journal.startswith("Clinical infectious diseases")
    assert summaries[0].authors == ["Varga E", "Nakamura K"]
    assert summaries[1].pubdate == "2023 Jun 12"


def test_efetch_returns_pubmed_xml_the_loader_reads(tmp_path: Path) -> None:
    with FakeEutils(IVIG_RECORDS) as server:
        (xml,) = client_for(server).efetch(["39100001", "39100002", "39100003"])
    docs = documents(xml, tmp_path)
    assert [d.id for d in docs] == ["pmid:39100001", "pmid:39100002", "pmid:39100003"]
    assert "Practice Guideline" in docs[0].publication_types
    assert "Immunoglobulins, Intravenous" in docs[0].mesh_terms
    (hit,) = server.hits
    assert hit.method == "POST" and hit.params["rettype"] == "xml" and hit.params["retmode"] == "xml"


# ---------------------------------------------------------------------------------- paging


def _many(count: int) -> dict[str, str]:
    return {str(40_000_000 + n): fake.synthetic_record(str(40_000_000 + n)) for n in range(count)}


def test_efetch_by_id_goes_in_batches_of_at_most_200(tmp_path: Path) -> None:
    records = _many(450)
    with FakeEutils(records) as server:
        batches = list(client_for(server).efetch(list(records)))
    sizes = [len(hit.params["id"].split(",")) for hit in server.endpoint_hits("efetch")]
    assert sizes == [200, 200, 50]
    assert sum(len(documents(xml, tmp_path)) for xml in batches) == 450
    with pytest.raises(ValueError, match="between 1 and 200"):
        next(client_for(server).efetch(list(records), batch_size=500))


def test_large_fetches_page_through_the_history_server(tmp_path: Path) -> None:
    records = _many(450)
    with FakeEutils(records) as server:
        client = client_for(server)
        search = client.esearch("synthetic[tiab]", retmax=20, usehistory=True)
        assert search.count == 450 and len(search.ids) == 20 and search.webenv
        batches = list(client.efetch_history(search))
        limited = list(client.efetch_history(search, limit=250))
    fetches = server.endpoint_hits("efetch")
    pages = [(h.params["retstart"], h.params["retmax"]) for h in fetches]
    assert pages == [("0", "200"), ("200", "200"), ("400", "50"), ("0", "200"), ("200", "50")]
    assert all(h.params["WebEnv"] == search.webenv and h.params["query_key"] == "1" for h in fetches)
    assert all("id" not in h.params for h in fetches)
    pmids = [d.pmid for xml in batches for d in documents(xml, tmp_path)]
    assert pmids == list(records)
    assert sum(len(documents(xml, tmp_path)) for xml in limited) == 250


def test_an_expired_history_session_is_a_clear_error() -> None:
    with FakeEutils(_many(3)) as server:
        client = client_for(server)
        search = client.esearch("x", usehistory=True)
        server.histories.clear()
        with pytest.raises(EutilsError, match=r"efetch failed: NCBI says 'Unable to obtain query #1'"):
            list(client.efetch_history(search))


# ------------------------------------------------------------------------------ rate limits


def _gaps(server: Any) -> list[float]:
    times = [hit.at for hit in server.hits]
    return [b - a for a, b in itertools.pairwise(times)]


def test_without_a_key_requests_are_at_least_a_third_of_a_second_apart() -> None:
    with FakeEutils(IVIG_RECORDS) as server:
        client = EutilsClient(EutilsConfig(base_url=server.base_url))
        for _ in range(4):
            client.esearch("hsv[tiab]")
    gaps = _gaps(server)
    assert len(gaps) == 3
    assert min(gaps) >= 0.32, gaps


def test_with_a_key_ten_requests_a_second_are_allowed() -> None:
    with FakeEutils(IVIG_RECORDS) as server:
        client = EutilsClient(EutilsConfig(base_url=server.base_url, api_key=KEY))
        for _ in range(5):
            client.esearch("hsv[tiab]")
    gaps = _gaps(server)
    assert min(gaps) >= 0.095, gaps
    assert sum(gaps) / len(gaps) < 0.3, gaps  # not held to the keyless rate


def test_rate_limiter_spacing_with_an_injected_clock() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    limiter = RateLimiter(1 / 3, clock=lambda: now[0], sleep=sleep)
    limiter.wait()
    limiter.wait()
    now[0] += 1.0
    limiter.wait()
    assert slept == [round(1 / 3, 6)]
    with pytest.raises(BudgetSpent):
        limiter.wait(deadline=now[0] + 0.1)  # the next start is 1/3 s away, past the deadline


# --------------------------------------------------------------------------------- retries


def test_429_is_retried_after_the_seconds_retry_after_asks_for() -> None:
    with FakeEutils(IVIG_RECORDS) as server:
        server.then("esearch", Scripted(429, b'{"error":"API rate limit exceeded"}', {"Retry-After": "1"}))
        result = client_for(server).esearch("hsv[tiab]")
    assert result.count == 3
    (gap,) = _gaps(server)
    assert gap >= 0.95


def test_503_with_retry_after_and_502_without_are_retried() -> None:
    with FakeEutils(IVIG_RECORDS) as server:
        server.then(
            "efetch",
            Scripted(503, fake.fixture("error_page.html"), {"Retry-After": "1"}, "text/html"),
            Scripted(502, b"Bad gateway", content_type="text/plain"),
        )
        (xml,) = client_for(server, backoff=0.2).efetch(["39100001"])
    assert '<PMID Version="1">39100001</PMID>' in xml
    gaps = _gaps(server)
    assert gaps[0] >= 0.95 and gaps[1] >= 0.18  # Retry-After, then the first backoff step


def test_persistent_server_errors_give_up_with_one_line() -> None:
    with FakeEutils(IVIG_RECORDS) as server:
        server.then("esearch", *[Scripted(500, b"oops", content_type="text/plain")] * 4)
        with pytest.raises(EutilsError) as caught:
            client_for(server, retries=3).esearch("hsv[tiab]")
    assert str(caught.value) == "esearch: server error (HTTP 500); gave up after 4 attempts — try again later"
    assert len(server.hits) == 4


def test_a_retry_after_beyond_the_budget_fails_at_once() -> None:
    with FakeEutils(IVIG_RECORDS) as server:
        server.then("esearch", Scripted(429, b"{}", {"Retry-After": "30"}))
        client = client_for(server)
        started = time.monotonic()
        message = "waiting 30 s to retry would pass the 2 s time budget"
        with pytest.raises(EutilsUnavailable, match=message), client.budget(2.0):
            client.esearch("hsv[tiab]")
    assert time.monotonic() - started < 1.0


def test_other_http_errors_are_not_retried() -> None:
    with FakeEutils() as server:
        server.then("esearch", Scripted(400, b'{"error":"bad request"}'))
        with pytest.raises(EutilsError, match=r"^esearch: 127\.0\.0\.1:\d+ answered HTTP 400 Bad Request$"):
            client_for(server).esearch("hsv[tiab]")
    assert len(server.hits) == 1


# ------------------------------------------------------------------------------ malformed


@pytest.mark.parametrize(
    ("endpoint", "response", "message"),
    [
        ("esearch", Scripted(body=b'{"esearchresult": {"count": "3", '),
         r"esearch returned malformed JSON \("),
        ("esearch", Scripted(body=fake.fixture("error_page.html"), content_type="text/html"),
         "esearch returned an HTML page instead of JSON"),
        ("esearch", Scripted(body=fake.fixture("esearch_error.json")),
         "esearch failed: NCBI says 'Invalid query: unbalanced parentheses'"),
        ("esearch", Scripted(body=b'{"header": {}}'),
         "esearch returned JSON without an 'esearchresult' object"),
        ("esearch", Scripted(body=b""), "esearch returned an empty response instead of JSON"),
        ("efetch", Scripted(body=fake.fixture("efetch_ivig_hsv.xml")[:-400], content_type="text/xml"),
         r"efetch returned truncated XML \(no closing </PubmedArticleSet>\)"),
        ("efetch", Scripted(body=fake.fixture("error_page.html"), content_type="text/html"),
         "efetch returned an HTML page instead of PubMed XML"),
        ("efetch", Scripted(body=b"<?xml version='1.0'?><eSummaryResult/>", content_type="text/xml"),
         r"efetch returned <eSummaryResult>, expected PubMed XML"),
        ("esummary", Scripted(body=b"[1, 2"), r"esummary returned malformed JSON \("),
    ],
)  # fmt: skip
def test_malformed_responses_are_one_clear_line(endpoint: str, response: Any, message: str) -> None:
    with FakeEutils(IVIG_RECORDS) as server:
        server.then(endpoint, response)
        client = client_for(server)
        call = {
            "esearch": lambda: client.esearch("hsv[tiab]"),
            "efetch": lambda: list(client.efetch(["39100001"])),
            "esummary": lambda: client.esummary(["39100001"]),
        }[endpoint]
        with pytest.raises(EutilsError, match=message) as caught:
            call()
    assert "\n" not in str(caught.value)


def test_truncated_esearch_xml_is_a_clear_error() -> None:
    with FakeEutils() as server:
        server.then("esearch", Scripted(body=fake.fixture("esearch.xml")[:200], content_type="text/xml"))
        with pytest.raises(EutilsError, match=r"esearch returned malformed or truncated XML \("):
            client_for(server).esearch("hsv[tiab]", retmode="xml")


# ------------------------------------------------------------------------- network failures


def test_a_server_that_never_answers_costs_at_most_the_budget() -> None:
    with SilentServer() as silent:
        client = EutilsClient(EutilsConfig(base_url=silent.base_url, timeout=0.4, min_interval=0.0))
        started = time.monotonic()
        with pytest.raises(EutilsUnavailable) as caught, client.budget(1.0):
            client.esearch("hsv[tiab]")
        elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 1.6, elapsed
    assert str(caught.value).startswith("no complete answer from 127.0.0.1:")
    assert "within the 1 s time budget (EVIDEX_LIVE_SEARCH_TIMEOUT)" in str(caught.value)


def test_a_refused_connection_fails_fast_without_retrying() -> None:
    client = EutilsClient(EutilsConfig(base_url=fake.closed_port(), api_key=KEY))
    started = time.monotonic()
    refused = r"^cannot connect to 127\.0\.0\.1:\d+ \(.*refused.*\)$"
    with pytest.raises(EutilsUnavailable, match=refused), client.budget(5.0):
        client.esearch("hsv[tiab]")
    assert time.monotonic() - started < 1.0
    assert client.requests == 1


def test_the_api_key_never_appears_in_errors_or_reprs() -> None:
    messages: list[str] = []
    echo = b'{"error":"API rate limit exceeded","api-key":"' + KEY.encode() + b'","count":"11","limit":"10"}'
    with FakeEutils() as server:
        server.then(
            "esearch",
            *[Scripted(429, echo)] * 2,
            Scripted(200, b'{"error": "bad key ' + KEY.encode() + b'"}'),
        )
        server.then("efetch", Scripted(400, echo))
        client = client_for(server, api_key=KEY, retries=1)
        for call in (
            lambda: client.esearch("x"),
            lambda: client.esearch("x"),
            lambda: list(client.efetch(["1"])),
        ):
            with pytest.raises(EutilsError) as caught:
                call()
            messages.append(str(caught.value))
    refused = EutilsClient(EutilsConfig(base_url=fake.closed_port(), api_key=KEY))
    with pytest.raises(EutilsError) as caught:
        refused.esearch("x")
    messages.append(str(caught.value))
    assert len(messages) == 4 and all(KEY not in message for message in messages), messages
    assert "***" in messages[1]  # NCBI's own error text had the key in it: scrubbed, not dropped
    assert KEY not in repr(client.config)
    settings = load_settings(eutils_api_key=KEY)
    assert KEY not in repr(settings) and KEY not in str(settings.model_dump())
