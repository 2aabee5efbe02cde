"""``rubricate grade GRADER_OR_RUBRIC --items ITEMS.jsonl --samples SAMPLES.jsonl``.

Runs a grader (an OpenAI grader JSON file, or a rubric compiled on the fly) on every sample
with the local runtime, exactly as a training job would grade it, and prints a summary: how
many samples, how many scored, the mean reward over scored samples only, each sub-grader's
mean, error counts by flag, and how many judge results fell outside their range and were
clipped (unscored and left out of the mean unless ``--score-clipped``). How samples match
items, and which grader files are accepted: :mod:`rubricate.commands._grade_inputs`.

- ``--out FILE``: one JSON line per sample, in the samples' order: ``item_id``,
  ``sample_line`` and the grade record (``reward``, ``sub_rewards``, ``metadata`` with the
  platform's error flags, ``scored``, ``error``, ``clipped``, every model call's exact prompt
  and raw reply, python graders' output). Without ``--out`` and with ``--json`` the records
  are in the JSON output instead, so nothing is lost.
- ``--json``: the summary (and the records, without ``--out``) as JSON on stdout.
- ``--workers N``: python-grader worker processes; ``--repeat I``: the repeat index of every
  model call (another sample from the judge; the same index replays from the call store).
- ``--remote``: also send every pair to the API's graders-run endpoint and print local and
  remote rewards side by side (see :mod:`rubricate.commands._grade_remote`).
- Model graders use the client options (``--base-url``, ``--concurrency``, ...). With no
  endpoint configured they are not run: their records say so, and a warning counts them.

Exit 0 when the run completes with at most ``--max-unscored`` (default 2%) of the samples
unscored (errors, or model graders that could not run): more is exit 1, with one line naming
the most frequent cause; 2 with one line for unreadable or invalid input (file, line, field
and how to fix), or for an endpoint that cannot be reached or refuses the key.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import click

from rubricate.commands._client_options import client_options
from rubricate.commands._common import (
    check_unscored,
    emit_json,
    endpoint_notes,
    format_option,
    max_unscored_option,
    note,
    progress_bar,
    score_clipped_option,
    warn,
    workers_option,
)
from rubricate.commands._grade_inputs import Pair, load_grader, pair_up
from rubricate.commands._grade_report import (
    compare,
    render_comparison,
    render_summary,
    summarize,
)
from rubricate.errors import GraderError
from rubricate.judge.calls import ClientSettings
from rubricate.judge.graders.kinds import uses_models
from rubricate.judge.records import GradeRecord


def _check(grader: dict[str, Any], path: Path) -> None:
    from rubricate.judge.validate import find_problems

    problems = find_problems(grader)
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        if problem.severity == "warning":
            warn(f"{path}: {str(problem).removeprefix('warning: ')}")
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise GraderError(f"{path}: {errors[0]}{more}")


async def _run(
    grader: dict[str, Any],
    pairs: list[Pair],
    settings: ClientSettings,
    *,
    workers: int,
    repeat: int,
    remote: bool,
    score_clipped: bool = False,
) -> tuple[list[GradeRecord], list[dict[str, Any]] | None, list[str]]:
    from rubricate.judge.client import open_client
    from rubricate.judge.runtime import Runtime, pairs_at_once
    from rubricate.judge.sample import make_sample
    from rubricate.rubrics.compile.own_checks import runner

    client = open_client(settings) if uses_models(grader) else None
    if client is None and uses_models(grader):
        warn(
            "no model endpoint configured: model graders will not run (set OPENAI_API_KEY, "
            "or --base-url / OPENAI_BASE_URL for a local server)"
        )
    runnable = [(p.item, make_sample(p.sample_text, p.sample_tools)) for p in pairs]
    usage: list[str] = []  # the stderr lines on the model calls: what they used, their pace
    runtime: Runtime | None = None
    try:
        async with Runtime(
            client, python_workers=workers, score_clipped=score_clipped, own_checks=runner()
        ) as runtime:
            with progress_bar("grading", total=len(pairs)) as bar:
                records = await runtime.grade_many(
                    grader,
                    runnable,
                    repeat=repeat,
                    progress=bar,
                    # batch mode submits what is queued: every call must be queued at once
                    concurrency=len(runnable)
                    if settings.batch
                    else pairs_at_once(grader, settings.concurrency),
                )
    finally:
        if client is not None:
            if client.usage.calls or client.usage.cached:
                pace = client.usage.pace()  # None: no live call to pace
                usage = [f"model calls: {client.usage.summary()}"]
                usage += [f"model pace: {pace.line()}"] if pace is not None else []
            tally = runtime.judge_format.as_dict() if runtime is not None else None
            endpoint_notes(client.endpoint_report(), tally)
            await client.aclose()
    answers = None
    if remote:
        from rubricate.commands._grade_remote import run_remote

        if any(p.sample_tools for p in pairs):
            warn("--remote sends output_text only: the graders-run endpoint takes no tool calls")
        with progress_bar("grading remotely", total=len(pairs)) as bar:
            answers = await run_remote(grader, pairs, settings, bar)
    return records, answers, usage


def _write_records(
    path: Path, pairs: list[Pair], records: list[GradeRecord], answers: list | None
) -> None:
    lines = []
    for index, (pair, record) in enumerate(zip(pairs, records, strict=True)):
        # {"item_id", "sample_line", the record's fields..., "remote"?}: the record serialised
        # by pydantic in one pass (~4x faster than json.dumps of model_dump, same JSON, NaN
        # included: rubricate.judge.records.JSON_CONFIG)
        head = json.dumps({"item_id": pair.item_id, "sample_line": pair.sample_line},
                          ensure_ascii=False)  # fmt: skip
        line = f"{head[:-1]}, {record.model_dump_json()[1:]}"
        if answers is not None:
            line = f'{line[:-1]}, "remote": {json.dumps(answers[index], ensure_ascii=False)}}}'
        lines.append(line)
    from rubricate.files import write_text

    write_text(path, "\n".join(lines) + "\n")


@click.command("grade")
@click.argument("grader_or_rubric", type=click.Path(path_type=Path))
@click.option(
    "--items",
    required=True,
    type=click.Path(path_type=Path),
    help="Dataset items, JSONL (the item namespace).",
)
@click.option(
    "--samples",
    required=True,
    type=click.Path(path_type=Path),
    help='Model outputs, JSONL: {"output_text", "item_id"?, "output_tools"?}.',
)
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write one JSON record per sample here.",
)
@workers_option
@click.option(
    "--repeat",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Repeat index of the model calls (another judge sample; the same index replays).",
)
@click.option("--remote", is_flag=True, help="Also run the API's graders-run endpoint; compare.")
@max_unscored_option
@score_clipped_option
@client_options
@format_option("text", "json")
def grade_command(
    grader_or_rubric: Path,
    items: Path,
    samples: Path,
    out: Path | None,
    workers: int,
    repeat: int,
    remote: bool,
    max_unscored: float,
    score_clipped: bool,
    client_settings: ClientSettings,
    output_format: str,
) -> None:
    """Grade SAMPLES (answers to ITEMS) with a grader JSON or a rubric, locally.

    GRADER_OR_RUBRIC is an OpenAI grader JSON file, or a rubric (.yaml) compiled on the fly.
    Samples match items by item_id (the item's "id") when every sample has one, else by line
    order. Prints the mean reward over scored samples only, per sub-grader means and error
    counts; --out keeps one JSON record per sample with every judge prompt and raw reply.
    """
    grader, source = load_grader(grader_or_rubric)
    _check(grader, grader_or_rubric)
    pairs = pair_up(items, samples)
    records, answers, usage = asyncio.run(
        _run(grader, pairs, client_settings, workers=workers, repeat=repeat, remote=remote,
             score_clipped=score_clipped)  # fmt: skip
    )
    if out is not None:
        _write_records(out, pairs, records, answers)
    summary = summarize(records, score_clipped=score_clipped)
    comparison = compare(records, answers) if answers is not None else None
    if summary["not_run"]:
        warn(f"{summary['not_run']} samples were not graded by a model: no endpoint configured")
    for line in usage:
        note(line)
    if output_format == "json":
        data: dict[str, Any] = {
            "grader": {"type": grader.get("type"), "name": grader.get("name"), "source": source},
            "summary": summary,
            "out": str(out) if out is not None else None,
        }
        if comparison is not None:
            data["remote"] = comparison
        if out is None:
            data["records"] = [
                {"item_id": p.item_id, "sample_line": p.sample_line, **r.model_dump(mode="json")}
                for p, r in zip(pairs, records, strict=True)
            ]
        emit_json(data)
        _check_scored(summary, records, max_unscored)
        return
    for line in render_summary(summary, grader, source):
        click.echo(line)
    if comparison is not None:
        click.echo("")
        labels = [f"{samples.name}:{p.sample_line}" for p in pairs]
        for line in render_comparison(comparison, labels):
            click.echo(line)
    if out is not None:
        click.echo(f"records: {out}")
    _check_scored(summary, records, max_unscored)


def _check_scored(summary: dict[str, Any], records: list[GradeRecord], limit: float) -> None:
    causes = Counter(r.error for r in records if not r.scored and r.error)
    cause = causes.most_common(1)[0][0] if causes else None
    check_unscored(summary["unscored"], summary["count"], "samples", limit, cause)
