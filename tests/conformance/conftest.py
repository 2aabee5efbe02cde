"""The conformance suite: every export run inside the real tool it targets.

Each test grades the same (item, sample) pairs twice, once with ``rubricate grade``'s runtime
and once through the real tool (promptfoo, TRL, verl, OpenRLHF's client, verifiers, the
``openai`` SDK's types), and records the outcome with the ``conformance`` fixture:

    def test_promptfoo_eurovoc(conformance):
        ...
        conformance.record("promptfoo", "eurovoc", expected=rewards, actual=tool_rewards)

At the end of the session pytest prints one table, target x example -> equal / differs /
not run (with the reason). Tools are installed by ``.ci/run`` (pinned versions, cached outside
the clone); where a tool is missing a test skips with the install hint, unless
``RUBRICATE_CONFORMANCE=required`` (set by ``.ci/run``), which turns the skip into a failure:
in CI a tool that was not run is never a pass.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

TOLERANCE = 1e-9
"""Rewards from deterministic graders must agree to this absolute difference."""


@dataclass
class Outcome:
    """One cell of the table: a target run on one example."""

    target: str
    example: str
    verdict: str  # "equal" | "differs" | "not run"
    detail: str = ""


@dataclass
class ConformanceLog:
    """Collects every cell; printed by :func:`pytest_terminal_summary`."""

    outcomes: list[Outcome] = field(default_factory=list)

    def record(
        self,
        target: str,
        example: str,
        *,
        expected: Sequence[float | None],
        actual: Sequence[float | None],
        tolerance: float = TOLERANCE,
    ) -> Outcome:
        """Compare two reward lists (``None`` = no reward, e.g. unscored) and log the cell."""
        verdict, detail = compare(expected, actual, tolerance)
        outcome = Outcome(target, example, verdict, detail)
        self.outcomes.append(outcome)
        return outcome

    def not_run(self, target: str, example: str, reason: str) -> None:
        self.outcomes.append(Outcome(target, example, "not run", reason))


def _same(a: float | None, b: float | None, tolerance: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tolerance


def compare(
    expected: Sequence[float | None], actual: Sequence[float | None], tolerance: float
) -> tuple[str, str]:
    """``("equal", "")`` or ``("differs", what differs)``."""
    if len(expected) != len(actual):
        return "differs", f"{len(actual)} rewards, expected {len(expected)}"
    diffs = [
        f"#{i}: {a!r} != {e!r}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True))
        if not _same(e, a, tolerance)
    ]
    if diffs:
        return "differs", "; ".join(diffs[:5])
    return "equal", f"{len(expected)} rewards"


_LOG = ConformanceLog()


def required() -> bool:
    """True in CI: a missing tool fails the test instead of skipping it."""
    return os.environ.get("RUBRICATE_CONFORMANCE") == "required"


def tool_missing(target: str, example: str, reason: str) -> None:
    """Skip (locally) or fail (CI) a test whose real tool is not installed."""
    _LOG.not_run(target, example, reason)
    if required():
        pytest.fail(f"{target}: {reason} (RUBRICATE_CONFORMANCE=required)")
    pytest.skip(f"{target}: {reason}")


@pytest.fixture
def conformance() -> ConformanceLog:
    return _LOG


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _LOG.outcomes:
        return
    tr = terminalreporter
    tr.section("conformance: the exported grader inside the real tool")
    width_t = max(len(o.target) for o in _LOG.outcomes)
    width_e = max(len(o.example) for o in _LOG.outcomes)
    for o in sorted(_LOG.outcomes, key=lambda o: (o.target, o.example)):
        tr.write_line(f"{o.target:<{width_t}}  {o.example:<{width_e}}  {o.verdict:<8}  {o.detail}")
