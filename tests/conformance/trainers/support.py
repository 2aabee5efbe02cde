"""Fixtures and helpers of the trainer conformance tests (TRL, verl, verifiers).

The trainers live in one venv of their own, pinned in ``.ci/trainers.txt`` and built by
``.ci/trainers`` under ``${XDG_CACHE_HOME:-~/.cache}/rubricate-ci/`` (``.ci/run`` calls it
and exports ``RUBRICATE_TRAINERS_PYTHON``). Each test exports a bundle with the real command
line, runs a driver script (``drivers/``) in that venv against the session's loopback judge,
and compares what the trainer received or logged with ``rubricate grade``'s rewards for the
same (item, sample) pairs (:mod:`tests.conformance.trainers.cases`). The session's loopback
judge and the graded cases are fixtures (``conftest.py`` beside this file).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

from rubricate.cli import run as cli
from rubricate.testing import FakeOpenAI
from tests.conformance.conftest import tool_missing
from tests.conformance.trainers.cases import ROOT, Case, tool_env

DRIVERS = Path(__file__).resolve().parent / "drivers"
PINS = ROOT / ".ci" / "trainers.txt"
FLOAT32 = 1e-6
"""TRL and verl hold rewards in float32 tensors: equal means equal to float32 precision."""


def pinned() -> dict[str, str]:
    """Package -> version pinned in ``.ci/trainers.txt``."""
    pins = {}
    for line in PINS.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower()] = version.strip()
    return pins


def default_python() -> Path:
    """Where ``.ci/trainers`` puts the venv for the current pins."""
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha256(PINS.read_bytes()).hexdigest()[:12]
    return cache_home / "rubricate-ci" / f"trainers-{key}" / "bin" / "python"


@cache
def _installed(python: str) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json, sys\n"
        "out = {}\n"
        "for name in sys.argv[1:]:\n"
        "    try: out[name] = m.version(name)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(out))"
    )
    done = subprocess.run(
        [python, "-c", code, *pinned()], capture_output=True, text=True, timeout=120, check=False
    )
    return json.loads(done.stdout) if done.returncode == 0 else {}


def trainer_python(target: str, package: str, example: str) -> Path:
    """The trainers' venv python with ``package`` at its pinned version (else skip, or fail
    under ``RUBRICATE_CONFORMANCE=required``)."""
    given = os.environ.get("RUBRICATE_TRAINERS_PYTHON")
    python = Path(given) if given else default_python()
    want = pinned()[package]
    if not python.exists():
        tool_missing(target, example, f"no trainers venv at {python}; run .ci/trainers")
    have = _installed(str(python)).get(package)
    if have != want:
        tool_missing(target, example, f"{package}=={want} not in {python} (found {have}); "
                     "run .ci/trainers")  # fmt: skip
    return python


def run_driver(
    python: Path, driver: str, spec: dict[str, Any], server: FakeOpenAI, timeout: float = 1800
) -> dict[str, Any]:
    """Run ``drivers/<driver>`` on ``spec`` (written to ``spec['out']/spec.json``) in the
    trainers' venv, with this checkout's rubricate first on the path; its ``result.json``.

    The driver runs in a session of its own: when it overruns or the test is interrupted,
    the whole session (a Ray cluster included) gets SIGTERM, then SIGKILL.
    """
    out = Path(spec["out"])
    out.mkdir(parents=True, exist_ok=True)
    spec_path = out / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    log = out / "driver.log"
    with log.open("w", encoding="utf-8") as sink:
        process = subprocess.Popen(
            [str(python), str(DRIVERS / driver), str(spec_path)],
            env=tool_env(server, PYTHONPATH=str(ROOT)),
            cwd=out,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = process.wait(timeout=timeout)
        except BaseException:
            _stop(process)
            raise
    text = log.read_text(encoding="utf-8", errors="replace")
    assert code == 0, f"{driver} failed (exit {code}; log: {log}):\n{text[-4000:]}"
    return json.loads((out / "result.json").read_text(encoding="utf-8"))


def _stop(process: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def export(kind: str, case: Case, out: Path, *options: str) -> Path:
    """``rubricate export KIND RUBRIC --items ITEMS --out OUT [options]``; the bundle folder."""
    items, _ = case.write(out.parent / f"{case.name}-data")
    code = cli(["export", kind, str(case.rubric), "--items", str(items), "--out", str(out),
                *options])  # fmt: skip
    assert code == 0, f"rubricate export {kind} failed for {case.name}"
    return out
