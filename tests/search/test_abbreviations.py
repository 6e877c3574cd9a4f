"""Schwartz & Hearst abbreviation extraction and the library's abbreviation table."""

from __future__ import annotations

import time

import pytest

from evidex.ingest.abbreviations import AbbreviationTable, find_abbreviations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The paper's own example: the first letter must start a word, so "shock" is skipped for H.
        ("Heat shock transcription factor (HSF) binds DNA.", [("HSF", "Heat shock transcription factor")]),
        (
            "Outcomes after hematopoietic stem cell transplantation (HSCT) in children.",
            [("HSCT", "hematopoietic stem cell transplantation")],
        ),
        (
            "Patients received intravenous immunoglobulin (IVIG) daily.",
            [("IVIG", "intravenous immunoglobulin")],
        ),
        (
            "Infection with herpes simplex virus type 1 (HSV-1) was common.",
            [("HSV-1", "herpes simplex virus type 1")],
        ),
        # "SF (long form)": the short form precedes the parenthesis.
        ("We used IVIG (intravenous immunoglobulin) in all.", [("IVIG", "intravenous immunoglobulin")]),
        # The candidate is cut at "; " and ", ".
        ("in obstructive sleep apnea (OSA; n = 20)", [("OSA", "obstructive sleep apnea")]),
        ("body mass index (BMI, kg/m2) was", [("BMI", "body mass index")]),
        # The long form does not reach back over a sentence end.
        ("This was clear. Myocardial infarction (MI) rates fell.", [("MI", "Myocardial infarction")]),
        (
            "Both tumor necrosis factor (TNF) and interleukin 6 (IL-6) rose.",
            [("TNF", "tumor necrosis factor"), ("IL-6", "interleukin 6")],
        ),
    ],
)
def test_definitions(text: str, expected: list[tuple[str, str]]) -> None:
    assert find_abbreviations(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The difference was significant (p < 0.05) in all arms.",
        "Seventeen patients (n = 17) were enrolled.",
        "as shown in the model (Fig. 2) here",
        "the risk doubled (95% CI 1.2-3.4) overall",
        "published in the journal (2019) last",
        "the odds ratio (OR 1.2) was small",
        "this was seen in the second trial (ii) and",
        "in both the trial (i.e. the main one) and",
        "an unrelated phrase (XYZ) here",
        "single letter (A) here",
        "no space before(HSF) here",
    ],
)
def test_non_definitions(text: str) -> None:
    assert find_abbreviations(text) == []


def test_long_form_word_limit() -> None:
    # min(|SF| + 5, 2 * |SF|) = 4 words for a two-letter short form.
    assert find_abbreviations("acute and very severe mild injury (AI) was") == []
    assert find_abbreviations("acute kidney injury (AKI) was") == [("AKI", "acute kidney injury")]


def test_speed_on_many_abstracts() -> None:
    abstract = (
        "Background: Patients with chronic kidney disease (CKD) and heart failure (HF) were given "
        "intravenous immunoglobulin (IVIG) or placebo (n = 120). Results: mortality fell (p < 0.05; "
        "95% CI 0.5-0.9) and quality of life (QoL) improved (Fig. 2). " * 3
    )
    start = time.perf_counter()
    for _ in range(2000):
        find_abbreviations(abstract)
    assert time.perf_counter() - start < 5


def _table() -> AbbreviationTable:
    table = AbbreviationTable()
    table.add_texts(
        [
            "Treated with intravenous immunoglobulin (IVIG).",
            "High-dose intravenous immunoglobulin (IVIG) was given.",
            "Intravenous immune globulin (IVIG) helps.",
            "herpes simplex virus (HSV) keratitis",
            "Herpes Simplex Virus (HSV) in neonates",
            "haemoglobin (Hb) levels; haemoglobin (Hb) fell",
        ]
    )
    return table


def test_table_counts_and_min_count() -> None:
    table = _table()
    # Long forms are lower-cased; the single "intravenous immune globulin" is below min_count 2.
    assert table.expansions("IVIG") == ["intravenous immunoglobulin"]
    assert table.expansions("HSV") == ["herpes simplex virus"]
    one = AbbreviationTable(min_count=1)
    one.add_text("Intravenous immune globulin (IVIG) helps. Then intravenous immunoglobulin (IVIG) again.")
    one.add_text("intravenous immunoglobulin (IVIG)")
    assert one.expansions("IVIG") == ["intravenous immunoglobulin", "intravenous immune globulin"]
    assert len(table) == 3
    assert "IVIG" in table
    assert "XYZ" not in table


def test_table_lookup_case() -> None:
    table = _table()
    assert table.expansions("ivig") == ["intravenous immunoglobulin"]
    assert table.expansions("Ivig") == ["intravenous immunoglobulin"]
    # "Hb" is mixed case as written: only an exact lookup finds it.
    assert table.expansions("Hb") == ["haemoglobin"]
    assert table.expansions("HB") == []
    assert table.expansions("hb") == []


def test_table_keeps_three_most_frequent() -> None:
    table = AbbreviationTable(min_count=1)
    for long_form, count in [("alpha", 5), ("beta", 4), ("gamma", 4), ("delta", 1)]:
        table.add_pair("AB", long_form, count)
    assert table.expansions("AB") == ["alpha", "beta", "gamma"]


def test_table_json_round_trip() -> None:
    table = _table()
    loaded = AbbreviationTable.from_json(table.to_json())
    assert loaded.expansions("IVIG") == table.expansions("IVIG")
    # Unpruned counts survive, so a loaded table keeps counting exactly.
    loaded.add_text("intravenous immune globulin (IVIG)")
    assert loaded.expansions("IVIG") == ["intravenous immune globulin", "intravenous immunoglobulin"]
    pruned = AbbreviationTable.from_json(table.to_json(prune=True))
    assert pruned.expansions("HSV") == ["herpes simplex virus"]
    assert len(table.to_json(prune=True)) < len(table.to_json())


@pytest.mark.parametrize("text", ["", "[]", '{"format": "other"}', '{"format": "evidex-abbreviations"}'])
def test_table_from_bad_json(text: str) -> None:
    with pytest.raises(ValueError):
        AbbreviationTable.from_json(text)
