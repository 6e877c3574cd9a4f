"""The editorial commands end to end on a real library, and living answers after re-ingest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from evidex.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
QUESTION = "What is the first-line maintenance therapy for asthma in adults?"
NEW_GUIDELINE = """---
title: National asthma guideline 2026
kind: guideline
developer: National Asthma Council
year: 2026
---

# National asthma guideline 2026

## Recommendations

Adults with asthma should take a low dose inhaled corticosteroid as first-line maintenance therapy.
"""


TRIAL_XML = """<?xml version="1.0" encoding="UTF-8"?>
<PubmedArticleSet>
<PubmedArticle>
  <MedlineCitation Status="MEDLINE" Owner="NLM">
    <PMID Version="1">40000001</PMID>
    <Article PubModel="Print">
      <Journal>
        <JournalIssue><PubDate><Year>2024</Year></PubDate></JournalIssue>
        <Title>Respiratory Medicine</Title>
      </Journal>
      <ArticleTitle>Low dose inhaled corticosteroid maintenance therapy in adults with asthma.</ArticleTitle>
      <Abstract>
        <AbstractText>{abstract}</AbstractText>
      </Abstract>
      <Language>eng</Language>
      <PublicationTypeList>
        <PublicationType UI="D016428">Journal Article</PublicationType>
        <PublicationType UI="D016449">Randomized Controlled Trial</PublicationType>{extra_type}
      </PublicationTypeList>
    </Article>
  </MedlineCitation>
</PubmedArticle>
</PubmedArticleSet>
"""
ABSTRACT = (
    "In adults with asthma, a low dose inhaled corticosteroid as first-line maintenance therapy "
    "reduced severe exacerbations compared with placebo."
)
RETRACTED = '\n        <PublicationType UI="D016441">Retracted Publication</PublicationType>'


def _trial(path: Path, abstract: str = ABSTRACT, extra_type: str = "") -> Path:
    path.write_text(TRIAL_XML.format(abstract=abstract, extra_type=extra_type), encoding="utf-8")
    return path


class Cli:
    def __init__(self, library: Path) -> None:
        self.library = library
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, ok: bool = True) -> Result:
        result = self.runner.invoke(main, [*args, "--library", str(self.library)], input=input)
        if ok:
            assert result.exit_code == 0, result.output
        return result


@pytest.fixture()
def cli(tmp_path: Path) -> Cli:
    docs = tmp_path / "docs"
    shutil.copytree(FIXTURES, docs)
    _trial(docs / "trial.xml")
    run = Cli(tmp_path / "lib")
    run("ingest", str(docs), "--no-embed")
    for name, role in (("edith", "editor"), ("rev.one", "reviewer"), ("rev.two", "reviewer")):
        run("user", "add", name, "--role", role, "--password-stdin", input="correct horse battery\n")
    return run


def _published(cli: Cli) -> str:
    article_id = json.loads(cli("article", "create", QUESTION, "--as", "edith", "--json").output)["id"]
    cli("article", "act", article_id, "submit", "--as", "edith")
    cli("article", "act", article_id, "start_review", "--as", "rev.one")
    cli("article", "act", article_id, "sign_off", "--as", "rev.one")
    cli("article", "act", article_id, "sign_off", "--as", "rev.two", "--comment", "Doses checked.")
    cli("article", "act", article_id, "publish", "--as", "edith")
    return article_id


def test_an_article_goes_from_question_to_publication_by_command(cli: Cli) -> None:
    article_id = _published(cli)
    shown = json.loads(cli("article", "show", article_id, "--json").output)
    assert shown["status"] == "published" and shown["published_version"] == 1
    assert [t["action"] for t in shown["history"]][-1] == "publish"
    assert {s["reviewer"] for s in shown["signoffs"]} == {"rev.one", "rev.two"}
    assert shown["version"]["library_state"]["documents"] == 4
    assert "inhaled corticosteroid" in json.dumps(shown["version"]["answer"])
    audit = json.loads(cli("article", "audit", article_id, "--json").output)
    assert audit[0]["action"] == "article.publish" and audit[0]["actor"] == "edith"
    listed = json.loads(cli("article", "list", "--status", "published", "--json").output)
    assert [a["id"] for a in listed] == [article_id]


def test_forbidden_and_bad_commands_fail_with_a_reason(cli: Cli) -> None:
    article_id = json.loads(cli("article", "create", QUESTION, "--as", "edith", "--json").output)["id"]
    refused = cli("article", "act", article_id, "publish", "--as", "rev.one", ok=False)
    assert refused.exit_code == 1 and "may not publish" in refused.output
    early = cli("article", "act", article_id, "publish", "--as", "edith", ok=False)
    assert early.exit_code == 1 and "cannot publish" in early.output
    nobody = cli("article", "act", article_id, "submit", "--as", "mallory", ok=False)
    assert nobody.exit_code == 1 and "no user 'mallory'" in nobody.output
    missing = cli("article", "show", "nosuch", ok=False)
    assert missing.exit_code == 1 and "no article" in missing.output
    reviewer_create = cli("article", "create", QUESTION, "--as", "rev.one", ok=False)
    assert reviewer_create.exit_code == 1 and "may not create" in reviewer_create.output
    weak = cli("user", "add", "shorty", "--role", "editor", "--password-stdin", input="short\n", ok=False)
    assert weak.exit_code == 1 and "too short" in weak.output


def test_a_changed_or_retracted_cited_source_returns_the_article_to_review_after_ingest(
    cli: Cli, tmp_path: Path
) -> None:
    article_id = _published(cli)
    cited = json.loads(cli("article", "show", article_id, "--json").output)["version"]["answer"]["references"]
    assert "pmid:40000001" in [ref["document_id"] for ref in cited]
    assert "no approved or published article" in cli("article", "recheck").output
    updated = tmp_path / "update"
    updated.mkdir()
    _trial(updated / "trial.xml", ABSTRACT + " Adverse events were rare.")
    result = cli("ingest", str(updated), "--no-embed")
    assert "article returned to review" in result.output
    shown = json.loads(cli("article", "show", article_id, "--json").output)
    assert shown["status"] == "submitted" and shown["published_version"] == 1
    assert "cited document pmid:40000001 was updated" in shown["evidence_changed"]
    assert shown["history"][-1]["action"] == "evidence_changed"
    # reviewed and approved again, then the trial is retracted
    cli("article", "act", article_id, "start_review", "--as", "rev.one")
    cli("article", "act", article_id, "sign_off", "--as", "rev.one")
    cli("article", "act", article_id, "sign_off", "--as", "rev.two")
    assert "no approved or published article" in cli("article", "recheck").output  # already weighed
    retracted = tmp_path / "retraction"
    retracted.mkdir()
    _trial(retracted / "trial.xml", ABSTRACT + " Adverse events were rare.", RETRACTED)
    cli("ingest", str(retracted), "--no-embed")
    shown = json.loads(cli("article", "show", article_id, "--json").output)
    assert shown["status"] == "submitted"
    assert "cited document pmid:40000001 has been retracted" in shown["evidence_changed"]


def test_new_stronger_evidence_is_flagged_and_a_new_version_shows_the_difference(
    cli: Cli, tmp_path: Path
) -> None:
    article_id = _published(cli)
    extra = tmp_path / "new"
    extra.mkdir()
    (extra / "guideline.md").write_text(NEW_GUIDELINE, encoding="utf-8")
    cli("ingest", str(extra), "--no-embed")
    shown = json.loads(cli("article", "show", article_id, "--json").output)
    assert shown["status"] == "submitted"
    assert "new guideline evidence not cited: National asthma guideline 2026" in shown["evidence_changed"]
    changed = json.loads(cli("article", "new-version", article_id, "--as", "edith", "--json").output)
    assert changed["current_version"] == 2 and changed["status"] == "draft"
    assert any("National asthma guideline 2026" in ref for ref in changed["diff"]["references_added"])
    assert "National asthma guideline" in cli("article", "diff", article_id, "1", "2").output


def test_editing_a_cited_file_of_ones_own_returns_the_article_to_review(cli: Cli, tmp_path: Path) -> None:
    article_id = _published(cli)
    references = json.loads(cli("article", "show", article_id, "--json").output)["version"]["answer"][
        "references"
    ]
    own = [ref for ref in references if ref["document_id"].startswith("file:")]
    assert own, "the fixture answer should cite one of the user's own files"
    docs = tmp_path / "docs"
    path = next(p for p in sorted(docs.iterdir()) if p.suffix != ".xml" and own[0]["title"] in p.read_text())
    path.write_text(path.read_text() + "\nReviewed again in 2026 with no change to the advice.\n")
    result = cli("ingest", str(docs), "--no-embed")
    assert "replaced 1 earlier version(s) of edited file(s)" in result.output
    assert "article returned to review" in result.output
    shown = json.loads(cli("article", "show", article_id, "--json").output)
    assert shown["status"] == "submitted"
    assert f"cited document {own[0]['document_id']} is no longer in the library" in shown["evidence_changed"]
