"""``verifier-train probe``: run faithfulness probes on a model and (optionally) emit verifier labels.

Registration is cheap; torch/transformers/matplotlib are imported only when the command runs.
"""

from __future__ import annotations

import argparse
import re
import sys

from verifier_training.cli_common import VERBOSE_HELP

_IMPORT_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "probe",
        help="measure whether a model's rationales are load-bearing (early answering, corruption, filler, ...)",
        description=__doc__.splitlines()[0],
    )
    p.add_argument(
        "--backend", choices=("transformers", "command"), required=True,
        help="transformers: a local causal LM (--model-path), with answer log-probabilities; command: any text "
        "generator (--generate-cmd); the log-probability probes are skipped for it",
    )
    p.add_argument("--model-path", help="local directory of a causal LM (transformers backend)")
    p.add_argument("--device", default="cpu", help="torch device for the transformers backend, e.g. cuda")
    p.add_argument(
        "--generate-cmd",
        help="command backend: a shell command reading the prompt on stdin and printing the text, "
        "or a Python import path 'module:function' taking the prompt and returning the text",
    )
    p.add_argument("--data", required=True, help="JSONL: question, optional rationale / answer / hint_answer")
    p.add_argument("--probes", default="early,corrupt,filler,mistake,hint,delete",
                   help="comma-separated probes to run")
    p.add_argument("--out", required=True, help="directory for report.json, PNG plots and summary.md")
    p.add_argument("--emit-labels", metavar="FILE", help="write verifier training rows (JSONL) here")
    p.add_argument("--threshold", type=float, default=1.0, help="nats; a step is load-bearing above it")
    p.add_argument(
        "--control", choices=("synonym", "none"), default="synonym",
        help="control edit subtracted from each step edit's drop (none: effect = raw drop)",
    )
    p.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples per confidence interval (>= 100)")
    p.add_argument("--seed", type=int, default=0, help="seed for the bootstrap and the probes' random choices")
    p.add_argument("--limit", type=int, help="probe only the first N examples")
    p.add_argument("--answer-tokens", type=int, default=16, help="tokens generated after the forced-answer cue")
    p.add_argument("--continuation-tokens", type=int, default=256,
                   help="tokens generated when the model writes or goes on with a rationale")
    p.add_argument("--head", help="prompt head; '{question}' is replaced by the question")
    p.add_argument("--answer-cue", help="text that ends a forced-answer prompt")
    p.add_argument("--verbose", action="store_true", help=VERBOSE_HELP)
    p.set_defaults(func=run)


def build_backend(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from ._backends import GenerateOnlyBackend, TransformersBackend, command_generate, import_callable
    from ._errors import BackendError

    if args.backend == "transformers":
        if not args.model_path:
            raise BackendError("--backend transformers needs --model-path DIR")
        return TransformersBackend.from_path(args.model_path, device=args.device)
    if not args.generate_cmd:
        raise BackendError("--backend command needs --generate-cmd")
    spec = args.generate_cmd.strip()
    generate = import_callable(spec) if _IMPORT_PATH.match(spec) else command_generate(spec)
    return GenerateOnlyBackend(generate, name=spec)


def run(args: argparse.Namespace) -> int:
    import structlog

    from guardrail import GuardrailError

    from ._data import load_records
    from ._labels import build_label_rows, write_label_rows
    from ._prompt import PromptTemplate
    from ._report import write_report
    from ._runner import parse_probe_list, run_probes
    from ._types import ProbeConfig

    log = structlog.get_logger()
    try:
        probes = parse_probe_list(args.probes)
        records = load_records(args.data)[: args.limit or None]
        defaults = PromptTemplate()
        template = PromptTemplate(head=args.head or defaults.head, answer_cue=args.answer_cue or defaults.answer_cue)
        config = ProbeConfig(
            threshold=args.threshold, control=args.control, n_boot=args.n_boot, seed=args.seed,
            answer_tokens=args.answer_tokens, continuation_tokens=args.continuation_tokens,
        )
        report = run_probes(build_backend(args), records, probes, config=config, template=template)
    except (GuardrailError, ValueError) as exc:
        print(f"probe: {exc}", file=sys.stderr)
        return 2
    paths = write_report(report, args.out)
    log.info("probe_report_written", **{k: str(v) for k, v in paths.items()})
    if args.emit_labels:
        rows, dropped = build_label_rows(report)
        write_label_rows(rows, args.emit_labels)
        n_not_own = sum(not e.model_agrees for e in report.examples)
        log.info(
            "probe_labels_written", path=args.emit_labels, n_rows=len(rows), n_conflicting_dropped=dropped,
            n_examples_not_the_models_own_answer=n_not_own,
        )
    print(paths["markdown"].read_text(encoding="utf-8"))
    return 0
