"""End-to-end fixtures: the real `evidex serve` over a copy of the sample library, driven by Chromium.

The server starts once per session (a subprocess over a private copy of the library, so the answers it
saves touch no other test). The browser is started per test module and stopped after it: a live sync
Playwright leaves its asyncio loop marked as running, which would break any later test that calls
`asyncio.run`. Every test gets its own browser context.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import CHROMIUM, CHROMIUM_ARGS, DESKTOP, IVIG, SCREENSHOTS, get_json, post_json
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

STARTUP_SECONDS = 60.0


@pytest.fixture(scope="session", autouse=True)
def _needs_chromium() -> None:
    """Skip (before building anything) where Debian's Chromium is missing; never download a browser."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"browser tests need Chromium at {CHROMIUM}: .ci/run must install it")
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def e2e_library(sample_library_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the sample library: the server saves answers into it, which no other test sees."""
    target = tmp_path_factory.mktemp("e2e") / "library"
    shutil.copytree(sample_library_path, target)
    return target


@pytest.fixture(scope="session")
def server_url(e2e_library: Path) -> Iterator[str]:
    """Base URL (no trailing slash) of a real `evidex serve` subprocess, without a rate limit."""
    port = _free_port()
    workdir = e2e_library.parent
    log = workdir / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDEX_")}
    command = [sys.executable, "-m", "evidex.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--rate-limit", "0", "--library", str(e2e_library)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=workdir, env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"evidex serve exited with status {process.returncode} before answering; its output:\n"
                    + log.read_text(errors="replace")
                )
            try:
                health = get_json(base + "/api/health")
            except (OSError, ValueError):
                health = None
            if health is not None:
                assert health["status"] == "ok" and health["documents"] > 1000, health
                break
            if time.monotonic() > deadline:
                pytest.fail(
                    f"evidex serve did not answer {base}/api/health within {STARTUP_SECONDS:.0f} s; "
                    "its output:\n" + log.read_text(errors="replace")
                )
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium under Playwright's sync API (no browser download, no network)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def new_page(chromium: Browser) -> Iterator[Callable[..., Page]]:
    """Factory: a page in a fresh browser context (options as for `browser.new_context`)."""
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> Page:
        options.setdefault("viewport", DESKTOP)
        context = chromium.new_context(**options)
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture()
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


@pytest.fixture(scope="session")
def ivig_answer(server_url: str) -> dict[str, Any]:
    """One saved clinician answer to the IVIG question (through the API), shared by the page tests."""
    status, body = post_json(server_url + "/api/answers", {"question": IVIG, "audience": "clinician"})
    assert status == 201, body
    return dict(body)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
