"""Real labelled rows (verifier_training/data/real.py) from tiny fixture sources written here, never /work/shared."""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from guardrail.reader import parse_choice, parse_options, parse_yes_no
from verifier_training.data import real
from verifier_training.data import DataConfig, build, split_of

# ------------------------------------------------------------------------------------------------ fixtures

MMLU_OPTIONS = ["$810.00", "$807.50", "$802.26", "$800.00", "$795.00"]


def mmlu_record(qid: int, model: str, output: str, pred: str | None) -> dict:
    return {"question_id": qid, "question": f"What were the proceeds of draft {qid}?", "options": MMLU_OPTIONS,
            "answer": "C", "category": "business", "model": model, "output": output, "pred": pred}


MMLU = [
    # the reasoning names E's value before the closing sentence: eligible for closing removal
    mmlu_record(1, "m1", " P = $800 - $6.57 = $793.43. However, the closest answer is $795.00. The answer is (E).\n\n"
                "Question: an invented follow-up. The answer is (A).", "E"),
    # the closing sentence is the only place that names the answer: never removed
    mmlu_record(1, "m2", " We refer to Wikipedia articles on finance for help. Drafts are discounted."
                " The answer is (B).", "B"),
    mmlu_record(2, "m1", " The proceeds are $802.26. The answer is (C).", "C"),
    mmlu_record(3, "m1", " No letter here at all.", None),  # pred null: skipped
    mmlu_record(4, "m1", " Looping $1 = $1 = $1", "D"),  # pred from a weak fallback, no "answer is": skipped
]


def write(path: Path, text: str, compress: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if compress:
        with gzip.open(path.with_name(path.name + ".gz"), "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")


def jsonl(records: list[dict]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    root = tmp_path / "sources"
    write(root / "mmlu_pro_cot" / "mmlu_pro_cot.jsonl", jsonl(MMLU), compress=True)
    write(root / "flan_cot" / "ecqa_train.tsv",
          "Where do you keep milk?\\nOptions:\\n- fridge\\n- oven\\n- garden\\n- roof\\n- car\tfridge\t"
          "Milk is kept cold in a fridge. An oven is hot.\n", compress=True)
    write(root / "flan_cot" / "qasc_train.tsv",
          "What gives rise to offspring?\\nOptions:\\n- (A) DNA\\n- (B) rocks\\n- (C) sex\\n- (D) salt\t(C)\t"
          "Sex is the process by which living things give rise to offspring.\n")
    write(root / "creak" / "train.json", jsonl([
        {"ex_id": "train_0", "sentence": "Pink Floyd only admits people named Floyd.", "label": "false",
         "explanation": "The band would not be popular with such a rule."},
        {"ex_id": "train_1", "sentence": "Marlboro used cowboys in its ads.", "label": "true",
         "explanation": "Marlboro ran the Marlboro Man campaign."},
    ]))
    header = ["Correct Statement", "Incorrect Statement", "Right Reason1", "Confusing Reason1", "Confusing Reason2",
              "Right Reason2", "Right Reason3"]
    comve = root / "comve" / "train.csv"
    comve.parent.mkdir(parents=True)
    with open(comve, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow(["He poured milk on his cereal.", "He poured orange juice on his cereal.",
                         "Orange juice does not taste good on cereal.", "Orange juice is orange.",
                         "Orange juice is sticky.", "Juice makes cereal soggy and sour.",
                         "Nobody pours juice on cereal."])
        writer.writerow(["He drinks milk.", "He drinks apple.", "An apple cannot be drunk.",
                         "Apples are tasty, milk too", "", "", ""])  # one right and one confusing reason: one pair
    write(root / "cladder" / "test-generate-non.json", json.dumps([
        {"question_id": 1, "desc_id": "nonsense0-chain-ate-model1-spec0-q0", "given_info": "P(xevu|rixq) is 10%.",
         "question": "Will rixq increase xevu?", "answer": "yes",
         "reasoning": {"step0": "Let X = rixq.", "step1": "X->Y", "end": "0.01 > 0"}},
        {"question_id": 2, "desc_id": "nonsense0-chain-ate-model1-spec0-q1", "given_info": "P(xevu|rixq) is 10%.",
         "question": "Will rixq decrease xevu?", "answer": "no",
         "reasoning": {"step0": "Let X = rixq.", "step1": "X->Y", "end": "0.01 > 0"}},
        {"question_id": 3, "desc_id": "nonsense0-chain-backadj-model2-spec0-q0", "given_info": "x",
         "question": "y?", "answer": "no", "reasoning": None},
    ]), compress=True)
    eb = []
    for number, (question, answer) in enumerate([("Which event occurs daily?", "The Sun rises and sets."),
                                                 ("What do plants need?", "sunlight"), ("What is ice?", "solid water"),
                                                 ("What melts ice?", "heat"), ("What is a star?", "a sun")]):
        eb.append({"id": f"Q{number}", "output": "$proof$ = sent1 & sent2 -> int1: the sun rises; int1 -> hypothesis; ",
                   "input": f"$proof$ ; $question$ = {question} ; $answer$ = {answer} ; $hypothesis$ = the answer is "
                            f"{answer} ; $context$ = sent1: the sun rising occurs daily sent2: rising is an event"})
    write(root / "entailment_bank" / "task_1_train.jsonl", jsonl(eb))
    write(root / "explagraphs" / "train.tsv",
          "Cannabis should be legal.\tIt is not bad to make marijuana available.\tsupport\t"
          "(cannabis; synonym of; marijuana)(legal; causes; more available)\n"
          "Cannabis should be legal.\tMarijuana harms the young.\tcounter\t"
          "(marijuana; causes; harm)(harm; not desires; legal)\n")
    logic = [{"id": "ProofWriter_X-OWA-D5-1_Q1", "context": "Bob is cold. Cold things are red.",
              "question": "Based on the above information, is the following statement true, false, or unknown? "
                          "Bob is red.", "options": ["A) True", "B) False", "C) Unknown"], "answer": "A"}]
    write(root / "logic" / "logic_llm_ProofWriter_train.json", json.dumps(logic), compress=True)
    folio = [{"id": "FOLIO_train_0", "context": "All cats purr. Tom is a cat.",
              "question": "Based on the above information, is the following statement true, false, or uncertain? "
                          "Tom barks.", "options": ["A) True", "B) False", "C) Uncertain"], "answer": "C"}]
    write(root / "logic" / "logic_llm_FOLIO_train.json", json.dumps(folio))
    return root


def read(name: str, root: Path, limit: int = 0, seed: int = 0) -> list[dict]:
    return list(real.READERS[name](root, limit, seed))


# ------------------------------------------------------------------------------------------------ every reader


@pytest.mark.parametrize("name", sorted(real.READERS))
def test_each_reader_yields_balanced_fixed_rows(sources, name):
    rows = read(name, sources)
    assert rows, name
    assert all(row["source"] == name and row["meta"]["fixed"] for row in rows)
    by_qid: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        by_qid[row["qid"]][row["label"]] += 1
    assert all(counts[0] == counts[1] for counts in by_qid.values()), by_qid
    for row in rows:  # the row shape data.read_extra gives labelled rows
        assert {"qid", "source", "question", "rationale", "answer", "label", "kind", "answer_type", "meta"} <= set(row)


@pytest.mark.parametrize("name", sorted(real.READERS))
def test_readers_are_deterministic(sources, name):
    assert read(name, sources, seed=3) == read(name, sources, seed=3)


def test_unknown_source_is_refused(sources):
    with pytest.raises(ValueError, match="unknown real sources"):
        list(real.read_real(sources, {"mr_ben": 0}, 0))


# ------------------------------------------------------------------------------------------------ MMLU-Pro


def test_mmlu_positive_is_the_chains_own_answer_and_negative_another_option(sources):
    rows = read("mmlu_pro_cot", sources)
    assert {row["meta"]["steps"][0][:12] for row in rows}  # built
    assert Counter(row["qid"] for row in rows) == {"mmlu-1": 4, "mmlu-2": 2}  # null pred and no-"answer is" skipped
    for row in rows:
        options = parse_options(row["question"])
        assert list(options.values()) == MMLU_OPTIONS
        letter = parse_choice(row["answer"], options)
        own = "E" if "$793.43" in row["rationale"] else "B" if "Drafts" in row["rationale"] else "C"
        assert (letter == own) == (row["label"] == 1), row


def test_mmlu_chain_is_cut_after_its_first_answer():
    chain, letter, start = real.cut_after_answer(MMLU[0]["output"])
    assert letter == "E" and chain.endswith("The answer is (E).") and "invented" not in chain
    assert chain[start:] == "The answer is (E)."
    assert real.cut_after_answer("The answer is (C) 5 m/s. Question: next") == ("The answer is (C) 5 m/s.", "C", 0)
    assert real.cut_after_answer("no letter") is None


def test_closing_removal_keeps_only_chains_that_still_argue_for_their_answer(sources, monkeypatch):
    monkeypatch.setattr(real, "CLOSING_REMOVED_SHARE", 1.0)  # try it on every pair
    monkeypatch.setattr(real, "OPEN_ENDING_SHARE", 0.0)
    rows = read("mmlu_pro_cot", sources)
    removed = [row for row in rows if row["kind"].endswith("_closing_removed")]
    kept = [row for row in rows if not row["kind"].endswith("_closing_removed")]
    assert {row["rationale"] for row in removed} == {
        "P = $800 - $6.57 = $793.43. However, the closest answer is $795.00.", "The proceeds are $802.26."}
    assert {row["kind"] for row in removed} == {"own_answer_closing_removed", "other_option_closing_removed"}
    assert Counter(row["label"] for row in removed) == {0: 2, 1: 2}
    # the "Drafts are discounted" chain never names B's value: its closing sentence stays
    assert [row["rationale"][-18:] for row in kept] == ["The answer is (B)."] * 2


def test_chains_that_no_longer_argue_for_their_answer_can_be_open_endings(sources, monkeypatch):
    monkeypatch.setattr(real, "CLOSING_REMOVED_SHARE", 1.0)
    monkeypatch.setattr(real, "OPEN_ENDING_SHARE", 1.0)
    rows = read("mmlu_pro_cot", sources)
    open_ending = [row for row in rows if row["kind"].endswith("_open_ending")]
    # "Drafts are discounted" never names B's value: without its closing sentence it is an open ending
    assert {row["rationale"] for row in open_ending} == {"We refer to Wikipedia articles on finance for help. Drafts are discounted."}
    assert {(row["kind"], row["label"]) for row in open_ending} == {("own_answer_open_ending", 1), ("other_option_open_ending", 0)}
    assert not any(row["rationale"].endswith("The answer is (B).") for row in rows)


def test_letter_closings_go_so_the_option_is_read_from_its_content():
    chain = "We compute x = 12. The value 3.5 fits. Therefore the correct option is (B). This matches choice B."
    assert real.drop_letter_closings(chain, "B") == "We compute x = 12. The value 3.5 fits."
    assert real.drop_letter_closings("x = 5.\nSo Choice_B.  ", "B") == "x = 5."
    # at most two, and only from the end: a sentence naming another letter stops it
    assert real.drop_letter_closings("So (B). Not (C). Hence B) holds.", "B") == "So (B). Not (C)."
    assert real.drop_letter_closings("A big B value. Be sure.", "B") == "A big B value. Be sure."
    assert real.drop_letter_closings("(B). (B). (B).", "B") == "(B)."


def test_stronger_closing_removal_reads_the_option_from_its_content(monkeypatch):
    monkeypatch.setattr(real, "CLOSING_REMOVED_SHARE", 1.0)
    monkeypatch.setattr(real, "LETTER_CLOSINGS_SHARE", 1.0)
    record = mmlu_record(1, "m1", " P = $800 - $6.57 = $793.43. The closest is $795.00. Therefore option (E) is"
                         " correct. The answer is (E).", "E")
    rows = real._mmlu_pair(record, seed=0)
    assert {row["rationale"] for row in rows} == {"P = $800 - $6.57 = $793.43. The closest is $795.00."}
    assert {row["kind"] for row in rows} == {"own_answer_closing_removed", "other_option_closing_removed"}
    # when what is left would no longer argue for the answer, only the closing sentence goes
    record = mmlu_record(1, "m1", " Drafts are discounted. So option (E) is correct. The answer is (E).", "E")
    assert {row["rationale"] for row in real._mmlu_pair(record, seed=0)} == {"Drafts are discounted. So option (E) is correct."}


def test_argues_for_needs_the_own_option_last():
    letters = ("E", "C")
    assert real.argues_for("It is $800. So we get $795.00.", "$795.00", "$802.26", letters)
    assert not real.argues_for("We get $795.00. But then $802.26.", "$795.00", "$802.26", letters)
    assert not real.argues_for("Nothing decides it.", "$795.00", "$802.26", letters)
    assert real.argues_for("That is option (E).", "a long text", "other text", letters)


# ------------------------------------------------------------------------------------------------ the others


def test_flan_cot_labels_the_gold_option(sources):
    rows = read("flan_cot", sources)
    for row in rows:
        options = parse_options(row["question"])
        gold = next(k for k, v in options.items() if v in ("fridge", "sex"))
        assert (parse_choice(row["answer"], options) == gold) == (row["label"] == 1)


def test_creak_and_cladder_flip_yes_no(sources):
    for name in ("creak", "cladder"):
        rows = read(name, sources)
        for row in rows:
            truth = {"creak": "Marlboro" in row["question"], "cladder": "increase" in row["question"]}[name]
            assert (parse_yes_no(row["answer"]) == "yes") == (truth == bool(row["label"])), row
    assert all(row["rationale"].endswith("0.01 > 0") for row in read("cladder", sources))
    assert {row["qid"] for row in read("cladder", sources)} == {"cladder-nonsense0-chain-ate-model1-spec0"}


def test_comve_right_reasons_are_positive_and_confusing_ones_hard_negatives(sources):
    rows = read("comve", sources)
    kinds = Counter((row["kind"], row["label"]) for row in rows)
    assert kinds == {("right_reason", 1): 4, ("confusing_reason", 0): 3, ("other_statement", 0): 1}
    for row in rows:
        said = parse_options(row["question"])[parse_choice(row["answer"], parse_options(row["question"]))]
        nonsensical = said in ("He poured orange juice on his cereal.", "He drinks apple.")
        assert nonsensical == (row["kind"] != "other_statement")


def test_entailment_bank_rationale_spells_out_the_proof(sources):
    rows = read("entailment_bank", sources)
    assert len(rows) == 10
    first = next(row for row in rows if row["qid"] == "eb-Q0")
    assert first["rationale"].splitlines() == [
        "the sun rising occurs daily.", "rising is an event.", "So the sun rises.",
        "Thus the answer is The Sun rises and sets.",
    ]
    for row in rows:
        options = parse_options(row["question"])
        assert len(options) == 4
        gold = row["rationale"].rsplit("the answer is ", 1)[1].rstrip(".")
        assert (options[parse_choice(row["answer"], options)].rstrip(".") == gold.rstrip(".")) == bool(row["label"])


def test_explagraphs_graph_becomes_sentences_and_stance_flips(sources):
    rows = read("explagraphs", sources)
    assert len({row["qid"] for row in rows}) == 1  # both arguments about one belief: one split
    support = next(row for row in rows if "available" in row["question"] and row["label"] == 1)
    assert support["rationale"] == "Cannabis is a synonym of marijuana. Legal causes more available."
    assert support["answer"] == "support"
    assert real.graph_sentences("(harm; not desires; legal)") == "Harm does not desire legal."


def test_logic_uses_premises_and_three_labels(sources):
    rows = read("logic", sources)
    assert len(rows) == 4
    for row in rows:
        options = parse_options(row["question"])
        assert list(options.values())[:2] == ["True", "False"]
        gold = "A" if "Bob" in row["question"] else "C"
        assert (parse_choice(row["answer"], options) == gold) == bool(row["label"])
        assert row["rationale"] in ("Bob is cold. Cold things are red.", "All cats purr. Tom is a cat.")


# ------------------------------------------------------------------------------------------------ limits, splits


def test_limit_counts_questions_and_keeps_their_rows_together(sources):
    rows = read("mmlu_pro_cot", sources, limit=1)
    assert len({row["qid"] for row in rows}) == 1
    assert len(rows) in (2, 4)  # all chains of the picked question


def test_the_rows_of_a_question_share_a_split(sources):
    config = DataConfig(sources_dir=str(sources), gsm8k_limit=0, real={name: 0 for name in real.READERS})
    rows = [row for row in build_real_only(config)]
    splits: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        splits[row["qid"]].add(row["split"])
        assert row["split"] == split_of(row["qid"], config)
    assert all(len(s) == 1 for s in splits.values())


def build_real_only(config: DataConfig) -> list[dict]:
    """data.build on sources holding only the real folders plus empty GSM8K / StrategyQA / PRMBench files."""
    root = Path(config.sources_dir)
    write(root / "gsm8k" / "train.jsonl", "")
    write(root / "strategyqa" / "train.json", "[]")
    write(root / "prmbench" / "prm800k_train_p1_first400_4o_circular.jsonl", "")
    return build(config)


def test_default_config_reads_no_test_or_validation_file(sources, monkeypatch):
    opened: list[str] = []
    real_open = open

    def spy(path, *args, **kwargs):
        opened.append(str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", spy)
    monkeypatch.setattr(gzip, "open", lambda path, *a, **k: (opened.append(str(path)), real_gzip(path, *a, **k))[1])
    config = DataConfig(sources_dir=str(sources), real={name: 0 for name in real.READERS})
    build_real_only(config)
    names = {Path(p).name for p in opened if str(sources) in p}
    assert "test.jsonl" not in names
    assert not any(n.startswith("prm800k_test") for n in names)
    assert not any(n.startswith(("logic_llm_FOLIO_dev", "logic_llm_ProofWriter_dev", "logic_llm_ProofWriter_test"))
                   for n in names)
    assert not any("dev" in n for n in names)
    assert "train.jsonl" in names and "mmlu_pro_cot.jsonl.gz" in names
    assert DataConfig().gsm8k_files == ("train.jsonl",)
    assert all(name.startswith("prm800k_train") for name in DataConfig().prmbench_files)


real_gzip = gzip.open


def test_shipped_configs_read_train_files_only():
    configs = Path(__file__).resolve().parent.parent / "verifier_training" / "configs"
    for path in configs.glob("data*.json"):
        config = DataConfig.load(path)
        assert config.gsm8k_files == ("train.jsonl",), path
        assert all(name.startswith("prm800k_train") for name in config.prmbench_files), path
        assert set(config.real) <= set(real.READERS), path
