"""``rubricate validate GRADER.json [--remote]``: is this grader one the platform takes?

Local checks, without running the grader:

- keys that appear twice in one JSON object (JSON keeps the last: a sub-grader silently lost);
- the static validation of the runtime (:func:`rubricate.judge.validate.validate_grader`):
  grader types, required fields, template variables, ``calculate_output`` names, ranges,
  python source that compiles, defines ``grade(sample, item)`` with two parameters and stays
  under 256 kB, imports the platform's image lacks (a warning), ...;
- the ``openai`` package's own models (:func:`rubricate.rubrics.compile.validate.
  validate_grader`: each grader type's model and ``ReinforcementMethod``, unknown keys refused,
  a ``multi`` grader's ``graders`` map checked entry by entry).

``--remote`` also asks the API (``fine_tuning.alpha.graders.validate``, through the SDK, with
``OPENAI_API_KEY`` / ``OPENAI_BASE_URL``; see :mod:`rubricate.export.platforms.validate_remote`); a
refusal is a problem like the others, any other failure of the call is an error (exit 2).

Exit 0 when no error was found (warnings allowed), 1 when there are errors, 2 when the file
cannot be read or is not JSON. stdout: one line per problem and a verdict, or with ``--json``
``{"file", "ok", "errors", "warnings", "remote"}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from rubricate.commands._client_options import endpoint_options
from rubricate.commands._common import emit_json, format_option
from rubricate.errors import CheckFailed, InputError
from rubricate.judge.calls import ClientSettings


def _read(path: Path) -> tuple[Any, list[str]]:
    from rubricate.files import read_text

    text = read_text(path, "grader JSON file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{path}:{error.lineno}:{error.colno}: not valid JSON ({error.msg}); a grader JSON "
            "file is one JSON document"
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: a grader is a JSON object ({{...}}), got {type(data).__name__}")
    from rubricate.judge.validate import duplicate_keys

    return data, duplicate_keys(text)


def local_problems(grader: dict[str, Any]) -> tuple[list[str], list[str]]:
    """``(errors, warnings)`` of the local checks, one line each."""
    from rubricate.errors import GraderError
    from rubricate.judge.validate import validate_grader as static_problems
    from rubricate.rubrics.compile.validate import validate_grader as against_openai

    found = static_problems(grader)
    errors = [p for p in found if not p.startswith("warning: ")]
    warnings = [p.removeprefix("warning: ") for p in found if p.startswith("warning: ")]
    try:
        against_openai(grader)
    except GraderError as error:
        errors.append(f"openai models: {error.msg}")
    return errors, warnings


@click.command("validate")
@click.argument("grader_file", metavar="GRADER.json", type=click.Path(path_type=Path))
@click.option("--remote", is_flag=True, help="Also ask the API's graders validate endpoint.")
@endpoint_options
@format_option("text", "json")
def validate_command(
    grader_file: Path, remote: bool, client_settings: ClientSettings, output_format: str
) -> None:
    """Check GRADER.json locally (and with --remote, by the API)."""
    grader, repeated = _read(grader_file)
    errors, warnings = local_problems(grader)
    errors = repeated + errors
    remote_result: dict[str, Any] = {"checked": False, "ok": None, "message": None}
    if remote:
        from rubricate.export.platforms.sdk import open_sdk
        from rubricate.export.platforms.validate_remote import validate_remote

        client, provider = open_sdk(client_settings)
        with client:
            verdict = validate_remote(client, provider, grader)
        remote_result = {"checked": True, "ok": verdict.ok, "message": verdict.message}
        if not verdict.ok:
            errors.append(f"remote: {verdict.message}")
    ok = not errors
    if output_format == "json":
        emit_json(
            {
                "file": str(grader_file),
                "ok": ok,
                "errors": errors,
                "warnings": warnings,
                "remote": remote_result,
            }
        )
    else:
        for line in errors:
            click.echo(f"{grader_file}: {line}")
        for line in warnings:
            click.echo(f"{grader_file}: warning: {line}")
        kind = grader.get("type", "?")
        where = " locally and by the API" if remote_result["checked"] else ""
        if ok:
            click.echo(f"{grader_file}: {kind} grader '{grader.get('name')}' is valid{where}")
    if not ok:
        n = len(errors)
        raise CheckFailed(f"{grader_file}: {n} problem{'s' if n > 1 else ''}")
