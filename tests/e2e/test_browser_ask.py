"""Asking in a real browser: streamed progress, the answer page, errors, no-script and keyboard use."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from e2e_helpers import IVIG, RECORD_STAGES, get_json
from playwright.sync_api import Dialog, Page, Response, expect

pytestmark = pytest.mark.slow

ANSWER_URL = re.compile(r"/answers/[A-Za-z0-9_-]{12}$")
STAGES = [
    "Queued",
    "Analysing the question",
    "Retrieving evidence",
    "Composing the answer",
    "Verifying every citation",
]


def form_post(server_url: str) -> Callable[[Response], bool]:
    """Matches the response to the plain (no-script) form post."""
    return lambda r: r.url == server_url + "/answers" and r.request.method == "POST"


def answer_id(url: str) -> str:
    found = ANSWER_URL.search(url)
    assert found, f"not an answer page: {url}"
    return found.group(0).rsplit("/", 1)[1]


def test_asking_streams_progress_then_shows_a_cited_answer(page: Page, server_url: str) -> None:
    page.add_init_script(RECORD_STAGES)
    page.goto(server_url + "/")
    expect(page.get_by_role("heading", name="Ask a clinical question")).to_be_visible()
    box = page.locator("#ask-question")
    box.press_sequentially(IVIG)
    expect(page.locator("fieldset.audience input[value=clinician]")).to_be_checked()
    page.get_by_role("button", name="Ask", exact=True).click()
    page.wait_for_url(ANSWER_URL)

    shown = json.loads(page.evaluate("sessionStorage.getItem('e2e-stages') || '[]'"))
    assert "Retrieving evidence" in shown, shown
    assert shown == STAGES, f"progress list showed {shown}; every stage should have its readable name"

    article = page.locator("article.evidex-answer")
    headline = article.locator("h1.evidex-headline")
    expect(headline).to_be_visible()
    assert "HSV infection" in headline.inner_text()
    expect(article.locator(".evidex-verdict")).to_have_text(
        re.compile(r"^Verdict: (Yes|No|Uncertain|Insufficient evidence)$")
    )
    expect(article.locator(".evidex-bottom-line")).to_contain_text("Bottom line:")
    expect(article.locator(".evidex-audience")).to_have_text("Written for clinicians")

    cited = article.locator("li.evidex-claim:has(sup > a.cite)")
    assert cited.count() >= 1
    references = article.locator("ol.evidex-reference-list > li.evidex-reference")
    assert references.count() >= 1
    numbers = set(article.locator("a.cite").evaluate_all("links => links.map(a => a.dataset.ref)"))
    for number in numbers:  # every citation number names a reference in the list
        expect(page.locator(f"li#ref-{number} .evidex-ref-title")).not_to_be_empty()

    banner = page.locator(".edu-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Educational purpose only")
    expect(page.locator(".site-footer .disclaimer")).to_contain_text("not medical advice")

    html = page.request.get(page.url).body()
    assert len(html) < 100_000, f"answer page is {len(html)} bytes"

    saved = get_json(f"{server_url}/api/answers/{answer_id(page.url)}")
    assert saved["answer"]["question"] == IVIG and saved["parent_id"] is None

    page.goto(server_url + "/")  # the question now heads the recent list
    expect(page.locator("section.recent li a").first).to_have_text(IVIG)


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("???", "has no words"),
        ("the", "only common words"),
        ("   ", "Type a question first."),
    ],
)
def test_a_question_with_nothing_to_ask_says_why_and_keeps_the_text(
    page: Page, server_url: str, question: str, message: str
) -> None:
    page.goto(server_url + "/")
    box = page.locator("#ask-question")
    box.fill(question)
    page.locator("fieldset.audience input[value=patient]").check()
    page.get_by_role("button", name="Ask", exact=True).click()

    error = page.locator("#main .ask-form .form-error")
    expect(error).to_be_visible()
    expect(error).to_have_attribute("role", "alert")
    expect(error).to_contain_text(message)
    assert page.url == server_url + "/"
    expect(box).to_have_value(question)
    expect(page.locator("fieldset.audience input[value=patient]")).to_be_checked()
    expect(page.locator("#main .ask-form .progress")).to_be_hidden()
    expect(page.get_by_role("button", name="Ask", exact=True)).to_be_enabled()


def test_without_javascript_the_form_posts_and_redirects_to_the_answer(
    new_page: Callable[..., Page], server_url: str
) -> None:
    page = new_page(java_script_enabled=False)
    page.goto(server_url + "/")
    page.locator("#ask-question").fill(IVIG)
    page.locator("fieldset.audience input[value=student]").check()
    with page.expect_response(form_post(server_url)) as posted:
        page.get_by_role("button", name="Ask", exact=True).click()
    assert posted.value.status == 303
    page.wait_for_url(ANSWER_URL)
    expect(page.locator("h1.evidex-headline")).to_be_visible()
    expect(page.locator(".evidex-audience")).to_have_text("Written for students")

    page.locator("a.cite").first.click()  # without the script a citation jumps to its reference
    assert re.search(r"#ref-\d+$", page.url), page.url
    expect(page.locator("div.cite-popover")).to_have_count(0)


def test_without_javascript_a_bad_question_comes_back_with_the_error(
    new_page: Callable[..., Page], server_url: str
) -> None:
    page = new_page(java_script_enabled=False)
    page.goto(server_url + "/")
    page.locator("#ask-question").fill("???")
    page.get_by_role("button", name="Ask", exact=True).click()
    error = page.locator("#main .form-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("has no words")
    expect(page.locator("#ask-question")).to_have_value("???")


def test_the_keyboard_alone_reaches_the_question_and_asks_it(page: Page, server_url: str) -> None:
    page.goto(server_url + "/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0, "the skip link should move on screen when focused"
    page.keyboard.press("Enter")  # skip to #main; the next Tab lands in the question box
    page.keyboard.press("Tab")
    question = page.locator("#ask-question")
    expect(question).to_be_focused()
    page.keyboard.type("What is the dose of acyclovir for HSV?")
    page.keyboard.press("Tab")  # the audience radio group is one stop; arrows choose within it
    expect(page.locator("fieldset.audience input[value=clinician]")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.locator("fieldset.audience input[value=patient]")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Ask", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(ANSWER_URL)
    expect(page.locator(".evidex-audience")).to_have_text("Written for patients")
    expect(page.locator(".evidex-question")).to_have_text("What is the dose of acyclovir for HSV?")


def test_when_the_stream_fails_the_form_posts_the_plain_way(page: Page, server_url: str) -> None:
    page.route("**/api/answers/stream*", lambda route: route.abort())  # a proxy that drops SSE, say
    page.goto(server_url + "/")
    page.locator("#ask-question").fill(IVIG)
    with page.expect_response(form_post(server_url)) as posted:
        page.get_by_role("button", name="Ask", exact=True).click()
    assert posted.value.status == 303
    page.wait_for_url(ANSWER_URL)
    expect(page.locator(".evidex-question")).to_have_text(IVIG)


def test_markup_in_a_question_is_shown_as_text_never_run(page: Page, server_url: str) -> None:
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    question = 'Is <b>aspirin</b> <img src=x onerror="alert(1)"> useful for tension headache?'
    page.goto(server_url + "/")
    page.locator("#ask-question").fill(question)
    page.get_by_role("button", name="Ask", exact=True).click()
    page.wait_for_url(ANSWER_URL)
    expect(page.locator(".evidex-question")).to_have_text(question)
    expect(page.locator("main img, main b")).to_have_count(0)
    page.goto(server_url + "/")
    expect(page.locator("section.recent li a").first).to_have_text(question)
    expect(page.locator("main img, main b")).to_have_count(0)
    assert dialogs == []
