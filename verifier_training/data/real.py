"""Labelled consistency rows from real, human- or model-written rationales (``DataConfig.real``).

The perturbation families make inconsistent rows by rule; these rows come from data nobody made for this
project, in many domains and surface formats. One reader per source folder in ``sources/`` (each has its
``SOURCE.md`` and licence). Every reader yields balanced pairs: the rationale with the answer it argues for
(label 1) and the same rationale with another answer (label 0). The label is *consistency*, not
correctness: a model's wrong chain with its own wrong answer is label 1.

Rows have the shape ``data.record_row`` gives labelled rows (``meta.fixed``: perturb passes them through),
with ``qid`` = one id per source question, so all rows of a question land in one split (``data.split_of``).
Randomness (formats, negatives) comes from ``random.Random(f"{seed}:{qid}...")``: a row does not depend on
which other rows were read. Option lists and answers are written in formats drawn from ``formats.py``.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import random
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, TypeVar

from guardrail.reader import normalise_text, numbers_in, parse_number

from . import formats
from .records import record_row

T = TypeVar("T")

# ------------------------------------------------------------------------------------------------ helpers


def open_text(path: Path) -> IO[str]:
    """``path`` or, when only that exists, ``path.gz`` (large source files are stored compressed)."""
    if path.exists():
        return open(path, encoding="utf-8")
    return io.TextIOWrapper(gzip.open(path.with_name(path.name + ".gz")), encoding="utf-8")


def _jsonl(path: Path) -> list[dict]:
    with open_text(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _digest(text: str) -> str:
    return hashlib.sha256(" ".join(text.lower().split()).encode()).hexdigest()[:12]


def chosen(records: Iterable[T], qid_of: Callable[[T], str], limit: int, seed: int) -> list[T]:
    """The records of ``limit`` questions (0 = all), picked by a hash of the qid: a stable, spread-out sample
    that does not depend on file order, and keeps every record of a picked question."""
    records = list(records)
    if not limit:
        return records
    # salted unlike data.split_of's hash: ranking by that one would pick the test split's questions first
    qids = sorted({qid_of(r) for r in records}, key=lambda q: hashlib.sha256(f"pick:{seed}:{q}".encode()).digest())
    keep = set(qids[:limit])
    return [r for r in records if qid_of(r) in keep]


def pair(
    qid: str, source: str, question: str, rationale: str, good: str, bad: str, kinds: tuple[str, str]
) -> list[dict]:
    """The rationale with the answer it supports (label 1) and with another answer (label 0)."""
    common = {"qid": qid, "source": source, "question": question, "rationale": rationale}
    return [
        record_row({**common, "answer": good, "label": 1, "kind": kinds[0]}),
        record_row({**common, "answer": bad, "label": 0, "kind": kinds[1]}),
    ]


def mentions(text: str, option: str) -> bool:
    """``text`` states ``option``: its number when it is numeric, else its words (whole words, 3+ chars)."""
    value = parse_number(option)
    if value is not None:
        return value in numbers_in(text)
    norm = normalise_text(option).rstrip(".")
    return len(norm) >= 3 and re.search(rf"(?<!\w){re.escape(norm)}(?!\w)", normalise_text(text)) is not None


def other_option(options: dict[str, str], own: str, rationale: str, rng: random.Random) -> str:
    """Another option's letter, half the time one the rationale mentions or computes (a hard negative)."""
    others = [k for k in options if k != own and options[k].strip().lower() != options[own].strip().lower()]
    if not others:
        raise ValueError("no other option")
    mentioned = [k for k in others if mentions(rationale, options[k])]
    if mentioned and rng.random() < 0.5:
        return rng.choice(mentioned)
    return rng.choice(others)


def choice_question(stem: str, options: dict[str, str], rng: random.Random) -> tuple[str, Callable[[str], str]]:
    """The stem with its options in a random format, and a function writing an answer for a letter (one
    answer style per question, so a pair differs only in the answer's option)."""
    fmt = formats.random_format(rng)
    style = formats.random_answer_style(rng, options)
    return formats.with_options(stem, options, fmt), lambda k: formats.render_answer(k, options, style, fmt)


# ------------------------------------------------------------------------------------------------ MMLU-Pro CoT

_ANSWER_IS = re.compile(r"answer is:?\s*\(?([A-P])\)?", re.IGNORECASE)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")
CLOSING_REMOVED_SHARE = 0.5
# of those, the share where sentences before the closing one that name the option's letter go too
LETTER_CLOSINGS_SHARE = 0.5
# of the rest (what is left no longer plainly argues for the answer), the share kept as open-ending pairs:
# the label still says which answer the chain was written towards, and such pairs teach the model that a
# chain without a stated conclusion is weaker evidence (scores nearer the band), not a confident verdict
OPEN_ENDING_SHARE = 0.5


def cut_after_answer(output: str) -> tuple[str, str, int] | None:
    """(chain up to and including the first "the answer is (X)" sentence, X, where that sentence starts).

    Models continue after their answer with invented questions, so the rest is dropped. None when the
    chain states no letter this way (the source's ``pred`` then came from a weak fallback).
    """
    output = output.strip()  # offsets below index the stripped text
    match = _ANSWER_IS.search(output)
    if not match:
        return None
    tail = re.match(r"[^\n]{0,80}?[.!?](?=\s|$)", output[match.end() :])
    end = match.end() + (tail.end() if tail else 0)
    breaks = [m.end() for m in _SENTENCE_BREAK.finditer(output, 0, match.start())]
    start = breaks[-1] if breaks else 0
    return output[:end], match.group(1).upper(), start


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_BREAK.split(text) if s.strip()]


def argues_for(reasoning: str, own: str, other: str, letters: tuple[str, str]) -> bool:
    """The reasoning (closing sentence removed) still concludes ``own``: the option (text, number or
    "(X)") is in its last 3 sentences, and ``other`` is not stated in a later sentence."""
    tail = _sentences(reasoning)[-3:]
    def said(sentence: str, text: str, letter: str) -> bool:
        return mentions(sentence, text) or f"({letter})" in sentence
    own_at = [i for i, s in enumerate(tail) if said(s, own, letters[0])]
    other_at = [i for i, s in enumerate(tail) if said(s, other, letters[1])]
    return bool(own_at) and (not other_at or max(other_at) < max(own_at))


def _names_letter(sentence: str, letter: str) -> bool:
    """The sentence names option ``letter`` by its letter: "(B)", "B)", "option B", "Choice_B", "answer: B"."""
    pattern = rf"\({letter}\)|(?<![\w(]){letter}\)|\b(?i:option|choice|answer)(?:\s+is)?[\s_:]*\(?{letter}\b"
    return re.search(pattern, sentence) is not None


def drop_letter_closings(reasoning: str, letter: str, most: int = 2) -> str:
    """``reasoning`` without up to ``most`` closing sentences that name the option by its letter
    ("Therefore, the correct option is (B).", "This matches choice B."), so what is left has to be read
    from the option's content, as in chains whose whole closing was removed."""
    reasoning = reasoning.strip()
    starts = [0] + [m.end() for m in _SENTENCE_BREAK.finditer(reasoning)]
    end = len(reasoning)
    for start in reversed(starts[-most:]):
        if not _names_letter(reasoning[start:end], letter):
            break
        end = start
    return reasoning[:end].strip()


def read_mmlu_pro_cot(root: Path, limit: int, seed: int) -> Iterator[dict]:
    """22 models' chains on MMLU-Pro: each chain with its own answer ``pred`` (label 1, even when wrong) and
    with another option (label 0); in half the pairs the closing answer sentence is tried for removal: kept
    removed when the reasoning before it still argues for ``pred`` (``*_closing_removed``), and in half the
    others as an open ending (``*_open_ending``)."""
    records = [r for r in _jsonl(root / "mmlu_pro_cot" / "mmlu_pro_cot.jsonl") if r["pred"] and r["output"]]
    for record in chosen(records, lambda r: f"mmlu-{r['question_id']}", limit, seed):
        yield from _mmlu_pair(record, seed)


def _mmlu_pair(record: dict, seed: int) -> list[dict]:
    qid = f"mmlu-{record['question_id']}"
    cut = cut_after_answer(record["output"])
    options = formats.lettered(record["options"])
    if cut is None or cut[1] != record["pred"] or record["pred"] not in options or len(options) < 2:
        return []
    chain, own, closing_start = cut
    rng = random.Random(f"{seed}:{qid}:{record['model']}")
    try:
        other = other_option(options, own, chain, rng)
    except ValueError:
        return []
    question, answer = choice_question(record["question"], options, rng)
    kinds = ("own_answer", "other_option")
    if rng.random() < CLOSING_REMOVED_SHARE:
        reasoning = chain[:closing_start].strip()
        if rng.random() < LETTER_CLOSINGS_SHARE:
            shorter = drop_letter_closings(reasoning, own)
            if shorter and argues_for(shorter, options[own], options[other], (own, other)):
                reasoning = shorter
        if reasoning and argues_for(reasoning, options[own], options[other], (own, other)):
            chain, kinds = reasoning, ("own_answer_closing_removed", "other_option_closing_removed")
        elif reasoning and rng.random() < OPEN_ENDING_SHARE:
            chain, kinds = reasoning, ("own_answer_open_ending", "other_option_open_ending")
    return pair(qid, "mmlu_pro_cot", question, chain, answer(own), answer(other), kinds)


# ------------------------------------------------------------------------------------------------ FLAN CoT


def _flan_rows(path: Path) -> list[tuple[str, str, str]]:
    """(question, answer, rationale) per line; the question's newlines are written as the two chars \\n."""
    with open_text(path) as handle:
        rows = [line.rstrip("\n").split("\t") for line in handle if line.strip()]
    return [(q.replace("\\n", "\n"), a.strip(), r.strip()) for q, a, r in rows]


def _flan_options(question: str) -> tuple[str, list[str]]:
    """(stem, option texts) of a FLAN question "...\\nOptions:\\n- x\\n- y" (QASC: "- (A) x")."""
    stem, _, block = question.partition("\nOptions:")
    texts = [re.sub(r"^\([A-Z]\)\s*", "", line[2:].strip()) for line in block.splitlines() if line.startswith("- ")]
    return stem.strip(), texts


def read_flan_cot(root: Path, limit: int, seed: int) -> Iterator[dict]:
    """ECQA (the answer is an option's text) and QASC (a letter "(D)"): the human explanation with the gold
    option (label 1) and with another option (label 0). FLAN's CREAK and sensemaking files are left out:
    they repeat ``creak/`` and ``comve/`` (read there, with more reasons per item)."""
    items = []
    for name in ("ecqa_train.tsv", "qasc_train.tsv"):
        for question, answer, rationale in _flan_rows(root / "flan_cot" / name):
            stem, texts = _flan_options(question)
            letter = answer.strip("()") if re.fullmatch(r"\([A-Z]\)", answer) else None
            gold = texts.index(answer) if letter is None and answer in texts else None
            if letter is not None:
                gold = "ABCDEFGHIJKLMNOP".index(letter)
            if gold is None or gold >= len(texts) or not rationale:
                continue
            items.append((f"{name.split('_')[0]}-{_digest(stem)}", stem, texts, gold, rationale))
    for qid, stem, texts, gold, rationale in chosen(items, lambda item: item[0], limit, seed):
        rng = random.Random(f"{seed}:{qid}")
        options = formats.lettered(texts)
        own = "ABCDEFGHIJKLMNOP"[gold]
        try:
            other = other_option(options, own, rationale, rng)
        except ValueError:
            continue
        question, answer = choice_question(stem, options, rng)
        yield from pair(qid, "flan_cot", question, rationale, answer(own), answer(other), ("gold", "other_option"))


# ------------------------------------------------------------------------------------------------ CREAK

_CLAIM_TEMPLATES = (  # (question template, true answer, false answer); FLAN's own phrasings among them
    ('Claim: "{c}"\nIs the claim above correct, and can it be verified by human common sense and without a web '
     "search?\nOptions:\n- yes\n- no", "yes", "no"),
    ('"{c}"\nIs the above claim true?\nOptions:\n- yes\n- no', "yes", "no"),
    ("Is this claim true? {c}", "Yes", "No"),
    ("True or false: {c}", "True", "False"),
    ("Is the following statement correct?\n{c}", "yes", "no"),
)


def read_creak(root: Path, limit: int, seed: int) -> Iterator[dict]:
    """CREAK claims: the one-sentence explanation with the gold truth value (label 1) and the flipped one."""
    records = _jsonl(root / "creak" / "train.json")
    for record in chosen(records, lambda r: f"creak-{_digest(r['sentence'])}", limit, seed):
        qid = f"creak-{_digest(record['sentence'])}"
        rng = random.Random(f"{seed}:{qid}")
        template, yes, no = rng.choice(_CLAIM_TEMPLATES)
        good, bad = (yes, no) if record["label"] == "true" else (no, yes)
        question = template.format(c=record["sentence"].strip())
        yield from pair(qid, "creak", question, record["explanation"].strip(), good, bad, ("gold", "flipped"))


# ------------------------------------------------------------------------------------------------ ComVE

_NONSENSE_STEMS = (
    "Which statement is against common sense?",
    "Of the following two sentences, which one is against common sense?",
    "Which of the following two sentences does not make sense?",
    "Pick the sentence that is nonsensical.",
)


def read_comve(root: Path, limit: int, seed: int) -> Iterator[dict]:
    """ComVE: which of two statements is against common sense. The 3 right reasons with the nonsensical
    statement as answer are label 1; label 0 are the 2 "confusing" reasons (on topic, explain nothing:
    hard negatives) and one right reason with the sensible statement as answer."""
    with open_text(root / "comve" / "train.csv") as handle:
        records = list(csv.DictReader(handle))

    def qid_of(r: dict) -> str:
        return "comve-" + _digest(" | ".join(sorted((r["Correct Statement"], r["Incorrect Statement"]))))

    for record in chosen(records, qid_of, limit, seed):
        yield from _comve_rows(record, qid_of(record), seed)


def _comve_rows(record: dict, qid: str, seed: int) -> list[dict]:
    rng = random.Random(f"{seed}:{qid}")
    right = [r.strip() for k in ("Right Reason1", "Right Reason2", "Right Reason3") if (r := record[k] or "").strip()]
    confusing = [r.strip() for k in ("Confusing Reason1", "Confusing Reason2") if (r := record[k] or "").strip()]
    if not right:
        return []
    statements = [record["Incorrect Statement"].strip(), record["Correct Statement"].strip()]
    rng.shuffle(statements)
    options = formats.lettered(statements)
    wrong = "AB"[statements.index(record["Incorrect Statement"].strip())]
    sensible = "B" if wrong == "A" else "A"
    question, answer = choice_question(rng.choice(_NONSENSE_STEMS), options, rng)
    base = {"qid": qid, "source": "comve", "question": question}
    rows = [{**base, "rationale": r, "answer": answer(wrong), "label": 1, "kind": "right_reason"} for r in right]
    rows += [{**base, "rationale": r, "answer": answer(wrong), "label": 0, "kind": "confusing_reason"}
             for r in confusing]
    # as many negatives as positives: top up with right reasons given for the sensible statement
    spare = rng.sample(right, k=len(right))
    rows += [{**base, "rationale": r, "answer": answer(sensible), "label": 0, "kind": "other_statement"}
             for r in spare[: max(0, len(right) - len(confusing))]]
    return [record_row(r) for r in rows[: 2 * len(right)]]


# ------------------------------------------------------------------------------------------------ CLadder


def read_cladder(root: Path, limit: int, seed: int) -> Iterator[dict]:
    """CLadder (made-up variable names): the formal reasoning steps, which end in the deciding comparison,
    with the gold yes/no (label 1) and the opposite (label 0). Rows without ``reasoning`` are skipped."""
    with open_text(root / "cladder" / "test-generate-non.json") as handle:
        records = [r for r in json.load(handle) if r.get("reasoning")]

    def qid_of(r: dict) -> str:  # questions about one causal model (desc_id ...-q<N>) share a split
        return "cladder-" + re.sub(r"-q\d+$", "", r["desc_id"])

    for record in chosen(records, qid_of, limit, seed):
        steps = [str(record["reasoning"][k]) for k in sorted(record["reasoning"]) if k != "end"]
        steps.append(str(record["reasoning"].get("end", "")))
        rationale = "\n".join(s for s in steps if s.strip())
        question = f"{record['given_info'].strip()} {record['question'].strip()}"
        rng = random.Random(f"{seed}:{qid_of(record)}:{record['question_id']}")
        yes, no = rng.choice((("yes", "no"), ("Yes", "No")))
        good, bad = (yes, no) if record["answer"] == "yes" else (no, yes)
        yield from pair(qid_of(record), "cladder", question, rationale, good, bad, ("gold", "flipped"))


# ------------------------------------------------------------------------------------------------ EntailmentBank

_SLOT = re.compile(r"\$(\w+)\$ = (.*?)(?= ; \$\w+\$|$)", re.DOTALL)
_SENT = re.compile(r"(sent\d+): (.*?)(?= sent\d+: |$)", re.DOTALL)
_PROOF_STEP = re.compile(r"([\w& ]+?) -> (hypothesis|int\d+)(?:: (.*?))?;")


def entailment_rationale(context: str, proof: str, hypothesis: str) -> str:
    """The facts, then each proof step's conclusion as a sentence (intermediate conclusions spelled out)."""
    facts = [f.strip().rstrip(".") + "." for _, f in _SENT.findall(context)]
    conclusions = []
    for _premises, target, text in _PROOF_STEP.findall(proof):
        sentence = hypothesis if target == "hypothesis" else text
        if sentence.strip():
            conclusions.append(sentence.strip().rstrip(".") + ".")
    lead = ("So ", "Thus ", "Therefore ")
    steps = facts + [lead[min(i, 2)] + c for i, c in enumerate(conclusions)]
    return "\n".join(steps)


def read_entailment_bank(root: Path, limit: int, seed: int) -> Iterator[dict]:
    """EntailmentBank task 1 (ARC science): facts + proof with the gold answer (label 1) and with another
    question's answer (label 0; the ARC options are not in this file), asked as 4-option multiple choice."""
    items = []
    for record in _jsonl(root / "entailment_bank" / "task_1_train.jsonl"):
        slots = dict(_SLOT.findall(record["input"])) | dict(_SLOT.findall(record["output"]))
        if all(slots.get(k) for k in ("question", "answer", "context", "proof", "hypothesis")):
            items.append((f"eb-{record['id']}", slots))
    answers = sorted({slots["answer"].strip() for _, slots in items})
    seen: set[str] = set()
    for qid, slots in chosen(items, lambda item: item[0], limit, seed):
        if qid in seen:  # a handful of ids occur twice
            continue
        seen.add(qid)
        rng = random.Random(f"{seed}:{qid}")
        gold = slots["answer"].strip()
        texts = [gold, *rng.sample([a for a in answers if a.lower() != gold.lower()], 3)]
        rng.shuffle(texts)
        options = formats.lettered(texts)
        own = "ABCD"[texts.index(gold)]
        other = rng.choice([k for k in options if k != own])
        question, answer = choice_question(slots["question"].strip(), options, rng)
        rationale = entailment_rationale(slots["context"], slots["proof"], slots["hypothesis"])
        yield from pair(qid, "entailment_bank", question, rationale, answer(own), answer(other),
                        ("gold", "other_answer"))


# ------------------------------------------------------------------------------------------------ ExplaGraphs

_RELATIONS = {  # ConceptNet-like relation -> how a sentence says it
    "is a": "is a", "is not a": "is not a", "synonym of": "is a synonym of", "antonym of": "is the opposite of",
    "capable of": "is capable of", "not capable of": "is not capable of", "has context": "has the context of",
    "not has context": "does not have the context of", "used for": "is used for", "not used for":
    "is not used for", "desires": "desires", "not desires": "does not desire", "causes": "causes",
    "not causes": "does not cause", "part of": "is part of", "not part of": "is not part of",
    "has property": "has the property", "not has property": "does not have the property",
    "created by": "is created by", "not created by": "is not created by", "receives action": "receives",
    "not receives action": "does not receive", "has subevent": "involves", "not has subevent":
    "does not involve", "at location": "is found at", "not at location": "is not found at",
    "made of": "is made of", "not made of": "is not made of",
}
_EDGE = re.compile(r"\(([^;()]+);\s*([^;()]+);\s*([^;()]+)\)")


def graph_sentences(graph: str) -> str:
    """ "(a; causes; b)(b; is a; c)" -> "a causes b. b is a c." """
    sentences = []
    for head, relation, tail in _EDGE.findall(graph):
        verb = _RELATIONS.get(relation.strip(), relation.strip())
        sentences.append(f"{head.strip()} {verb} {tail.strip()}.")
    return " ".join(s[:1].upper() + s[1:] for s in sentences)


_STANCE_TEMPLATES = (
    ("Does the argument support or counter the belief?\nBelief: {b}\nArgument: {a}", "support", "counter"),
    ("Belief: {b}\nArgument: {a}\nIs the argument in support of or counter to the belief?", "support",
     "counter"),
    ("Does the argument \"{a}\" support or counter the belief \"{b}\"? Answer support or counter.", "support",
     "counter"),
)


def read_explagraphs(root: Path, limit: int, seed: int) -> Iterator[dict]:
    """ExplaGraphs: the explanation graph as sentences with the gold stance (label 1) and the other one."""
    with open_text(root / "explagraphs" / "train.tsv") as handle:
        records = [line.rstrip("\n").split("\t") for line in handle if line.strip()]
    records = [r for r in records if len(r) == 4 and r[2] in ("support", "counter")]
    for belief, argument, stance, graph in chosen(records, lambda r: f"xg-{_digest(r[0])}", limit, seed):
        qid = f"xg-{_digest(belief)}"  # all arguments about one belief share a split
        rationale = graph_sentences(graph)
        if not rationale:
            continue
        rng = random.Random(f"{seed}:{qid}:{_digest(argument)}")
        template, support, counter = rng.choice(_STANCE_TEMPLATES)
        good, bad = (support, counter) if stance == "support" else (counter, support)
        question = template.format(b=belief.strip(), a=argument.strip())
        yield from pair(qid, "explagraphs", question, rationale, good, bad, ("gold", "other_stance"))


# ------------------------------------------------------------------------------------------------ logic


def read_logic(root: Path, limit: int, seed: int) -> Iterator[dict]:
    """ProofWriter (depth 5, open world) and FOLIO, train files only: the premises as the rationale, the
    statement's True / False / Unknown as 3-option multiple choice; gold (label 1) and another label (0)."""
    records = []
    for name in ("logic_llm_ProofWriter_train.json", "logic_llm_FOLIO_train.json"):
        with open_text(root / "logic" / name) as handle:
            records.extend(json.load(handle))

    def qid_of(r: dict) -> str:  # questions on one set of premises share a split
        return "logic-" + _digest(r["context"])

    for record in chosen(records, qid_of, limit, seed):
        statement = record["question"].split("?", 1)[-1].strip()
        texts = [o.split(")", 1)[1].strip() for o in record["options"]]
        if not statement or record["answer"] not in "ABC" or len(texts) != 3:
            continue
        rng = random.Random(f"{seed}:{qid_of(record)}:{record['id']}")
        options = formats.lettered(texts)
        own = record["answer"]
        other = rng.choice([k for k in options if k != own])
        stem = rng.choice((
            "Is the following statement true, false, or {u}? {s}",
            "Based on the premises, is this statement true, false, or {u}?\n{s}",
            "Statement: {s}\nDoes it follow from the premises (true), contradict them (false), or neither ({u})?",
        )).format(s=statement, u=texts[2].lower())
        question, answer = choice_question(stem, options, rng)
        yield from pair(qid_of(record), "logic", question, record["context"].strip(), answer(own), answer(other),
                        ("gold", "other_label"))


# ------------------------------------------------------------------------------------------------ driver

READERS: dict[str, Callable[[Path, int, int], Iterator[dict]]] = {
    "mmlu_pro_cot": read_mmlu_pro_cot,
    "flan_cot": read_flan_cot,
    "creak": read_creak,
    "comve": read_comve,
    "cladder": read_cladder,
    "entailment_bank": read_entailment_bank,
    "explagraphs": read_explagraphs,
    "logic": read_logic,
}


def read_real(root: Path, limits: dict[str, int], seed: int) -> Iterator[dict]:
    """Rows of every source named in ``limits`` (source -> max questions, 0 = all)."""
    unknown = sorted(set(limits) - set(READERS))
    if unknown:
        raise ValueError(f"unknown real sources {unknown}; known: {sorted(READERS)}")
    for name in sorted(limits):
        yield from READERS[name](root, limits[name], seed)

