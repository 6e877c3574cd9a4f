"""Web load: how the JSON API holds up under concurrent clients (search, answer, read an answer).

Run from the repository root:

    .venv/bin/python bench/load.py --library /tmp/lib              # starts `evidex serve` itself
    .venv/bin/python bench/load.py --clients 8 --seconds 20 --json  # the default library ($EVIDEX_LIBRARY)
    .venv/bin/python bench/load.py --url http://127.0.0.1:8000      # a server already running (loopback only)

Unit and end-to-end tests say the API is right for one client; this says what latency and throughput a
replica gives when several clients ask at once. It starts the server from the same virtual environment
on a free loopback port with no rate limit (or drives one given by --url), asks one answer first (the
cold start: models load on first use; its page is the one the read phase fetches), then gives each
endpoint in turn --clients threads, each with its own keep-alive httpx.Client, looping over the
realistic clinical questions below until --seconds pass or --max-requests are sent. Answers asked are
saved in the library's answer store, as any answer asked through the web app is.

Exits 1 when any request fails (non-2xx or no response), so it doubles as a smoke check.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from _metrics import machine, table
from evidex.evaluation.metrics import percentile

ENDPOINTS = ("search", "answer", "read")
AUDIENCES = ("clinician", "patient", "student")

QUESTIONS = (
    "metformin dose in chronic kidney disease",
    "Should IVIG be used as first-line therapy for HSV infection in severely immunocompromised patients?",
    "What is shingles?",
    "Does aspirin reduce the risk of a first heart attack in adults over 70?",
    "first-line treatment for community-acquired pneumonia in adults",
    "What are the symptoms of type 2 diabetes?",
    "Is vitamin D supplementation effective in preventing fractures in older women?",
    "statin therapy after ischemic stroke",
    "How is latent tuberculosis infection treated?",
    "What causes iron deficiency anemia in pregnancy?",
    "Do SGLT2 inhibitors reduce hospitalisation for heart failure?",
    "HPV vaccine schedule for adolescents",
    "What is the recommended screening interval for cervical cancer?",
    "Can antibiotics shorten the duration of acute otitis media in children?",
    "warfarin interactions with common antibiotics",
    "How is Lyme disease diagnosed?",
    "Does early mobilisation after hip fracture surgery improve outcomes?",
    "management of hypertension in pregnancy",
    "What are the side effects of chemotherapy for breast cancer?",
    "Is cognitive behavioural therapy effective for chronic insomnia?",
)

LOOPBACK_NAMES = {"localhost"}


class LoadError(Exception):
    """The run could not go ahead (server would not start, warm-up failed); the message says why."""


@dataclass
class Phase:
    """What one endpoint's phase measured; latencies are in milliseconds."""

    endpoint: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + sum(self.errors.values())

    def summary(self) -> dict[str, Any]:
        ok = self.latencies_ms
        return {
            "requests": self.requests,
            "ok": len(ok),
            "errors": dict(sorted(self.errors.items())),
            "elapsed_s": round(self.elapsed_s, 2),
            "throughput_rps": round(self.requests / self.elapsed_s, 2) if self.elapsed_s else 0.0,
            "p50_ms": round(percentile(ok, 50), 1),
            "p95_ms": round(percentile(ok, 95), 1),
            "p99_ms": round(percentile(ok, 99), 1),
            "max_ms": round(max(ok), 1) if ok else 0.0,
        }


def loopback_url(url: str) -> str:
    """The base URL without a trailing slash; raises ValueError unless it is http(s) to a loopback host."""
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"--url must look like http://127.0.0.1:PORT, got {url!r}")
    host = parsed.host.strip("[]").lower()
    if host not in LOOPBACK_NAMES:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError(
                f"--url host {parsed.host!r} is not loopback; this benchmark only drives a server on this "
                "machine (127.0.0.1, ::1 or localhost)"
            )
    return url.rstrip("/")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def default_library() -> Path:
    from evidex.settings import load_settings

    return load_settings().library.expanduser()


@contextlib.contextmanager
def served(library: Path, start_timeout: float) -> Iterator[str]:
    """`evidex serve` from this virtual environment on a free loopback port; stopped on leaving."""
    evidex = Path(sys.executable).parent / "evidex"
    if not evidex.exists():
        raise LoadError(f"no `evidex` script beside {sys.executable}; install the project into this venv")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(evidex), "serve", "--library", str(library), "--port", str(port), "--rate-limit", "0"]
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as log:
        # Own session: Ctrl+C reaches only this script, which then stops the server in `finally`.
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_healthy(base, process, log, start_timeout)
            yield base
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def wait_healthy(base: str, process: subprocess.Popen[bytes], log: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base, timeout=5.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log.seek(0)
                tail = log.read()[-2000:].strip()
                raise LoadError(f"`evidex serve` exited with status {process.returncode}:\n{tail}")
            with contextlib.suppress(httpx.TransportError):
                if client.get("/api/health").status_code == 200:
                    return
            time.sleep(0.2)
    raise LoadError(f"`evidex serve` did not answer /api/health within {timeout:g} s")


def send(client: httpx.Client, endpoint: str, index: int, audiences: tuple[str, ...], read_id: str) -> int:
    """One request of the endpoint's kind; returns the HTTP status."""
    question = QUESTIONS[index % len(QUESTIONS)]
    if endpoint == "search":
        return client.get("/api/search", params={"q": question, "k": 10}).status_code
    if endpoint == "answer":
        body = {"question": question, "audience": audiences[index % len(audiences)]}
        return client.post("/api/answers", json=body).status_code
    return client.get(f"/api/answers/{read_id}").status_code


def run_phase(
    base: str,
    endpoint: str,
    clients: int,
    seconds: float,
    max_requests: int,
    timeout: float,
    audiences: tuple[str, ...],
    read_id: str,
    stop: threading.Event,
) -> Phase:
    """`clients` threads send requests until the time is up, the count is reached or `stop` is set."""
    phase = Phase(endpoint)
    tickets = iter(range(max_requests))
    tickets_lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def ticket() -> int | None:
        if stop.is_set() or time.monotonic() >= deadline:
            return None
        with tickets_lock:
            return next(tickets, None)

    def client_loop(offset: int) -> None:
        with httpx.Client(base_url=base, timeout=timeout) as client:
            while (number := ticket()) is not None:
                begin = time.perf_counter()
                try:
                    status = send(client, endpoint, offset + number, audiences, read_id)
                except httpx.HTTPError as exc:
                    outcome: str | float = type(exc).__name__
                else:
                    outcome = (time.perf_counter() - begin) * 1000 if 200 <= status < 300 else str(status)
                with phase.lock:
                    if isinstance(outcome, str):
                        phase.errors[outcome] += 1
                    else:
                        phase.latencies_ms.append(outcome)

    threads = [
        threading.Thread(target=client_loop, args=(i * 7,), name=f"{endpoint}-{i}", daemon=True)
        for i in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():  # short joins so Ctrl+C reaches the main thread
            thread.join(0.2)
    phase.elapsed_s = time.perf_counter() - started
    return phase


def warm_up(base: str, timeout: float, audiences: tuple[str, ...]) -> tuple[float, str, dict[str, Any]]:
    """The first answer (timed: the cold start), one of each other audience, one search; returns
    (first answer seconds, its id, health)."""
    with httpx.Client(base_url=base, timeout=max(timeout, 300.0)) as client:
        health: dict[str, Any] = client.get("/api/health").json()
        begin = time.perf_counter()
        first = client.post("/api/answers", json={"question": QUESTIONS[0], "audience": audiences[0]})
        cold = time.perf_counter() - begin
        if first.status_code != 201:
            raise LoadError(f"warm-up answer failed with {first.status_code}: {first.text[:500]}")
        answer_id: str = first.json()["id"]
        others = [
            client.post("/api/answers", json={"question": QUESTIONS[1], "audience": a}) for a in audiences[1:]
        ]
        others.append(client.get("/api/search", params={"q": QUESTIONS[0], "k": 10}))
        others.append(client.get(f"/api/answers/{answer_id}"))
        for response in others:
            if not response.is_success:
                raise LoadError(f"warm-up {response.request.url.path} failed with {response.status_code}")
    return cold, answer_id, health


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument(
        "--library", type=Path, help="library to serve (default: $EVIDEX_LIBRARY or the default library)"
    )
    target.add_argument("--url", help="drive a running server instead, e.g. http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default: %(default)s)")
    parser.add_argument(
        "--seconds", type=float, default=20.0, help="time per endpoint (default: %(default)s)"
    )
    parser.add_argument(
        "--max-requests", type=int, default=2000, help="requests per endpoint at most (default: %(default)s)"
    )
    parser.add_argument(
        "--endpoints",
        default=",".join(ENDPOINTS),
        help="comma-separated, in order, from search, answer, read (default: %(default)s)",
    )
    parser.add_argument(
        "--audience",
        choices=[*AUDIENCES, "mixed"],
        default="clinician",
        help="audience of the answers asked; mixed cycles all three (default: %(default)s)",
    )
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds per request (default: %(default)s)"
    )
    parser.add_argument("--start-timeout", type=float, default=120.0, help="seconds for the server to start")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    endpoints = tuple(name.strip() for name in args.endpoints.split(",") if name.strip())
    unknown = sorted(set(endpoints) - set(ENDPOINTS))
    if unknown or not endpoints:
        parser.error(
            f"--endpoints: unknown {', '.join(unknown) or '(none given)'}; use {', '.join(ENDPOINTS)}"
        )
    if args.clients < 1 or args.seconds <= 0 or args.max_requests < 1:
        parser.error("--clients and --max-requests must be at least 1, --seconds above 0")
    audiences = AUDIENCES if args.audience == "mixed" else (args.audience,)

    server: contextlib.AbstractContextManager[str]
    if args.url:
        try:
            server = contextlib.nullcontext(loopback_url(args.url))
        except ValueError as exc:
            parser.error(str(exc))
        library = None
    else:
        library = (args.library or default_library()).expanduser().resolve()
        if not (library / "evidex-library.json").is_file():
            parser.error(
                f"{library} is not an evidex library; build one with `evidex ingest-sample` or pass --library"
            )
        server = served(library, args.start_timeout)

    measured_on = machine()
    stop = threading.Event()
    phases: list[Phase] = []
    try:
        with server as base:
            cold, answer_id, health = warm_up(base, args.timeout, audiences)
            for endpoint in endpoints:
                phases.append(
                    run_phase(
                        base,
                        endpoint,
                        args.clients,
                        args.seconds,
                        args.max_requests,
                        args.timeout,
                        audiences,
                        answer_id,
                        stop,
                    )
                )
    except KeyboardInterrupt:
        stop.set()
        print("interrupted; server stopped", file=sys.stderr)
        return 130
    except (LoadError, httpx.HTTPError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    result: dict[str, Any] = {
        "machine": measured_on,
        "server": "started by this script" if library else "given by --url",
        "url": base,
        "library": str(library) if library else None,
        "documents": health.get("documents"),
        "passages": health.get("passages"),
        "clients": args.clients,
        "seconds": args.seconds,
        "max_requests": args.max_requests,
        "audience": args.audience,
        "first_answer_s": round(cold, 3),
        "endpoints": {phase.endpoint: phase.summary() for phase in phases},
    }
    failed = sum(sum(phase.errors.values()) for phase in phases)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        m = result["machine"]
        print(f"machine: {m['cpu']}, {m['cpus']} CPUs, Python {m['python']}, {m['date']}")
        print(
            f"server: {base} ({result['server']}), {result['documents']:,} documents, "
            f"{result['passages']:,} passages; {args.clients} client{'s' if args.clients != 1 else ''}, "
            f"≤ {args.seconds:g} s, ≤ {args.max_requests:,} requests each; audience {args.audience}"
        )
        label = "cold first answer" if library else "first answer (server may already be warm)"
        print(f"{label}: {cold:.2f} s")
        rows = []
        for phase in phases:
            s = result["endpoints"][phase.endpoint]
            errors = ", ".join(f"{status}×{n}" for status, n in s["errors"].items()) or "0"
            rows.append(
                [
                    phase.endpoint,
                    s["requests"],
                    errors,
                    s["throughput_rps"],
                    s["p50_ms"],
                    s["p95_ms"],
                    s["p99_ms"],
                ]
            )
        print(table(["endpoint", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms"], rows))
    if failed:
        print(f"FAIL: {failed} request(s) got no 2xx response", file=sys.stderr)
        if any("429" in phase.errors for phase in phases):
            print(
                "(429: the server rate-limits; start it with `evidex serve --rate-limit 0`)", file=sys.stderr
            )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
