"""``rubricate check RUBRIC...``: every problem of every rubric, then an exit code.

Output (stdout; the one-line tally goes to stderr):

- ``text``: one line per problem, ``file:line:col: path: message [rule]``; warnings and
  infos end ``[rule, warning]`` / ``[rule, info]``. Parts that are unknown are left out
  (a missing file has no line).
- ``json`` (or ``--json``): a JSON list of problems (``file line col path message severity
  rule node``), ``[]`` when clean.
- ``github``: GitHub Actions workflow commands, ``::error file=F,line=L,col=C,title=RULE::
  path: message`` (``::warning`` / ``::notice`` for warnings / infos), so problems show as
  annotations on the pull request.

Exit codes: 2 when an input cannot be read at all (a missing, binary, non-UTF-8 or empty file,
a YAML syntax error; also a bad ``--items`` file, reported as one ``rubricate: error:`` line);
otherwise 1 when there is an error (or, with ``--strict``, a warning); else 0. Infos never
fail. A directory argument means its ``rubric.yaml``.

``--platform azure`` adds Azure AI Foundry's rules (:mod:`rubricate.export.rft.azure_lint`:
grader models with a did-you-mean, grader types, metrics, python size and imports) to every rubric
that compiles, as errors with the same one-line messages ``export rft --platform
azure`` prints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from rubricate.commands._common import format_option, note
from rubricate.errors import ExitCode

if TYPE_CHECKING:
    from rubricate.rubrics.problems import Problem


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def github_annotation(problem: Problem) -> str:
    """One problem as a GitHub Actions workflow command."""
    props = [f"file={_escape_property(problem.file)}"]
    if problem.line is not None:
        props.append(f"line={problem.line}")
    if problem.col is not None:
        props.append(f"col={problem.col}")
    props.append(f"title={_escape_property(problem.rule)}")
    message = f"{problem.path}: {problem.message}" if problem.path else problem.message
    return f"::{_GITHUB_LEVEL[problem.severity]} {','.join(props)}::{_escape_data(message)}"


def text_line(problem: Problem) -> str:
    """One problem as a text line."""
    tag = problem.rule if problem.severity == "error" else f"{problem.rule}, {problem.severity}"
    return f"{problem.format()} [{tag}]"


def _target(argument: str) -> str:
    path = Path(argument)
    if path.is_dir() and (path / "rubric.yaml").is_file():
        return str(path / "rubric.yaml")
    return argument


@click.command("check")
@click.argument("rubrics", nargs=-1, required=True, metavar="RUBRIC...")
@click.option(
    "--items",
    "items_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Dataset items (JSONL): check template variables and per-item criteria against them.",
)
@click.option(
    "--platform",
    type=click.Choice(["openai", "azure"]),
    default="openai",
    show_default=True,
    help="Also check the rules of the platform the grader will train on: azure = Azure AI "
    "Foundry's grader models, grader types, metrics and python limits (as `export rft "
    "--platform azure`).",
)
@format_option("text", "json", "github")
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
def check(
    rubrics: tuple[str, ...],
    items_path: Path | None,
    platform: str,
    output_format: str,
    strict: bool,
) -> int:
    """Lint RUBRIC files: schema, ids, weights, checks, templates, wording.

    Prints every problem as file:line:col: path: message. Exit 0 when clean (warnings
    allowed unless --strict), 1 when there are problems, 2 when an input cannot be read.
    """
    from rubricate.rubrics.items import read_items
    from rubricate.rubrics.lint import lint_file
    from rubricate.rubrics.loader import UNREADABLE_RULES
    from rubricate.rubrics.problems import sort_key, summary

    items = read_items(items_path) if items_path is not None else None
    problems = []
    for argument in rubrics:
        found = lint_file(_target(argument), items=items)
        if platform == "azure":
            from rubricate.export.rft.azure_lint import lint_for_azure

            found = sorted(found + lint_for_azure(_target(argument)), key=sort_key)
        problems += found
    if output_format == "json":
        click.echo(json.dumps([p.to_dict() for p in problems], indent=2, ensure_ascii=False))
    else:
        render = github_annotation if output_format == "github" else text_line
        for problem in problems:
            click.echo(render(problem))
    note(summary(problems, len(rubrics)))
    if any(p.rule in UNREADABLE_RULES for p in problems):
        return int(ExitCode.USAGE)
    failing = ("error", "warning") if strict else ("error",)
    if any(p.severity in failing for p in problems):
        return int(ExitCode.FAILED)
    return int(ExitCode.OK)
