"""The server-rendered pages through the real app: the no-script paths, headers, sizes and errors."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

ASTHMA = "What is the first-line maintenance therapy for asthma in adults?"


def _ask(client: TestClient, **form: str) -> str:
    response = client.post("/answers", data={"question": ASTHMA, **form}, follow_redirects=False)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert re.fullmatch(r"/answers/[A-Za-z0-9_-]{12}", location)
    return location


def test_ask_page_offers_the_question_box_audiences_and_recent_questions(client: TestClient) -> None:
    _ask(client)
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert 'name="question"' in html and "Which best describes you?" in html
    assert all(f'value="{a}"' in html for a in ("clinician", "patient", "student"))
    assert "Recent questions" in html and ASTHMA in html
    assert "Educational purpose only" in html


def test_posting_the_form_redirects_to_a_complete_answer_page(client: TestClient) -> None:
    page = client.get(_ask(client))
    assert page.status_code == 200
    html = page.text
    assert len(page.content) < 100_000
    assert '<article class="evidex-answer' in html and "evidex-headline" in html
    assert re.search(r'<a href="#ref-1" class="cite"[^>]*data-passage="[^"]+"', html)
    assert 'id="ref-1"' in html and "Adult Asthma: Diagnosis and Management" in html
    assert re.search(r'href="/documents/file:[0-9a-f]+#p-\d+"', html)  # links to the cited passage
    assert "pending human review" in html and "Educational purpose only" in html
    assert 'name="follow_up_of"' in html and "Patient version" in html and "Permalink" in html
    assert html.count("Suggested follow-up questions") == 0  # shown as buttons instead
    assert "What is the recommended dose" in html


def test_follow_up_page_links_back_to_the_earlier_question(client: TestClient) -> None:
    first = _ask(client)
    follow = _ask(client, question="What dose?", follow_up_of=first.rsplit("/", 1)[1])
    html = client.get(follow).text
    assert 'class="thread"' in html and f'href="{first}"' in html


def test_a_bad_question_keeps_the_text_and_says_what_was_wrong(client: TestClient) -> None:
    page = client.post("/answers", data={"question": "?!?", "audience": "patient"})
    assert page.status_code == 400
    assert 'role="alert">' in page.text and "?!?</textarea>" in page.text
    assert 'value="patient" checked' in page.text


def test_unknown_answer_and_document_pages_are_404_pages(client: TestClient) -> None:
    for path in ("/answers/nosuchanswer", "/documents/pmid:0"):
        page = client.get(path)
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html") and "Not found" in page.text


def test_document_page_shows_facts_passages_and_the_retraction_banner(client: TestClient) -> None:
    page = client.get("/documents/pmid:29300003")
    assert page.status_code == 200
    html = page.text
    assert "retracted-banner" in html and "Curcumin halves tumour progression" in html
    assert re.search(r'<section class="passage" id="p-\d+">', html)
    assert "J Integr Oncol" in html or "Journal" in html
    clean = client.get("/documents/pmid:35200002").text
    assert "retracted-banner" not in clean


def test_static_assets_are_cached_and_pages_are_locked_down(client: TestClient) -> None:
    css = client.get("/static/style.css?v=0.1.0")
    assert css.status_code == 200 and "max-age=86400" in css.headers["cache-control"]
    js = client.get("/static/app.js")
    assert js.status_code == 200 and "EventSource" in js.text
    page = client.get("/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in page.text  # no inline scripts, so the CSP can forbid them


def test_hostile_text_is_escaped(client: TestClient) -> None:
    page = client.post("/answers", data={"question": "<script>alert(1)</script>"})
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
