"""Turn a free-text clinical question into an FTS5 MATCH expression.

Why this care: FTS5's own query syntax treats AND/OR/NOT/NEAR, quotes, colons, hyphens and
asterisks as operators, so raw user text can fail to parse or silently mean something else.
Every term is quoted (a "2.5 mg" stays the phrase "2 5" rather than two loose digits), question
and function words are dropped, and the terms are OR-ed so BM25 ranks by how many match.
Possessive and contraction endings go with the apostrophe ("Huntington's" and the escaped
"Huntington\\'s" give "huntington"; "don't" gives the stopword "don"): FTS5 would otherwise look
up a loose "s" or "t", which occur in a fifth of all passages and only slow the query down.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    may might must shall also whether used use using get got tell know s t don doesn didn isn
    aren wasn weren won hasn haven hadn shouldn wouldn couldn
    """.split()
)

_TERM = re.compile(r"[^\W_]+(?:[.,/\-][^\W_]+)*", re.UNICODE)
# "'s" / "'t" after a word (straight or typographic apostrophe, optionally backslash-escaped as in
# some exported question lists): possessives and contractions, dropped before splitting into terms.
_ENDING = re.compile(r"(?<=[^\W_])\\?['\u2019](?:s|t)\b", re.UNICODE)


class QueryError(ValueError):
    """The query has nothing to search for; the message says why."""


def query_terms(text: str) -> list[str]:
    """Search terms in order, lower-cased, without stopwords or repeats."""
    terms: list[str] = []
    for match in _TERM.finditer(_ENDING.sub("", text.lower())):
        term = match.group(0)
        if term in STOPWORDS or term in terms:
            continue
        terms.append(term)
    return terms


def match_expression(text: str) -> str:
    """An FTS5 MATCH string that ORs every quoted term of `text`."""
    if not text.strip():
        raise QueryError("the query is empty; type a question or some search terms")
    terms = query_terms(text)
    if not terms:
        raise QueryError(
            f"the query {text.strip()[:80]!r} has no searchable words (only common words "
            "or punctuation); add the condition, drug or test you are asking about"
        )
    return terms_expression(terms)


def terms_expression(terms: Sequence[str]) -> str:
    """The FTS5 MATCH string that ORs the given terms, each quoted (so each is a phrase)."""
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
