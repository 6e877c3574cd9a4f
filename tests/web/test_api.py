"""The JSON API with the real app over a real library: answers, streaming, search, documents, errors."""

from __future__ import annotations

import json
import socket

from fastapi.testclient import TestClient

from evidex.answer.live import LiveSearch
from evidex.ingest.eutils import EutilsConfig
from evidex.store.library import Library
from evidex.web.app import create_app

ASTHMA = "What is the first-line maintenance therapy for asthma in adults?"


def _events(body: str) -> list[tuple[str, dict[str, str]]]:
    out = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], json.loads(lines["data"])))
    return out


def test_health_and_version_describe_the_library(client: TestClient) -> None:
    health = client.get("/api/health").json()
    assert health["status"] == "ok"
    assert (health["documents"], health["passages"]) == (8, 8)
    assert client.get("/api/version").json() == {"version": "0.1.0", "answer_schema": "1.0"}


def test_an_answer_is_composed_saved_and_read_back_identically(client: TestClient) -> None:
    created = client.post("/api/answers", json={"question": ASTHMA})
    assert created.status_code == 201
    body = created.json()
    answer = body["answer"]
    assert body["url"] == f"/answers/{body['id']}" and body["parent_id"] is None
    claims = [claim for section in answer["sections"] for claim in section["claims"]]
    assert claims and all(claim["citations"] for claim in claims)
    assert "inhaled corticosteroid" in " ".join(claim["text"] for claim in claims)
    assert answer["references"][0]["title"] == "Adult Asthma: Diagnosis and Management"
    assert answer["disclaimer"].startswith("Educational purpose only")
    again = client.get(f"/api/answers/{body['id']}").json()
    assert again == body


def test_follow_up_carries_the_thread(client: TestClient) -> None:
    first = client.post("/api/answers", json={"question": ASTHMA}).json()
    follow = client.post("/api/answers", json={"question": "What dose?", "follow_up_of": first["id"]})
    assert follow.status_code == 201
    body = follow.json()
    assert body["parent_id"] == first["id"]
    assert "asthma" in body["answer"]["analysis"]["search_query"].lower()


def test_patient_audience_is_honoured(client: TestClient) -> None:
    body = client.post("/api/answers", json={"question": ASTHMA, "audience": "patient"}).json()
    assert body["answer"]["audience"] == "patient"
    assert body["answer"]["reading_grade"] is not None


def test_stream_reports_stages_then_the_saved_answer(client: TestClient) -> None:
    response = client.get("/api/answers/stream", params={"question": ASTHMA, "audience": "student"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = _events(response.text)
    stages = [data["stage"] for name, data in events if name == "stage"]
    assert stages == ["queued", "analysing", "retrieving", "composing", "verifying"]
    name, data = events[-1]
    assert name == "answer"
    saved = client.get(f"/api/answers/{data['id']}").json()
    assert saved["answer"]["audience"] == "student" and data["url"] == f"/answers/{data['id']}"


def test_stream_reports_an_unanswerable_question_as_an_error_event(client: TestClient) -> None:
    events = _events(client.get("/api/answers/stream", params={"question": "?!?"}).text)
    assert events[-1][0] == "error"
    assert events[-1][1]["detail"]


def test_unknown_answer_and_unknown_parent_are_404_with_a_reason(client: TestClient) -> None:
    missing = client.get("/api/answers/nosuchanswer")
    assert missing.status_code == 404 and "nosuchanswer" in missing.json()["detail"]
    orphan = client.post("/api/answers", json={"question": ASTHMA, "follow_up_of": "nosuchanswer"})
    assert orphan.status_code == 404 and "follow up" in orphan.json()["detail"]


def test_bad_questions_are_refused_with_clear_errors(client: TestClient) -> None:
    absurd = client.post("/api/answers", json={"question": "?!?"})
    assert absurd.status_code == 400 and absurd.json()["detail"]
    empty = client.post("/api/answers", json={"question": ""})
    assert empty.status_code == 422 and "question" in empty.json()["detail"]
    wrong_audience = client.post("/api/answers", json={"question": ASTHMA, "audience": "robot"})
    assert wrong_audience.status_code == 422 and "audience" in wrong_audience.json()["detail"]
    not_json = client.post("/api/answers", content=b"{not json", headers={"content-type": "application/json"})
    assert not_json.status_code == 422
    bad_id = client.post("/api/answers", json={"question": ASTHMA, "follow_up_of": "../../etc"})
    assert bad_id.status_code == 422


def test_oversized_bodies_are_refused_before_reading(client: TestClient) -> None:
    huge = client.post("/api/answers", json={"question": "asthma " * 2_000})
    assert huge.status_code == 413 and "too large" in huge.json()["detail"]
    chunked = client.post(
        "/api/answers",
        content=iter([b'{"question": "', b"a" * 5_000, b'"}']),
        headers={"content-type": "application/json"},
    )
    assert chunked.status_code == 413


def test_search_returns_ranked_filtered_hits(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "inhaled corticosteroid asthma", "k": 3}).json()
    assert body["preset"] == "fast" and 1 <= len(body["hits"]) <= 3
    assert "Adult Asthma: Diagnosis and Management" in [hit["title"] for hit in body["hits"]]
    trials = client.get("/api/search", params={"q": "colchicine", "kind": "randomized_trial"}).json()
    assert trials["hits"] and {hit["kind"] for hit in trials["hits"]} == {"randomized_trial"}
    curcumin = client.get("/api/search", params={"q": "curcumin pancreatic cancer"}).json()["hits"]
    assert any(hit["retracted"] for hit in curcumin)
    kept = client.get("/api/search", params={"q": "curcumin pancreatic cancer", "exclude_retracted": True})
    assert not any(hit["retracted"] for hit in kept.json()["hits"])


def test_search_errors_are_clear(client: TestClient) -> None:
    assert client.get("/api/search", params={"q": "?!?"}).status_code == 400
    assert client.get("/api/search", params={"q": "asthma", "k": 0}).status_code == 422
    assert client.get("/api/search", params={"q": "asthma", "preset": "turbo"}).status_code == 422
    backwards = client.get("/api/search", params={"q": "asthma", "year_from": 2020, "year_to": 2010})
    assert backwards.status_code == 400 and "year_from" in backwards.json()["detail"]


def test_documents_come_with_their_passages_and_retraction(client: TestClient) -> None:
    body = client.get("/api/documents/pmid:29300003").json()
    assert body["document"]["retracted"] is True
    assert body["document"]["title"] == "Curcumin halves tumour progression in advanced pancreatic cancer."
    assert body["passages"] and body["passages"][0]["id"] > 0
    assert client.get("/api/documents/pmid:0").status_code == 404


def test_openapi_schema_lists_the_endpoints(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/answers", "/api/answers/{answer_id}", "/api/search", "/api/health"} <= set(paths)
    assert "/answers/{answer_id}" not in paths  # pages stay out of the API schema


def test_live_search_unreachable_is_one_note_and_the_library_answer(web_library: Library) -> None:
    with socket.socket() as probe:  # a port nothing listens on: the connection is refused at once
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    live = LiveSearch("when_insufficient", EutilsConfig(base_url=f"http://127.0.0.1:{closed}"), budget=2.0)
    with TestClient(create_app(web_library, preset="fast", rate_limit=0, live=live)) as live_client:
        body = live_client.post(
            "/api/answers", json={"question": "Does zinc shorten the common cold?"}
        ).json()
    notes = body["answer"]["notes"]
    assert any(note.startswith("live PubMed search unavailable") for note in notes), notes
    assert body["answer"]["verdict"] in ("insufficient evidence", None)
