"""Export a tiny random checkpoint and check the model directory the runtime will load."""

from __future__ import annotations

import json

import numpy as np
import pytest

from guardrail._errors import ModelIntegrityError
from guardrail._manifest import load_verified_manifest
from guardrail._types import CheckInput

pytestmark = pytest.mark.slow

ITEMS = [
    CheckInput(id="a", question="Sam has 2 cats and gets 3 more. How many?", rationale="2 + 3 = 5.", answer="5"),
    CheckInput(id="b", question="Sam has 2 cats and gets 3 more. How many?", rationale="2 + 3 = 5.", answer="6"),
    CheckInput(id="c", question="Is ice cold?", rationale="Ice is frozen water, below 0 C.", answer="yes"),
]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    from _tiny import build_tiny_checkpoint

    return build_tiny_checkpoint(tmp_path_factory.mktemp("ckpt"), seed=1)


@pytest.fixture(scope="module")
def exported(checkpoint, tmp_path_factory):
    from verifier_training.export.onnx import export_onnx

    out = tmp_path_factory.mktemp("onnx") / "model"
    manifest = export_onnx(checkpoint, out, parity_items=ITEMS, name="tiny", version="9.9.9", temperature=1.5)
    return out, manifest


def test_tiny_checkpoint_has_model_tokenizer_and_config(checkpoint):
    from transformers import AutoModelForSequenceClassification

    for name in ("config.json", "model.safetensors", "tokenizer.json", "vocab.txt", "train_config.json"):
        assert (checkpoint / name).is_file(), name
    model = AutoModelForSequenceClassification.from_pretrained(str(checkpoint))
    assert model.config.num_labels == 2
    assert model.config.num_hidden_layers == 2


def test_export_writes_exactly_the_runtime_files(exported):
    out, _ = exported
    names = sorted(p.name for p in out.iterdir())
    assert names == ["config.json", "manifest.json", "model.onnx", "tokenizer.json", "train_config.json"]


def test_manifest_verifies_and_carries_settings(exported):
    from guardrail import _encoding

    out, manifest = exported
    loaded = load_verified_manifest(out)
    assert loaded == manifest
    assert set(loaded.files) == {"config.json", "model.onnx", "tokenizer.json", "train_config.json"}
    assert loaded.name == "tiny" and loaded.version == "9.9.9"
    assert loaded.input_format == _encoding.INPUT_FORMAT
    assert loaded.temperature == 1.5
    assert loaded.max_length == json.loads((out / "train_config.json").read_text())["max_length"]
    assert loaded.config["num_layers"] == 2


def test_parity_is_recorded_within_tolerance(exported):
    _, manifest = exported
    parity = manifest.metrics["parity"]
    assert parity["n"] == len(ITEMS)
    assert 0.0 <= parity["max_abs_diff"] <= parity["tolerance"] == 1e-2
    assert parity["quantized"] is True
    assert parity["mode"] == "int8"  # the tiny model passes with the fastest mode
    assert parity["attempts"]["int8"] == parity["max_abs_diff"]


def test_onnx_session_matches_torch_on_runtime_encoding(exported, checkpoint):
    from verifier_training.export.parity import onnx_probabilities, torch_probabilities

    out, manifest = exported
    onnx = onnx_probabilities(out, ITEMS, manifest.max_length, manifest.temperature)
    torch_ = torch_probabilities(checkpoint, out, ITEMS, manifest.max_length, manifest.temperature)
    assert onnx.shape == (len(ITEMS),)
    assert np.all((onnx >= 0) & (onnx <= 1))
    assert np.max(np.abs(onnx - torch_)) <= 1e-2


def test_tampered_model_fails_verification(exported, tmp_path):
    import shutil

    out, _ = exported
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    with open(copy / "model.onnx", "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelIntegrityError):
        load_verified_manifest(copy)


def test_parity_failure_raises(checkpoint, tmp_path):
    from verifier_training.errors import ParityError
    from verifier_training.export.onnx import export_onnx
    from verifier_training.export.parity import check_parity

    out = tmp_path / "model"
    manifest = export_onnx(checkpoint, out, parity_items=ITEMS, quantize=False)
    assert manifest.metrics["parity"]["mode"] == "fp32"
    assert manifest.metrics["parity"]["max_abs_diff"] < 1e-4  # no quantisation: float rounding only
    # A different random checkpoint must not pass as the exported one.
    from _tiny import build_tiny_checkpoint

    other = build_tiny_checkpoint(tmp_path / "other", seed=7)
    with pytest.raises(ParityError):
        check_parity(other, out, ITEMS, max_length=64, temperature=1.0, tolerance=1e-6)


def test_non_empty_out_dir_is_refused(checkpoint, tmp_path):
    from verifier_training.errors import ExportError
    from verifier_training.export.onnx import export_onnx

    (tmp_path / "stale.txt").write_text("x")
    with pytest.raises(ExportError):
        export_onnx(checkpoint, tmp_path, parity_items=ITEMS)


def test_unknown_quantisation_mode_is_refused(checkpoint, tmp_path):
    from verifier_training.errors import ExportError
    from verifier_training.export.onnx import export_onnx

    with pytest.raises(ExportError, match="unknown quantisation mode"):
        export_onnx(checkpoint, tmp_path / "m", parity_items=ITEMS, quantize="int4")


def test_row_quantised_embeddings_are_close_and_smaller(checkpoint, tmp_path):
    from verifier_training.export.rowquant import quantize_rows
    from verifier_training.export.onnx import export_onnx

    table = np.random.default_rng(0).normal(0, 0.05, (50, 32)).astype(np.float32)
    table[3] = 0.0  # an all-zero row must not divide by zero
    q, scale = quantize_rows(table)
    assert q.dtype == np.int8 and scale.shape == (50, 1)
    assert np.max(np.abs(q * scale - table)) <= np.max(scale) / 2 + 1e-7

    manifest = export_onnx(checkpoint, tmp_path / "m", parity_items=ITEMS, quantize="int8-embeddings")
    assert manifest.metrics["parity"]["mode"] == "int8-embeddings"
    assert manifest.metrics["parity"]["max_abs_diff"] <= 1e-2
    fp32 = export_onnx(checkpoint, tmp_path / "f", parity_items=ITEMS, quantize="fp32")
    assert fp32.metrics["parity"]["mode"] == "fp32"
    assert (tmp_path / "m" / "model.onnx").stat().st_size < (tmp_path / "f" / "model.onnx").stat().st_size


def test_fp16_embeddings_are_exact_to_parity_and_smaller_than_fp32(checkpoint, tmp_path):
    from verifier_training.export.onnx import export_onnx

    half = export_onnx(checkpoint, tmp_path / "h", parity_items=ITEMS, quantize="fp16-embeddings")
    assert half.metrics["parity"]["mode"] == "fp16-embeddings"
    assert half.metrics["parity"]["max_abs_diff"] <= 1e-3
    export_onnx(checkpoint, tmp_path / "f", parity_items=ITEMS, quantize="fp32")
    assert (tmp_path / "h" / "model.onnx").stat().st_size < (tmp_path / "f" / "model.onnx").stat().st_size


def test_legacy_checkpoint_exports_and_scores_in_rg_v1(checkpoint, tmp_path):
    """A checkpoint saved before input_format existed was trained on rg-v1: its export says so, its parity
    check encodes rg-v1, and the runtime encodes rg-v1 for it."""
    import shutil

    from guardrail import OnnxVerifier, _encoding
    from guardrail.reader import analyse
    from guardrail._onnx import shrink_unplaced
    from verifier_training.export.onnx import export_onnx
    from verifier_training.export.parity import onnx_probabilities

    legacy = tmp_path / "legacy"
    shutil.copytree(checkpoint, legacy)
    config = json.loads((legacy / "train_config.json").read_text())
    del config["input_format"]
    (legacy / "train_config.json").write_text(json.dumps(config))
    manifest = export_onnx(legacy, tmp_path / "onnx", quantize="fp32", parity_items=ITEMS)
    assert manifest.input_format == "rg-v1"
    verifier = OnnxVerifier(tmp_path / "onnx", threads=1)
    runtime = verifier.probabilities(ITEMS)
    # the runtime pulls items whose answer the reader cannot place toward 0.5 (manifest.unplaced_scale)
    analyses = [analyse(i.question, i.rationale, i.answer) for i in ITEMS]
    offline = shrink_unplaced(
        onnx_probabilities(tmp_path / "onnx", ITEMS, manifest.max_length, manifest.temperature),
        analyses, manifest.unplaced_scale,
    )
    assert np.allclose(runtime, offline, atol=1e-6)
    by_format = {
        fmt: verifier._session.run(None, _encoding.encode_batch(verifier._tokenizer, ITEMS, manifest.max_length, fmt))[0]
        for fmt in ("rg-v1", "rg-v2")
    }
    assert not np.allclose(by_format["rg-v1"], by_format["rg-v2"])  # the formats differ for these items
    expected = shrink_unplaced(_softmax(by_format["rg-v1"], manifest.temperature), analyses, manifest.unplaced_scale)
    assert np.allclose(expected, runtime, atol=1e-6)


def _softmax(logits, temperature):
    scaled = logits / temperature
    exp = np.exp(scaled - scaled.max(axis=1, keepdims=True))
    return exp[:, 1] / exp.sum(axis=1)


@pytest.mark.parametrize("mode", ["fp32", "fp16-embeddings", "int8-embeddings"])
def test_recovered_checkpoint_scores_like_the_export_and_trains_on(checkpoint, tmp_path, mode):
    """`verifier-train recover` rebuilds the torch checkpoint behind an export (to fine-tune a shipped model
    whose training checkpoint is gone): same weights where stored exactly, same probabilities within parity."""
    import torch
    from transformers import AutoModelForSequenceClassification

    from verifier_training.export.onnx import export_onnx
    from verifier_training.export.recover import recover_checkpoint

    export_onnx(checkpoint, tmp_path / "onnx", parity_items=ITEMS, quantize=mode)
    parity = recover_checkpoint(tmp_path / "onnx", tmp_path / "back", ITEMS)
    assert parity["n"] == len(ITEMS) and parity["max_abs_diff"] <= (1e-5 if mode == "fp32" else 1e-2)
    original = AutoModelForSequenceClassification.from_pretrained(str(checkpoint)).state_dict()
    rebuilt = AutoModelForSequenceClassification.from_pretrained(str(tmp_path / "back")).state_dict()
    assert set(original) == set(rebuilt)
    exact = [name for name in original if "word_embeddings" not in name or mode == "fp32"]
    assert all(torch.allclose(original[name], rebuilt[name], atol=1e-6) for name in exact)
    for name in ("tokenizer.json", "train_config.json"):
        assert (tmp_path / "back" / name).is_file()


def test_head_pruned_checkpoint_exports_and_recovers_exactly(checkpoint, tmp_path):
    """A checkpoint with pruned attention heads (config.pruned_heads) exports, scores like torch, and recovers."""
    import shutil

    import torch
    from transformers import AutoModelForSequenceClassification

    from verifier_training.export.onnx import export_onnx
    from verifier_training.train.prune import prune_attention_heads, prune_feed_forward
    from verifier_training.export.recover import recover_checkpoint

    model = AutoModelForSequenceClassification.from_pretrained(str(checkpoint))
    prune_attention_heads(prune_feed_forward(model, 48), 1)
    pruned = tmp_path / "pruned"
    model.save_pretrained(pruned)
    for name in ("tokenizer.json", "train_config.json"):
        shutil.copyfile(checkpoint / name, pruned / name)
    manifest = export_onnx(pruned, tmp_path / "onnx", parity_items=ITEMS, quantize="fp32")
    assert manifest.metrics["parity"]["max_abs_diff"] <= 1e-5
    recover_checkpoint(tmp_path / "onnx", tmp_path / "back", ITEMS)
    rebuilt = AutoModelForSequenceClassification.from_pretrained(str(tmp_path / "back"))
    assert rebuilt.bert.encoder.layer[0].attention.self.num_attention_heads == 1
    original = model.state_dict()
    assert all(torch.allclose(value, rebuilt.state_dict()[name], atol=1e-6) for name, value in original.items())


def test_recover_refuses_a_config_that_does_not_fit_the_graph(checkpoint, tmp_path):
    from guardrail._manifest import read_manifest, write_manifest
    from verifier_training.errors import ExportError
    from verifier_training.export.onnx import export_onnx
    from verifier_training.export.recover import recover_checkpoint

    broken = tmp_path / "broken"
    export_onnx(checkpoint, broken, parity_items=ITEMS, quantize="fp32")
    config = json.loads((broken / "config.json").read_text())
    config["intermediate_size"] *= 2
    (broken / "config.json").write_text(json.dumps(config))
    manifest = read_manifest(broken)
    write_manifest(broken, **manifest.model_dump(exclude={"files"}))
    with pytest.raises(ExportError, match="do not fit"):
        recover_checkpoint(broken, tmp_path / "back", ITEMS)


def test_recover_command_writes_a_checkpoint_that_training_can_start_from(checkpoint, tmp_path):
    from transformers import AutoModelForSequenceClassification

    from verifier_training.cli import main
    from verifier_training.export.onnx import export_onnx

    manifest = export_onnx(checkpoint, tmp_path / "onnx", parity_items=ITEMS, quantize="fp16-embeddings")
    assert main(["recover", "--model", str(tmp_path / "onnx"), "--out", str(tmp_path / "base")]) == 0
    model = AutoModelForSequenceClassification.from_pretrained(str(tmp_path / "base"))
    assert model.config.num_hidden_layers == 2 and model.config.num_labels == 2
    assert json.loads((tmp_path / "base" / "train_config.json").read_text())["input_format"] == manifest.input_format


def test_recover_refuses_int8_linear_layers_with_a_clear_error(exported, tmp_path):
    from verifier_training.errors import ExportError
    from verifier_training.export.recover import recover_checkpoint

    out, manifest = exported
    assert manifest.metrics["parity"]["mode"] == "int8"  # the tiny model passes parity fully quantised
    with pytest.raises(ExportError, match="cannot be turned back"):
        recover_checkpoint(out, tmp_path / "back", ITEMS)
    assert not (tmp_path / "back").exists()


def _bert_classifier(**overrides):
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(3)
    settings = dict(vocab_size=500, hidden_size=48, num_hidden_layers=3, num_attention_heads=4, intermediate_size=96,
                    num_labels=2, attn_implementation="eager")
    return BertForSequenceClassification(BertConfig(**{**settings, **overrides})).eval()


@pytest.mark.parametrize("attention", ["eager", "sdpa"])  # their masks differ in shape: (b,1,1,s), (b,1,s,s)
def test_cls_only_last_layer_gives_the_full_models_logits(attention):
    """The export computes the last layer for [CLS] only: same logits as the whole layer, with padding, both
    token types, pruned heads (uneven per layer) and a batch."""
    import torch

    from verifier_training.train.cls_only import ClsOnlyLastLayer, supports_cls_only

    full = _bert_classifier(attn_implementation=attention)
    full.prune_heads({0: [1], 2: [0, 3]})
    rewritten = _bert_classifier(attn_implementation=attention)
    rewritten.prune_heads({0: [1], 2: [0, 3]})
    rewritten.load_state_dict(full.state_dict())
    assert supports_cls_only(rewritten)
    rewritten.bert.encoder.layer[-1] = ClsOnlyLastLayer(rewritten.bert.encoder.layer[-1])
    ids = torch.randint(5, 500, (3, 40))
    mask = torch.ones_like(ids)
    mask[1, 25:] = 0
    mask[2, 3:] = 0
    types = torch.zeros_like(ids)
    types[:, 20:] = 1
    with torch.no_grad():
        expected = full(input_ids=ids, attention_mask=mask, token_type_ids=types).logits
        out = rewritten(input_ids=ids, attention_mask=mask, token_type_ids=types, output_hidden_states=True)
    assert torch.allclose(out.logits, expected, atol=1e-5)
    assert out.hidden_states[-1].shape == (3, 1, 48)  # the last layer returns the [CLS] position only
    assert not torch.allclose(expected[0], expected[2], atol=1e-3)  # the padding actually changed something


def test_cls_only_rewrite_is_skipped_where_it_would_not_be_exact():
    from verifier_training.train.cls_only import supports_cls_only

    assert not supports_cls_only(_bert_classifier(position_embedding_type="relative_key"))


def test_export_computes_the_last_layer_for_cls_only(exported, tiny_model_dir):
    """The exported graph's last query projection reads one position (a Slice of the hidden states), while
    the first layer's reads them all; recorded in the manifest."""
    import onnx

    assert exported[1].metrics["last_layer_cls_only"] is True
    graph = onnx.load(str(tiny_model_dir / "model.onnx")).graph  # fp32: MatMuls as exported
    producer = {output: node for node in graph.node for output in node.output}
    query_input = {node.name.split("/")[3]: producer.get(node.input[0]) for node in graph.node
                   if node.name.endswith("/attention/self/query/MatMul")}
    assert set(query_input) == {"layer.0", "layer.1"}
    assert query_input["layer.1"] is not None and query_input["layer.1"].op_type == "Slice"
    assert query_input["layer.0"].op_type == "LayerNormalization"
