"""What the e2e tests share: the browser's settings, page sizes, the IVIG question and small HTTP helpers."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-output" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}

IVIG = "Should IVIG be used as first-line therapy for HSV infection in severely immunocompromised patients?"

# Records every progress stage the page shows in sessionStorage, so a test can read them after the
# script has already navigated to the finished answer (an answer takes well under a second).
RECORD_STAGES = """
(() => {
  const seen = () => JSON.parse(sessionStorage.getItem("e2e-stages") || "[]");
  new MutationObserver((mutations) => {
    for (const m of mutations) for (const node of m.addedNodes) {
      if (node.nodeType === 1 && node.matches(".progress .stages li")) {
        sessionStorage.setItem("e2e-stages", JSON.stringify([...seen(), node.textContent]));
      }
    }
  }).observe(document, { childList: true, subtree: true });
})();
"""


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def post_json(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)
