"""Audience adaptation: plain words and short sentences for patients, key-term definitions for students.

Why: the same evidence serves clinicians, patients and students ("Which best describes you?"), but
a patient reading "hypertension is contraindicated ..." needs "high blood pressure" and "should not
be used". Replacements are whole-word and table-driven, so the cited meaning never changes and the
readability gain is measurable with the Flesch-Kincaid grade (Kincaid et al. 1975). Lay ↔ clinical
pairs already in the search synonym table are reused from there rather than listed twice.
"""

from __future__ import annotations

import re

from evidex.answer.analysis import VERB_FORMS
from evidex.search.synonyms import SYNONYM_GROUPS

__all__ = [
    "KEY_TERMS",
    "LAY_TERMS",
    "TALK_TO_YOUR_DOCTOR",
    "count_syllables",
    "define_terms",
    "flesch_kincaid_grade",
    "plain_language",
    "reading_ease",
    "shorten",
]

TALK_TO_YOUR_DOCTOR = (
    "This information does not replace advice from your own doctor. Talk to your doctor, nurse or "
    "pharmacist before you start, stop or change any treatment."
)

# Plain phrases whose synonym group (in search/synonyms.py) lists the clinical words they replace.
_LAY_FROM_SYNONYMS = (
    "heart attack",
    "high blood pressure",
    "low blood pressure",
    "stroke",
    "mini stroke",
    "heart failure",
    "blood thinner",
    "water pill",
    "high cholesterol",
    "irregular heartbeat",
    "blood clot",
    "heart disease",
    "shortness of breath",
    "lung",
    "whooping cough",
    "kidney failure",
    "kidney",
    "kidney disease",
    "kidney stone",
    "bladder infection",
    "kidney infection",
    "enlarged prostate",
    "blood in urine",
    "bedwetting",
    "acid reflux",
    "heartburn",
    "indigestion",
    "liver",
    "liver disease",
    "fatty liver",
    "stomach ulcer",
    "stomach",
    "vomiting",
    "gallstone",
    "liver cancer",
    "stomach flu",
    "low blood sugar",
    "high blood sugar",
    "blood sugar",
    "underactive thyroid",
    "overactive thyroid",
    "shingles",
    "chickenpox",
    "bleeding",
    "bruise",
    "nosebleed",
    "baby",
    "premature birth",
    "premature baby",
    "breastfeeding",
    "miscarriage",
    "birth control pill",
    "fever",
    "itching",
    "hives",
    "eczema",
    "pressure sore",
    "cold sore",
    "athlete's foot",
    "ringworm",
    "mouth ulcer",
    "hair loss",
    "hearing loss",
    "ringing in the ears",
    "hay fever",
    "severe allergic reaction",
    "tooth decay",
    "gum disease",
    "skin",
    "eye",
    "swelling",
    "adrenaline",
    "side effect",
    "ultrasound",
    "x-ray",
    "family doctor",
    "kidney transplant",
    "liver transplant",
    "jaundice",
)
# Group members not to replace: plain already, or part of longer names ("varicella zoster virus").
_KEEP = frozenset({"zoster", "newborn", "deafness", "itch", "ministroke", "bed wetting", "nose bleed"})

# Names of conditions, tests and procedures (shown with the clinical term in brackets on first use).
_CONDITIONS: dict[str, str] = {
    "pulmonary embolism": "blood clot in the lung",
    "pulmonary hypertension": "high blood pressure in the lungs",
    "pulmonary edema": "fluid in the lungs",
    "deep vein thrombosis": "blood clot in a deep vein",
    "varicella zoster virus": "chickenpox virus",
    "renal impairment": "reduced kidney function",
    "renal insufficiency": "reduced kidney function",
    "iron deficiency anemia": "low iron in the blood",
    "hepatic impairment": "reduced liver function",
    "hyperlipidemia": "high blood fats",
    "dyslipidemia": "unhealthy blood fat levels",
    "syncope": "fainting",
    "vertigo": "dizziness",
    "cephalalgia": "headache",
    "myalgia": "muscle pain",
    "arthralgia": "joint pain",
    "dysphagia": "trouble swallowing",
    "dysuria": "painful urination",
    "diaphoresis": "sweating",
    "erythema": "redness",
    "rhinorrhea": "runny nose",
    "tachycardia": "fast heartbeat",
    "bradycardia": "slow heartbeat",
    "hypoxia": "low oxygen",
    "hypoxemia": "low blood oxygen",
    "anemia": "low red blood cell count",
    "thrombocytopenia": "low platelet count",
    "neutropenia": "low white blood cell count",
    "leukopenia": "low white blood cell count",
    "hyperkalemia": "high potassium",
    "hypokalemia": "low potassium",
    "hyponatremia": "low sodium",
    "hypernatremia": "high sodium",
    "hypercalcemia": "high calcium",
    "hypocalcemia": "low calcium",
    "insomnia": "trouble sleeping",
    "malaise": "feeling unwell",
    "somnolence": "sleepiness",
    "flatulence": "gas",
    "hepatotoxicity": "liver damage",
    "nephrotoxicity": "kidney damage",
    "cardiotoxicity": "heart damage",
    "ototoxicity": "hearing damage",
    "cardiomyopathy": "heart muscle disease",
    "atherosclerosis": "hardening of the arteries",
    "thrombosis": "blood clotting",
    "stenosis": "narrowing",
    "occlusion": "blockage",
    "proteinuria": "protein in the urine",
    "urinary incontinence": "leaking urine",
    "nocturia": "waking at night to pass urine",
    "otalgia": "earache",
    "xerostomia": "dry mouth",
    "halitosis": "bad breath",
    "dysmenorrhea": "painful periods",
    "menorrhagia": "heavy periods",
    "amenorrhea": "absent periods",
    "pharyngitis": "sore throat",
    "otitis media": "middle ear infection",
    "conjunctivitis": "pink eye",
    "sinusitis": "sinus infection",
    "cellulitis": "skin infection",
    "septicemia": "blood poisoning",
    "neuropathy": "nerve damage",
    "paresthesia": "tingling",
    "convulsion": "seizure",
    "cognitive impairment": "memory and thinking problems",
    "fracture": "broken bone",
    "laceration": "cut",
    "abrasion": "scrape",
    "biopsy": "tissue sample",
    "cholecystectomy": "gallbladder removal",
    "appendectomy": "appendix removal",
    "hysterectomy": "removal of the womb",
    "mastectomy": "breast removal",
    "tonsillectomy": "tonsil removal",
    "bariatric surgery": "weight-loss surgery",
    "smoking cessation": "quitting smoking",
    "angina": "chest pain from the heart",
    "malignancy": "cancer",
    "neoplasm": "tumor",
    "carcinoma": "cancer",
    "metastasis": "spread of cancer",
    "pathogen": "germ",
    "comorbidity": "other health condition",
}

# Everyday wording for clinical vocabulary (replaced without brackets: the plain word is enough).
_WORDING: dict[str, str] = {
    "anticoagulation": "blood-thinning treatment",
    "analgesic": "pain reliever",
    "antipyretic": "fever reducer",
    "antiemetic": "anti-sickness medicine",
    "antihypertensive": "blood pressure medicine",
    "anticonvulsant": "seizure medicine",
    "antiepileptic": "seizure medicine",
    "anxiolytic": "anti-anxiety medicine",
    "is contraindicated": "should not be used",
    "are contraindicated": "should not be used",
    "contraindicated": "should not be used",
    "contraindication": "reason not to use a treatment",
    "prophylaxis": "prevention",
    "prophylactic": "preventive",
    "efficacy and safety": "benefits and risks",
    "the efficacy of": "the benefit of",
    "efficacy": "how well it works",
    "efficacious": "effective",
    "all-cause mortality": "death from any cause",
    "mortality rate": "death rate",
    "mortality": "risk of death",
    "morbidity": "illness",
    "administer": "give",
    "administered": "given",
    "orally": "by mouth",
    "intravenously": "into a vein",
    "subcutaneously": "under the skin",
    "intramuscularly": "into a muscle",
    "sublingual": "under the tongue",
    "transdermal": "through the skin",
    "malignant": "cancerous",
    "febrile": "feverish",
    "afebrile": "without fever",
    "fatigue": "tiredness",
    "lethargy": "tiredness",
    "abdominal": "belly",
    "abdomen": "belly",
    "thoracic": "chest",
    "cerebral": "brain",
    "intracranial": "inside the skull",
    "cardiovascular": "heart and blood vessel",
    "gastrointestinal": "digestive",
    "pediatric": "children's",
    "elderly": "older",
    "neonatal": "newborn",
    "postpartum": "after childbirth",
    "gestation": "pregnancy",
    "parturition": "childbirth",
    "contraception": "birth control",
    "incidence": "number of new cases",
    "prevalence": "how common it is",
    "etiology": "cause",
    "prognosis": "outlook",
    "asymptomatic": "without symptoms",
    "symptomatic": "with symptoms",
    "titration": "gradual dose adjustment",
    "titrate": "adjust gradually",
    "taper": "slowly reduce",
    "discontinue": "stop",
    "discontinued": "stopped",
    "discontinuation": "stopping",
    "initiate": "start",
    "initiated": "started",
    "initiation": "starting",
    "cessation": "stopping",
    "monotherapy": "treatment with one medicine",
    "regimen": "treatment plan",
    "dosage": "dose",
    "pharmacotherapy": "treatment with medicines",
    "pharmacological": "drug",
    "pharmacologic": "drug",
    "physician": "doctor",
    "clinician": "health professional",
    "immunocompromised": "with a weakened immune system",
    "immunosuppressed": "with a weakened immune system",
    "immunosuppression": "a weakened immune system",
    "immunization": "vaccination",
    "inoculation": "vaccination",
    "nosocomial": "hospital-acquired",
    "sputum": "phlegm",
    "pruritic": "itchy",
    "edematous": "swollen",
    "erythematous": "red",
    "feces": "stool",
    "micturition": "passing urine",
    "suture": "stitch",
    "incision": "cut",
    "excision": "removal",
    "resection": "surgical removal",
    "uterus": "womb",
    "menstruation": "periods",
    "ischemia": "reduced blood flow",
    "myocardial": "heart muscle",
    "adverse": "harmful",
    "hypertensive": "with high blood pressure",
    "diabetic": "with diabetes",
    "ambulatory": "outpatient",
}


def _is_abbreviation(phrase: str) -> bool:
    """Group members such as "mi", "gerd", "hba1c", "nafld": never replaced, they may mean other things."""
    if " " in phrase or "-" in phrase:
        return False
    return (
        len(phrase) <= 4 or any(char.isdigit() for char in phrase) or sum(c in "aeiouy" for c in phrase) <= 1
    )


def _from_synonyms() -> dict[str, str]:
    """clinical → lay pairs from SYNONYM_GROUPS, for each group holding one of _LAY_FROM_SYNONYMS."""
    groups = {phrase: group for group in SYNONYM_GROUPS for phrase in group}
    pairs: dict[str, str] = {}
    for lay in _LAY_FROM_SYNONYMS:
        for phrase in groups[lay]:  # a KeyError here means synonyms.py lost a group we rely on
            if phrase != lay and phrase not in _KEEP and not _is_abbreviation(phrase):
                pairs[phrase] = lay
    return pairs


_SYNONYM_PAIRS = _from_synonyms()
LAY_TERMS: dict[str, str] = {**_SYNONYM_PAIRS, **_CONDITIONS, **_WORDING}
"""Clinical term (lower case) → plain words; synonym-table pairs first, own entries override them."""

_ADJECTIVE_ENDINGS = ("al", "ic", "ous", "ary", "ive")
_ANNOTATE = frozenset(
    term for term in (*_SYNONYM_PAIRS, *_CONDITIONS) if " " in term or not term.endswith(_ADJECTIVE_ENDINGS)
) - frozenset(_WORDING)


def _plural(phrase: str) -> str:
    """English plural of the last word: attack → attacks, therapy → therapies, rash → rashes."""
    if re.search(r"[^aeiou]y$", phrase):
        return phrase[:-1] + "ies"
    if re.search(r"(?:s|x|z|ch|sh)$", phrase):
        return phrase + "es"
    return phrase + "s"


def _forms() -> dict[str, tuple[str, bool]]:
    forms: dict[str, tuple[str, bool]] = {}
    for term in LAY_TERMS:
        forms.setdefault(_plural(term), (term, True))
    for term in LAY_TERMS:
        forms[term] = (term, False)
    return forms


_FORMS = _forms()
_LAY_PATTERN = re.compile(
    r"(?<![\w\-])(?:"
    + "|".join(re.escape(form).replace(r"\ ", r"\s+") for form in sorted(_FORMS, key=lambda f: (-len(f), f)))
    + r")(?![\w\-])",
    re.I,
)
_ARTICLE = re.compile(r"\b(an?)(\s+)$", re.I)


def plain_language(sentence: str, seen: set[str] | None = None) -> str:
    """`sentence` with clinical terms replaced by plain words (whole words, plural kept).

    A capitalised term gives a capitalised replacement, and "a"/"an" before it is corrected. When
    `seen` is given, the first use of a condition or test name keeps the clinical term in brackets
    ("heart attack (myocardial infarction)") so that the reader can match it to what a doctor says;
    the term is then added to `seen`, so later sentences sharing the set get the plain word only.
    """
    out: list[str] = []
    last = 0
    for match in _LAY_PATTERN.finditer(sentence):
        found = match.group(0)
        term, plural = _FORMS[" ".join(found.lower().split())]
        plain = LAY_TERMS[term]
        if plural:
            plain = _plural(plain)
        if found[0].isupper():
            plain = plain[0].upper() + plain[1:]
        if seen is not None and term in _ANNOTATE and term not in seen:
            seen.add(term)
            original = found if found[1:2].isupper() else found[0].lower() + found[1:]
            plain = f"{plain} ({original})"
        before = sentence[last : match.start()]
        article = _ARTICLE.search(before)
        if article:
            word = "an" if plain[0].lower() in "aeiou" else "a"
            if article.group(1)[0].isupper():
                word = word.capitalize()
            before = before[: article.start()] + word + article.group(2)
        out.append(before)
        out.append(plain)
        last = match.end()
    out.append(sentence[last:])
    return "".join(out)


_FINITE = frozenset(
    "is are was were be has have had should may might can could will would must does do did".split()
)
_DEPENDENT_STARTS = frozenset(
    "which who whom whose that including especially such as where when while although because if".split()
)


def _stands_alone(part: str) -> bool:
    """A part can be its own sentence: four or more words, not a dependent clause, and a finite verb
    before any "when"/"which"/"that" (a heuristic; verbs outside analysis.VERB_FORMS need -ed/-es)."""
    words = [word.lower().strip(",.;:()") for word in part.split()]
    if len(words) < 4 or words[0] in _DEPENDENT_STARTS:
        return False
    main: list[str] = []
    for word in words[1:]:
        if word in _DEPENDENT_STARTS:  # a verb after "when"/"which" belongs to a dependent clause
            break
        main.append(word)
    return any(
        word in _FINITE or word.endswith(("ed", "es")) or (word in VERB_FORMS and not word.endswith("ing"))
        for word in main
    )


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def shorten(sentence: str, max_words: int = 25) -> str:
    """Split a sentence longer than `max_words` at ";" or ", and"/", but" where both parts stand alone.

    Why: long sentences are the largest term in the reading grade. The most balanced split point
    is used (a semicolon before a conjunction), and each part is shortened again; a sentence with
    no safe split point is returned unchanged rather than broken into fragments.
    """
    text = " ".join(sentence.split())
    if len(text.split()) <= max_words:
        return text
    for pattern in (r";\s*", r",\s+(?:and|but)\s+"):
        best: tuple[int, str, str] | None = None
        for match in re.finditer(pattern, text):
            left, right = text[: match.start()], text[match.end() :]
            if not (_stands_alone(left) and _stands_alone(right)):
                continue
            if "but" in match.group(0):
                right = "but " + right
            balance = abs(len(left.split()) - len(right.split()))
            if best is None or balance < best[0]:
                best = (balance, left, right)
        if best is not None:
            _, left, right = best
            end = "" if left.endswith((".", "!", "?")) else "."
            return f"{shorten(left + end, max_words)} {shorten(_capitalise(right), max_words)}"
    return text


_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’\-][A-Za-z0-9]+)*")


def count_syllables(word: str) -> int:
    """Syllables in one English word by the usual heuristic (at least 1 per word).

    Count groups of adjacent vowels (a e i o u y), after dropping a silent final "e", "es" or "ed"
    that follows a consonant other than "l" ("made", "takes", "used"; but "table" keeps its "le")
    and a leading "y" ("yes"). Words of up to three letters count 1, and so do numbers. It is an
    approximation: "pneumonia" counts 3 (4 spoken), "create" 1 (2 spoken); errors on single words
    largely cancel over a text, which is what the grade formulas need.
    """
    letters = re.sub(r"[^a-z]", "", word.lower())
    if len(letters) <= 3:
        return 1
    letters = re.sub(r"(?:[^laeiouy]es|[^laeiouy]ed|[^laeiouy]e)$", lambda m: m.group(0)[0], letters)
    letters = re.sub(r"^y", "", letters)
    return max(1, len(re.findall(r"[aeiouy]+", letters)))


def _counts(text: str) -> tuple[int, int, int]:
    """(sentences, words, syllables); hyphenated words count as one word, syllables of each part."""
    words = _WORD.findall(text)
    if not words:
        return 0, 0, 0
    sentences = max(1, len(_SENTENCE_END.findall(text.strip())))
    syllables = sum(count_syllables(part) for word in words for part in re.split(r"[-']", word) if part)
    return sentences, len(words), syllables


def flesch_kincaid_grade(text: str) -> float:
    """Flesch-Kincaid grade level: 0.39·words/sentences + 11.8·syllables/words − 15.59 (0.0 if no words)."""
    sentences, words, syllables = _counts(text)
    if words == 0:
        return 0.0
    return 0.39 * words / sentences + 11.8 * syllables / words - 15.59


def reading_ease(text: str) -> float:
    """Flesch reading ease: 206.835 − 1.015·words/sentences − 84.6·syllables/words (higher = easier)."""
    sentences, words, syllables = _counts(text)
    if words == 0:
        return 0.0
    return 206.835 - 1.015 * words / sentences - 84.6 * syllables / words


KEY_TERMS: dict[str, str] = {
    "randomized controlled trial": "a study that assigns people to treatments by chance, the fairest test",
    "systematic review": "a study that finds and appraises all studies on one question",
    "meta-analysis": "a statistical pooling of the results of several studies",
    "cohort study": "a study that follows groups of people over time to compare outcomes",
    "case-control study": "a study comparing people with a condition to people without it",
    "cross-sectional study": "a study that measures a group at a single point in time",
    "placebo": "an inactive treatment given to compare against the real one",
    "double-blind": "neither participants nor researchers know who receives which treatment",
    "intention-to-treat": "analysing people in the group they were assigned to, whatever they received",
    "relative risk": "the risk in one group divided by the risk in another",
    "absolute risk reduction": "the difference in risk between two groups",
    "odds ratio": "the odds of an outcome in one group divided by the odds in another",
    "hazard ratio": "the rate of an event over time in one group relative to another",
    "confidence interval": "the range within which the true value probably lies",
    "number needed to treat": "how many people must be treated for one to benefit",
    "p value": "the probability of a result at least this extreme if there were no real effect",
    "statistical significance": "a result unlikely to be due to chance alone",
    "sensitivity": "the share of people with the condition whom a test correctly detects",
    "specificity": "the share of people without the condition whom a test correctly rules out",
    "positive predictive value": "the chance that a person with a positive test has the condition",
    "negative predictive value": "the chance that a person with a negative test does not have the condition",
    "likelihood ratio": "how much a test result changes the odds of having the condition",
    "incidence": "the number of new cases in a population over a period",
    "prevalence": "the proportion of a population who have a condition at a given time",
    "mortality": "the rate of death in a population",
    "morbidity": "illness or the rate of illness in a population",
    "efficacy": "how well a treatment works under ideal, trial conditions",
    "effectiveness": "how well a treatment works in everyday practice",
    "adverse event": "any harmful event during treatment, whether or not caused by it",
    "contraindication": "a reason not to use a treatment in a particular person",
    "prophylaxis": "treatment given to prevent a disease",
    "first-line": "the treatment normally tried first",
    "second-line": "the treatment used when the first-line one fails or is unsuitable",
    "monotherapy": "treatment with a single drug",
    "empirical therapy": "treatment started before the cause is confirmed",
    "loading dose": "a larger first dose that reaches effective levels quickly",
    "maintenance dose": "the regular dose that keeps drug levels steady",
    "titration": "adjusting a dose step by step to the desired effect",
    "half-life": "the time for the amount of a drug in the body to fall by half",
    "bioavailability": "the share of a dose that reaches the bloodstream",
    "pharmacokinetics": "how the body absorbs, distributes, breaks down and removes a drug",
    "therapeutic index": "the margin between an effective dose and a toxic one",
    "off-label": "use of a drug for a purpose not in its official licence",
    "refractory": "not responding to usual treatment",
    "remission": "a period when signs of the disease lessen or disappear",
    "relapse": "the return of a disease after improvement",
    "prognosis": "the likely course and outcome of a disease",
    "etiology": "the cause of a disease",
    "pathogenesis": "how a disease develops",
    "comorbidity": "another disease present at the same time",
    "differential diagnosis": "the list of conditions that could explain the findings",
    "biomarker": "a measurable sign of a biological state or disease",
    "surrogate endpoint": "a measure used in place of an outcome that matters to patients",
    "non-inferiority": "a trial design showing a treatment is not worse by more than a set margin",
    "heterogeneity": "how much the results of pooled studies differ from each other",
    "immunocompromised": "having a weakened immune system",
    "intravenous immunoglobulin": "antibodies pooled from donors' blood, given into a vein",
    "antiviral": "a drug that stops a virus from multiplying",
    "creatinine clearance": "an estimate of how well the kidneys filter blood",
    "glomerular filtration rate": "the rate at which the kidneys filter blood",
    "hemoglobin a1c": "a blood test showing average blood sugar over about three months",
    "international normalized ratio": "a standard measure of how long blood takes to clot",
    "viral load": "the amount of virus in the blood",
}
"""Technical term → one-line definition, for the "Key terms" section of student answers."""

_KEY_PATTERN = re.compile(
    r"(?<![\w\-])("
    + "|".join(
        r"[\s\-]*".join(re.escape(word) for word in re.split(r"[\s\-]+", term))
        for term in sorted(KEY_TERMS, key=lambda t: (-len(t), t))
    )
    + r")(?:s|es)?(?![\w\-])",
    re.I,
)
_KEY_LOOKUP = {re.sub(r"[\s\-]+", "", term): term for term in KEY_TERMS}


def define_terms(text: str, limit: int = 3) -> list[tuple[str, str]]:
    """Up to `limit` (term, definition) pairs for KEY_TERMS found in `text`, in order of first use."""
    found: list[tuple[str, str]] = []
    for match in _KEY_PATTERN.finditer(text):
        term = _KEY_LOOKUP.get(re.sub(r"[\s\-]+", "", match.group(1).lower()))
        if term is None or any(term == have for have, _ in found):
            continue
        found.append((term, KEY_TERMS[term]))
        if len(found) >= limit:
            break
    return found
