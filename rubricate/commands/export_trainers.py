"""``rubricate export promptfoo|trl|verl|verifiers RUBRIC --out DIR``: the grader for
open-source tools.

Each writes, into ``--out DIR`` (created when missing; other files left alone; each file
written atomically), a bundle whose module runs ``DIR/grader.json`` (byte for byte what
``rubricate compile`` writes and calibration grades) through rubricate's local runtime:

- ``promptfoo``: ``promptfooconfig.yaml`` (one test per item), ``prompt.json``,
  ``rubricate_assert.py`` (a promptfoo python assertion), ``grader.json``, ``README.md``.
  Items: ``--items``, else ``items.jsonl`` next to the rubric (required: promptfoo needs
  tests). ``--pass-threshold`` overrides the rubric's ``pass_threshold``; with neither, 0.5
  and a warning. ``--provider`` (repeatable) names the models compared.
- ``trl``: ``reward.py`` (a ``GRPOTrainer`` reward function, one per sub-grader,
  ``reward_funcs``, ``reward_weights``), ``grader.json``, ``README.md``; with ``--items``,
  ``dataset.jsonl`` (``prompt`` + item fields).
- ``verl``: ``reward.py`` (``compute_score``, ``compute_score_async``,
  ``compute_score_batch``), ``grader.json``, ``README.md``; with ``--items``, ``dataset.jsonl``
  in verl's row shape.
- ``verifiers``: ``rubricate_<rubric id>.py`` (``load_environment``: a ``vf.SingleTurnEnv``
  whose ``Rubric`` runs the grader), ``grader.json``, ``dataset.jsonl``, ``pyproject.toml``,
  ``README.md``. Items: ``--items``, else ``items.jsonl`` next to the rubric (required).

``--on-error`` (``trl``, ``verl``, ``verifiers``) is the error policy the module starts with.
``--judge-model MODEL`` and ``--panel A,B,C`` (``--panel-rule``) choose the judge(s) as
``rubricate compile`` does (the same bytes: :func:`rubricate.rubrics.compile.choice.
compile_choice`), so ``grader.json`` is the grader ``rubricate calibrate`` ran with those options.

Modules, data formats and the error policy: :mod:`rubricate.export.rewards.bundle`,
:mod:`rubricate.export.rewards.trl`, :mod:`rubricate.export.rewards.verl`,
:mod:`rubricate.export.rewards.verifiers`,
:mod:`rubricate.export.rewards.promptfoo`.
stdout: one summary line, or with ``--json`` ``{"out", "target", "files", "grader"}``. Exit 2
with one line for an unreadable or invalid rubric or items file, or an unwritable folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rubricate.commands._common import (
    emit_json,
    format_option,
    judge_options,
    target_option,
    warn,
)
from rubricate.errors import InputError

if TYPE_CHECKING:
    from rubricate.rubrics.compile import Target

_TARGET = target_option("Grader type. Default: the rubric's choice, as `rubricate compile`.")
_OUT = click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Bundle folder (created when missing).",
)


def _items(
    path: Path | None,
    rubric: Path,
    *,
    required: bool,
    why: str = "promptfoo runs one test per item",
) -> Any:
    from rubricate.rubrics.items import read_items

    if path is not None:
        return read_items(path)
    default = rubric.parent / "items.jsonl"
    if default.is_file():
        return read_items(default)
    if required:
        raise InputError(
            f"{rubric}: no items.jsonl next to the rubric; pass --items ITEMS.jsonl ({why})"
        )
    return None


def _write(out: Path, files: dict[str, bytes], target: str, compiled: Any, fmt: str) -> None:
    from rubricate.export.rft.bundle import write_files

    write_files(out, files)
    if fmt == "json":
        emit_json(
            {
                "out": str(out),
                "target": target,
                "files": {name: str(out / name) for name in files},
                "grader": {
                    "name": compiled.name,
                    "type": compiled.grader["type"],
                    "sha256": compiled.sha256,
                },
            }
        )
        return
    click.echo(
        f"{out}: {target} bundle for {compiled.grader['type']} grader '{compiled.name}' "
        f"(sha256 {compiled.sha256}): {', '.join(files)}"
    )


def _load(
    rubric: Path, target: Target | None, judge_model: str | None, panel: str | None, rule: str
) -> tuple[Any, Any]:
    from rubricate.export.rewards.bundle import compile_for_bundle
    from rubricate.rubrics.compile.choice import CompileChoice
    from rubricate.rubrics.lint import load_checked_rubric

    choice = CompileChoice.from_options(target, judge_model, panel, rule)
    loaded = load_checked_rubric(rubric)
    return loaded, compile_for_bundle(loaded, choice=choice)


@click.command("promptfoo")
@click.argument("rubric", type=click.Path(path_type=Path))
@_OUT
@click.option(
    "--items",
    type=click.Path(path_type=Path),
    default=None,
    help="Items (JSONL), one test each [default: items.jsonl next to the rubric].",
)
@click.option(
    "--provider",
    "providers",
    multiple=True,
    default=("openai:gpt-4.1-mini",),
    show_default=True,
    help="promptfoo provider id of a model to evaluate (repeatable).",
)
@click.option(
    "--pass-threshold",
    type=float,
    default=None,
    help="Score at which a test passes [default: the rubric's pass_threshold, else 0.5].",
)
@_TARGET
@judge_options
@format_option("text", "json")
def promptfoo_command(
    rubric: Path,
    out: Path,
    items: Path | None,
    providers: tuple[str, ...],
    pass_threshold: float | None,
    target: Target | None,
    judge_model: str | None,
    panel: str | None,
    panel_rule: str,
    output_format: str,
) -> None:
    """Write a promptfoo config whose assertion runs RUBRIC's grader, into --out."""
    from rubricate.export.rewards.bundle import promptfoo_files
    from rubricate.export.rewards.promptfoo import DEFAULT_THRESHOLD

    loaded, compiled = _load(rubric, target, judge_model, panel, panel_rule)
    rows = _items(items, rubric, required=True)
    threshold = pass_threshold if pass_threshold is not None else loaded.rubric.pass_threshold
    if threshold is None:
        warn(
            f"{rubric}: no pass_threshold; promptfoo tests pass at score >= {DEFAULT_THRESHOLD} "
            "(set pass_threshold in the rubric, or --pass-threshold)"
        )
        threshold = DEFAULT_THRESHOLD
    files = promptfoo_files(loaded, compiled, rows, providers=list(providers), threshold=threshold)
    _write(out, files, "promptfoo", compiled, output_format)


_ON_ERROR = {
    "trl": "raise (stop the run), none (TRL's 'no reward': None) or value:X",
    "verl": "raise (stop the run) or value:X (verl takes no missing reward)",
}


def _trainer_command(kind: str, label: str) -> click.Command:
    @click.command(kind)
    @click.argument("rubric", type=click.Path(path_type=Path))
    @_OUT
    @click.option(
        "--items",
        type=click.Path(path_type=Path),
        default=None,
        help=f"Items (JSONL): also write dataset.jsonl in {label}'s row format.",
    )
    @click.option(
        "--on-error",
        default="raise",
        show_default=True,
        help=f"A completion that cannot be graded: {_ON_ERROR[kind]} (RUBRICATE_ON_ERROR "
        "overrides it where the module runs).",
    )
    @_TARGET
    @judge_options
    @format_option("text", "json")
    def command(
        rubric: Path,
        out: Path,
        items: Path | None,
        on_error: str,
        target: Target | None,
        judge_model: str | None,
        panel: str | None,
        panel_rule: str,
        output_format: str,
    ) -> None:
        from rubricate.export.rewards.bundle import trainer_files

        loaded, compiled = _load(rubric, target, judge_model, panel, panel_rule)
        rows = _items(items, rubric, required=False) if items is not None else None
        files = trainer_files(kind, loaded, compiled, rows, on_error)
        _write(out, files, kind, compiled, output_format)

    command.help = (
        f"Write a {label} reward module running RUBRIC's grader (reward.py + grader.json) "
        "into --out."
    )
    return command


@click.command("verifiers")
@click.argument("rubric", type=click.Path(path_type=Path))
@_OUT
@click.option(
    "--items",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Items (JSONL), the environment's dataset [default: items.jsonl next to the rubric].",
)
@click.option(
    "--on-error",
    default="raise",
    show_default=True,
    help="A rollout that cannot be graded: raise (stop the run) or value:X (its reward and "
    "criterion metrics are X, rubricate_scored 0); RUBRICATE_ON_ERROR overrides it.",
)
@_TARGET
@judge_options
@format_option("text", "json")
def verifiers_command(
    rubric: Path,
    out: Path,
    items: Path | None,
    on_error: str,
    target: Target | None,
    judge_model: str | None,
    panel: str | None,
    panel_rule: str,
    output_format: str,
) -> None:
    """Write a verifiers environment (a Rubric running RUBRIC's grader) into --out."""
    from rubricate.export.rewards.bundle import verifiers_files

    loaded, compiled = _load(rubric, target, judge_model, panel, panel_rule)
    rows = _items(items, rubric, required=True, why="the environment's dataset")
    files = verifiers_files(loaded, compiled, rows, on_error)
    _write(out, files, "verifiers", compiled, output_format)


trl_command = _trainer_command("trl", "TRL")
verl_command = _trainer_command("verl", "verl")
