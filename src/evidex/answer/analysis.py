"""Question analysis: what a clinical question asks, which things it is about, and the claim it tests.

Why rules and not a model: analysis runs before every search, so it must be instant, deterministic
and work offline; clinical questions signal their type with stable wording ("dose", "first-line",
"risk factor", "versus"), and yes/no questions with a leading auxiliary verb. The claim of a yes/no
question ("Does aspirin reduce stroke risk?" → "Aspirin reduces stroke risk.") is what verification
and the verdict test the evidence against.
"""

from __future__ import annotations

import re

from evidex.models import QuestionAnalysis, QuestionType
from evidex.search.query import STOPWORDS, query_terms
from evidex.search.synonyms import CAPS_ONLY, SYNONYM_GROUPS

__all__ = ["AUXILIARIES", "MAX_QUESTION_CHARS", "VERB_FORMS", "QuestionError", "analyse"]

MAX_QUESTION_CHARS = 1000


class QuestionError(ValueError):
    """The question cannot be analysed or searched; the message says what to do instead."""


# Topical types in precedence order: the first whose cue matches wins. Comparison first because
# "Is A better than B for treating C?" is answered by comparing A and B, not as plain therapy;
# prognosis before diagnosis because "life expectancy after a diagnosis of X" asks about outcome;
# definition last because "What is the dose/treatment/prognosis of X?" is not a definition.
_TYPE_CUES: tuple[tuple[QuestionType, re.Pattern[str]], ...] = (
    (
        QuestionType.COMPARISON,
        re.compile(
            r"\bvs\b\.?|\bversus\b|\bcompar(?:e|ed|es|ing|ison)\b|\bdifference between\b|\bthe same\b"
            r"|\b(?:more|less|better|worse|safer)\b(?:\s+\w+)?\s+than\b"
            r"|\b(?:superior|inferior|non-inferior|equivalent)\s+to\b"
            r"|\bwhich\b.*\bor\b|\bor\b.*\bwhich\b"
            r"|\bor\b.*\b(?:better|worse|safer|preferable|preferred|best)\b"
            r"|\b(?:better|worse|safer|preferable|preferred|best)\b.*\bor\b"
        ),
    ),
    (
        QuestionType.DOSING,
        re.compile(
            r"\bdos(?:e|es|age|ages|ing)\b|\bhow much\b|\bhow many (?:mg|tablets|pills|doses|times)\b"
            r"|\bhow often\b|\bhow long (?:can|should|do|does) (?:i|you|we|one|he|she) (?:take|use)\b"
            r"|\bmg\b|\d\s?(?:mg|mcg|ml|meq)\b|\bstrengths?\b"
        ),
    ),
    (
        QuestionType.PREVENTION,
        re.compile(
            r"\bprevent|\bprophyla|\bvaccin|\bimmuni[sz]|\breduc\w* (?:the )?(?:\w+ )?risk\b"
            r"|\blower\w* (?:the )?(?:\w+ )?risk\b"
        ),
    ),
    (
        QuestionType.PROGNOSIS,
        re.compile(
            r"\bprognos|\bsurviv|\boutcomes?\b|\blife expectancy\b|\bwill\b.*\brecover|\bcurable\b"
            r"|\bpredict|\brecurrence\b"
        ),
    ),
    (
        QuestionType.DIAGNOSIS,
        re.compile(
            r"\bdiagnos|\btest(?:s|ing)? for\b|\bscreen|\bsensitivity\b|\bspecificity\b|\bdetect"
            r"|\bsymptoms?\b|\bsigns? of\b|\bwarning signs?\b"
        ),
    ),
    (
        QuestionType.ETIOLOGY,
        re.compile(
            r"\bcaus(?:e|es|ed|ing)\b|\brisk factors?\b|\bwhy (?:does|do|is|are)\b|\bassociated (?:with|to)\b"
        ),
    ),
    (
        QuestionType.THERAPY,
        re.compile(
            r"\btreat|\btherap|\bmanag(?:e|ed|es|ing|ement)\b|\bfirst[- ]line\b"
            r"|\b(?:drugs?|medications?) for\b|\beffective for\b|\befficac|\bget rid of\b|\bcure\b"
            r"|\bremed(?:y|ies)\b|\brelie(?:f|ve)\b"
            r"|\bhow (?:do|can|should) (?:you|i|we|u) (?:fix|heal|stop)\b"
            r"|\bwhat (?:can|should|could) (?:you|i|we|u|they) (?:take|use|give)\b"
        ),
    ),
    (
        QuestionType.DEFINITION,
        re.compile(r"^(?:what is|what are|what's)\b|\bdefin(?:e|ition)\b|\bmeaning of\b"),
    ),
)

AUXILIARIES = frozenset(
    "is are does do can should will was were has have could may did would must might shall".split()
)
_NEGATED = {
    "isn't": "is",
    "aren't": "are",
    "doesn't": "does",
    "don't": "do",
    "can't": "can",
    "cannot": "can",
    "shouldn't": "should",
    "won't": "will",
    "wasn't": "was",
    "weren't": "were",
    "hasn't": "has",
    "haven't": "have",
    "couldn't": "could",
    "didn't": "did",
    "wouldn't": "would",
}
_BE = frozenset({"is", "are", "was", "were"})
_HAVE = frozenset({"has", "have"})
_DETERMINERS = frozenset(
    "a an the this these those that my your his her their its our some any each every no".split()
)
_PREPOSITIONS = frozenset(
    """of in on at for with without by from to into among between during after before about against
    over under within via per than like""".split()
)
_PRONOUNS = frozenset({"it", "they", "this", "these", "that", "those"})

# Base forms of verbs common in clinical questions; they mark the end of the subject of a do/modal
# question ("Does aspirin | reduce ...") and split entities ("aspirin" | "stroke risk").
_VERBS = frozenset(
    """
    reduce increase improve decrease lower raise prevent cause affect influence impact promote predict
    work help have need require exist differ lead interact mix protect cure treat change correlate
    contribute play matter benefit make get show remain alter modify enhance worsen delay shorten
    prolong induce inhibit trigger mediate respond occur depend relate regulate stimulate suppress
    block bind cross enter survive recover spread heal last stop start contain provide offer
    outperform add carry pose facilitate support allow enable push go come take give receive undergo
    experience develop produce harm hurt kill damage interfere reverse restore replace result reflect
    explain mean indicate signal mimic resemble involve include precede follow accompany modulate
    limit attenuate alleviate relieve ease control predispose confer elevate extend accelerate slow
    boost strengthen weaken impair compromise expose detect identify diagnose distinguish
    discriminate estimate measure assess evaluate translate apply persist recur resolve disappear
    return pass leave become seem appear look feel cost save lose gain reach achieve exceed
    fail succeed outweigh justify warrant vary tolerate absorb eliminate clear eradicate infect
    transmit express encode activate target decline drop rise fall shrink grow form dissolve
    fix catch manage soothe calm cope deal avoid tell know favor favour ameliorate
    """.split()
)

_IRREGULAR_PAST = {
    "have": "had",
    "make": "made",
    "lead": "led",
    "go": "went",
    "come": "came",
    "take": "took",
    "give": "gave",
    "get": "got",
    "show": "showed",
    "become": "became",
    "feel": "felt",
    "lose": "lost",
    "leave": "left",
    "spread": "spread",
    "cost": "cost",
    "undergo": "underwent",
    "rise": "rose",
    "fall": "fell",
    "grow": "grew",
    "shrink": "shrank",
    "hurt": "hurt",
    "bind": "bound",
    "mean": "meant",
}


def _third_person(verb: str) -> str:
    """Present third-person singular: reduce → reduces, carry → carries, mix → mixes, have → has."""
    lower = verb.lower()
    if lower == "have":
        return verb[0] + "as"
    if lower == "be":
        return "is"
    if re.search(r"[^aeiou]y$", lower):
        return verb[:-1] + "ies"
    if re.search(r"(?:s|x|z|ch|sh|o)$", lower):
        return verb + "es"
    return verb + "s"


def _past(verb: str) -> str:
    """Simple past: reduce → reduced, push → pushed, carry → carried, with a few irregular verbs."""
    lower = verb.lower()
    if lower in _IRREGULAR_PAST:
        return _IRREGULAR_PAST[lower]
    if lower.endswith("e"):
        return verb + "d"
    if re.search(r"[^aeiou]y$", lower):
        return verb[:-1] + "ied"
    return verb + "ed"


def _ing(verb: str) -> str:
    lower = verb.lower()
    if lower.endswith("e") and not lower.endswith(("ee", "ye", "oe")):
        return verb[:-1] + "ing"
    return verb + "ing"


VERB_FORMS: frozenset[str] = frozenset(
    form
    for verb in _VERBS
    for form in (verb, _third_person(verb), _past(verb), _ing(verb), verb + "ed", verb + "d")
    if not (form.endswith("ed") and len(verb) <= 2)
) | frozenset(_IRREGULAR_PAST.values())

_THIRD_PERSON = frozenset(_third_person(verb) for verb in _VERBS)

# Words that start the predicate of a be-question ("Is X | safe ...", "Are X | related to Y").
_PREDICATE_WORDS = frozenset(
    """
    safe unsafe effective ineffective efficacious serious curable treatable preventable contagious
    infectious harmful dangerous normal abnormal common rare necessary useful beneficial helpful good
    bad better worse best superior inferior equivalent similar different same able unable likely
    unlikely possible impossible true false permanent reversible hereditary genetic malignant
    cancerous fatal deadly painful worth worthwhile appropriate feasible accurate reliable valid
    relevant sufficient adequate cost-effective present absent available responsible due prone
    susceptible sensitive specific predictive compatible ok okay alright independent dependent higher
    lower greater smaller larger longer shorter more less as not still always also often really
    usually ever even only just already very too enough necessarily super extremely so quite highly
    """.split()
)
_IRREGULAR_PARTICIPLES = frozenset(
    "known shown seen given done taken made found caused been held kept left lost spread thought".split()
)
_NOT_ADVERBS = frozenset(
    {"daily", "weekly", "monthly", "yearly", "hourly", "nightly", "early", "elderly", "family"}
)
_NOT_PARTICIPLES = frozenset({"bleed", "breed", "speed", "seed", "need", "feed", "shed", "embed", "hundred"})

# Words that never belong to an entity: function words, question words, and verbs/adjectives that
# carry the question's intent rather than its subject.
_BOUNDARY = (
    STOPWORDS
    | AUXILIARIES
    | _PREDICATE_WORDS
    | VERB_FORMS
    | frozenset(
        """
        what which who whom whose how why when where there any anything something i me my ok okay
        please versus vs compared list describe explain name according recommended suggested
        preferred indicated associated related linked considered taken given much many long
        difference between mostly mainly commonly frequently typically primarily generally
        preferentially quickly instantly naturally permanently randomly u ur m im rid instead
        """.split()
    )
    | _PREPOSITIONS
    | _IRREGULAR_PARTICIPLES
    | frozenset(_NEGATED)
) - frozenset({"no", "not"})  # "no" and "not" are already stopwords or predicate words

# A chunk that is only one of these says what is asked, not what it is about.
_GENERIC = frozenset(
    """
    treatment treatments therapy therapies dose doses dosage dosages management drug drugs medication
    medications medicine medicines effect effects risk risks way ways people person patient patients
    symptom symptoms sign signs cause causes need role type types option options rate rates thing
    things problem problems condition conditions test tests outcome outcomes prognosis diagnosis
    prevention survival factor factors risk-factors efficacy safety evidence study studies benefit
    benefits strength strengths time times day days
    """.split()
) | frozenset({"risk factor", "risk factors", "side effect", "side effects", "first-line"})

_DOSE = r"\d+(?:[.,]\d+)?\s?(?:mg/kg|mg/m2|mcg|mg|µg|ug|g|ml|iu|units?|meq|mmol|%)(?![\w/])"
_TOKEN = re.compile(rf"(?P<dose>{_DOSE})|(?P<word>[^\W_]+(?:['’\-./][^\W_]+)*)|(?P<sep>[^\w\s])", re.I)


def _term_pattern() -> re.Pattern[str]:
    """One regex matching any synonym-group phrase (longest first), words joined by space/hyphen."""
    phrases: set[str] = set()
    for group in SYNONYM_GROUPS:
        phrases.update(group)
    parts: list[str] = []
    for phrase in sorted(phrases, key=lambda p: (-len(p), p)):
        words = re.findall(r"[^\W_]+", phrase)
        parts.append(r"[\s\-'’]*".join(re.escape(word) for word in words))
    return re.compile(r"(?<![\w\-])(?:" + "|".join(parts) + r")(?:e?s)?(?![\w\-])", re.I)


_TERMS = _term_pattern()


def _term_spans(text: str) -> list[tuple[int, int]]:
    """Where synonym-group phrases occur; an English-word abbreviation counts only in capitals."""
    spans: list[tuple[int, int]] = []
    for match in _TERMS.finditer(text):
        found = match.group(0)
        caps_only = found.lower() in CAPS_ONLY or found.lower().rstrip("s") in CAPS_ONLY
        if caps_only and not found.isupper():
            continue
        spans.append(match.span())
    return spans


def _entities(text: str) -> list[str]:
    """Key phrases in question order: runs of content words between function words, verbs and punctuation.

    A synonym-group phrase is never split (so "quality of life" survives its "of"), a dose with its
    unit ("500 mg") stands alone, and a run that is only a generic word ("treatment") is dropped.
    """
    terms = _term_spans(text)

    def in_term(start: int, end: int) -> bool:
        return any(t_start <= start and end <= t_end for t_start, t_end in terms)

    entities: list[str] = []
    seen: set[str] = set()

    def emit(start: int, end: int) -> None:
        phrase = text[start:end].strip(" '’-.")
        key = phrase.lower()
        if phrase and key not in seen and key not in _GENERIC:
            seen.add(key)
            entities.append(phrase)

    run: tuple[int, int] | None = None
    for match in _TOKEN.finditer(text):
        start, end = match.span()
        kind = match.lastgroup
        word = match.group(0).lower().rstrip("'’")
        boundary = kind == "sep" or kind == "dose" or (word in _BOUNDARY and not in_term(start, end))
        if kind == "sep" and in_term(start, end):
            boundary = False
        if boundary:
            if run:
                emit(*run)
            run = None
            if kind == "dose":
                emit(start, end)
            continue
        run = (run[0], end) if run else (start, end)
    if run:
        emit(*run)
    return entities


def _question_type(text: str) -> QuestionType | None:
    lower = " ".join(text.lower().split())
    for question_type, cue in _TYPE_CUES:
        if cue.search(lower):
            return question_type
    return None


_PART_BREAK = re.compile(r"(?:[:.,]\s+|\s*(?:--|—)\s*|\s-\s+)(?=\S)")
_TITLE_BREAK = re.compile(r"(?::\s+|\s*(?:--|—)\s*)(?=\S)")
_NOUN_PHRASE = "\x00is"
"""Marks a clause that is a bare noun phrase: the claim is "<head> is <noun phrase>"."""
_TOPIC_WORDS = frozenset(
    "symptoms signs causes treatment treatments diagnosis prognosis prevention dose dosage dosing "
    "side effects risks outlook overview and or its their".split()
)
_WH = re.compile(r"\b(?:what|which|who|whom|whose|where|when|why|how)\b", re.I)


def _yes_no_clause(question: str) -> tuple[str, str] | None:
    """(text before the clause, the clause) when the question, or a part of it after a colon, full
    stop, comma or dash, starts with an auxiliary verb ("Double balloon enteroscopy: is it safe?",
    "Multidisciplinary breast cancer clinics. Do they work?"); None otherwise, and None for a
    question that starts with a wh-word ("Where, in the body, is ghrelin secreted?").

    A title-style question whose part after its last colon or dash is a noun phrase ("Aripiprazole: a
    new risk factor for pathological gambling?") is yes/no too, unless that part only names topics
    ("Shingles: symptoms and treatment?"); its clause comes back as "is <noun phrase>" with the
    head as the text before it, so that the claim reads "Aripiprazole is a new risk factor ...".
    """
    if _WH.match(question):
        return None
    candidates = [("", question)]
    candidates += [
        (question[: m.start()].strip(), question[m.end() :].strip()) for m in _PART_BREAK.finditer(question)
    ]
    for prefix, clause in candidates:
        first = clause.split()[0].lower().strip("\"'“”") if clause.split() else ""
        if first in AUXILIARIES or first in _NEGATED:
            return prefix, clause
    titled = _TITLE_BREAK.split(question)
    if len(titled) > 1 and question.rstrip().endswith("?") and not _WH.search(question):
        head, clause = " ".join(titled[:-1]).strip(), titled[-1].strip()
        words = {_norm(word) for word in clause.split()}
        if len(words) >= 2 and not words <= _TOPIC_WORDS and query_terms(head):
            return head, f"{_NOUN_PHRASE} {clause}"
    return None


def _norm(word: str) -> str:
    return word.lower().strip(".,;:!?\"'“”()")


def _is_participle(word: str) -> bool:
    return word in _IRREGULAR_PARTICIPLES or (
        len(word) > 4 and word.endswith("ed") and word not in _NOT_PARTICIPLES
    )


def _subject_start(rest: list[str]) -> int:
    """Index of the first word that may end the subject: the subject has at least one content word."""
    return 2 if len(rest) > 2 and _norm(rest[0]) in _DETERMINERS else 1


def _predicate_start(rest: list[str], aux: str) -> int:
    """Where the subject ends in the words after the auxiliary (fallback: after its first word)."""
    start = _subject_start(rest)
    for index in range(start, len(rest)):
        word, previous = _norm(rest[index]), _norm(rest[index - 1])
        if previous in _PREPOSITIONS or previous in _DETERMINERS:
            continue
        if aux in _BE or aux in _HAVE:
            if previous.endswith("ly") and len(previous) > 4 and _is_participle(word):
                continue
            if (
                word in _PREDICATE_WORDS
                or word in {"a", "an", "the"}
                or _is_participle(word)
                or (word.endswith("ly") and len(word) > 4 and word not in _NOT_ADVERBS)
            ):
                return index
        elif word in _VERBS or word in _THIRD_PERSON or word in {"be", "have"}:
            return index
    return min(start, len(rest))


def _claim(question: str) -> str | None:
    """The statement a yes/no question tests, or None when the question is not yes/no.

    Limits: the subject ends at the first word known to start a predicate (a verb from `_VERBS` for
    do/modal questions; an adjective, participle, article or adverb for be/have questions); when
    none is found the subject is taken to be the first word. Only "does" and "did" change the verb
    (third-person -s, simple past); irregular forms beyond a small table are not handled.
    """
    found = _yes_no_clause(question)
    if found is None:
        return None
    prefix, clause = found
    if clause.startswith(_NOUN_PHRASE):
        phrase = re.sub(r"[\"“”]", "", clause[len(_NOUN_PHRASE) :]).strip().rstrip("?.! ").strip()
        return _sentence([prefix, "is", phrase])
    clause = re.sub(r"[\"“”]", "", clause).strip().rstrip("?.! ").strip()
    words = clause.split()
    if len(words) < 2:
        return None
    aux = _norm(words[0])
    aux = _NEGATED.get(aux, aux)
    rest = words[1:]
    if aux in _BE and _norm(rest[0]) == "there":
        predicate = rest[1:]
        if predicate and _norm(predicate[0]) == "any":
            predicate = predicate[1:]
        return _sentence(["There", aux, *predicate])
    split = _predicate_start(rest, aux)
    subject, predicate = rest[:split], rest[split:]
    if prefix and len(subject) == 1 and _norm(subject[0]) in _PRONOUNS:
        subject = prefix.split()
    elif subject and _norm(subject[0]) in _PRONOUNS | {"there"}:
        subject = [subject[0].lower() if subject[0] != "I" else "I", *subject[1:]]
    if aux in {"does", "did", "do"}:
        if predicate:
            verb = predicate[0]
            if aux == "does" and _norm(verb) not in _THIRD_PERSON:  # "Does X ameliorates Y?" happens
                verb = _third_person(verb)
            elif aux == "did":
                verb = _past(verb)
            predicate = [verb, *predicate[1:]]
        return _sentence([*subject, *predicate])
    return _sentence([*subject, aux, *predicate])


def _sentence(words: list[str]) -> str:
    text = " ".join(words).strip()
    return text[:1].upper() + text[1:] + "."


_AS_OF = re.compile(r"^as of [^,]{2,40},\s*", re.I)
_YES_OR_NO = re.compile(r"[\s,;:-]*\(?\b(?:yes or no|true or false)\)?\s*[?.!]*\s*$", re.I)


def _core(text: str) -> tuple[str, str | None]:
    """The question without a dating preamble ("As of Feb 2019, …") or a trailing ", yes or no?", and,
    when it was a statement followed by "yes or no?", that statement (BioASQ: "Tocilizumab is an
    anti-TNF antibody, yes or no?" tests the claim "Tocilizumab is an anti-TNF antibody.")."""
    core = _AS_OF.sub("", text)
    core = core[:1].upper() + core[1:] if core != text else core
    ending = _YES_OR_NO.search(core)
    if ending is None or ending.start() == 0:
        return core, None
    stated = core[: ending.start()].strip()
    if _yes_no_clause(stated + "?") is not None:
        return stated + "?", None
    return stated + "?", stated


def _validate(question: str) -> str:
    text = " ".join(question.split())
    if not text:
        raise QuestionError(
            "the question is empty; type a clinical question, e.g. 'What is the dose of ...?'"
        )
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question is {len(text)} characters long; ask one question in at most "
            f"{MAX_QUESTION_CHARS} characters"
        )
    if not re.search(r"[^\W\d_]", text):
        raise QuestionError(
            f"the question {text[:80]!r} has no words; name the condition, drug or test you are asking about"
        )
    if not query_terms(text):
        raise QuestionError(
            f"the question {text[:80]!r} has no searchable words (only common words); "
            "name the condition, drug or test you are asking about"
        )
    return text


def analyse(question: str, previous: QuestionAnalysis | None = None) -> QuestionAnalysis:
    """Type, yes/no-ness, entities, claim and search query of `question`.

    Type precedence: the first topical cue to match in the order comparison, dosing, prevention,
    prognosis, diagnosis, etiology, therapy, definition. A question starting with an auxiliary verb
    (also after a colon, as in PubMedQA titles) is yes/no and keeps its topical type when one
    matches, else YES_NO; but "Is A or B better?" is a comparison, not yes/no. With no cue at all,
    a follow-up keeps the previous question's type, a "what/which/how ..." question is DEFINITION
    (a factual question) and a keyword query ("IVIG for HSV") is THERAPY, what such queries ask.
    A follow-up (`previous` given) inherits the previous entities after its own, and those not in
    its text are appended to the search query, because "What dose?" is about the same topic.
    Raises QuestionError for empty, overlong, wordless or stopword-only questions.
    """
    text = _validate(question)
    core, statement = _core(text)
    topical = _question_type(core)
    yes_no = statement is not None or _yes_no_clause(core) is not None
    if yes_no and topical is QuestionType.COMPARISON and re.search(r"\bor\b", core.lower()):
        # "Is A or B better?" asks which, not whether.
        yes_no = False
    if topical is not None:
        question_type = topical
    elif yes_no:
        question_type = QuestionType.YES_NO
    elif previous is not None:
        question_type = previous.question_type
    elif re.match(r"(?:what|which|who|whom|whose|where|when|how|list|name|describe)\b", core.lower()):
        question_type = QuestionType.DEFINITION
    else:
        question_type = QuestionType.THERAPY
    entities = [entity for entity in _entities(core) if len(entity) > 1 or entity.isdigit()]
    search_query = core
    if previous is not None:
        own = {entity.lower() for entity in entities}
        carried = [entity for entity in previous.entities if entity.lower() not in own]
        entities.extend(carried)
        missing = [entity for entity in carried if entity.lower() not in core.lower()]
        if missing:
            search_query = f"{core} {' '.join(missing)}"
    claim = None
    if yes_no:
        claim = _claim(core) or (_sentence(statement.split()) if statement else None)
    return QuestionAnalysis(
        question=text,
        question_type=question_type,
        is_yes_no=yes_no,
        entities=entities,
        claim=claim,
        search_query=search_query,
    )
