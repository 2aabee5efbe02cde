"""Pieces every command shares: options, output formats, JSON output, stderr lines, progress bars.

Commands print data on stdout and nothing else; diagnostics and progress go to stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

F = TypeVar("F", bound=Callable[..., Any])


def format_option(*choices: str, default: str = "text") -> Callable[[F], F]:
    """``--format CHOICE`` plus ``--json`` as shorthand for ``--format json``.

    The command receives one argument, ``output_format``.
    """
    names = choices or ("text", "json")

    def decorate(func: F) -> F:
        func = click.option(
            "--json",
            "output_format",
            flag_value="json",
            help="Shorthand for --format json.",
        )(func)
        func = click.option(
            "--format",
            "output_format",
            type=click.Choice(names),
            default=default,
            show_default=True,
            help="Output format.",
        )(func)
        return func

    return decorate


COMPILE_TARGETS = ("multi", "score_model", "python")
"""The ``--target`` choices: :data:`rubricate.rubrics.compile.TARGETS`, written out so that a
command's options do not import the compiler."""


def target_option(help: str) -> Callable[[F], F]:
    """``--target multi|score_model|python``; None (the default) lets the rubric choose."""
    return click.option(
        "--target", type=click.Choice(list(COMPILE_TARGETS)), default=None, help=help
    )


def judge_options(func: F) -> F:
    """``--judge-model MODEL``, ``--panel A,B,C`` and ``--panel-rule majority|mean``: which
    judge(s) the compiled grader asks, as ``rubricate compile`` and ``rubricate calibrate`` take
    them (the command builds a :class:`~rubricate.rubrics.compile.choice.CompileChoice` of
    them). The command receives ``judge_model``, ``panel`` and ``panel_rule``."""
    func = click.option(
        "--panel-rule",
        type=click.Choice(["majority", "mean"]),
        default="majority",
        show_default=True,
        help="How the panel pools verdicts: majority per met/not met criterion (levels: mean), "
        "or the mean everywhere.",
    )(func)
    func = click.option(
        "--panel",
        default=None,
        metavar="MODEL_A,MODEL_B[,...]",
        help="A panel of judges as one multi grader: each judged criterion asked of every "
        "model (as `compile --panel`).",
    )(func)
    return click.option(
        "--judge-model",
        default=None,
        metavar="MODEL",
        help="Compile with this judge model instead of the rubric's judge.model "
        "(as `compile --judge-model` and `calibrate --judge-model`).",
    )(func)


def _set_sandbox(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    import os

    if value:
        os.environ["RUBRICATE_SANDBOX"] = value


sandbox_option = click.option(
    "--sandbox",
    type=click.Choice(["required", "best-effort"]),
    default=None,
    expose_value=False,
    callback=_set_sandbox,
    help="Python graders' isolation: 'required' refuses to run them without bubblewrap; "
    "'best-effort' runs them anyway with a warning [default: $RUBRICATE_SANDBOX, else "
    "best-effort].",
)
"""``--sandbox required|best-effort``: sets ``RUBRICATE_SANDBOX`` for the run (so every
worker process sees it; see :mod:`rubricate.judge.sandbox.isolation`)."""


def workers_option(function: F) -> F:
    """``--workers N``: python-grader worker processes of the local runtime (default 2);
    with ``--sandbox``."""
    function = click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=2,
        show_default=True,
        help="Python-grader worker processes.",
    )(function)
    return sandbox_option(function)

score_clipped_option = click.option(
    "--score-clipped",
    is_flag=True,
    help="Count a judge result outside its range as scored, at the clipped value the platform "
    "uses. Default: unscored (flag model_grader_clipped), counted, left out of every mean.",
)
"""``--score-clipped``: clipped judge results count as scored (see
:func:`rubricate.judge.graders.base.clip`)."""


MAX_UNSCORED = 0.02
"""Default ``--max-unscored``: the share of unscored grades the calibration report flags."""

max_unscored_option = click.option(
    "--max-unscored",
    type=click.FloatRange(0, 1),
    default=MAX_UNSCORED,
    show_default=True,
    metavar="SHARE",
    help="Exit 1 when more than SHARE (0 to 1) of the grades are unscored (errors, graders "
    "that could not run): a trainer would read them as zeros.",
)
"""``--max-unscored SHARE`` of ``grade``, ``calibrate`` and ``baseline``."""


def check_unscored(
    unscored: int, total: int, what: str, limit: float, cause: str | None = None
) -> None:
    """Raise :class:`~rubricate.errors.CheckFailed` (exit 1) when more than ``limit`` of
    ``total`` ``what`` are unscored; the line names the most frequent cause."""
    from rubricate.errors import CheckFailed

    if not total or unscored / total <= limit:
        return
    reason = f": {cause}" if cause else ""
    raise CheckFailed(
        f"{unscored} of {total} {what} ({100 * unscored / total:.0f}%) are unscored (limit "
        f"{100 * limit:g}%, --max-unscored){reason}"
    )


def emit(data: Any, output_format: str, print_text: Callable[[Any], None]) -> None:
    """``data`` as JSON on stdout with ``--format json``, else ``print_text(data)``."""
    if output_format == "json":
        emit_json(data)
    else:
        print_text(data)


def emit_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout (pydantic models are dumped first)."""
    if hasattr(data, "model_dump"):
        data = data.model_dump(mode="json")
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def warn(message: str) -> None:
    """One warning line on stderr."""
    click.echo(f"rubricate: warning: {message}", err=True)


def note(message: str) -> None:
    """One informational line on stderr (never on stdout, which carries data only)."""
    click.echo(f"rubricate: {message}", err=True)


def calls_note(what: str, usage: dict[str, Any]) -> None:
    """One stderr line on a run's model calls: made, replayed, cost and wall time."""
    cost = f"~${usage['cost_usd']:.4f}"
    if usage.get("local") and not usage["cost_usd"]:
        cost = "local: no cost"
    earlier = usage.get("replayed_cost_usd") or 0.0
    if earlier:
        cost += f" (the replayed answers cost ~${earlier:.4f} when they were made)"
    orphaned = usage.get("orphaned") or 0
    lost = f", {orphaned} made again after a killed process (possibly paid twice)" * bool(orphaned)
    note(
        f"{what} calls: {usage['calls']} made, {usage['cached']} replayed from the store{lost}, "
        f"{cost}, {usage['wall_s']:.1f}s"
    )
    if usage.get("pace"):  # None: no live call to pace (every one replayed or batched)
        from rubricate.judge.usage import Pace

        note(f"{what} pace: {Pace(**usage['pace']).line()}")


def endpoint_notes(endpoint: dict[str, Any] | None, judge_replies: dict[str, Any] | None) -> None:
    """Stderr lines on what the run learned of its endpoint (a refused response format, role
    or limit name) and, as a warning, on judge replies that did not parse."""
    for model, profile in sorted(((endpoint or {}).get("models") or {}).items()):
        for line in profile.get("learned") or []:
            note(f"endpoint ({model}): {line}")
    if judge_replies and judge_replies.get("unparsed"):
        from rubricate.judge.judge_format import FormatTally

        warn(FormatTally(**judge_replies_fields(judge_replies)).note() or "")


def judge_replies_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data[k] for k in ("replies", "unparsed", "examples") if k in data}


class ProgressBar:
    """A transient rich progress bar on stderr; silent when stderr is not a terminal.

    Implements the core's progress protocol (:class:`rubricate.progress.Progress`).
    """

    def __init__(self, description: str, total: int | None = None) -> None:
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self.description = description
        self.total = total
        if sys.stderr.isatty():
            # Deferred: rich is only needed when a terminal will show the bar.
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )

    def start(self, total: int | None = None, description: str | None = None) -> None:
        if total is not None:
            self.total = total
        if description is not None:
            self.description = description
        if self._bar is not None:
            self._bar.start()
            self._task = self._bar.add_task(self.description, total=self.total)

    def advance(self, n: int = 1) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, n)

    def update(self, total: int | None = None, description: str | None = None) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, total=total, description=description)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


@contextmanager
def progress_bar(description: str, total: int | None = None) -> Iterator[ProgressBar]:
    """``with progress_bar("grading", total=n) as bar: ... bar.advance()``."""
    bar = ProgressBar(description, total)
    bar.start()
    try:
        yield bar
    finally:
        bar.close()
