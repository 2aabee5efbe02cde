"""The error hierarchy and the exit codes of the command line.

::

    RubricateError(msg, title)            base; never raised directly
    ├── InputError                        bad or unreadable input: a file, a flag, a value (exit 2)
    │   └── RubricFormatError             a rubric that does not load; carries every problem
    ├── CheckFailed                       the checked thing failed: lint, a threshold (exit 1)
    ├── GraderError                       a grader config that cannot run (exit 2)
    ├── ModelError                        a model endpoint misbehaved after retries; keeps ``body``
    └── ExportError                       an export that cannot be written (exit 2)

Programmer mistakes stay plain Python exceptions (they are bugs, and show a traceback);
everything a user can cause is a ``RubricateError`` whose ``msg`` is one line that says what is
wrong, where, and how to fix it. The command line prints ``rubricate: error: <msg>`` on stderr
and exits with :func:`exit_code_for`.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of every ``rubricate`` command."""

    OK = 0
    """Success: the command did what was asked and the checked thing passed."""
    FAILED = 1
    """The checked thing failed: lint problems, a missed threshold, a failing grade."""
    USAGE = 2
    """Usage or input error: a bad flag, an unreadable file, invalid data. One-line reason."""


class RubricateError(Exception):
    """Base of every error a user can cause.

    Args:
        msg: one line: what is wrong, where (file:line:col when known) and how to fix it.
        title: a short heading for UIs (the TUI shows it as a toast title).
    """

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, msg: str, title: str | None = None) -> None:
        super().__init__(msg)
        self.msg = msg
        self.title = title or "rubricate error"

    def __str__(self) -> str:
        return self.msg


class InputError(RubricateError):
    """A file, flag or value that cannot be used as given."""


class RubricFormatError(InputError):
    """A rubric that does not load. ``problems`` holds every problem found, not just the first."""

    def __init__(self, msg: str, problems: list | None = None) -> None:
        super().__init__(msg, title="rubric format")
        self.problems = list(problems or [])


class CheckFailed(RubricateError):
    """The checked thing failed (lint problems, a threshold missed)."""

    exit_code = ExitCode.FAILED


class GraderError(RubricateError):
    """A grader config that cannot be run or validated."""


class ModelError(RubricateError):
    """A model endpoint that misbehaved after every retry.

    Args:
        msg: one line for the user; never contains an API key.
        body: the raw response body, kept for the record.
        status_code: the HTTP status, when there was one.
    """

    def __init__(self, msg: str, body: str | None = None, status_code: int | None = None) -> None:
        super().__init__(msg, title="model endpoint")
        self.body = body
        self.status_code = status_code


class ExportError(RubricateError):
    """An export bundle that cannot be written as asked."""


def exit_code_for(error: BaseException) -> ExitCode:
    """Map an exception to the command line's exit code (programmer errors are not mapped)."""
    if isinstance(error, RubricateError):
        return error.exit_code
    return ExitCode.USAGE


def error_line(message: str) -> str:
    """The one line every diagnostic is printed as."""
    return f"rubricate: error: {message}"
