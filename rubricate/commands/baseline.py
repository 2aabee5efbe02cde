"""``rubricate baseline RUBRIC --items ITEMS.jsonl --model M``: is there anything for RFT to learn?

Samples each ``--model`` ``--samples`` times (default 3) on every item, with exactly the prompt an
RFT job would send (the RFT row ``export rft`` builds), through the shared model client (same
concurrency, rate limits, call store and ``--batch``; the sample index is part of every call
key, so a rerun replays for free), grades every sample with the compiled grader (the exact bytes
export writes) through the local runtime, and writes the run directory (``--out``, default
``runs/<rubric id>-baseline``): ``grader.json``, ``rubric.yaml``, ``items.jsonl``, ``run.json``,
``grades.csv``, ``samples.csv``, ``records.jsonl``, ``experts.csv``, ``report.md``,
``report.html`` (self-contained), ``report.json`` and ``figures/``.

The report: the variance study per model (per item mean, max, min and SD over the samples), the
learning-signal verdict (zero-variance, always-minimum and always-maximum items, headroom, the
items to drop or fix), criterion (sub-grader) means side by side (micro and macro averages for
label tasks), reasoning tokens, latency and cost per sample, and the unscored samples.

Generation needs a model endpoint: without one the command exits 2 with one line saying how to
configure it (unlike ``calibrate``, nothing useful runs without it). Exit codes: 0 when the
reports were written; 1 when more than ``--max-unscored`` (default 2%) of the samples are
unscored; 2 with one line for bad input (file, line, field, how to fix), or when the endpoint
cannot be reached or refuses the key (the run stops and keeps what finished).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rubricate.commands._client_options import client_options
from rubricate.commands._common import (
    ProgressBar,
    calls_note,
    check_unscored,
    emit,
    endpoint_notes,
    format_option,
    max_unscored_option,
    target_option,
    warn,
    workers_option,
)
from rubricate.judge.calls import ClientSettings

if TYPE_CHECKING:
    from rubricate.rubrics.compile import Target


def _summary(outcome: Any) -> dict[str, Any]:
    data = outcome.data
    models = {}
    for model in data["models"]:
        summary = data["variance_study"][model]["summary"]
        signal = data["learning_signal"][model]
        models[model] = {
            "overall_mean": summary["overall_mean"],
            "mean_max": summary["mean_max"],
            "mean_variance": summary["mean_variance"],
            "scored_samples": summary["samples"],
            "headroom": signal["headroom"],
            "share_zero_variance": signal["share_zero_variance"],
            "share_all_min": signal["share_all_min"],
            "share_all_max": signal["share_all_max"],
            "status": signal["status"],
            "verdict": signal["verdict"],
            "drop": signal["drop"],
            "fix": signal["fix"],
            "unscored": data["unscored"][model]["count"],
            "reasoning_tokens_mean": data["usage"][model]["reasoning_tokens_mean"],
            "latency_mean_s": data["usage"][model]["latency_mean_s"],
            "generation_cost_usd": data["usage"][model]["generation_cost_usd"],
        }
    return {
        "out": str(outcome.out),
        "status": outcome.manifest["status"],
        "grader_sha256": outcome.manifest["grader_sha256"],
        "samples_per_item": outcome.manifest["samples"],
        "verdict": data["verdict"],
        "models": models,
        "usage": outcome.manifest["usage"],
        "files": [str(p) for p in outcome.files],
    }


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"


def _print_text(summary: dict[str, Any]) -> None:
    click.echo(f"run: {summary['out']} ({summary['status']})")
    for model, row in summary["models"].items():
        click.echo(
            f"{model}: mean {_num(row['overall_mean'])}, mean of max {_num(row['mean_max'])}, "
            f"mean variance {_num(row['mean_variance'], 4)}, headroom {_num(row['headroom'])}; "
            f"zero variance {_pct(row['share_zero_variance'])}, always min "
            f"{_pct(row['share_all_min'])}, always max {_pct(row['share_all_max'])}; "
            f"{row['unscored']} unscored"
        )
        click.echo(f"  verdict: {row['verdict']}")
    reports = [f for f in summary["files"] if Path(f).name.startswith("report.")]
    click.echo(f"reports: {', '.join(reports)}")


@click.command("baseline")
@click.argument("rubric", type=click.Path(path_type=Path))
@click.option(
    "--items",
    "items_path",
    required=True,
    type=click.Path(path_type=Path),
    metavar="ITEMS.jsonl",
    help="Training items (as export rft --train takes them).",
)
@click.option(
    "--model",
    "models",
    multiple=True,
    required=True,
    metavar="M",
    help="Model to sample; repeat to compare models side by side.",
)
@click.option(
    "--samples",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Samples per item and model.",
)
@click.option(
    "--reasoning-effort",
    type=click.Choice(["low", "medium", "high"]),
    default=None,
    help="Reasoning effort of the sampled models [default: the model's].",
)
@click.option(
    "--response-format",
    type=click.Path(path_type=Path),
    default=None,
    metavar="SCHEMA.json",
    help="Structured Outputs for the samples (as for export rft).",
)
@click.option(
    "--temperature",
    type=click.FloatRange(min=0, max=2),
    default=None,
    help="Sampling temperature [default: the endpoint's].",
)
@click.option(
    "--max-output-tokens",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Output limit per sample, reasoning included [default: the endpoint's; a local "
    "server may write until its context is full]. A sample cut at the limit is unscored.",
)
@click.option(
    "--developer",
    default=None,
    metavar="TEXT",
    help="Developer message before built prompts (as for export rft).",
)
@target_option("Compile target [default: the rubric's, as export chooses].")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="Run directory [default: runs/<rubric id>-baseline].",
)
@workers_option
@click.option(
    "--no-figures", is_flag=True, help="Skip the figures (the reports are still written)."
)
@max_unscored_option
@client_options
@format_option("text", "json")
def baseline_command(
    rubric: Path,
    items_path: Path,
    models: tuple[str, ...],
    samples: int,
    reasoning_effort: str | None,
    response_format: Path | None,
    temperature: float | None,
    max_output_tokens: int | None,
    developer: str | None,
    target: Target | None,
    out: Path | None,
    workers: int,
    no_figures: bool,
    max_unscored: float,
    client_settings: ClientSettings,
    output_format: str,
) -> None:
    """Sample models on the training items and grade every sample: the variance study.

    Before an RFT run, checks that the grader gives a learning signal on what the model
    actually writes: per item the mean, max and spread of the reward over --samples samples,
    the items that always score the minimum or the maximum (to drop or fix), criterion means
    side by side for every --model, tokens, latency and cost. Needs a model endpoint.
    Example: rubricate baseline examples/eurovoc/rubric.yaml --items
    examples/eurovoc/train.jsonl --model gpt-4.1-mini --model o4-mini --samples 4
    """  # noqa: D301
    from rubricate.calibration.baseline.execution import execute_baseline
    from rubricate.calibration.baseline.prepare import BaselineRequest, prepare_baseline

    request = BaselineRequest(
        rubric=rubric,
        items=items_path,
        models=tuple(models),
        samples=samples,
        temperature=temperature,
        reasoning_effort=reasoning_effort,
        response_format=response_format,
        developer=developer,
        target=target,
        out=out,
        figures=not no_figures,
        workers=workers,
        max_output_tokens=max_output_tokens,
    )
    prepared = prepare_baseline(request)
    for line in prepared.warnings:
        warn(line)
    bar = ProgressBar("sampling and grading")  # execute_baseline starts and closes it
    outcome = asyncio.run(execute_baseline(prepared, client_settings, progress=bar))
    calls_note("model", outcome.manifest["usage"])
    endpoint_notes(outcome.manifest.get("endpoint"), outcome.manifest.get("judge_replies"))
    emit(_summary(outcome), output_format, _print_text)
    unscored = outcome.data["unscored"].values()
    listed = [e["error"] for u in unscored for e in u["list"]]
    cause = max(set(listed), key=listed.count) if listed else None
    check_unscored(sum(u["count"] for u in unscored), sum(u["samples"] for u in unscored),
                   "samples", max_unscored, cause)  # fmt: skip
