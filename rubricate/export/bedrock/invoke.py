"""Run ``lambda.zip``'s handler locally, in a separate process, as Lambda invokes it.

:func:`invoke_package` unpacks the zip into a temporary folder and runs
:mod:`.harness` there with ``python -I -S`` (no site-packages: the handler sees only the
standard library and its own package, as on Lambda) and an environment made of only what the
Lambda's would hold: ``OPENAI_BASE_URL``, ``OPENAI_API_KEY`` (from this process's environment,
never written anywhere) and rubricate's ``RUBRICATE_*`` limits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from rubricate.errors import ExportError

PASSED_ENV = ("PATH", "SYSTEMROOT", "TMPDIR", "LANG")


def lambda_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The subprocess's environment: a few OS variables plus ``extra``."""
    env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
    env.update({k: v for k, v in extra.items() if v})
    return env


def invoke_package(
    package: Path,
    events: Sequence[Any],
    env: Mapping[str, str],
    *,
    timeout_s: float | None = None,
) -> list[dict[str, Any]]:
    """One Invoke API response per event (see :mod:`.harness`).

    Raises:
        ExportError: the zip cannot be read, or the handler's process failed (e.g. the handler
            does not import: Lambda's ``Runtime.ImportModuleError``).
    """
    with tempfile.TemporaryDirectory(prefix="rubricate-lambda-") as tmp:
        root = Path(tmp)
        unpacked = root / "task"
        try:
            with zipfile.ZipFile(package) as archive:
                archive.extractall(unpacked)
        except (OSError, zipfile.BadZipFile) as error:
            raise ExportError(f"{package}: not a readable zip ({error})") from None
        requests, responses = root / "events.json", root / "responses.json"
        requests.write_text(json.dumps(list(events)), encoding="utf-8")
        harness = resources.files("rubricate.export.bedrock").joinpath("harness.py")
        with resources.as_file(harness) as script:
            command = [
                sys.executable,
                "-I",
                "-S",
                str(script),
                str(unpacked),
                str(requests),
                str(responses),
            ]
            try:
                done = subprocess.run(
                    command,
                    cwd=unpacked,
                    env=lambda_env(env),
                    capture_output=True,
                    text=True,
                    timeout=timeout_s,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise ExportError(f"{package}: the handler ran past {timeout_s:g} s") from None
        if done.returncode != 0 or not responses.exists():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise ExportError(
                f"{package}: the handler's process failed (exit {done.returncode}): {last}"
            )
        return list(json.loads(responses.read_text(encoding="utf-8")))
