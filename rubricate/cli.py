"""The ``rubricate`` command line: a thin layer that parses, calls a part, and prints.

Each command lives in its own module under :mod:`rubricate.commands` and is imported only when
it runs, so ``rubricate check`` does not pay for importing pandas, openai or Textual.

Conventions every command follows:

- stdout carries data only (text or ``--json``); diagnostics go to stderr as one line,
  ``rubricate: error: <what, where, how to fix>``.
- exit codes (:class:`rubricate.errors.ExitCode`): 0 success, 1 the checked thing failed,
  2 usage or input error.
- progress bars are drawn on stderr, transient, and only when stderr is a terminal.
"""

from __future__ import annotations

import importlib
import sys

import click

from rubricate._version import __version__
from rubricate.errors import ExitCode, RubricateError, error_line, exit_code_for
from rubricate.gcpolicy import tune as tune_gc

COMMANDS: dict[str, str] = {
    # name: "module:attribute" under rubricate.commands
    "agreement": "agreement:agreement",
    "baseline": "baseline:baseline_command",
    "cache": "cache:cache",
    "calibrate": "calibrate:calibrate",
    "check": "check:check",
    "compile": "compile:compile_command",
    "edit": "tui:edit_command",
    "export": "export:export_group",
    "grade": "grade:grade_command",
    "init": "init:init",
    "jobs": "jobs:jobs_group",
    "review": "tui:review_command",
    "schema": "schema:schema",
    "serve": "serve:serve_command",
    "validate": "validate:validate_command",
}
"""Every top-level command, mapped to where it is defined. Imported lazily."""


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def __init__(self, *args, lazy: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module_name, attr = self.lazy[cmd_name].split(":")
            module = importlib.import_module(f"rubricate.commands.{module_name}")
            return getattr(module, attr)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rubricate")
def cli() -> None:
    """Author, check, compile, calibrate and export LLM-as-judge rubrics.

    Experts write weighted rubrics in YAML; rubricate compiles them into OpenAI grader JSON,
    runs that same JSON locally, calibrates the judge and exports a ready RFT job.
    """


def _sentence(text: str) -> str:
    """click's message as a clause: lower-case start, no final period, one line."""
    text = " ".join(text.split()).rstrip(".")
    return text[:1].lower() + text[1:] if not text[1:2].isupper() else text


def usage_message(error: click.UsageError) -> str:
    """A usage error as one line: ``calibrate: --repeats: 'x' is ... (see rubricate calibrate
    --help)``, never click's usage block."""
    path = error.ctx.command_path if error.ctx is not None else "rubricate"
    where = path.removeprefix("rubricate").strip()
    if isinstance(error, click.BadParameter) and not isinstance(error, click.MissingParameter):
        param = error.param
        name = error.param_hint if isinstance(error.param_hint, str) else None
        if name is None and param is not None:
            name = param.opts[0] if param.param_type_name == "option" else param.human_readable_name
        what = f"{name}: {_sentence(error.message)}" if name else _sentence(error.message)
    else:
        what = _sentence(error.format_message())
    prefix = f"{where}: " if where else ""
    return f"{prefix}{what} (see {path} --help)"


INTERRUPTED = 130
"""Exit code after Ctrl-C (SIGINT): the shell's 128 + 2, not the usage-error code 2."""


def interrupted_line() -> str:
    """What an interrupted command says on stderr: what was kept and how to resume."""
    from rubricate.judge.store import committed_in_process

    paid = committed_in_process()
    if not paid:
        return "rubricate: interrupted; no model call was paid for in this process"
    calls = "call is" if paid == 1 else "calls are"
    return (
        f"rubricate: interrupted; {paid} paid model {calls} kept in the call store: "
        "rerun the same command to resume without paying for them again"
    )


def run(argv: list[str] | None = None) -> int:
    """Run the command line on ``argv`` and return the exit code (tests call this)."""
    try:
        result = cli.main(args=argv, prog_name="rubricate", standalone_mode=False)
    except RubricateError as error:
        click.echo(error_line(error.msg), err=True)
        return int(exit_code_for(error))
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    except click.Abort as abort:
        # click turns Ctrl-C into Abort (from KeyboardInterrupt); a prompt's EOF is an abort.
        if isinstance(abort.__cause__ or abort.__context__, KeyboardInterrupt):
            click.echo(interrupted_line(), err=True)
            return INTERRUPTED
        click.echo(error_line("aborted"), err=True)
        return int(ExitCode.USAGE)
    except click.UsageError as error:
        click.echo(error_line(usage_message(error)), err=True)
        return int(ExitCode.USAGE)
    except click.ClickException as error:
        click.echo(error_line(_sentence(error.format_message())), err=True)
        return int(error.exit_code)
    except KeyboardInterrupt:
        click.echo(interrupted_line(), err=True)
        return INTERRUPTED
    return int(result) if isinstance(result, int) else int(ExitCode.OK)


def main() -> None:
    """Entry point of the ``rubricate`` console script."""
    tune_gc()  # this process is rubricate's own: fewer young collections (rubricate.gcpolicy)
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
