"""Medical query expansion for the lexical (BM25) search: synonyms, abbreviations and spellings.

Why: BM25 only matches the words it is given, and clinical questions often use other words than the
evidence ("heart attack" vs "myocardial infarction", "IVIG" vs "intravenous immunoglobulin", "anaemia"
vs "anemia"). This module adds the missing words as extra OR-ed phrases, a dictionary-based query
expansion in the manner of UMLS/MeSH synonym expansion (Aronson & Rindflesch 1997, "Query expansion
using the UMLS Metathesaurus"), kept deliberately small and conservative: a curated table of
well-established equivalences, British/American spellings, plus the abbreviations the library itself
defines (`AbbreviationTable`, Schwartz & Hearst 2003).

Choices about ambiguous abbreviations: an abbreviation is listed only where one clinical meaning
dominates the literature. Kept: "mi" (myocardial infarction), "af" (atrial fibrillation), "pe"
(pulmonary embolism; pre-eclampsia is usually written out or "PET"), "dm" (diabetes mellitus), "uc"
(ulcerative colitis), "ct" (computed tomography), "oa" (osteoarthritis). Left out because two or more
meanings are common: MS, RA, HR, OR, CI, ED, PD, AD, CD, CP, ASD, GAD, ASA, CHD, ICD, PPD, SCD, HCT,
IV, ER, eGFR. Abbreviations that are also English words ("aids", "art", "pad", "cap", "prep", "pet")
are recognised only when the query writes them in capitals and are never emitted, because FTS5 cannot
tell "AIDS" from "hearing aids".
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from evidex.search.query import STOPWORDS, QueryError, match_expression, query_terms

if TYPE_CHECKING:
    from evidex.ingest.abbreviations import AbbreviationTable

__all__ = [
    "CAPS_ONLY",
    "SPELLINGS",
    "SYNONYM_GROUPS",
    "QueryError",
    "expand_query",
    "expanded_match_expression",
]

# Each group lists equivalent phrases, lower-case, the preferred (most searchable) form first:
# expansions are emitted in this order. Spell in American English; British forms come from SPELLINGS.
SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    # Cardiovascular
    ("myocardial infarction", "heart attack", "mi"),
    ("hypertension", "high blood pressure", "htn"),
    ("hypotension", "low blood pressure"),
    ("stroke", "cerebrovascular accident", "cva"),
    ("transient ischemic attack", "tia", "mini stroke", "ministroke"),
    ("atrial fibrillation", "af", "afib", "a fib"),
    ("heart failure", "cardiac failure", "congestive heart failure", "hf", "chf"),
    ("coronary artery disease", "coronary heart disease", "ischemic heart disease", "cad", "ihd"),
    ("acute coronary syndrome", "acs"),
    ("angina", "angina pectoris"),
    ("coronary artery bypass grafting", "coronary artery bypass graft", "cabg", "bypass surgery"),
    ("percutaneous coronary intervention", "pci", "coronary angioplasty"),
    ("deep vein thrombosis", "deep venous thrombosis", "dvt"),
    ("pulmonary embolism", "pulmonary embolus", "pe"),
    ("venous thromboembolism", "vte"),
    ("anticoagulant", "anticoagulation", "blood thinner"),
    ("direct oral anticoagulant", "doac", "noac", "novel oral anticoagulant"),
    ("warfarin", "coumadin"),
    ("low molecular weight heparin", "lmwh"),
    ("antiplatelet agent", "antiplatelet drug", "platelet inhibitor"),
    ("aspirin", "acetylsalicylic acid"),
    ("statin", "hmg-coa reductase inhibitor"),
    ("ace inhibitor", "angiotensin converting enzyme inhibitor", "acei"),
    ("angiotensin receptor blocker", "angiotensin ii receptor blocker", "arb"),
    ("beta blocker", "beta adrenergic blocker", "beta adrenergic antagonist"),
    ("calcium channel blocker", "ccb"),
    ("diuretic", "water pill"),
    ("hypercholesterolemia", "high cholesterol"),
    ("low density lipoprotein", "ldl", "ldl cholesterol"),
    ("high density lipoprotein", "hdl", "hdl cholesterol"),
    ("blood pressure", "bp"),
    ("cardiac arrest", "sudden cardiac arrest"),
    ("cardiopulmonary resuscitation", "cpr"),
    ("electrocardiogram", "electrocardiography", "ecg", "ekg"),
    ("echocardiography", "echocardiogram", "cardiac ultrasound"),
    ("peripheral artery disease", "peripheral arterial disease", "pad"),
    ("abdominal aortic aneurysm", "aaa"),
    ("arrhythmia", "dysrhythmia", "irregular heartbeat"),
    ("cardiac", "heart"),
    ("heart disease", "cardiac disease"),
    ("cardiovascular disease", "cvd"),
    ("ventricular fibrillation", "vf"),
    ("ventricular tachycardia", "vt"),
    ("left ventricular ejection fraction", "lvef"),
    ("blood clot", "thrombus"),
    ("varicose vein", "varicosity"),
    # Respiratory
    ("chronic obstructive pulmonary disease", "copd", "chronic obstructive lung disease"),
    ("acute respiratory distress syndrome", "ards"),
    ("obstructive sleep apnea", "osa"),
    ("community acquired pneumonia", "cap"),
    ("upper respiratory tract infection", "upper respiratory infection", "urti", "uri"),
    ("lower respiratory tract infection", "lrti"),
    ("respiratory syncytial virus", "rsv"),
    ("influenza", "flu"),
    ("tuberculosis", "tb"),
    ("covid-19", "covid", "coronavirus disease 2019", "sars-cov-2"),
    ("dyspnea", "shortness of breath", "breathlessness"),
    ("pulmonary", "lung"),
    ("cystic fibrosis", "cf"),
    ("pulmonary function test", "lung function test", "pft"),
    ("inhaled corticosteroid", "ics"),
    ("continuous positive airway pressure", "cpap"),
    ("pertussis", "whooping cough"),
    # Kidney and urinary tract
    ("chronic kidney disease", "chronic renal disease", "chronic renal insufficiency", "ckd"),
    ("acute kidney injury", "acute renal failure", "aki"),
    ("end-stage renal disease", "end-stage kidney disease", "esrd", "eskd"),
    ("kidney failure", "renal failure"),
    ("renal", "kidney"),
    ("kidney disease", "renal disease", "nephropathy"),
    ("nephrolithiasis", "kidney stone", "renal stone", "renal calculus"),
    ("urinary tract infection", "uti"),
    ("cystitis", "bladder infection"),
    ("pyelonephritis", "kidney infection"),
    ("glomerular filtration rate", "gfr"),
    ("benign prostatic hyperplasia", "benign prostatic hypertrophy", "enlarged prostate", "bph"),
    ("erectile dysfunction", "impotence"),
    ("sexually transmitted infection", "sexually transmitted disease", "sti", "std", "venereal disease"),
    ("hematuria", "blood in urine"),
    ("kidney transplantation", "renal transplantation", "kidney transplant", "renal transplant"),
    ("nocturnal enuresis", "enuresis", "bedwetting", "bed wetting"),
    # Digestive system and liver
    (
        "gastroesophageal reflux disease",
        "gastro-esophageal reflux disease",
        "gastroesophageal reflux",
        "acid reflux",
        "gerd",
        "gord",
    ),
    ("heartburn", "pyrosis"),
    ("dyspepsia", "indigestion"),
    ("hepatic", "liver"),
    ("liver disease", "hepatic disease"),
    ("cirrhosis", "liver cirrhosis", "hepatic cirrhosis"),
    ("hepatitis b", "hepatitis b virus", "hbv"),
    ("hepatitis c", "hepatitis c virus", "hcv"),
    (
        "nonalcoholic fatty liver disease",
        "non-alcoholic fatty liver disease",
        "nafld",
        "fatty liver",
        "metabolic dysfunction-associated steatotic liver disease",
        "masld",
    ),
    ("irritable bowel syndrome", "ibs"),
    ("inflammatory bowel disease", "ibd"),
    ("ulcerative colitis", "uc"),
    ("crohn's disease", "crohn disease", "crohns disease"),
    ("celiac disease", "celiac sprue", "gluten-sensitive enteropathy"),
    ("peptic ulcer disease", "peptic ulcer", "stomach ulcer", "gastric ulcer"),
    ("helicobacter pylori", "h pylori"),
    ("proton pump inhibitor", "ppi"),
    ("gastrointestinal", "gi"),
    ("gastric", "stomach"),
    ("vomiting", "emesis"),
    ("cholelithiasis", "gallstone", "gall stone"),
    ("colorectal cancer", "bowel cancer", "crc"),
    ("hepatocellular carcinoma", "hcc", "liver cancer"),
    ("gastroenteritis", "stomach flu"),
    ("hemorrhoid", "piles"),
    ("liver transplantation", "liver transplant", "hepatic transplantation"),
    ("jaundice", "icterus"),
    # Endocrine and metabolism
    (
        "type 2 diabetes",
        "type 2 diabetes mellitus",
        "t2dm",
        "t2d",
        "type ii diabetes",
        "non-insulin-dependent diabetes",
        "adult-onset diabetes",
    ),
    (
        "type 1 diabetes",
        "type 1 diabetes mellitus",
        "t1dm",
        "t1d",
        "type i diabetes",
        "insulin-dependent diabetes",
        "juvenile diabetes",
    ),
    ("diabetes mellitus", "dm"),
    ("gestational diabetes", "gestational diabetes mellitus", "gdm"),
    ("hemoglobin a1c", "hba1c", "a1c", "glycated hemoglobin", "glycosylated hemoglobin"),
    ("hypoglycemia", "low blood sugar"),
    ("hyperglycemia", "high blood sugar"),
    ("blood glucose", "blood sugar"),
    ("hypothyroidism", "underactive thyroid"),
    ("hyperthyroidism", "overactive thyroid"),
    ("thyroid stimulating hormone", "thyrotropin", "tsh"),
    ("body mass index", "bmi"),
    ("polycystic ovary syndrome", "polycystic ovarian syndrome", "pcos"),
    ("vitamin d", "cholecalciferol", "ergocalciferol", "calciferol"),
    ("vitamin b12", "cobalamin", "cyanocobalamin"),
    ("vitamin c", "ascorbic acid"),
    ("folic acid", "folate"),
    ("glp-1 receptor agonist", "glucagon-like peptide-1 receptor agonist", "glp-1 ra"),
    ("sglt2 inhibitor", "sodium-glucose cotransporter 2 inhibitor", "sglt-2 inhibitor"),
    ("osteoporosis", "brittle bones"),
    # Infection
    ("human immunodeficiency virus", "hiv"),
    ("acquired immunodeficiency syndrome", "aids"),
    ("herpes simplex virus", "herpes simplex", "hsv"),
    ("herpes simplex virus type 1", "hsv-1", "hsv1"),
    ("herpes simplex virus type 2", "hsv-2", "hsv2"),
    ("varicella zoster virus", "vzv"),
    ("herpes zoster", "shingles", "zoster"),
    ("varicella", "chickenpox", "chicken pox"),
    ("cytomegalovirus", "cmv"),
    ("epstein-barr virus", "ebv"),
    ("human papillomavirus", "hpv"),
    ("methicillin-resistant staphylococcus aureus", "meticillin-resistant staphylococcus aureus", "mrsa"),
    ("staphylococcus aureus", "s aureus", "staph aureus"),
    ("escherichia coli", "e coli"),
    ("clostridioides difficile", "clostridium difficile", "c difficile", "c diff"),
    ("streptococcus pneumoniae", "pneumococcus", "s pneumoniae"),
    ("streptococcal pharyngitis", "strep throat"),
    ("antibiotic", "antibacterial"),
    ("sepsis", "septicemia", "blood poisoning"),
    ("measles", "rubeola"),
    ("rubella", "german measles"),
    ("measles mumps rubella", "mmr"),
    ("lyme disease", "lyme borreliosis"),
    ("conjunctivitis", "pink eye"),
    ("otitis media", "middle ear infection", "ear infection"),
    ("pharyngitis", "sore throat"),
    ("sinusitis", "rhinosinusitis", "sinus infection"),
    ("antiretroviral therapy", "highly active antiretroviral therapy", "haart", "art"),
    ("pre-exposure prophylaxis", "prep"),
    ("vaccination", "immunization", "vaccine"),
    ("infectious mononucleosis", "mononucleosis", "glandular fever", "mono"),
    ("tetanus", "lockjaw"),
    ("scarlet fever", "scarlatina"),
    ("candidiasis", "thrush", "yeast infection"),
    ("pediculosis", "lice", "head lice"),
    ("wart", "verruca"),
    # Nervous system and mental health
    ("alzheimer's disease", "alzheimer disease", "alzheimers disease"),
    ("parkinson's disease", "parkinson disease", "parkinsons disease"),
    ("amyotrophic lateral sclerosis", "lou gehrig's disease", "als"),
    ("epilepsy", "seizure disorder"),
    ("seizure", "convulsion"),
    ("headache", "cephalalgia"),
    ("traumatic brain injury", "tbi", "head injury"),
    ("concussion", "mild traumatic brain injury", "mtbi"),
    ("attention deficit hyperactivity disorder", "adhd"),
    ("autism spectrum disorder", "autism"),
    ("post-traumatic stress disorder", "posttraumatic stress disorder", "ptsd"),
    ("obsessive-compulsive disorder", "ocd"),
    ("major depressive disorder", "major depression", "clinical depression", "mdd"),
    ("selective serotonin reuptake inhibitor", "ssri"),
    ("serotonin-norepinephrine reuptake inhibitor", "serotonin-noradrenaline reuptake inhibitor", "snri"),
    ("tricyclic antidepressant", "tca"),
    ("cognitive behavioral therapy", "cognitive behavior therapy", "cbt"),
    ("electroconvulsive therapy", "electroshock therapy", "ect"),
    ("insomnia", "sleeplessness"),
    ("bipolar disorder", "bipolar affective disorder", "manic depression"),
    ("restless legs syndrome", "willis-ekbom disease", "rls"),
    ("carpal tunnel syndrome", "cts"),
    ("subarachnoid hemorrhage", "sah"),
    ("intracerebral hemorrhage", "ich"),
    ("central nervous system", "cns"),
    ("alcohol use disorder", "alcoholism", "alcohol dependence"),
    ("opioid use disorder", "opioid addiction", "opioid dependence", "oud"),
    ("smoking cessation", "quitting smoking", "stop smoking"),
    ("syncope", "fainting"),
    ("cerebral", "brain"),
    # Musculoskeletal, pain and inflammation
    ("osteoarthritis", "degenerative joint disease", "oa"),
    ("systemic lupus erythematosus", "lupus", "sle"),
    ("low back pain", "lower back pain", "lbp"),
    ("fracture", "broken bone"),
    ("hip fracture", "broken hip"),
    ("anterior cruciate ligament", "acl"),
    ("total knee arthroplasty", "total knee replacement", "knee replacement", "tka"),
    ("total hip arthroplasty", "total hip replacement", "hip replacement", "tha"),
    (
        "nonsteroidal anti-inflammatory drug",
        "non-steroidal anti-inflammatory drug",
        "nsaid",
        "anti-inflammatory drug",
    ),
    ("analgesic", "painkiller", "pain killer", "pain reliever", "pain medication"),
    ("acetaminophen", "paracetamol"),
    ("corticosteroid", "glucocorticoid", "steroid"),
    ("opioid", "opiate", "narcotic"),
    ("arthralgia", "joint pain"),
    ("myalgia", "muscle pain"),
    # Blood and cancer
    ("cancer", "neoplasm", "malignancy", "carcinoma", "tumor"),
    ("chemotherapy", "chemo"),
    ("radiotherapy", "radiation therapy", "radiation treatment"),
    ("breast cancer", "breast carcinoma"),
    ("lung cancer", "lung carcinoma"),
    ("non-small cell lung cancer", "non-small cell lung carcinoma", "nsclc"),
    ("small cell lung cancer", "small cell lung carcinoma", "sclc"),
    ("prostate cancer", "prostate carcinoma"),
    ("prostate-specific antigen", "psa"),
    ("acute myeloid leukemia", "acute myelogenous leukemia", "aml"),
    ("acute lymphoblastic leukemia", "acute lymphocytic leukemia"),
    ("chronic lymphocytic leukemia", "cll"),
    ("chronic myeloid leukemia", "chronic myelogenous leukemia", "cml"),
    ("non-hodgkin lymphoma", "non-hodgkin's lymphoma", "nhl"),
    ("hodgkin lymphoma", "hodgkin's lymphoma", "hodgkin disease", "hodgkin's disease"),
    ("multiple myeloma", "myeloma"),
    ("melanoma", "malignant melanoma"),
    (
        "hematopoietic stem cell transplantation",
        "hematopoietic cell transplantation",
        "stem cell transplant",
        "bone marrow transplant",
        "hsct",
        "bmt",
    ),
    ("iron deficiency anemia", "ida"),
    ("red blood cell", "erythrocyte", "rbc"),
    ("white blood cell", "leukocyte", "wbc"),
    ("platelet", "thrombocyte"),
    ("complete blood count", "full blood count", "cbc", "fbc"),
    ("hemoglobin", "hb", "hgb"),
    ("international normalized ratio", "inr"),
    ("intravenous immunoglobulin", "intravenous immune globulin", "immune globulin", "ivig"),
    ("hemorrhage", "bleeding"),
    ("bruise", "contusion", "ecchymosis"),
    ("epistaxis", "nosebleed", "nose bleed"),
    # Pregnancy, children and women's health
    ("infant", "baby", "neonate", "newborn"),
    ("child", "children", "pediatric"),
    ("pregnancy", "pregnant", "gestation"),
    ("preeclampsia", "pre-eclampsia"),
    ("cesarean section", "cesarean delivery", "c-section"),
    ("in vitro fertilization", "ivf"),
    ("sudden infant death syndrome", "sids", "cot death", "crib death"),
    ("neonatal intensive care unit", "nicu"),
    ("preterm birth", "premature birth", "preterm delivery", "premature delivery"),
    ("preterm infant", "premature infant", "preterm baby", "premature baby"),
    ("breastfeeding", "breast feeding", "lactation"),
    ("miscarriage", "spontaneous abortion", "pregnancy loss"),
    ("postpartum depression", "postnatal depression"),
    ("postpartum hemorrhage", "pph"),
    ("hormone replacement therapy", "menopausal hormone therapy", "hrt"),
    ("oral contraceptive", "birth control pill", "contraceptive pill"),
    ("intrauterine device", "intrauterine contraceptive device", "iud"),
    ("hot flash", "hot flush"),
    ("neonatal jaundice", "newborn jaundice", "neonatal hyperbilirubinemia"),
    ("infantile colic", "colic"),
    ("croup", "laryngotracheobronchitis"),
    ("diaper dermatitis", "diaper rash", "nappy rash"),
    # Skin, eye, ear, mouth
    ("fever", "pyrexia"),
    ("pruritus", "itching", "itch"),
    ("urticaria", "hives"),
    ("atopic dermatitis", "eczema"),
    ("acne vulgaris", "acne"),
    ("pressure ulcer", "pressure injury", "pressure sore", "decubitus ulcer", "bedsore"),
    ("herpes labialis", "cold sore", "fever blister"),
    ("tinea pedis", "athlete's foot"),
    ("tinea corporis", "ringworm"),
    ("aphthous ulcer", "aphthous stomatitis", "canker sore", "mouth ulcer"),
    ("alopecia", "hair loss"),
    ("age-related macular degeneration", "macular degeneration", "amd"),
    ("hearing loss", "deafness", "hypoacusis"),
    ("tinnitus", "ringing in the ears"),
    ("allergic rhinitis", "hay fever"),
    ("anaphylaxis", "anaphylactic shock", "severe allergic reaction"),
    ("dental caries", "tooth decay", "caries"),
    ("periodontitis", "periodontal disease", "gum disease"),
    ("cutaneous", "skin"),
    ("ocular", "eye"),
    ("edema", "swelling"),
    # Drugs with two international names
    ("epinephrine", "adrenaline"),
    ("norepinephrine", "noradrenaline"),
    ("albuterol", "salbutamol"),
    ("lidocaine", "lignocaine"),
    ("nitroglycerin", "glyceryl trinitrate", "gtn"),
    ("furosemide", "frusemide"),
    ("cyclosporine", "ciclosporin", "cyclosporin"),
    ("amoxicillin", "amoxycillin"),
    ("rifampin", "rifampicin"),
    ("meperidine", "pethidine"),
    # Care settings, tests and study types
    ("intensive care unit", "critical care unit", "icu"),
    ("emergency department", "emergency room", "accident and emergency"),
    ("general practitioner", "family physician", "family doctor", "gp"),
    ("magnetic resonance imaging", "mri"),
    ("computed tomography", "computerized tomography", "ct scan", "cat scan", "ct"),
    ("positron emission tomography", "pet"),
    ("ultrasonography", "ultrasound", "sonography"),
    ("radiography", "x-ray", "radiograph"),
    ("electroencephalography", "electroencephalogram", "eeg"),
    ("c-reactive protein", "crp"),
    ("erythrocyte sedimentation rate", "esr"),
    ("quality of life", "qol"),
    ("health-related quality of life", "hrqol"),
    ("randomized controlled trial", "randomized clinical trial", "rct"),
    ("adverse effect", "side effect", "adverse event", "adverse drug reaction"),
    ("over the counter", "nonprescription", "otc"),
)

# Abbreviations that are also English words: matched only when the query writes them in capitals,
# and never emitted as an expansion (FTS5 would match the English word too).
CAPS_ONLY: frozenset[str] = frozenset({"aids", "art", "pad", "cap", "prep", "pet", "mono", "als", "gp"})

# (British, American) spellings of words common in clinical text; applied word by word, both ways.
SPELLINGS: tuple[tuple[str, str], ...] = (
    ("anaemia", "anemia"),
    ("anaemic", "anemic"),
    ("haemorrhage", "hemorrhage"),
    ("haemorrhagic", "hemorrhagic"),
    ("haemoglobin", "hemoglobin"),
    ("haematology", "hematology"),
    ("haematological", "hematological"),
    ("haematoma", "hematoma"),
    ("haematuria", "hematuria"),
    ("haematopoietic", "hematopoietic"),
    ("haemodialysis", "hemodialysis"),
    ("haemophilia", "hemophilia"),
    ("haemolytic", "hemolytic"),
    ("haemostasis", "hemostasis"),
    ("haemorrhoid", "hemorrhoid"),
    ("haemodynamic", "hemodynamic"),
    ("leukaemia", "leukemia"),
    ("ischaemia", "ischemia"),
    ("ischaemic", "ischemic"),
    ("oedema", "edema"),
    ("oesophagus", "esophagus"),
    ("oesophageal", "esophageal"),
    ("oesophagitis", "esophagitis"),
    ("gastrooesophageal", "gastroesophageal"),
    ("oestrogen", "estrogen"),
    ("oestradiol", "estradiol"),
    ("paediatric", "pediatric"),
    ("paediatrics", "pediatrics"),
    ("paediatrician", "pediatrician"),
    ("diarrhoea", "diarrhea"),
    ("dyspnoea", "dyspnea"),
    ("apnoea", "apnea"),
    ("foetus", "fetus"),
    ("foetal", "fetal"),
    ("faeces", "feces"),
    ("faecal", "fecal"),
    ("caesarean", "cesarean"),
    ("anaesthesia", "anesthesia"),
    ("anaesthetic", "anesthetic"),
    ("anaesthetist", "anesthetist"),
    ("orthopaedic", "orthopedic"),
    ("gynaecology", "gynecology"),
    ("gynaecological", "gynecological"),
    ("coeliac", "celiac"),
    ("tumour", "tumor"),
    ("behaviour", "behavior"),
    ("behavioural", "behavioral"),
    ("randomised", "randomized"),
    ("randomisation", "randomization"),
    ("fertilisation", "fertilization"),
    ("immunisation", "immunization"),
    ("hospitalisation", "hospitalization"),
    ("septicaemia", "septicemia"),
    ("bacteraemia", "bacteremia"),
    ("hypoglycaemia", "hypoglycemia"),
    ("hyperglycaemia", "hyperglycemia"),
    ("glycaemic", "glycemic"),
    ("hyperlipidaemia", "hyperlipidemia"),
    ("dyslipidaemia", "dyslipidemia"),
    ("hypercholesterolaemia", "hypercholesterolemia"),
    ("hyperbilirubinaemia", "hyperbilirubinemia"),
    ("leucocyte", "leukocyte"),
    ("sulphate", "sulfate"),
    ("sulphonylurea", "sulfonylurea"),
    ("aluminium", "aluminum"),
    ("ageing", "aging"),
    ("manoeuvre", "maneuver"),
    ("centre", "center"),
    ("programme", "program"),
    ("labour", "labor"),
    ("stabilisation", "stabilization"),
    ("catheterisation", "catheterization"),
)

_WORD = re.compile(r"[^\W_]+")
_CAPS_TOKEN = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


def _words(phrase: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(phrase.lower()))


def _validate() -> tuple[dict[tuple[str, ...], int], dict[str, str], dict[str, str], int]:
    """Check the tables once at import and index them; a bad edit fails loudly, not silently.

    A phrase in two groups would silently merge unrelated groups, so every phrase (as its word
    sequence) must be unique; groups must use American spellings so one index serves both.
    """
    british = {b: a for b, a in SPELLINGS}
    american = {a: b for b, a in SPELLINGS}
    if len(british) != len(SPELLINGS) or len(american) != len(SPELLINGS) or set(british) & set(american):
        raise ValueError("SPELLINGS has a repeated or two-way word")
    index: dict[tuple[str, ...], int] = {}
    for number, group in enumerate(SYNONYM_GROUPS):
        if len(group) < 2:
            raise ValueError(f"synonym group {group!r} needs at least two phrases")
        for phrase in group:
            words = _words(phrase)
            if not words or phrase != phrase.strip().lower():
                raise ValueError(f"synonym {phrase!r} must be non-empty lower-case text")
            if words in index:
                raise ValueError(f"synonym {phrase!r} is listed twice (groups {index[words]} and {number})")
            if len(words) == 1 and words[0] in STOPWORDS:
                raise ValueError(f"synonym {phrase!r} is a stopword and would never match")
            if set(words) & set(british):
                raise ValueError(f"synonym {phrase!r} uses a British spelling; SPELLINGS adds those")
            index[words] = number
    unknown = {word for word in CAPS_ONLY if (word,) not in index}
    if unknown:
        raise ValueError(f"CAPS_ONLY words not in any group: {sorted(unknown)}")
    return index, british, american, max(len(words) for words in index)


_INDEX, _TO_AMERICAN, _TO_BRITISH, _LONGEST = _validate()


def _respell(word: str, table: dict[str, str]) -> str:
    """`word` in the other spelling (plural kept), or `word` itself when it has none."""
    if word in table:
        return table[word]
    if word.endswith("s") and word[:-1] in table:
        return table[word[:-1]] + "s"
    return word


def _singulars(word: str) -> list[str]:
    """Simple English singulars of `word` ("attacks", "therapies", "fetuses"); may be empty."""
    forms: list[str] = []
    if len(word) > 3 and word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if len(word) > 3 and word.endswith("es"):
        forms.append(word[:-2])
    if len(word) > 2 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        forms.append(word[:-1])
    return forms


def _lookup(words: list[str]) -> tuple[int, tuple[str, ...]] | None:
    """(group number, matched phrase words) for an exact phrase, or with its last word singular."""
    key = tuple(words)
    if key in _INDEX:
        return _INDEX[key], key
    for singular in _singulars(words[-1]):
        key = (*words[:-1], singular)
        if key in _INDEX:
            return _INDEX[key], key
    return None


def _contains(haystack: list[str], needle: tuple[str, ...]) -> bool:
    size = len(needle)
    return any(tuple(haystack[i : i + size]) == needle for i in range(len(haystack) - size + 1))


def expand_query(
    text: str, abbreviations: AbbreviationTable | None = None, max_expansions: int = 6
) -> list[str]:
    """Extra lower-case phrases to search for with `text`: synonyms, spellings, library abbreviations.

    Query phrases are matched longest first on word boundaries (case-insensitive, last word also as a
    simple singular); each contributes the other members of its synonym group and its other spelling,
    and each all-caps word its library definitions. Sources take turns so that one long group cannot
    crowd out the others; phrases already in the query are never returned. Deterministic.
    """
    if max_expansions <= 0:
        return []
    spans = [(match.start(), match.end()) for match in _WORD.finditer(text)]
    original = [text[start:end].lower() for start, end in spans]
    american = [_respell(word, _TO_AMERICAN) for word in original]
    present: set[tuple[str, ...]] = set()
    respellings: set[tuple[str, ...]] = set()
    sources: dict[int, list[str]] = {}

    position = 0
    while position < len(original):
        found: tuple[int, int, tuple[str, ...]] | None = None
        for size in range(min(_LONGEST, len(original) - position), 0, -1):
            hit = _lookup(american[position : position + size])
            if hit is None:
                continue
            words = hit[1]
            if " ".join(words) in CAPS_ONLY and not text[spans[position][0] : spans[position][1]].isupper():
                continue
            found = (size, hit[0], words)
            break
        size = found[0] if found else 1
        chunk = original[position : position + size]
        options: list[str] = []
        for table in (_TO_AMERICAN, _TO_BRITISH):
            respelled = [_respell(word, table) for word in chunk]
            if respelled != chunk:
                options.append(" ".join(respelled))
                respellings.add(tuple(respelled))
        if found:
            present.add(found[2])
            options.extend(p for p in SYNONYM_GROUPS[found[1]] if p not in CAPS_ONLY)
        if options:
            sources[spans[position][0]] = options
        position += size

    if abbreviations is not None:
        for match in _CAPS_TOKEN.finditer(text):
            token = match.group(0)
            if token.isupper() and sum(char.isalnum() for char in token) >= 2:
                long_forms = abbreviations.expansions(token)
                if long_forms:
                    sources.setdefault(match.start(), []).extend(long_forms)

    def wanted(words: tuple[str, ...]) -> bool:
        return (
            bool(words) and not _contains(original, words) and (words not in present or words in respellings)
        )

    queues = [
        [(phrase, words) for phrase in sources[key] if wanted(words := _words(phrase))]
        for key in sorted(sources)
    ]
    expansions: list[str] = []
    seen: set[tuple[str, ...]] = set()
    cursors = [0] * len(queues)
    while len(expansions) < max_expansions and any(c < len(q) for c, q in zip(cursors, queues, strict=True)):
        for number, queue in enumerate(queues):
            # Each source's turn gives its next phrase not already given by another source.
            while cursors[number] < len(queue) and queue[cursors[number]][1] in seen:
                cursors[number] += 1
            if cursors[number] >= len(queue) or len(expansions) >= max_expansions:
                continue
            phrase, words = queue[cursors[number]]
            cursors[number] += 1
            seen.add(words)
            expansions.append(" ".join(phrase.lower().split()))
    return expansions


def phrases_expression(text: str, extra: list[str]) -> str | None:
    """The extra phrases alone as an FTS5 expression (None when none is new), for a separate,
    down-weighted BM25 query: synonyms then add recall without diluting the user's own words."""
    expression = match_expression(text)
    full = expanded_match_expression(text, extra)
    return full[len(expression) + 4 :] if len(full) > len(expression) else None


def expanded_match_expression(text: str, extra: list[str]) -> str:
    """query.match_expression(text) with each extra phrase OR-ed in as one quoted FTS5 phrase.

    A quoted multi-word phrase matches only adjacent words, so "myocardial infarction" does not
    match a passage that merely mentions "infarction" somewhere. Raises QueryError like
    match_expression when `text` has nothing to search for.
    """
    expression = match_expression(text)
    have = set(query_terms(text))
    parts: list[str] = []
    for phrase in extra:
        phrase = " ".join(phrase.split())
        if not _WORD.search(phrase) or phrase.lower() in have:
            continue
        have.add(phrase.lower())
        parts.append('"' + phrase.replace('"', '""') + '"')
    return " OR ".join([expression, *parts])
