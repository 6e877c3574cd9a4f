"""Medical query expansion: curated synonyms, spellings, library abbreviations, FTS5 expressions."""

from __future__ import annotations

import sqlite3

import pytest

from evidex.ingest.abbreviations import AbbreviationTable
from evidex.search.query import QueryError
from evidex.search.synonyms import (
    CAPS_ONLY,
    SPELLINGS,
    SYNONYM_GROUPS,
    expand_query,
    expanded_match_expression,
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("heart attack aspirin", ["myocardial infarction", "acetylsalicylic acid", "mi"]),
        (
            "IVIG for HSV",
            [
                "intravenous immunoglobulin",
                "herpes simplex virus",
                "intravenous immune globulin",
                "herpes simplex",
                "immune globulin",
            ],
        ),
        ("anaemia in pregnancy", ["anemia", "pregnant", "gestation"]),
        ("anemia", ["anaemia"]),
        ("What is the best dose?", []),
        # Longest phrase first ("kidney stone", not "kidney"); the plural "stones" matches "stone".
        ("Kidney stones", ["nephrolithiasis", "renal stone", "renal calculus"]),
        ("HSV-1 keratitis", ["herpes simplex virus type 1", "hsv1"]),
        # Already in the query (here as "MI", or as the plural "heart attacks"): not repeated.
        ("heart attacks and MI", ["myocardial infarction"]),
        ("randomised trial of paracetamol", ["randomized", "acetaminophen"]),
        (
            "blood thinners for AF",
            ["anticoagulant", "atrial fibrillation", "anticoagulation", "afib", "a fib"],
        ),
    ],
)
def test_expand_query(query: str, expected: list[str]) -> None:
    assert expand_query(query) == expected


def test_max_expansions_and_turn_taking() -> None:
    # Each matched phrase gets a turn, so the second group is not crowded out by the first.
    assert expand_query("haemorrhage after tumours", max_expansions=4) == [
        "hemorrhage",
        "tumors",
        "bleeding",
        "cancer",
    ]
    # "vitamin d" itself is in the query; that does not cost its group a turn.
    assert expand_query("Does vitamin D help COPD?", max_expansions=2) == [
        "cholecalciferol",
        "chronic obstructive pulmonary disease",
    ]
    assert expand_query("heart attack", max_expansions=1) == ["myocardial infarction"]
    assert expand_query("heart attack", max_expansions=0) == []


def test_caps_only_abbreviations() -> None:
    assert expand_query("hearing aids in the elderly") == []
    assert expand_query("AIDS in Africa") == ["acquired immunodeficiency syndrome"]
    # Emitting "aids" would match "hearing aids" too, so it is never an expansion.
    assert "aids" not in expand_query("acquired immunodeficiency syndrome")


def test_abbreviation_table_path() -> None:
    table = AbbreviationTable()
    for _ in range(2):
        table.add_text("Neuromyelitis optica spectrum disorder (NMOSD) relapses.")
        table.add_text("herpes simplex virus (HSV) and intravenous immunoglobulin (IVIG)")
    assert expand_query("NMOSD relapse treatment", table) == ["neuromyelitis optica spectrum disorder"]
    # Lower-case words are not looked up (they could be ordinary words).
    assert expand_query("nmosd relapse", table) == []
    # Library expansions already given by the curated table are not repeated.
    assert expand_query("IVIG for HSV", table) == expand_query("IVIG for HSV")
    assert expand_query("NMOSD and HSV", table, max_expansions=2) == [
        "neuromyelitis optica spectrum disorder",
        "herpes simplex virus",
    ]


def test_match_expression() -> None:
    assert expanded_match_expression("heart attack", ["myocardial infarction", "mi"]) == (
        '"heart" OR "attack" OR "myocardial infarction" OR "mi"'
    )
    assert expanded_match_expression("heart attack", []) == '"heart" OR "attack"'
    # An extra equal to a query term, blank or punctuation-only extras are skipped.
    assert expanded_match_expression("mi aspirin", ["MI", " ", "--", "aspirin"]) == '"mi" OR "aspirin"'


def test_match_expression_quoting() -> None:
    expression = expanded_match_expression('say "hi" OR NEAR(x', ['a "quoted" phrase'])
    assert expression == '"say" OR "hi" OR "near" OR "x" OR "a ""quoted"" phrase"'
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize = 'porter unicode61')")
    connection.execute("INSERT INTO t VALUES ('the quoted phrase a quoted phrase'), ('nothing')")
    rows = connection.execute("SELECT rowid FROM t WHERE t MATCH ?", (expression,)).fetchall()
    assert rows == [(1,)]


def test_match_expression_adjacent_phrase() -> None:
    expression = expanded_match_expression("heart attack", expand_query("heart attack"))
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize = 'porter unicode61')")
    connection.executemany(
        "INSERT INTO t VALUES (?)",
        [("acute myocardial infarction outcomes",), ("infarction of the myocardial wall",)],
    )
    assert connection.execute("SELECT rowid FROM t WHERE t MATCH ?", (expression,)).fetchall() == [(1,)]


@pytest.mark.parametrize("text", ["", "   ", "what is the?"])
def test_match_expression_empty(text: str) -> None:
    with pytest.raises(QueryError):
        expanded_match_expression(text, ["myocardial infarction"])


def test_tables_are_well_formed() -> None:
    phrases = [phrase for group in SYNONYM_GROUPS for phrase in group]
    assert 150 <= len(SYNONYM_GROUPS) <= 400
    assert len(phrases) == len(set(phrases))
    assert all(phrase == phrase.lower().strip() and phrase for phrase in phrases)
    assert set(phrases) >= CAPS_ONLY
    assert len({british for british, _ in SPELLINGS}) == len(SPELLINGS)
