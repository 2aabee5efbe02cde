"""``rubricate compile RUBRIC``: the rubric as OpenAI grader JSON.

- Without ``-o``: the grader JSON (canonical bytes, see
  :func:`rubricate.rubrics.compile.grader_json`) goes to stdout, nothing else.
- With ``-o FILE``: the same bytes are written to FILE (atomically: a temporary file renamed
  over it), and a one-line summary goes to stdout.
- ``--json``: a machine summary on stdout instead: target, grader name, output path, SHA-256
  and size of the bytes, every sub-grader (name, criterion, role, type) and, for ``multi``,
  the formula; without ``-o`` it also holds the grader itself, so nothing is lost.

``--judge-model MODEL`` compiles the rubric judged by MODEL instead of its ``judge.model`` (the
bytes ``rubricate calibrate --judge-model MODEL`` grades and ``rubricate export ... --judge-model
MODEL`` ships). ``--panel A,B,C`` (``--panel-rule majority|mean``) compiles a panel of judges as
one ``multi`` grader (:mod:`rubricate.rubrics.compile.panel`): every judged criterion asked of
each model, the verdicts pooled in ``calculate_output``. Both go through
:func:`rubricate.rubrics.compile.choice.compile_choice`, as every export does.

Every grader is validated against the ``openai`` models before anything is written. Exit 0 on
success; 2 with one line (file, line, field, how to fix) for an unreadable or invalid rubric, a
rubric ``rubricate check`` rejects (its first error), a rubric the target cannot express, or an
output that cannot be written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rubricate.commands._common import emit_json, format_option, judge_options, target_option
from rubricate.errors import InputError
from rubricate.files import write_atomic

if TYPE_CHECKING:
    from rubricate.rubrics.compile import Target


def _write(path: Path, data: bytes) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{path}: folder {folder} does not exist; create it or choose another -o")
    write_atomic(path, data)  # the umask's permissions, like any file the user writes


def _subgraders(grader: dict[str, Any], plan: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    if grader["type"] != "multi":
        return []
    return [
        {"name": name, "criterion": cid, "role": role, "type": grader["graders"][name]["type"]}
        for cid, name, role in plan
    ]


@click.command("compile")
@click.argument("rubric", type=click.Path(path_type=Path))
@target_option(
    "Grader type. Default: score_model for judge.mode holistic or per-item criteria; "
    "python for a rubric of checks only, unless some have weight 0; else multi."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the grader JSON here instead of stdout.",
)
@judge_options
@format_option("text", "json")
def compile_command(
    rubric: Path,
    target: Target | None,
    output: Path | None,
    judge_model: str | None,
    panel: str | None,
    panel_rule: str,
    output_format: str,
) -> None:
    """Compile RUBRIC into the exact grader JSON an RFT job or eval takes."""
    from rubricate.rubrics.compile import subgrader_plan
    from rubricate.rubrics.compile.choice import CompileChoice, compile_choice
    from rubricate.rubrics.compile.panel import panel_plan
    from rubricate.rubrics.lint import load_checked_rubric

    loaded = load_checked_rubric(rubric).rubric
    choice = CompileChoice.from_options(target, judge_model, panel, panel_rule)
    compiled = compile_choice(loaded, choice)
    grader, text, digest = compiled.grader, compiled.text, compiled.sha256
    data = text.encode("utf-8")
    if output is not None:
        _write(output, data)

    plan = subgrader_plan(loaded) if grader["type"] == "multi" else []
    if choice.panel:
        plan = panel_plan(plan, len(choice.panel))
    if output_format == "json":
        summary: dict[str, Any] = {
            "rubric": str(rubric),
            "target": grader["type"],
            "name": grader["name"],
            "output": str(output) if output is not None else None,
            "sha256": digest,
            "bytes": len(data),
            "subgraders": _subgraders(grader, plan),
            "formula": grader.get("calculate_output"),
        }
        if output is None:
            summary["grader"] = json.loads(text)
        emit_json(summary)
    elif output is None:
        click.echo(text, nl=False)
    else:
        parts = f", {len(plan)} sub-graders" if plan else ""
        click.echo(f"{output}: {grader['type']} grader '{grader['name']}'{parts}, sha256 {digest}")
