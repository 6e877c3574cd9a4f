"""JATS loader: exact mapping of a full-text article, article sets and damaged files."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from evidex.ingest import jats_xml, pubmed_xml
from evidex.ingest.records import Rejected, SourceError
from evidex.models import Document, Section

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "jats"
ARTICLE = FIXTURES / "article.xml"
ARTICLESET = FIXTURES / "articleset.xml"


def test_single_article_maps_every_field() -> None:
    items = list(jats_xml.load(ARTICLE))
    assert items == [
        Document(
            id="pmid:34500011",
            pmid="34500011",
            doi="10.1136/bmjopen-2021-040011",
            title=(
                "Home blood pressure telemonitoring and pharmacist-led care for uncontrolled "
                "hypertension: a randomised trial"
            ),
            authors=["Achterberg Lotte", "Osei Kwame B", "HOME-BP Study Group"],
            journal="BMJ Open",
            publisher="BMJ Publishing Group",
            year=2021,
            date="2021-09-23",
            url="https://pmc.ncbi.nlm.nih.gov/articles/PMC8400011/",
            publication_types=["Journal Article"],
            licence="http://creativecommons.org/licenses/by-nc/4.0/",
            retracted=False,
            source="pmc",
            sections=[
                Section(
                    label="OBJECTIVES",
                    text=(
                        "To test whether home telemonitoring with pharmacist-led titration lowers "
                        "systolic blood pressure."
                    ),
                ),
                Section(
                    label="DESIGN",
                    text=("Pragmatic, open-label randomised controlled trial in 12 general practices."),
                ),
                Section(
                    label="RESULTS",
                    text=(
                        "At 12 months systolic pressure was 6.2 mm Hg lower (95% CI 3.9 to 8.5) "
                        "in the intervention group."
                    ),
                ),
                Section(
                    label="CONCLUSIONS",
                    text="Telemonitoring with pharmacist-led care lowered blood pressure.",
                ),
                Section(label="TRIAL REGISTRATION NUMBER", text="NCT09990011."),
                Section(
                    label="Introduction",
                    text=(
                        "Uncontrolled hypertension remains common in primary care.1 "
                        "Self-monitoring alone has modest effects [2].\n\n"
                        "We tested a combined intervention."
                    ),
                ),
                Section(
                    label="Methods > Study design",
                    text=(
                        "Patients aged 18–80 years with systolic pressure of 145 mm Hg or more "
                        "were eligible.\n\nExclusion: pregnancy.\nExclusion: eGFR <30 mL/min."
                    ),
                ),
                Section(
                    label="Methods > Statistical analysis",
                    text="We used linear mixed models with practice as a random effect.",
                ),
                Section(
                    label="Results",
                    text="Of 412 randomised patients, 389 completed follow-up (table 1).",
                ),
                Section(
                    label="Table 1",
                    text=(
                        "Primary outcome at 12 months Values are means (SD).\n\n"
                        "Outcome | Intervention (n=196) | Usual care (n=193)\n"
                        "Systolic BP, mm Hg | 136.1 (12.4) | 142.3 (13.0)\n\n"
                        "BP, blood pressure."
                    ),
                ),
                Section(label="Discussion", text="The effect is clinically relevant."),
            ],
            extra={"pmcid": "PMC8400011", "keywords": "hypertension, telemedicine, primary care"},
        )
    ]


def test_articleset_rejects_only_the_malformed_article() -> None:
    items = list(jats_xml.load(ARTICLESET))
    assert len(items) == 3
    review, bad, notice = items
    assert isinstance(bad, Rejected)
    assert (bad.path, bad.record) == (str(ARTICLESET), 2)
    assert bad.reason.startswith("malformed XML: mismatched tag")

    assert isinstance(review, Document)
    assert review.id == "pmcid:PMC8800021"
    assert review.pmid is None
    assert review.doi == "10.3390/nu14000021"
    assert review.url == "https://pmc.ncbi.nlm.nih.gov/articles/PMC8800021/"
    assert review.publication_types == ["Review"]
    assert review.authors == ["Rossi Giulia"]
    assert (review.journal, review.publisher) == ("Nutrients", "MDPI")
    assert (review.year, review.date) == (2022, "2022-01")
    assert review.licence == (
        "This article is an open access article distributed under the terms and conditions "
        "of the Creative Commons Attribution (CC BY) license."
    )
    assert review.sections == [
        Section(label="ABSTRACT", text="Higher fibre intake is associated with lower HbA1c."),
        Section(label="Main text", text="Fibre is a heterogeneous group of carbohydrates."),
        Section(label="Figure 1", text="Mechanisms by which fibre may improve glycaemia."),
    ]
    assert review.extra == {"pmcid": "PMC8800021"}

    assert isinstance(notice, Document)
    assert notice.id == "doi:10.5555/jes.2023.0023"
    assert notice.url == "https://doi.org/10.5555/jes.2023.0023"
    assert notice.publication_types == ["Retraction of Publication"]
    assert notice.retracted is False
    # xlink is declared only on <pmc-articleset>: the cutter carries it onto the article.
    assert notice.extra == {"retraction_of": "10.5555/jes.2019.0101"}
    assert notice.journal == "Journal of Example Surgery"
    assert (notice.year, notice.date) == (2023, "2023-03-05")
    assert notice.sections == [
        Section(
            label="Main text",
            text=(
                "This article has been retracted at the request of the authors because of duplicated data."
            ),
        )
    ]


def test_articleset_gzipped_and_in_tiny_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = list(jats_xml.load(ARTICLESET))
    packed = tmp_path / "pmc.xml.gz"
    packed.write_bytes(gzip.compress(ARTICLESET.read_bytes()))
    gz_items = list(jats_xml.load(packed))
    assert [getattr(i, "id", None) for i in gz_items] == [getattr(i, "id", None) for i in expected]
    monkeypatch.setattr(pubmed_xml, "_CHUNK", 5)
    assert list(jats_xml.load(ARTICLESET)) == expected


def test_malformed_single_article_raises_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "PMC1234567.xml"
    path.write_text(ARTICLE.read_text(encoding="utf-8").replace("</body>", ""), encoding="utf-8")
    with pytest.raises(SourceError, match=r"malformed XML") as caught:
        list(jats_xml.load(path))
    assert str(path) in str(caught.value)


def test_empty_and_foreign_files_raise(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xml"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"file is empty; expected PMC JATS"):
        list(jats_xml.load(empty))
    pubmed = Path(__file__).resolve().parent.parent / "fixtures" / "pubmed" / "baseline_sample.xml"
    with pytest.raises(SourceError, match=r"root element is <PubmedArticleSet>, expected PMC JATS"):
        list(jats_xml.load(pubmed))


def test_article_without_ids_or_title_is_rejected(tmp_path: Path) -> None:
    no_ids = tmp_path / "no_ids.xml"
    no_ids.write_text(
        "<article><front><article-meta><title-group><article-title>T</article-title>"
        "</title-group></article-meta></front></article>",
        encoding="utf-8",
    )
    assert list(jats_xml.load(no_ids)) == [
        Rejected(str(no_ids), None, "article has no pmid, pmcid or doi <article-id>")
    ]
    no_title = tmp_path / "no_title.xml"
    no_title.write_text(
        '<article><front><article-meta><article-id pub-id-type="pmc">PMC1</article-id>'
        "</article-meta></front></article>",
        encoding="utf-8",
    )
    assert list(jats_xml.load(no_title)) == [
        Rejected(str(no_title), None, "pmcid:PMC1: article has no <article-title>")
    ]


def test_article_without_text_keeps_its_title_as_a_section(tmp_path: Path) -> None:
    path = tmp_path / "title_only.xml"
    path.write_text(
        '<article article-type="editorial"><front><article-meta>'
        '<article-id pub-id-type="pmid">99</article-id>'
        "<title-group><article-title>Editorial note</article-title></title-group>"
        "</article-meta></front></article>",
        encoding="utf-8",
    )
    (doc,) = list(jats_xml.load(path))
    assert isinstance(doc, Document)
    assert doc.url == "https://pubmed.ncbi.nlm.nih.gov/99/"
    assert doc.publication_types == ["Editorial"]
    assert doc.sections == [Section(label="TITLE", text="Editorial note")]
