"""OnnxVerifier on a tiny model exported through the real export path: scores, batching, threads, integrity."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import numpy as np
import pytest

from guardrail import (
    CheckInput,
    Guard,
    ModelIntegrityError,
    ModelLoadError,
    ModelNotFoundError,
    OnnxVerifier,
    Verifier,
    VerifierError,
)
from guardrail._manifest import MANIFEST_NAME, write_manifest
from guardrail.reader import analyse

pytestmark = pytest.mark.slow  # the session fixture exports a model (a few seconds)

QUESTIONS = [
    "Tom has 3 apples and buys 4 more. How many apples does he have?",
    "Which is largest? (A) 2 (B) 9 (C) 5",
    "Is the sun a star?",
]


def _items(n: int) -> list[CheckInput]:
    items = []
    for i in range(n):
        question = QUESTIONS[i % len(QUESTIONS)]
        rationale = " ".join(f"Step {k + 1}: we add {k} and {i}." for k in range(1 + i % 7)) + f"\nSo the total is {i}."
        items.append(CheckInput(id=str(i), question=question, rationale=rationale, answer=str(i + (i % 2))))
    return items


def test_scores_are_probabilities_with_model_identity(tiny_verifier):
    opinions = tiny_verifier(_items(5))
    assert len(opinions) == 5 and isinstance(tiny_verifier, Verifier)
    for opinion in opinions:
        assert 0.0 <= opinion.consistency <= 1.0 and opinion.error is None
        assert opinion.verifier == "onnx:tiny-test" == tiny_verifier.name
        assert (opinion.model_id, opinion.model_version) == ("tiny-test", "0.0.1")


def test_matches_a_direct_onnxruntime_run(tiny_model_dir, tiny_verifier):
    # Independent re-implementation of the documented pipeline: encode -> session.run -> softmax(logits / T)[1],
    # pulled toward 0.5 by the manifest's unplaced_scale where the reader cannot place the answer, and held just
    # inside the band [0.2, 0.8] where the score goes against the reader's match or mismatch.
    import onnxruntime as ort
    from tokenizers import Tokenizer

    from guardrail._encoding import encode_batch

    items = _items(4)
    manifest = json.loads((tiny_model_dir / MANIFEST_NAME).read_text())
    batch = encode_batch(Tokenizer.from_file(str(tiny_model_dir / "tokenizer.json")), items, manifest["max_length"])
    session = ort.InferenceSession(str(tiny_model_dir / "model.onnx"), providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}
    logits = session.run(None, {k: v for k, v in batch.items() if k in names})[0] / manifest["temperature"]
    expected = np.exp(logits[:, 1]) / np.exp(logits).sum(axis=1)
    agrees = [analyse(i.question, i.rationale, i.answer).agrees for i in items]
    unplaced = np.array([a is None for a in agrees])
    assert unplaced.any() and not unplaced.all()  # both paths are checked
    expected = np.where(unplaced, 0.5 + manifest["unplaced_scale"] * (expected - 0.5), expected)
    for k, (agree, p) in enumerate(zip(agrees, expected, strict=True)):
        if agree is True and p < 0.2:
            expected[k] = 0.21 + 0.04 * p / 0.2
        elif agree is False and p > 0.8:
            expected[k] = 0.79 - 0.04 * (1 - p) / 0.2
    assert np.allclose(tiny_verifier.probabilities(items), expected, atol=1e-6)


def test_a_score_against_the_reader_is_held_inside_the_band():
    from guardrail._onnx import contradicts_reader

    matched, mismatched, unplaced = (SimpleNamespace(agrees=a) for a in (True, False, None))
    analyses = [matched, matched, mismatched, mismatched, unplaced, unplaced]
    probs = np.array([0.05, 0.9, 0.95, 0.1, 0.02, 0.99])
    assert contradicts_reader(probs, analyses).tolist() == [True, False, True, False, False, False]


def test_batching_does_not_change_scores(tiny_model_dir):
    items = _items(11)
    one = OnnxVerifier(tiny_model_dir, threads=1, batch_size=1)(items)
    many = OnnxVerifier(tiny_model_dir, threads=1, batch_size=4)(items)
    assert np.allclose([o.consistency for o in one], [o.consistency for o in many], atol=1e-5)


def test_probabilities_run_in_batches_and_match_the_opinions(tiny_model_dir, monkeypatch):
    items = _items(11)
    verifier = OnnxVerifier(tiny_model_dir, threads=1, batch_size=4)
    seen: list[int] = []
    scores = verifier._scores
    monkeypatch.setattr(verifier, "_scores", lambda batch: seen.append(len(batch)) or scores(batch))
    probs = verifier.probabilities(items)
    assert seen == [4, 4, 3] and probs.shape == (11,)
    assert np.allclose(probs, [o.consistency for o in verifier(items)], atol=1e-6)
    assert verifier.probabilities([]).shape == (0,)


def test_empty_batch(tiny_verifier):
    assert tiny_verifier([]) == []


def test_concurrent_checks_equal_sequential(tiny_model_copy):
    # 16 threads x 20 checks through one Guard / one session / one tokenizer. A sharp temperature spreads the
    # tiny model's scores apart (every item distinct at 1e-6) so answers swapped between threads would show.
    _rewrite_manifest(tiny_model_copy, temperature=0.002)
    guard = Guard(OnnxVerifier(tiny_model_copy, threads=1, batch_size=4))
    items = _items(40)
    scores = [guard.check(i.question, rationale=i.rationale, answer=i.answer).consistency for i in items]
    assert len({round(score, 6) for score in scores}) == len(items)

    def worker(t: int):
        picks = [items[(t * 7 + k) % len(items)] for k in range(20)]
        if t % 2:
            rows = [{"id": p.id, "question": p.question, "rationale": p.rationale, "answer": p.answer} for p in picks]
            verdicts = guard.check_many(rows)
        else:
            verdicts = [guard.check(p.question, rationale=p.rationale, answer=p.answer, id=p.id) for p in picks]
        return [(v.id, v.consistency, v.action, v.flagged_steps) for v in verdicts]

    sequential = [worker(t) for t in range(16)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        concurrent = list(pool.map(worker, range(16)))
    assert sum(len(r) for r in concurrent) == 320
    for got, want in zip(concurrent, sequential, strict=True):
        assert [g[0] for g in got] == [w[0] for w in want]
        for (_, score, action, flagged), (_, ref_score, ref_action, ref_flagged) in zip(got, want, strict=True):
            assert score == pytest.approx(ref_score, abs=1e-9) and (action, flagged) == (ref_action, ref_flagged)


def test_low_scores_flag_the_concluding_step(tiny_model_copy):
    _rewrite_manifest(tiny_model_copy, threshold=1.0)  # every score is "low"
    verifier = OnnxVerifier(tiny_model_copy)
    assert (
        verifier.flag_below == 1.0
        and OnnxVerifier(tiny_model_copy, flag_below=0.0)([_items(1)[0]])[0].flagged_steps == ()
    )
    item = CheckInput(id="x", question=QUESTIONS[0], rationale="3 + 4 = 7.\nHe has 7 apples.\nThat's it.", answer="9")
    (opinion,) = verifier([item])
    assert 1 in opinion.flagged_steps  # "He has 7 apples." is where the rationale concludes
    assert any(r.startswith("conclusion_mismatch") for r in opinion.reasons)


def test_temperature_from_manifest_is_applied(tiny_model_copy, tiny_verifier):
    # items the reader places: the pull toward 0.5 for the others is no temperature (see the test above)
    items = [i for i in _items(6) if analyse(i.question, i.rationale, i.answer).agrees is not None][:3]
    base = tiny_verifier.probabilities(items)
    _rewrite_manifest(tiny_model_copy, temperature=0.01)
    sharp = OnnxVerifier(tiny_model_copy).probabilities(items)
    logit_gap = np.log(base / (1 - base))  # two classes: softmax(z / T)[1] = sigmoid((z1 - z0) / T)
    assert np.allclose(sharp, 1 / (1 + np.exp(-logit_gap / 0.01)), atol=1e-6)
    assert not np.allclose(sharp, base, atol=1e-3)


def test_max_length_can_only_shorten(tiny_model_dir):
    assert OnnxVerifier(tiny_model_dir, max_length=32).max_length == 32
    assert OnnxVerifier(tiny_model_dir, max_length=10_000).max_length == 128


def test_tampered_model_is_refused(tiny_model_copy):
    onnx = tiny_model_copy / "model.onnx"
    data = bytearray(onnx.read_bytes())
    data[len(data) // 2] ^= 0x01  # flip one bit
    onnx.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="sha256 mismatch"):
        OnnxVerifier(tiny_model_copy)


def test_tampered_tokenizer_is_refused(tiny_model_copy):
    path = tiny_model_copy / "tokenizer.json"
    path.write_text(path.read_text().replace('"[UNK]"', '"[UNX]"', 1))
    with pytest.raises(ModelIntegrityError):
        OnnxVerifier(tiny_model_copy)


def test_missing_files_are_refused(tiny_model_copy):
    (tiny_model_copy / "model.onnx").unlink()
    with pytest.raises(ModelNotFoundError, match="missing"):
        OnnxVerifier(tiny_model_copy)
    (tiny_model_copy / MANIFEST_NAME).unlink()
    with pytest.raises(ModelNotFoundError, match="manifest"):
        OnnxVerifier(tiny_model_copy)
    with pytest.raises(ModelNotFoundError):
        OnnxVerifier(tiny_model_copy / "nope")


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00garbage", b"[" * 100_000 + b"]" * 100_000])
def test_invalid_manifest_is_refused(tiny_model_copy, content):
    (tiny_model_copy / MANIFEST_NAME).write_bytes(content)
    with pytest.raises(ModelIntegrityError, match="invalid manifest"):
        OnnxVerifier(tiny_model_copy)


def test_corrupt_model_with_matching_manifest_is_a_load_error(tiny_model_copy):
    # Hashes match (the manifest was rewritten), but the file is not a valid ONNX graph.
    (tiny_model_copy / "model.onnx").write_bytes(b"not an onnx model")
    _rewrite_manifest(tiny_model_copy)
    with pytest.raises(ModelLoadError, match="onnxruntime could not load"):
        OnnxVerifier(tiny_model_copy)


def test_input_format_mismatch_is_a_load_error(tiny_model_copy):
    _rewrite_manifest(tiny_model_copy, input_format="some-other-format")
    with pytest.raises(ModelLoadError, match="input format"):
        OnnxVerifier(tiny_model_copy)


def test_runtime_failure_is_a_verifier_error(tiny_model_dir):
    verifier = OnnxVerifier(tiny_model_dir)

    class Broken:
        def run(self, *args, **kwargs):
            raise RuntimeError("onnxruntime exploded")

    verifier._session = Broken()
    with pytest.raises(VerifierError, match="exploded"):
        verifier(_items(2))


def test_env_var_default_model(monkeypatch, tiny_model_dir):
    monkeypatch.setenv("GUARDRAIL_MODEL_DIR", str(tiny_model_dir))
    verdict = Guard().check(QUESTIONS[0], "3 + 4 = 7.\n#### 7")
    assert verdict.decided_by == ("onnx:tiny-test",) and verdict.consistency is not None


def _rewrite_manifest(model_dir, **changes):
    manifest = json.loads((model_dir / MANIFEST_NAME).read_text())
    manifest.update(changes)
    manifest.pop("files")
    (model_dir / MANIFEST_NAME).unlink()
    write_manifest(model_dir, **manifest)


def test_flagged_steps_of_a_long_rationale_index_the_full_rationale():
    from guardrail._onnx import flag_steps
    from guardrail.reader import split_steps

    filler = "".join(f"Note {k}: nothing here.\n" for k in range(2000))  # far beyond the analysed tail
    rationale = filler + "3 + 4 = 7.\nHe has 7 apples.\nThat's it."
    item = CheckInput(id="x", question=QUESTIONS[0], rationale=rationale, answer="9")
    flagged, reasons = flag_steps(item)
    steps = split_steps(rationale)
    assert steps[flagged[-1]].text == "He has 7 apples."
    assert any(r.startswith("conclusion_mismatch") for r in reasons)
    short = CheckInput(id="y", question=QUESTIONS[0], rationale="3 + 4 = 7.\nHe has 7 apples.\nThat's it.", answer="9")
    assert flag_steps(short)[0] == (1,)


def test_reasons_name_an_asserted_conclusion_and_an_off_topic_rationale():
    from guardrail._onnx import flag_steps

    question = "Natalia sold 48 clips in April and half as many in May. How many clips did she sell?"
    asserted = CheckInput(id="a", question=question, rationale="She sold clips in April.\nSo the answer is 72.",
                          answer="72")
    foreign = CheckInput(id="f", question=question, rationale="Weng earns $12 an hour.\nShe earned 0.2 x 50 = $10.",
                         answer="10")
    worked = CheckInput(id="w", question=question, rationale="In May she sold 48 / 2 = 24 clips.\n48 + 24 = 72.",
                        answer="72")
    assert any(r.startswith("conclusion_not_derived") for r in flag_steps(asserted)[1])
    assert any(r.startswith("off_topic: the rationale uses 0%") for r in flag_steps(foreign)[1])
    assert not flag_steps(worked)[1]
