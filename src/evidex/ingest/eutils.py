"""A small, polite client for NCBI E-utilities (esearch, efetch as PubMed XML, esummary).

Why a client of our own on the standard library: the three calls Evidex needs are plain HTTP, and
what matters is the etiquette NCBI publishes, which generic clients leave to the caller: at most 3
requests a second without an API key and 10 with one (spaced request starts, shared by every call of
a client), `tool` and `email` on every request, retries with backoff on 429 and 5xx that honour
`Retry-After`, the history server (WebEnv/query_key) for large result sets, and efetch in batches of
at most 200 records. Live search runs while a clinician waits, so every call also obeys one total
time budget (`EutilsClient.budget`) across requests, retries, backoff and rate-limit waits: an
unreachable or silent server costs at most that budget, never a hang.

Errors are `EutilsError` with one line that says what happened and what to do; the API key never
appears in a message (URLs with parameters are never quoted, and any text is scrubbed of the key).
"""

from __future__ import annotations

import contextlib
import email.utils
import http.client
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = [
    "DEFAULT_BASE_URL",
    "EFETCH_BATCH",
    "BudgetSpent",
    "EutilsClient",
    "EutilsConfig",
    "EutilsError",
    "EutilsUnavailable",
    "RateLimiter",
    "SearchResult",
    "Summary",
]

DEFAULT_BASE_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
EFETCH_BATCH = 200
"""NCBI asks for efetch batches of at most 200 records."""
MAX_RESPONSE_BYTES = 64 << 20
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_READ_CHUNK = 1 << 16
_GET_LIMIT = 1800
"""Longer parameter strings go in a POST body (NCBI recommends POST for long id lists and terms)."""

_T = TypeVar("_T")
Clock = Callable[[], float]
Sleep = Callable[[float], None]


class EutilsError(Exception):
    """An E-utilities call failed; the message is one line that never contains the API key."""


class EutilsUnavailable(EutilsError):
    """NCBI could not be reached in time (no network, refused, timed out, budget spent)."""


@dataclass(frozen=True)
class EutilsConfig:
    """Where E-utilities are and how to identify ourselves to NCBI."""

    base_url: str = DEFAULT_BASE_URL
    tool: str = "evidex"
    email: str | None = None
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    """Seconds one request may wait to connect or for the next bytes (also capped by the budget)."""
    retries: int = 3
    """Extra attempts after a 429, a 5xx or a dropped/timed-out response."""
    backoff: float = 0.5
    """First backoff in seconds when the server sends no Retry-After; doubles per attempt."""
    max_retry_after: float = 60.0
    min_interval: float | None = None
    """Seconds between request starts; None: NCBI's published limit (1/3 s, or 1/10 s with a key)."""

    @property
    def interval(self) -> float:
        if self.min_interval is not None:
            return self.min_interval
        return 0.1 if self.api_key else 1 / 3

    @property
    def host(self) -> str:
        return urllib.parse.urlsplit(self.base_url).netloc or self.base_url


@dataclass(frozen=True)
class SearchResult:
    """What esearch found: the total count, this page of PMIDs and, with usehistory, the history keys."""

    count: int
    ids: list[str]
    retstart: int = 0
    webenv: str | None = None
    query_key: str | None = None
    translation: str | None = None


@dataclass(frozen=True)
class Summary:
    """One esummary record: enough to list a PubMed hit without fetching it."""

    pmid: str
    title: str
    journal: str
    pubdate: str
    publication_types: list[str]
    authors: list[str]


class BudgetSpent(EutilsUnavailable):
    """The time budget ran out before the next request could start or finish."""


class RateLimiter:
    """Spaces request starts at least `interval` seconds apart; thread-safe, clock and sleep injectable."""

    def __init__(self, interval: float, clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._last: float | None = None
        self._lock = threading.Lock()

    def wait(self, deadline: float | None = None) -> None:
        """Block until the next request may start; BudgetSpent if that would be past `deadline`."""
        with self._lock:
            now = self._clock()
            start = now if self._last is None else max(now, self._last + self.interval)
            if deadline is not None and start > deadline:
                raise BudgetSpent("the time budget ran out before the next request could start")
            if start > now:
                self._sleep(start - now)
            self._last = self._clock()


class EutilsClient:
    """esearch, efetch and esummary for PubMed, with NCBI's etiquette and a total time budget."""

    def __init__(
        self,
        config: EutilsConfig | None = None,
        limiter: RateLimiter | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.config = config or EutilsConfig()
        self._clock = clock
        self._sleep = sleep
        self.limiter = limiter or RateLimiter(self.config.interval, clock, sleep)
        self._deadline: float | None = None
        self._budget: float | None = None
        self._opener = urllib.request.build_opener()
        self.requests = 0

    # -- budget ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def budget(self, seconds: float) -> Iterator[None]:
        """Every call inside the block shares `seconds` in total (requests, retries, waits)."""
        previous = self._deadline, self._budget
        self._deadline, self._budget = self._clock() + seconds, seconds
        try:
            yield
        finally:
            self._deadline, self._budget = previous

    def _remaining(self) -> float | None:
        return None if self._deadline is None else self._deadline - self._clock()

    def _spent(self) -> EutilsUnavailable:
        return EutilsUnavailable(
            f"no complete answer from {self.config.host} within the {self._budget:g} s time budget "
            "(EVIDEX_LIVE_SEARCH_TIMEOUT)"
        )

    # -- esearch --------------------------------------------------------------------------------

    def esearch(
        self,
        term: str,
        retmax: int = 20,
        retstart: int = 0,
        usehistory: bool = False,
        sort: str | None = "relevance",
        retmode: str = "json",
    ) -> SearchResult:
        """PMIDs matching a PubMed query (one page), with history keys when `usehistory`."""
        if not term.strip():
            raise EutilsError("esearch: the PubMed query is empty")
        if retmode not in ("json", "xml"):
            raise ValueError(f"retmode must be 'json' or 'xml', not {retmode!r}")
        params: dict[str, str] = {
            "db": "pubmed",
            "term": term,
            "retmax": str(retmax),
            "retstart": str(retstart),
            "retmode": retmode,
        }
        if sort:
            params["sort"] = sort
        if usehistory:
            params["usehistory"] = "y"
        body = self._call("esearch", params)
        return self._parsed(_esearch_json if retmode == "json" else _esearch_xml, body)

    # -- efetch ---------------------------------------------------------------------------------

    def efetch(self, ids: Sequence[str], batch_size: int = EFETCH_BATCH) -> Iterator[str]:
        """PubMed XML (`<PubmedArticleSet>`) for `ids`, one document per batch of at most 200."""
        size = _batch_size(batch_size)
        clean = [pmid.strip() for pmid in ids if pmid.strip()]
        for start in range(0, len(clean), size):
            chunk = clean[start : start + size]
            params = {"db": "pubmed", "id": ",".join(chunk), "rettype": "xml", "retmode": "xml"}
            yield self._parsed(_pubmed_xml, self._call("efetch", params, post=True))

    def efetch_history(
        self, search: SearchResult, limit: int | None = None, batch_size: int = EFETCH_BATCH
    ) -> Iterator[str]:
        """PubMed XML for the first `limit` records of a usehistory esearch, paged through the history
        server (WebEnv/query_key) in batches of at most 200."""
        if not search.webenv or not search.query_key:
            raise EutilsError("efetch: the search has no history keys; run esearch with usehistory")
        size = _batch_size(batch_size)
        total = search.count if limit is None else min(limit, search.count)
        for start in range(0, total, size):
            params = {
                "db": "pubmed",
                "query_key": search.query_key,
                "WebEnv": search.webenv,
                "retstart": str(start),
                "retmax": str(min(size, total - start)),
                "rettype": "xml",
                "retmode": "xml",
            }
            yield self._parsed(_pubmed_xml, self._call("efetch", params))

    # -- esummary -------------------------------------------------------------------------------

    def esummary(self, ids: Sequence[str], batch_size: int = EFETCH_BATCH) -> list[Summary]:
        """Title, journal, date and publication types of each PMID (JSON esummary, batches of 200)."""
        size = _batch_size(batch_size)
        clean = [pmid.strip() for pmid in ids if pmid.strip()]
        summaries: list[Summary] = []
        for start in range(0, len(clean), size):
            params = {"db": "pubmed", "id": ",".join(clean[start : start + size]), "retmode": "json"}
            summaries.extend(self._parsed(_esummary_json, self._call("esummary", params, post=True)))
        return summaries

    # -- transport ------------------------------------------------------------------------------

    def _parsed(self, parse: Callable[[bytes], _T], body: bytes) -> _T:
        """Parse a body; a parse error keeps its one line, scrubbed (NCBI's 429 JSON echoes the key)."""
        try:
            return parse(body)
        except EutilsError as exc:
            raise EutilsError(self._scrub(str(exc))) from None

    def _call(self, endpoint: str, params: dict[str, str], post: bool = False) -> bytes:
        """One E-utility call with rate limiting, retries and the budget; returns the body."""
        query = dict(params)
        query["tool"] = self.config.tool
        if self.config.email:
            query["email"] = self.config.email
        if self.config.api_key:
            query["api_key"] = self.config.api_key
        encoded = urllib.parse.urlencode(query)
        url = f"{self.config.base_url.rstrip('/')}/{endpoint}.fcgi"
        data: bytes | None = None
        if post or len(encoded) > _GET_LIMIT:
            data = encoded.encode("ascii")
        else:
            url = f"{url}?{encoded}"
        attempt = 0
        while True:
            try:
                return self._attempt(endpoint, url, data)
            except _Retry as retry:
                attempt += 1
                if attempt > self.config.retries:
                    failure = EutilsUnavailable if retry.network else EutilsError
                    raise failure(
                        self._scrub(
                            f"{endpoint}: {retry.reason}; gave up after {attempt} attempts — try again later"
                        )
                    ) from None
                delay = retry.after if retry.after is not None else self.config.backoff * 2 ** (attempt - 1)
                remaining = self._remaining()
                if remaining is not None and delay >= remaining:
                    raise EutilsUnavailable(
                        self._scrub(
                            f"{endpoint}: {retry.reason}, and waiting {delay:g} s to retry would pass the "
                            f"{self._budget:g} s time budget (EVIDEX_LIVE_SEARCH_TIMEOUT)"
                        )
                    ) from None
                if delay > 0:
                    self._sleep(delay)
            except BudgetSpent:
                raise self._spent() from None

    def _attempt(self, endpoint: str, url: str, data: bytes | None) -> bytes:
        self.limiter.wait(self._deadline)
        remaining = self._remaining()
        if remaining is not None and remaining <= 0:
            raise BudgetSpent()
        timeout = self.config.timeout if remaining is None else max(0.05, min(self.config.timeout, remaining))
        headers = {
            "User-Agent": f"{self.config.tool} (Evidex E-utilities client)",
            "Accept-Encoding": "identity",
        }
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
        self.requests += 1
        try:
            with self._opener.open(request, timeout=timeout) as response:
                return self._read(endpoint, response)
        except urllib.error.HTTPError as exc:
            status = exc.code
            after = _retry_after(exc.headers.get("Retry-After"), self.config.max_retry_after)
            with contextlib.suppress(Exception):
                exc.read(_READ_CHUNK)
            exc.close()
            if status in _RETRY_STATUSES:
                label = "rate limit exceeded (HTTP 429)" if status == 429 else f"server error (HTTP {status})"
                raise _Retry(label, after) from None
            raise EutilsError(
                self._scrub(f"{endpoint}: {self.config.host} answered HTTP {status} {exc.reason}")
            ) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                raise self._timeout(timeout) from None
            raise EutilsUnavailable(
                self._scrub(f"cannot connect to {self.config.host} ({_describe(reason)})")
            ) from None
        except TimeoutError:
            raise self._timeout(timeout) from None
        except (http.client.HTTPException, ConnectionError) as exc:
            raise _Retry(f"the connection broke ({_describe(exc)})", None, network=True) from None

    def _timeout(self, timeout: float) -> Exception:
        remaining = self._remaining()
        if remaining is not None and remaining <= 0.05:
            return self._spent()
        return _Retry(f"no answer from {self.config.host} within {timeout:.3g} s", None, network=True)

    def _read(self, endpoint: str, response: Any) -> bytes:
        """The body, read in chunks so the budget and a size cap apply while bytes trickle in."""
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = response.read(_READ_CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                raise EutilsError(
                    f"{endpoint}: response larger than {MAX_RESPONSE_BYTES >> 20} MB; ask for fewer records"
                )
            chunks.append(chunk)
            remaining = self._remaining()
            if remaining is not None and remaining <= 0:
                raise BudgetSpent()
        return b"".join(chunks)

    def _scrub(self, text: str) -> str:
        """One line, with the API key (raw or URL-encoded) replaced, whatever produced the text."""
        line = " ".join(text.split())
        key = self.config.api_key
        if key:
            for form in {key, urllib.parse.quote(key), urllib.parse.quote_plus(key)}:
                line = line.replace(form, "***")
        return line


class _Retry(Exception):
    """Internal: this attempt failed in a way worth retrying (`network`: no usable answer at all)."""

    def __init__(self, reason: str, after: float | None, network: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.after = after
        self.network = network


def _batch_size(size: int) -> int:
    if not 1 <= size <= EFETCH_BATCH:
        raise ValueError(f"batch size must be between 1 and {EFETCH_BATCH}, got {size}")
    return size


def _describe(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    text = str(reason) or type(reason).__name__
    return text


def _retry_after(value: str | None, cap: float) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), capped; None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(0.0, when.timestamp() - time.time()), cap)


# ----------------------------------------------------------------------------------- parsing

_HTML = re.compile(rb"^\s*(?:<!doctype\s+html|<html)", re.IGNORECASE)
_DOCTYPE = re.compile(r"<!DOCTYPE[^>\[]*(?:\[[^\]]*\])?\s*>", re.IGNORECASE)


def _not_html(endpoint: str, body: bytes, expected: str) -> None:
    if _HTML.match(body[:512]):
        raise EutilsError(
            f"{endpoint} returned an HTML page instead of {expected} (an NCBI error page or a proxy); "
            "try again later"
        )
    if not body.strip():
        raise EutilsError(f"{endpoint} returned an empty response instead of {expected}")


def _esearch_json(body: bytes) -> SearchResult:
    _not_html("esearch", body, "JSON")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EutilsError(f"esearch returned malformed JSON ({_first_line(exc)})") from None
    result = data.get("esearchresult") if isinstance(data, dict) else None
    if not isinstance(result, dict):
        message = data.get("error") if isinstance(data, dict) else None
        if message:
            raise EutilsError(f"esearch failed: NCBI says {_first_line(message)!r}")
        raise EutilsError("esearch returned JSON without an 'esearchresult' object")
    if result.get("ERROR"):
        raise EutilsError(f"esearch failed: NCBI says {_first_line(result['ERROR'])!r}")
    try:
        ids = [str(pmid) for pmid in result.get("idlist", [])]
        return SearchResult(
            count=int(result.get("count", len(ids))),
            ids=ids,
            retstart=int(result.get("retstart", 0)),
            webenv=result.get("webenv") or None,
            query_key=str(result["querykey"]) if result.get("querykey") else None,
            translation=result.get("querytranslation") or None,
        )
    except (TypeError, ValueError) as exc:
        raise EutilsError(f"esearch returned JSON with unexpected values ({_first_line(exc)})") from None


def _parse_xml(endpoint: str, body: bytes) -> ET.Element:
    text = body.decode("utf-8", errors="replace")
    if "<!ENTITY" in text:
        raise EutilsError(f"{endpoint} returned XML that declares entities; refusing to parse it")
    try:
        return ET.fromstring(_DOCTYPE.sub("", text, count=1))
    except ET.ParseError as exc:
        raise EutilsError(f"{endpoint} returned malformed or truncated XML ({exc})") from None


def _esearch_xml(body: bytes) -> SearchResult:
    _not_html("esearch", body, "XML")
    root = _parse_xml("esearch", body)
    if root.tag != "eSearchResult":
        raise EutilsError(f"esearch returned <{root.tag}>, expected <eSearchResult>")
    error = root.findtext("ERROR")
    if error:
        raise EutilsError(f"esearch failed: NCBI says {_first_line(error)!r}")
    try:
        ids = [(node.text or "").strip() for node in root.iterfind("IdList/Id")]
        return SearchResult(
            count=int(root.findtext("Count") or len(ids)),
            ids=[pmid for pmid in ids if pmid],
            retstart=int(root.findtext("RetStart") or 0),
            webenv=(root.findtext("WebEnv") or "").strip() or None,
            query_key=(root.findtext("QueryKey") or "").strip() or None,
            translation=(root.findtext("QueryTranslation") or "").strip() or None,
        )
    except ValueError as exc:
        raise EutilsError(f"esearch returned XML with unexpected values ({_first_line(exc)})") from None


_ROOT = re.compile(r"<([A-Za-z_][\w.:-]*)")


def _pubmed_xml(body: bytes) -> str:
    """The efetch body as text once it looks like a whole `<PubmedArticleSet>`; a clear error if not.

    Records are parsed one by one later by the PubMed XML loader; here we only refuse what is not
    PubMed XML at all (an HTML page, an `<eFetchResult><ERROR>`) or was cut off in transfer.
    """
    _not_html("efetch", body, "PubMed XML")
    text = body.decode("utf-8", errors="replace")
    start = _ROOT.search(_DOCTYPE.sub("", text[:4096], count=1))
    root = start.group(1) if start else None
    if root == "eFetchResult" or (root != "PubmedArticleSet" and "<ERROR>" in text):
        found = re.search(r"<ERROR>(.*?)</ERROR>", text, re.DOTALL)
        message = found.group(1) if found else "no records"
        raise EutilsError(f"efetch failed: NCBI says {_first_line(message)!r}")
    if root != "PubmedArticleSet":
        raise EutilsError(f"efetch returned <{root or '?'}>, expected PubMed XML (<PubmedArticleSet>)")
    if "<!ENTITY" in text:
        raise EutilsError("efetch returned XML that declares entities; refusing to parse it")
    if not re.search(r"</PubmedArticleSet>\s*$", text):
        raise EutilsError("efetch returned truncated XML (no closing </PubmedArticleSet>); try again")
    return text


def _esummary_json(body: bytes) -> list[Summary]:
    _not_html("esummary", body, "JSON")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EutilsError(f"esummary returned malformed JSON ({_first_line(exc)})") from None
    result = data.get("result") if isinstance(data, dict) else None
    if not isinstance(result, dict):
        message = data.get("error") if isinstance(data, dict) else None
        if message:
            raise EutilsError(f"esummary failed: NCBI says {_first_line(message)!r}")
        raise EutilsError("esummary returned JSON without a 'result' object")
    summaries: list[Summary] = []
    for uid in result.get("uids", []):
        item = result.get(str(uid))
        if not isinstance(item, dict) or item.get("error"):
            continue
        summaries.append(
            Summary(
                pmid=str(uid),
                title=str(item.get("title", "")),
                journal=str(item.get("fulljournalname") or item.get("source") or ""),
                pubdate=str(item.get("pubdate", "")),
                publication_types=[str(t) for t in item.get("pubtype", [])],
                authors=[str(a.get("name", "")) for a in item.get("authors", []) if isinstance(a, dict)],
            )
        )
    return summaries


def _first_line(value: object) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 200 else text[:199] + "…"
