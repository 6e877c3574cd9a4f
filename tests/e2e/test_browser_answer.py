"""The answer page in a real browser: citation pop-overs, the source document, audience switch,
follow-ups, and how the pages look from a 375 px phone to a desktop (screenshots in test-output/)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import DESKTOP, IVIG, PHONE, get_json
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.slow

ANSWER_URL = re.compile(r"/answers/([A-Za-z0-9_-]{12})$")


def one_line(text: str) -> str:
    return " ".join(text.split())


def new_answer_id(page: Page, previous: str) -> str:
    """Wait until the browser has moved on from answer `previous` to another answer page; its id."""
    page.wait_for_url(lambda url: bool(ANSWER_URL.search(url)) and not url.endswith("/" + previous))
    found = ANSWER_URL.search(page.url)
    assert found
    return found.group(1)


def first_citation(page: Page) -> tuple[Locator, str, str]:
    """The first citation link, the passage it carries and its reference's title."""
    cite = page.locator("li.evidex-claim sup > a.cite").first
    passage = cite.get_attribute("data-passage") or ""
    number = cite.get_attribute("data-ref")
    assert passage and number, "a citation must carry its passage and reference number"
    title = one_line(page.locator(f"li#ref-{number} .evidex-ref-title").inner_text())
    assert title
    return cite, passage, title


def assert_inside_viewport(page: Page, locator: Locator) -> None:
    box = locator.bounding_box()
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, f"{box} leaves the {width} px viewport"


def assert_no_horizontal_scroll(page: Page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways at {width} px (content is {scroll} px wide)"


def test_a_citation_opens_its_passage_and_leads_to_the_source(
    page: Page, server_url: str, ivig_answer: dict[str, Any], screenshots: Path
) -> None:
    page.goto(server_url + ivig_answer["url"])
    cite, passage, title = first_citation(page)
    expect(cite).not_to_have_attribute("title", re.compile(".+"))  # the pop-over replaces the tooltip

    claim = cite.locator("xpath=ancestor::li[1]").evaluate(
        "li => { const c = li.cloneNode(true); c.querySelectorAll('sup').forEach(s => s.remove()); "
        "return c.textContent; }"
    )
    cite.click()
    popover = page.locator("div.cite-popover[role=dialog]")
    expect(popover).to_have_count(1)
    expect(popover).to_be_visible()
    expect(cite).to_have_attribute("aria-expanded", "true")
    quote = one_line(popover.locator("blockquote").inner_text())
    assert quote == one_line(passage)
    assert one_line(claim).rstrip(".")[:60] in quote, "the pop-over should show the words the claim quotes"
    expect(popover.locator(".cite-source")).to_contain_text(title)
    assert_inside_viewport(page, popover)
    page.screenshot(path=str(screenshots / "answer-popover-desktop.png"))

    page.keyboard.press("Escape")
    expect(popover).to_have_count(0)
    expect(cite).to_have_attribute("aria-expanded", "false")
    expect(cite).to_be_focused()  # focus goes back to where the reader was

    cite.click()
    popover.locator(".cite-close").click()
    expect(popover).to_have_count(0)
    cite.click()
    page.locator("h1.evidex-headline").click()  # a click outside closes it too
    expect(popover).to_have_count(0)

    cite.click()
    popover.get_by_role("link", name="Open the source in the library").click()
    page.wait_for_url(re.compile(r"/documents/"))
    heading = page.locator("article.document h1")
    expect(heading).to_be_visible()
    assert one_line(heading.inner_text()).rstrip(".") == title.rstrip(".")
    passages = page.locator("article.document section.passage")
    assert passages.count() >= 1
    shown = passages.evaluate_all(
        """sections => sections.map(s => {
             const h = s.querySelector('h3'), p = s.querySelector('p');
             return (h ? h.textContent + ': ' : '') + p.textContent;
           })"""
    )
    start = one_line(passage).rstrip("…")[:120]
    assert any(one_line(text).startswith(start) for text in shown), "the cited passage is not on its page"
    expect(page.locator(".retracted-banner")).to_have_count(0)


def test_on_a_phone_the_citation_popover_fits_the_screen(
    new_page: Callable[..., Page], server_url: str, ivig_answer: dict[str, Any], screenshots: Path
) -> None:
    page = new_page(viewport=PHONE, has_touch=True, is_mobile=True)
    page.goto(server_url + ivig_answer["url"])
    cite, passage, _ = first_citation(page)
    cite.tap()
    popover = page.locator("div.cite-popover")
    expect(popover).to_be_visible()
    expect(popover.locator("blockquote")).to_have_text(passage)
    assert_inside_viewport(page, popover)
    assert_no_horizontal_scroll(page, PHONE["width"])
    page.screenshot(path=str(screenshots / "answer-popover-375.png"))


def test_switching_audience_writes_a_new_page_for_patients(
    page: Page, server_url: str, ivig_answer: dict[str, Any]
) -> None:
    page.goto(server_url + ivig_answer["url"])
    expect(page.locator(".evidex-audience")).to_have_text("Written for clinicians")
    page.get_by_role("button", name="Patient version").click()
    patient_id = new_answer_id(page, ivig_answer["id"])
    expect(page.locator(".evidex-audience")).to_have_text("Written for patients")
    expect(page.locator("article.evidex-answer")).to_have_class(re.compile(r"\bevidex-audience-patient\b"))
    expect(page.locator(".evidex-question")).to_have_text(IVIG)
    expect(page.get_by_role("button", name="Clinician version")).to_be_visible()
    saved = get_json(f"{server_url}/api/answers/{patient_id}")
    assert saved["answer"]["audience"] == "patient" and saved["answer"]["question"] == IVIG


def test_a_typed_follow_up_threads_back_to_the_first_answer(
    page: Page, server_url: str, ivig_answer: dict[str, Any]
) -> None:
    first = ivig_answer["id"]
    page.goto(server_url + ivig_answer["url"])
    page.locator("#follow-up-question").fill("What dose?")
    page.get_by_role("button", name="Ask follow-up").click()
    follow_id = new_answer_id(page, first)

    thread = page.locator("nav.thread")
    expect(thread).to_be_visible()
    back = thread.locator(f'a[href="/answers/{first}"]')
    expect(back).to_have_text(IVIG)
    expect(page.locator(".evidex-question")).to_have_text("What dose?")
    saved = get_json(f"{server_url}/api/answers/{follow_id}")
    assert saved["parent_id"] == first
    assert "IVIG" in saved["answer"]["analysis"]["entities"], "the follow-up should carry the drug over"
    # the follow-up of the follow-up keeps the whole thread
    page.locator("#follow-up-question").fill("What are the side effects?")
    page.get_by_role("button", name="Ask follow-up").click()
    third = new_answer_id(page, follow_id)
    expect(page.locator("nav.thread li")).to_have_count(2)
    assert get_json(f"{server_url}/api/answers/{third}")["parent_id"] == follow_id

    back = page.locator(f'nav.thread a[href="/answers/{first}"]')
    back.click()
    page.wait_for_url(re.compile(f"/answers/{first}$"))
    expect(page.locator("nav.thread")).to_have_count(0)


def test_a_suggested_follow_up_is_one_click(page: Page, server_url: str, ivig_answer: dict[str, Any]) -> None:
    first = ivig_answer["id"]
    page.goto(server_url + ivig_answer["url"])
    suggestion = page.locator("button.suggestion").first
    expect(suggestion).to_be_visible()
    question = suggestion.inner_text()
    suggestion.click()
    follow_id = new_answer_id(page, first)
    expect(page.locator(".evidex-question")).to_have_text(question)
    expect(page.locator(f'nav.thread a[href="/answers/{first}"]')).to_be_visible()
    saved = get_json(f"{server_url}/api/answers/{follow_id}")
    assert saved["parent_id"] == first and saved["answer"]["question"] == question


@pytest.mark.parametrize(("name", "viewport"), [("desktop", DESKTOP), ("375", PHONE)])
def test_pages_fit_the_screen_and_are_saved_as_screenshots(
    new_page: Callable[..., Page],
    server_url: str,
    ivig_answer: dict[str, Any],
    screenshots: Path,
    name: str,
    viewport: dict[str, int],
) -> None:
    page = new_page(viewport=viewport)
    document = page.request.get(server_url + ivig_answer["url"]).text()
    found = re.search(r'class="evidex-ref-document" href="([^"]+)"', document)
    assert found, "the answer should link its references to the library"
    shots = {
        "ask": "/",
        "answer": ivig_answer["url"],
        "document": found.group(1),
    }
    for page_name, path in shots.items():
        page.goto(server_url + path)
        expect(page.locator("main h1").first).to_be_visible()
        assert_no_horizontal_scroll(page, viewport["width"])
        page.screenshot(path=str(screenshots / f"{page_name}-{name}.png"), full_page=True)
    if name == "375":  # the answer's parts stack inside the phone's width
        page.goto(server_url + ivig_answer["url"])
        parts = ("h1.evidex-headline", ".evidex-bottom-line", "ol.evidex-reference-list", ".ask-form")
        for selector in parts:
            assert_inside_viewport(page, page.locator(selector).first)


def test_a_keyboard_user_can_open_a_citation_and_reach_its_source_link(
    page: Page, server_url: str, ivig_answer: dict[str, Any]
) -> None:
    page.goto(server_url + ivig_answer["url"])
    cite, passage, _ = first_citation(page)
    page.locator(".evidex-bottom-line").click()  # start reading just above the claims
    for _ in range(40):
        page.keyboard.press("Tab")
        if cite.evaluate("a => a === document.activeElement"):
            break
    expect(cite).to_be_focused()
    popover = page.locator("div.cite-popover")
    expect(popover.locator("blockquote")).to_have_text(passage)  # focus opens it, as hover does
    page.keyboard.press("Tab")
    expect(popover.locator(".cite-close")).to_be_focused()
    page.keyboard.press("Tab")
    source = popover.get_by_role("link", name="Open the source in the library")
    expect(source).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/documents/"))


CONTRAST_SCRIPT = """
() => {
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const out = [];
  for (const el of document.querySelectorAll("main *, header *, footer *, .edu-banner")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const style = getComputedStyle(el);
    if (!own || style.visibility === "hidden" || style.display === "none" || el.closest("[hidden]")) continue;
    const fg = lum(parse(style.color).slice(0, 3));
    const bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    out.push({ text: el.textContent.trim().slice(0, 40), tag: el.tagName, cls: el.className, ratio });
  }
  return out;
}
"""


def test_text_on_the_answer_page_meets_wcag_aa_contrast(
    page: Page, server_url: str, ivig_answer: dict[str, Any]
) -> None:
    page.goto(server_url + ivig_answer["url"])
    checked = page.evaluate(CONTRAST_SCRIPT)
    assert len(checked) > 40  # headline, bullets, references, badges, footer ...
    low = [item for item in checked if item["ratio"] < 4.5]
    assert not low, low
    assert {"evidex-badge" in str(item["cls"]) for item in checked} == {True, False}  # badges were checked
