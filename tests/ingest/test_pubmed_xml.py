"""PubMed XML loader: exact field mapping, per-record rejection, streaming and damaged files."""

from __future__ import annotations

import gzip
import tracemalloc
from pathlib import Path

import pytest

from evidex.ingest import pubmed_xml
from evidex.ingest.records import LoadItem, Rejected, SourceError
from evidex.models import Document, Section

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pubmed"
EFETCH = FIXTURES / "efetch_sample.xml"
BASELINE = FIXTURES / "baseline_sample.xml"
MALFORMED = FIXTURES / "malformed_record.xml"

HEADER = (
    '<?xml version="1.0" ?>\n'
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
    "<PubmedArticleSet>\n"
)
FOOTER = "</PubmedArticleSet>\n"


def small_record(pmid: int) -> str:
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
        f'<PMID Version="1">{pmid}</PMID><Article PubModel="Print"><Journal><JournalIssue>'
        f"<PubDate><Year>2020</Year></PubDate></JournalIssue><Title>Test journal</Title>"
        f"</Journal><ArticleTitle>Trial number {pmid}.</ArticleTitle><Abstract>"
        f"<AbstractText>Result for record {pmid}.</AbstractText></Abstract></Article>"
        f"</MedlineCitation></PubmedArticle>\n"
    )


def write_set(path: Path, *records: str) -> Path:
    path.write_text(HEADER + "".join(records) + FOOTER, encoding="utf-8")
    return path


def documents(items: list[LoadItem]) -> list[Document]:
    return [item for item in items if isinstance(item, Document)]


def test_efetch_sample_maps_every_field() -> None:
    items = list(pubmed_xml.load(EFETCH))
    assert len(items) == 5
    docs = documents(items)
    assert [d.id for d in docs] == [
        "pmid:36100001",
        "pmid:35200002",
        "pmid:29300003",
        "pmid:31900004",
        "pmid:10400005",
    ]
    assert docs[0] == Document(
        id="pmid:36100001",
        pmid="36100001",
        title=("Serum vitamin D and incident type 2 diabetes in older adults: a prospective cohort study."),
        authors=["Okafor CA", "Lindqvist M"],
        journal="Metabolism: clinical and experimental",
        year=2022,
        date="2022-11-15",
        doi="10.1016/j.metabol.2022.155262",
        url="https://pubmed.ncbi.nlm.nih.gov/36100001/",
        mesh_terms=["Aged", "Diabetes Mellitus, Type 2", "Vitamin D"],
        publication_types=["Journal Article", "Research Support, Non-U.S. Gov't"],
        retracted=False,
        source="pubmed",
        licence=None,
        sections=[
            Section(
                label="BACKGROUND",
                text=("Low serum 25-hydroxyvitamin D (25(OH)D) has been associated with insulin resistance."),
            ),
            Section(
                label="METHODS",
                text=(
                    "We followed 4,212 adults aged 65 years or older for a median of 8.1 years "
                    "and modelled diabetes risk by 25(OH)D quartile."
                ),
            ),
            Section(
                label="RESULTS",
                text="The lowest quartile had a higher risk (HR 1.42, 95% CI 1.11–1.81; P<0.01).",
            ),
            Section(
                label="CONCLUSIONS",
                text="Low vitamin D was associated with incident type 2 diabetes.",
            ),
        ],
        extra={},
    )


def test_efetch_rct_collective_author_and_doi_from_article_ids() -> None:
    rct = documents(list(pubmed_xml.load(EFETCH)))[1]
    assert rct.publication_types == [
        "Journal Article",
        "Multicenter Study",
        "Randomized Controlled Trial",
    ]
    assert rct.mesh_terms == [
        "Colchicine",
        "Double-Blind Method",
        "Humans",
        "Myocardial Infarction",
    ]
    # ValidYN="N" author is dropped; the collective name is kept.
    assert rct.authors == ["Moreau JP", "COLCOT-2 Investigators"]
    # DOI from PubmedData/ArticleIdList, not from the cited reference's ArticleIdList.
    assert rct.doi == "10.1016/S0140-6736(22)00002-2"
    assert rct.journal == "Lancet (London, England)"
    assert (rct.year, rct.date) == (2022, "2022-02")
    assert rct.extra == {"pmcid": "PMC9100002"}
    assert rct.sections == [
        Section(
            label="ABSTRACT",
            text=(
                "Adults within 30 days of myocardial infarction were randomly assigned to "
                "colchicine 0.5 mg once daily or placebo. The primary endpoint occurred in 5.5% "
                "versus 7.1% of patients (hazard ratio 0.77)."
            ),
        )
    ]


def test_retracted_publication_and_retraction_notice() -> None:
    docs = documents(list(pubmed_xml.load(EFETCH)))
    retracted, notice = docs[2], docs[3]
    assert retracted.retracted is True
    assert retracted.publication_types == ["Journal Article", "Retracted Publication"]
    assert [s.label for s in retracted.sections] == ["OBJECTIVE", "FINDINGS"]
    assert retracted.extra == {}

    assert notice.retracted is False
    assert notice.publication_types == ["Retraction of Publication"]
    assert notice.extra == {"retraction_of": "29300003"}
    # No <Journal><Title>: falls back to the ISO abbreviation.
    assert notice.journal == "J Integr Oncol"
    assert notice.authors == []
    assert notice.doi is None
    title = 'Retraction notice to "Curcumin halves tumour progression in advanced pancreatic cancer".'
    assert notice.title == title
    assert notice.sections == [Section(label="TITLE", text=title)]


def test_medline_date_gives_first_year() -> None:
    doc = documents(list(pubmed_xml.load(EFETCH)))[4]
    assert (doc.year, doc.date) == (1998, "1998 Dec-1999 Jan")
    assert doc.authors == ["Hartmann K", "Dubois"]
    assert doc.doi is None
    assert doc.sections == [
        Section(label="ABSTRACT", text="Pooled data from 6 trials showed no reduction in total stroke.")
    ]


def test_baseline_file_ignores_delete_citation() -> None:
    items = list(pubmed_xml.load(BASELINE))
    assert len(items) == 2
    first, second = documents(items)
    assert first.id == "pmid:20500101"
    assert first.sections == [
        Section(label="AIM", text="To compare honey with no treatment for nocturnal cough."),
        Section(label="RESULTS", text="Honey reduced cough frequency scores by 1.1 points."),
    ]
    assert (first.year, first.date) == (2010, "2010-06")
    assert first.publication_types == ["Clinical Trial", "Journal Article"]
    assert first.mesh_terms == ["Child", "Cough", "Honey"]
    assert second.id == "pmid:20500102"
    assert (second.year, second.date) == (2010, "2010")
    assert second.sections == [
        Section(label="TITLE", text="Antibiotic prescribing for sore throat in primary care.")
    ]
    assert second.journal == "BMC family practice"
    assert second.authors == ["Nguyen TM"]


def test_gzipped_copy_loads_the_same(tmp_path: Path) -> None:
    packed = tmp_path / "pubmed25n0001.xml.gz"
    packed.write_bytes(gzip.compress(EFETCH.read_bytes()))
    assert list(pubmed_xml.load(packed)) == list(pubmed_xml.load(EFETCH))


def test_gzip_detected_by_content_not_name(tmp_path: Path) -> None:
    packed = tmp_path / "baseline.xml"
    packed.write_bytes(gzip.compress(BASELINE.read_bytes()))
    assert len(documents(list(pubmed_xml.load(packed)))) == 2


def test_records_split_across_tiny_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = list(pubmed_xml.load(EFETCH))
    monkeypatch.setattr(pubmed_xml, "_CHUNK", 7)
    assert list(pubmed_xml.load(EFETCH)) == expected
    assert len(list(pubmed_xml.load(BASELINE))) == 2


def test_one_malformed_record_is_rejected_and_the_rest_load() -> None:
    items = list(pubmed_xml.load(MALFORMED))
    assert len(items) == 3
    first, bad, third = items
    assert isinstance(first, Document) and first.id == "pmid:11100001"
    assert isinstance(third, Document) and third.id == "pmid:11100003"
    assert isinstance(bad, Rejected)
    assert bad.path == str(MALFORMED)
    assert bad.record == 2
    assert bad.reason.startswith("malformed XML: mismatched tag")


def test_truncated_gzip_yields_records_then_raises(tmp_path: Path) -> None:
    source = write_set(tmp_path / "big.xml", *(small_record(40000000 + i) for i in range(3000)))
    packed = gzip.compress(source.read_bytes())
    truncated = tmp_path / "pubmed25n0002.xml.gz"
    truncated.write_bytes(packed[: len(packed) // 2])
    read: list[LoadItem] = []
    with pytest.raises(SourceError) as caught:
        for item in pubmed_xml.load(truncated):
            read.append(item)
    docs = documents(read)
    assert len(docs) == len(read)
    assert 0 < len(docs) < 3000
    assert [d.pmid for d in docs] == [str(40000000 + i) for i in range(len(docs))]
    message = str(caught.value)
    assert str(truncated) in message
    assert "truncated" in message
    assert f"the {len(docs)} records before it were read" in message


def test_plain_file_ending_inside_a_record(tmp_path: Path) -> None:
    path = tmp_path / "cut.xml"
    path.write_text(HEADER + small_record(1) + small_record(2)[:120], encoding="utf-8")
    items = list(pubmed_xml.load(path))
    assert len(items) == 2
    assert isinstance(items[0], Document)
    assert items[1] == Rejected(str(path), 2, "file ends inside <PubmedArticle> (truncated file?)")


def test_empty_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "empty.xml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(SourceError, match=r"file is empty; expected PubMed/MEDLINE XML"):
        list(pubmed_xml.load(path))


@pytest.mark.parametrize(
    "content",
    [
        '<?xml version="1.0"?>\n<html><body>Not PubMed</body></html>\n',
        "PMID- 12345678\nTI  - A MEDLINE text record, not XML\n",
        '<?xml version="1.0"?>\n<article><front/></article>\n',
    ],
)
def test_not_pubmed_xml_raises(tmp_path: Path, content: str) -> None:
    path = tmp_path / "other.xml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SourceError, match=r"<PubmedArticleSet> root") as caught:
        list(pubmed_xml.load(path))
    assert str(path) in str(caught.value)


def test_book_article_missing_pmid_and_missing_text_are_rejected(tmp_path: Path) -> None:
    book = (
        '<PubmedBookArticle><BookDocument><PMID Version="1">20301001</PMID>'
        "<ArticleTitle>GeneReviews chapter</ArticleTitle></BookDocument></PubmedBookArticle>\n"
    )
    no_pmid = small_record(5).replace('<PMID Version="1">5</PMID>', "")
    no_text = (
        '<PubmedArticle><MedlineCitation><PMID Version="1">6</PMID><Article>'
        "<ArticleTitle></ArticleTitle></Article></MedlineCitation></PubmedArticle>\n"
    )
    untitled = small_record(7).replace("<ArticleTitle>Trial number 7.</ArticleTitle>", "")
    path = write_set(tmp_path / "odd.xml", book, no_pmid, no_text, untitled, small_record(8))
    items = list(pubmed_xml.load(path))
    assert items[:3] == [
        Rejected(str(path), 1, "PubmedBookArticle (NCBI Bookshelf record) is not supported"),
        Rejected(str(path), 2, "record has no PMID"),
        Rejected(str(path), 3, "PMID 6: has neither a title nor an abstract"),
    ]
    untitled_doc, last = documents(items)
    assert untitled_doc.title == "[No title available]"
    assert untitled_doc.sections == [Section(label="ABSTRACT", text="Result for record 7.")]
    assert last.id == "pmid:8"


def test_doctype_entities_are_never_expanded(tmp_path: Path) -> None:
    path = tmp_path / "entity.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet [<!ENTITY secret "expanded">]>\n'
        "<PubmedArticleSet>"
        + small_record(9).replace("Trial number 9.", "&secret;")
        + small_record(10)
        + FOOTER,
        encoding="utf-8",
    )
    items = list(pubmed_xml.load(path))
    assert isinstance(items[0], Rejected)
    assert items[0].reason.startswith("malformed XML: undefined entity")
    assert isinstance(items[1], Document)


def test_streams_a_large_file_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "pubmed25n1274.xml"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER)
        for i in range(30_000):
            handle.write(small_record(30_000_000 + i))
        handle.write(FOOTER)
    assert path.stat().st_size > 10_000_000

    tracemalloc.start()
    try:
        count = 0
        last = ""
        for item in pubmed_xml.load(path):
            assert isinstance(item, Document)
            count += 1
            last = item.id
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 30_000
    assert last == "pmid:30029999"
    assert peak < 50 * 1024 * 1024
