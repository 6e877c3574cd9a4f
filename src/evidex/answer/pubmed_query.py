"""Turn an analysed question into PubMed queries, strict first, then broader.

Why not send the question as typed: PubMed's automatic term mapping works on free text, but a
clinician who wants to rerun or adjust the search needs a query that says what it asks for. Each key
term of the question becomes one concept, OR-ing its MeSH heading (where one is known) with the term
and its preferred synonym in title/abstract — `("Herpes Simplex"[MeSH Terms] OR hsv[tiab] OR "herpes
simplex virus"[tiab])` — so records not yet indexed with MeSH are found too. Concepts are AND-ed.

MeSH headings are known from a short built-in list of descriptors for the curated synonym groups
(`search/synonyms.py`) and from the headings of documents already in the library; a term maps to a
heading when its synonym group (or the term itself) names the heading's words, in any order and
number ("intravenous immunoglobulin" ~ "Immunoglobulins, Intravenous").

The strict query adds the filters of a clinical question — publication types that answer its type
(guidelines, systematic reviews, meta-analyses, randomised trials), English, the last 20 years and
the Cochrane "humans" limit, written `NOT (animals NOT humans)` so records not yet indexed are kept.
When it finds too little the caller tries the next, broader query: no type or date filter, then only
the first two concepts (the question's subject comes first).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from evidex.models import QuestionAnalysis, QuestionType
from evidex.search.query import STOPWORDS
from evidex.search.synonyms import CAPS_ONLY, SYNONYM_GROUPS

__all__ = ["Concept", "MeshVocabulary", "QueryOptions", "build_queries", "concepts"]

HUMANS = "NOT (animals[MeSH Terms] NOT humans[MeSH Terms])"
ENGLISH = "english[la]"

_TRIALS = (
    "guideline",
    "practice guideline",
    "systematic review",
    "meta-analysis",
    "randomized controlled trial",
)
_REVIEWS = ("guideline", "practice guideline", "systematic review", "meta-analysis")
PUBLICATION_TYPES: dict[QuestionType, tuple[str, ...]] = {
    QuestionType.THERAPY: _TRIALS,
    QuestionType.PREVENTION: _TRIALS,
    QuestionType.COMPARISON: _TRIALS,
    QuestionType.DOSING: _TRIALS,
    QuestionType.YES_NO: _TRIALS,
    QuestionType.DIAGNOSIS: _REVIEWS,
    QuestionType.PROGNOSIS: _REVIEWS,
    QuestionType.ETIOLOGY: _REVIEWS,
    QuestionType.DEFINITION: (*_REVIEWS[:3], "review"),
}
"""Publication types ([pt]) that answer each question type: trials answer questions of effect;
diagnostic and prognostic studies carry no publication type, so those questions ask for syntheses."""

MESH_HEADINGS: tuple[str, ...] = (
    # cardiovascular
    "Myocardial Infarction", "Hypertension", "Hypotension", "Stroke", "Ischemic Attack, Transient",
    "Atrial Fibrillation", "Heart Failure", "Coronary Artery Disease", "Acute Coronary Syndrome",
    "Angina Pectoris", "Percutaneous Coronary Intervention", "Pulmonary Embolism",
    "Venous Thromboembolism", "Anticoagulants", "Warfarin", "Heparin, Low-Molecular-Weight",
    "Platelet Aggregation Inhibitors", "Aspirin", "Angiotensin-Converting Enzyme Inhibitors",
    "Angiotensin Receptor Antagonists", "Adrenergic beta-Antagonists", "Calcium Channel Blockers",
    "Diuretics", "Hypercholesterolemia", "Heart Arrest", "Cardiopulmonary Resuscitation",
    "Electrocardiography", "Echocardiography", "Peripheral Arterial Disease",
    "Aortic Aneurysm, Abdominal", "Cardiovascular Diseases", "Ventricular Fibrillation",
    "Tachycardia, Ventricular", "Varicose Veins",
    # respiratory
    "Pulmonary Disease, Chronic Obstructive", "Sleep Apnea, Obstructive", "Tuberculosis", "COVID-19",
    "Dyspnea", "Cystic Fibrosis", "Whooping Cough", "Continuous Positive Airway Pressure", "Asthma",
    "Pneumonia",
    # kidney and urinary tract
    "Acute Kidney Injury", "Nephrolithiasis", "Urinary Tract Infections", "Cystitis",
    "Pyelonephritis", "Glomerular Filtration Rate", "Erectile Dysfunction",
    "Sexually Transmitted Diseases", "Hematuria", "Kidney Transplantation", "Nocturnal Enuresis",
    # digestive system and liver
    "Heartburn", "Dyspepsia", "Liver Cirrhosis", "Hepatitis B", "Hepatitis C",
    "Irritable Bowel Syndrome", "Colitis, Ulcerative", "Crohn Disease", "Celiac Disease",
    "Peptic Ulcer", "Helicobacter pylori", "Proton Pump Inhibitors", "Vomiting", "Cholelithiasis",
    "Carcinoma, Hepatocellular", "Gastroenteritis", "Hemorrhoids", "Liver Transplantation", "Jaundice",
    # endocrine and metabolism
    "Diabetes Mellitus, Type 2", "Diabetes Mellitus, Type 1", "Diabetes Mellitus", "Diabetes, Gestational",
    "Hypoglycemia", "Hyperglycemia", "Blood Glucose", "Hypothyroidism", "Hyperthyroidism",
    "Thyrotropin", "Body Mass Index", "Polycystic Ovary Syndrome", "Vitamin D", "Vitamin B 12",
    "Ascorbic Acid", "Folic Acid", "Osteoporosis", "Metformin", "Insulin",
    # infection
    "HIV", "Acquired Immunodeficiency Syndrome", "Herpes Simplex", "Herpes Zoster", "Chickenpox",
    "Cytomegalovirus", "Methicillin-Resistant Staphylococcus aureus", "Staphylococcus aureus",
    "Escherichia coli", "Clostridioides difficile", "Streptococcus pneumoniae", "Sepsis", "Measles",
    "Rubella", "Lyme Disease", "Conjunctivitis", "Otitis Media", "Pharyngitis", "Sinusitis",
    "Pre-Exposure Prophylaxis", "Vaccination", "Infectious Mononucleosis", "Tetanus", "Scarlet Fever",
    "Candidiasis", "Warts", "Acyclovir", "Valacyclovir", "Immunoglobulins, Intravenous",
    # nervous system and mental health
    "Alzheimer Disease", "Parkinson Disease", "Amyotrophic Lateral Sclerosis", "Epilepsy", "Seizures",
    "Headache", "Brain Injuries, Traumatic", "Brain Concussion", "Autism Spectrum Disorder",
    "Obsessive-Compulsive Disorder", "Depressive Disorder, Major", "Selective Serotonin Reuptake Inhibitors",
    "Cognitive Behavioral Therapy", "Electroconvulsive Therapy", "Myasthenia Gravis", "Thymectomy",
    # other
    "Pregnancy",
)  # fmt: skip
"""MeSH descriptors whose words match a curated synonym group or a common question term."""

ENTRY_TERMS: dict[str, str] = {
    "statin": "Hydroxymethylglutaryl-CoA Reductase Inhibitors",
    "antibiotic": "Anti-Bacterial Agents",
    "tricyclic antidepressant": "Antidepressive Agents, Tricyclic",
    "influenza": "Influenza, Human",
    "deep vein thrombosis": "Venous Thrombosis",
    "chronic kidney disease": "Renal Insufficiency, Chronic",
    "end-stage renal disease": "Kidney Failure, Chronic",
    "gastroesophageal reflux disease": "Gastroesophageal Reflux",
    "attention deficit hyperactivity disorder": "Attention Deficit Disorder with Hyperactivity",
    "post-traumatic stress disorder": "Stress Disorders, Post-Traumatic",
    "colorectal cancer": "Colorectal Neoplasms",
    "nonalcoholic fatty liver disease": "Non-alcoholic Fatty Liver Disease",
    "benign prostatic hyperplasia": "Prostatic Hyperplasia",
    "genital herpes": "Herpes Genitalis",
}
"""Terms whose MeSH heading has other words (entry terms, in MeSH's own terms)."""

_FILLER = frozenset(
    """
    patient patients people person persons adult adults individual individuals subject subjects
    first second line first-line second-line therapy therapies treatment treatments treating
    management managing use usage severely mostly dose doses dosage dosages dosing risk risks effect
    effects symptom symptoms sign signs cause causes outcome outcomes prognosis diagnosis prevention
    efficacy safety evidence study studies benefit benefits recommended recommendation
    recommendations option options role type types way ways best current standard common
    guideline guidelines approach approaches drug drugs medication medications time times
    mg mcg ug g ml kg iu unit units meq mmol
    """.split()
)
"""Words that say what is asked rather than what it is about: searching for them would only narrow."""

_QUALIFIERS = frozenset({"infection", "infections", "disease", "diseases", "disorder", "disorders"})
"""Dropped beside a known concept ("HSV infection" is HSV): MeSH and abstracts often omit them."""

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _key(phrase: str) -> tuple[str, ...]:
    """Order- and number-free key: "Immunoglobulins, Intravenous" ~ "intravenous immunoglobulin"."""
    return tuple(sorted(_singular(word) for word in _WORD.findall(phrase.lower())))


class MeshVocabulary:
    """MeSH headings known to the query builder: the built-in list plus any given (e.g. the library's)."""

    def __init__(self, headings: Iterable[str] = ()) -> None:
        self._by_key: dict[tuple[str, ...], str] = {}
        for heading in (*MESH_HEADINGS, *headings):
            key = _key(heading)
            if key:
                self._by_key.setdefault(key, heading)

    def __len__(self) -> int:
        return len(self._by_key)

    def heading(self, phrases: Iterable[str]) -> str | None:
        """The heading for the first of `phrases` that names one (entry terms first)."""
        listed = list(phrases)
        for phrase in listed:
            if phrase in ENTRY_TERMS:
                return ENTRY_TERMS[phrase]
        for phrase in listed:
            found = self._by_key.get(_key(phrase))
            if found:
                return found
        return None


@dataclass(frozen=True)
class Concept:
    """One key term of the question: its MeSH heading (if known) OR its words in title/abstract."""

    terms: tuple[str, ...]
    heading: str | None = None

    def render(self) -> str:
        parts = [f'"{self.heading}"[MeSH Terms]'] if self.heading else []
        parts += [_tiab(term) for term in self.terms]
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


@dataclass(frozen=True)
class QueryOptions:
    """Filters of the strict query; `year_to` defaults to this year (fixed in tests)."""

    publication_types: bool = True
    english: bool = True
    humans: bool = True
    years: int | None = 20
    year_to: int | None = None


def _tiab(term: str) -> str:
    clean = " ".join(re.sub(r"[^\w\s'’\-]", " ", term.lower()).split())
    return f'"{clean}"[tiab]' if (" " in clean or "-" in clean) else f"{clean}[tiab]"


def _group_index() -> tuple[dict[tuple[str, ...], int], int]:
    index: dict[tuple[str, ...], int] = {}
    longest = 1
    for number, group in enumerate(SYNONYM_GROUPS):
        for phrase in group:
            words = tuple(_WORD.findall(phrase))
            index.setdefault(words, number)
            longest = max(longest, len(words))
    return index, longest


_GROUPS, _LONGEST = _group_index()


def _match_group(words: list[str], surfaces: list[str], start: int) -> tuple[int, int] | None:
    """(length, group) of the longest synonym phrase at `start`; the last word may be plural."""
    for size in range(min(_LONGEST, len(words) - start), 0, -1):
        chunk = words[start : start + size]
        candidates = [tuple(chunk)]
        last = chunk[-1]
        if last.endswith("es"):
            candidates.append((*chunk[:-1], last[:-2]))
        if last.endswith("s"):
            candidates.append((*chunk[:-1], last[:-1]))
        for candidate in candidates:
            group = _GROUPS.get(candidate)
            if group is None:
                continue
            phrase = " ".join(candidate)
            surface = " ".join(surfaces[start : start + size])
            if phrase in CAPS_ONLY and not surface.isupper():
                continue
            return size, group
    return None


def _entity_concepts(entity: str, vocabulary: MeshVocabulary) -> list[tuple[tuple[str, ...], Concept]]:
    """Concepts of one entity, each with a key for de-duplication: synonym-group phrases first-class,
    the remaining content words as phrases (one per run between filler words)."""
    spans = [(m.start(), m.end()) for m in _WORD.finditer(entity)]
    surfaces = [entity[s:e] for s, e in spans]
    words = [surface.lower() for surface in surfaces]
    found: list[tuple[int, tuple[tuple[str, ...], Concept]]] = []
    leftover: list[int] = []
    position = 0
    while position < len(words):
        match = _match_group(words, surfaces, position)
        if match is None:
            leftover.append(position)
            position += 1
            continue
        size, number = match
        group = SYNONYM_GROUPS[number]
        surface = entity[spans[position][0] : spans[position + size - 1][1]]
        terms = [] if " ".join(words[position : position + size]) in CAPS_ONLY else [surface.lower()]
        preferred = group[0]
        if preferred not in CAPS_ONLY and preferred != surface.lower():
            terms.append(preferred)
        found.append((position, (("group", str(number)), Concept(tuple(terms), vocabulary.heading(group)))))
        position += size
    matched_any = bool(found)
    run: list[int] = []

    def flush() -> None:
        if not run:
            return
        phrase = entity[spans[run[0]][0] : spans[run[-1]][1]]
        found.append(
            (run[0], (("words", *_key(phrase)), Concept((phrase.lower(),), vocabulary.heading([phrase]))))
        )
        run.clear()

    for index in leftover:
        word = words[index]
        drop = (
            word in STOPWORDS
            or word in _FILLER
            or word.isdigit()
            or (matched_any and word in _QUALIFIERS)
            or len(word) < 2
        )
        if drop or (run and index != run[-1] + 1):
            flush()
        if not drop:
            run.append(index)
    flush()
    return [concept for _, concept in sorted(found, key=lambda item: item[0])]


def concepts(analysis: QuestionAnalysis, vocabulary: MeshVocabulary | None = None) -> list[Concept]:
    """The question's key terms as concepts, in question order, without repeats."""
    vocabulary = vocabulary or MeshVocabulary()
    seen: set[tuple[str, ...]] = set()
    result: list[Concept] = []
    for entity in analysis.entities:
        for key, concept in _entity_concepts(entity, vocabulary):
            if key not in seen:
                seen.add(key)
                result.append(concept)
    return result


def build_queries(
    analysis: QuestionAnalysis,
    vocabulary: MeshVocabulary | None = None,
    options: QueryOptions | None = None,
) -> list[str]:
    """PubMed queries from strictest to broadest (no repeats); empty when the question names nothing
    specific enough to search for."""
    options = options or QueryOptions()
    found = concepts(analysis, vocabulary)
    if not found:
        return []

    def core(items: list[Concept]) -> str:
        joined = " AND ".join(concept.render() for concept in items)
        return f"({joined})" if len(items) > 1 else joined

    def limits(query: str) -> str:
        if options.english:
            query = f"{query} AND {ENGLISH}"
        if options.humans:
            query = f"{query} {HUMANS}"
        return query

    strict = core(found)
    types = PUBLICATION_TYPES.get(analysis.question_type, ())
    if options.publication_types and types:
        strict += " AND (" + " OR ".join(f'"{name}"[pt]' for name in types) + ")"
    if options.english:
        strict += f" AND {ENGLISH}"
    if options.years:
        year_to = options.year_to or dt.date.today().year
        strict += f" AND {year_to - options.years + 1}:{year_to}[dp]"
    if options.humans:
        strict += f" {HUMANS}"
    ladder = [strict, limits(core(found))]
    if len(found) > 2:
        ladder.append(limits(core(found[:2])))
    unique: list[str] = []
    for query in ladder:
        if query not in unique:
            unique.append(query)
    return unique
