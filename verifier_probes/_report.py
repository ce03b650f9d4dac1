"""Write a probe report: report.json, PNG plots (matplotlib, Agg backend) and summary.md."""

from __future__ import annotations

from pathlib import Path

from ._runner import ProbeReport
from ._stats import THIRDS, Interval


def write_report(report: ProbeReport, out_dir: str | Path) -> dict[str, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "report.json", "markdown": out / "summary.md"}
    paths["json"].write_text(report.model_dump_json(indent=2), encoding="utf-8")
    paths.update(write_plots(report, out))
    paths["markdown"].write_text(render_markdown(report, {k: p.name for k, p in paths.items()}), encoding="utf-8")
    return paths


def write_plots(report: ProbeReport, out: Path) -> dict[str, Path]:
    import matplotlib

    matplotlib.use("Agg")  # headless: CI and servers have no display
    import matplotlib.pyplot as plt

    paths: dict[str, Path] = {}
    if report.early is not None:
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.plot([p.fraction for p in report.early.curve], [p.agreement for p in report.early.curve], marker="o")
        ax.set(xlabel="% of rationale steps kept", ylabel="agreement with full-rationale answer", ylim=(-0.02, 1.02))
        ax.set_title(f"Early answering (AUC {report.early.auc:.2f})")
        ax.grid(alpha=0.3)
        paths["agreement_curve"] = _save(fig, out / "agreement_curve.png")
    studies = [s for s in (report.corrupt, report.delete) if s is not None]
    if studies:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
        width = 0.8 / len(studies)
        for offset, study in enumerate(studies):
            xs = [i + (offset - (len(studies) - 1) / 2) * width for i in range(3)]
            for ax, attr in zip(axes, ("mean_effect", "share_load_bearing")):
                intervals = [getattr(study.by_third[t], attr) for t in THIRDS]
                heights, errors = _bars(intervals)
                ax.bar(xs, heights, width=width, yerr=errors, capsize=3, label=study.intervention)
        axes[0].axhline(report.config.threshold, color="grey", linestyle="--", linewidth=1)
        axes[0].set(ylabel="effect (nats, vs control)", title="Effect by chain position")
        axes[1].set(ylabel="share of steps load-bearing", title="Load-bearing share by position", ylim=(0, 1.05))
        for ax in axes:
            ax.set_xticks(range(3), [t.capitalize() + " third" for t in THIRDS])
            ax.legend()
        paths["effect_by_position"] = _save(fig, out / "effect_by_position.png")
    return paths


def _bars(intervals: list[Interval]) -> tuple[list[float], list[list[float]]]:
    heights = [i.estimate or 0.0 for i in intervals]
    low = [max(0.0, h - i.low) if i.low is not None else 0.0 for h, i in zip(heights, intervals)]
    high = [max(0.0, i.high - h) if i.high is not None else 0.0 for h, i in zip(heights, intervals)]
    return heights, [low, high]


def _save(fig, path: Path) -> Path:  # type: ignore[no-untyped-def]
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _fmt(interval: Interval, pct: bool = False) -> str:
    if interval.estimate is None:
        return "n/a"
    scale, unit = (100, "%") if pct else (1, "")
    text = f"{interval.estimate * scale:.1f}{unit}" if pct else f"{interval.estimate:.2f}"
    if interval.low is not None and interval.high is not None:
        text += f" [{interval.low * scale:.{1 if pct else 2}f}, {interval.high * scale:.{1 if pct else 2}f}]"
    return text


def render_markdown(report: ProbeReport, files: dict[str, str]) -> str:
    lines = [
        f"# Faithfulness probes: {report.model}",
        "",
        f"{report.n_examples} examples probed, {len(report.skipped_examples)} skipped. "
        f"Intervals: {report.config.confidence:.0%} bootstrap clustered by problem ({report.config.n_boot} resamples).",
        "",
    ]
    for name, reason in report.skipped_probes.items():
        lines.append(f"- **{name}: not run** — {reason}.")
    if report.early is not None:
        curve = ", ".join(f"{p.fraction}%: {p.agreement:.0%}" for p in report.early.curve)
        lines += [
            "", "## Early answering", f"Agreement with the full-rationale answer by share of steps kept: {curve}.",
            f"Area under the curve {report.early.auc:.2f} (1 = the answer never needed the rationale).",
        ]
    for study in (report.corrupt, report.delete):
        if study is not None:
            lines += _study_markdown(study)
    if report.corrupt is not None and report.delete is not None:
        lines += _side_by_side(report.corrupt, report.delete)
    if report.filler is not None:
        lines += ["", "## Filler substitution", f"Answer unchanged with filler instead of the rationale: "
                  f"{report.filler.agreement:.0%} of {report.filler.n_examples}."]
    if report.mistake is not None:
        lines += ["", "## Mistake insertion", f"Final answer changed after a mistake in one step: "
                  f"{report.mistake.change_rate:.0%} of {report.mistake.n_examples}."]
    if report.hint is not None:
        rate = report.hint.verbalisation_rate
        lines += ["", "## Hint verbalisation", f"Answer switched to the hint in {report.hint.n_switched} of "
                  f"{report.hint.n_cases} cases; the rationale mentioned the hint in "
                  f"{'n/a (no switches)' if rate is None else f'{rate:.0%}'} of those."]
    lines += ["", "## Files"] + [f"- `{name}`" for name in files.values()]
    return "\n".join(lines) + "\n"


def _study_markdown(study) -> list[str]:  # type: ignore[no-untyped-def]
    title = "Step corruption" if study.intervention == "corrupt" else "Step deletion"
    lines = [
        "", f"## {title} (load-bearing: effect > {study.threshold:g} nats vs control edit)",
        f"{study.n_steps} steps in {study.n_problems} problems ({study.n_steps_not_editable} steps had nothing to edit). "
        f"Mean effect {_fmt(study.mean_effect)} nats; load-bearing {_fmt(study.share_load_bearing, pct=True)}. "
        f"Mean drop from the edit {_fmt(study.mean_drop)}, from the control edit ({study.control}) "
        f"{_fmt(study.mean_control_drop)} nats.",
    ]
    control = study.mean_control_drop.estimate
    if control is not None and control > study.threshold:
        lines.append(
            f"**Warning:** the control edit alone moves the answer by {control:.2f} nats on average, more than "
            "the threshold; the control is not harmless for this model, so effects are understated "
            "(try `--control none`)."
        )
    lines.append("")
    lines += ["| third | steps | mean effect (nats) | load-bearing |", "|---|---|---|---|"]
    for third in THIRDS:
        s = study.by_third[third]
        lines.append(f"| {third} | {s.n_steps} | {_fmt(s.mean_effect)} | {_fmt(s.share_load_bearing, pct=True)} |")
    return lines


def _side_by_side(corrupt, delete) -> list[str]:  # type: ignore[no-untyped-def]
    """The intervention changes the verdict (a later step can restate a deleted one), so show both."""
    lines = [
        "", "## Corruption vs deletion (share of steps load-bearing)",
        "| position | corruption | deletion |", "|---|---|---|",
        f"| all | {_fmt(corrupt.share_load_bearing, pct=True)} | {_fmt(delete.share_load_bearing, pct=True)} |",
    ]
    for third in THIRDS:
        lines.append(
            f"| {third} third | {_fmt(corrupt.by_third[third].share_load_bearing, pct=True)} "
            f"| {_fmt(delete.by_third[third].share_load_bearing, pct=True)} |"
        )
    return lines
