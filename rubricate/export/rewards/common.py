"""What the trainer adapters share: the public grader they run, the error policy, logging.

A reward bundle (``rubricate export trl|verl|verifiers|promptfoo RUBRIC --out DIR``) is
``DIR/grader.json`` (the exact bytes ``rubricate compile`` writes, which calibration graded) and
a module of a few lines that uses only the public API: ``rubricate.load_grader(path,
sha256=...)`` (which refuses a ``grader.json`` whose bytes changed since the export, unless
``RUBRICATE_ALLOW_EDITED_GRADER=1``) and an adapter of :mod:`rubricate.rewards`. Every adapter
grades through a public :class:`rubricate.Grader` (:func:`as_grader`): its ``submit`` /
``score_many``, its running ``stats`` and their recent error rate, its transient-retry policy.

Error policy (a grader error is never a silent 0). A pair that cannot be graded after the
grader's retries (a fresh judge sample for transient failures, ``RUBRICATE_ERROR_RETRIES``,
default 2) is handled per ``RUBRICATE_ON_ERROR``:

- ``raise`` (default): the whole batch is graded and logged first, then
  :class:`UnscoredRewardError` is raised, naming how many failed, by error flag, and the first
  reason. The trainer stops; rerunning replays every judge call already paid from the store.
- ``none`` (alias ``skip``), TRL only: the pair's reward is ``None``, TRL's own "no reward"
  convention. TRL (1.16, the version the conformance suite runs) leaves a None out of the
  weighted sum when another reward function scores the completion, and a completion for which
  every reward function returned None is unscorable: out of its group's baseline, advantage 0
  (the sub-reward functions return None for it too). verl, verifiers and OpenRLHF cannot leave
  one response out, so ``none`` is refused for them.
- ``value:X``: the pair's reward is the float X (e.g. ``value:0``), chosen by you, counted and
  logged, and flagged in verl's per-response info (``rubricate_scored`` = 0).

Whatever the mode, a batch with a failure raises when more than ``RUBRICATE_MAX_ERROR_RATE``
(default 0.5) of the last 256 graded completions failed (once there are 8): a judge endpoint that
is down stops the run instead of training on nothing (verl's default manager grades one response
per call, so the rate is measured over recent calls, not the batch).
Every batch with errors logs one warning on the ``rubricate.reward`` logger with the batch's and
the running counts; ``reward.stats()`` in the bundle module returns the counts.
"""

from __future__ import annotations

import logging
import math
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rubricate.api import Grader, load_grader
from rubricate.errors import InputError, RubricateError
from rubricate.judge.records import GradeRecord

log = logging.getLogger("rubricate.reward")

Mode = Literal["raise", "skip", "value"]


class UnscoredRewardError(RubricateError):
    """Completions that could not be graded, under the ``raise`` policy (or too many of them)."""


@dataclass(frozen=True)
class ErrorPolicy:
    """How unscored pairs become rewards (see the module docstring)."""

    mode: Mode = "raise"
    value: float | None = None
    max_error_rate: float = 0.5

    @classmethod
    def from_env(
        cls, target: str, environ: Mapping[str, str] | None = None, default: str = "raise"
    ) -> ErrorPolicy:
        """The policy from ``RUBRICATE_ON_ERROR`` (else ``default``, the one chosen at export)
        and ``RUBRICATE_MAX_ERROR_RATE``.

        Raises:
            InputError: an unknown mode, a bad number, or ``skip`` for verl.
        """
        env = os.environ if environ is None else environ
        rate_raw = env.get("RUBRICATE_MAX_ERROR_RATE", "0.5")
        try:
            rate = float(rate_raw)
        except ValueError:
            rate = -1.0
        if not 0 <= rate <= 1:
            raise InputError(f"RUBRICATE_MAX_ERROR_RATE={rate_raw!r}: give a share from 0 to 1")
        return cls.parse(env.get("RUBRICATE_ON_ERROR") or default, target, rate)

    @classmethod
    def parse(cls, text: str, target: str, max_error_rate: float = 0.5) -> ErrorPolicy:
        """The policy named ``raise``, ``skip`` or ``value:X`` (``skip`` is refused for verl,
        verifiers and OpenRLHF, which take no missing reward). ``none`` is ``skip`` by the name
        of TRL's convention (a reward function returns ``None``: no reward for that rollout).

        Raises:
            InputError: an unknown mode or a value that is not a finite number.
        """
        raw = text.strip().lower() or "raise"
        if raw == "raise":
            return cls("raise", None, max_error_rate)
        if raw in ("skip", "none"):
            if target in ("verl", "verifiers", "openrlhf"):
                raise InputError(
                    f"on-error skip: {target} cannot leave one response out (a missing or NaN "
                    "reward spoils its whole batch); use raise or value:X"
                )
            return cls("skip", None, max_error_rate)
        if raw.startswith("value:"):
            try:
                value = float(raw.removeprefix("value:"))
            except ValueError:
                value = math.nan
            if math.isfinite(value):
                return cls("value", value, max_error_rate)
        raise InputError(
            f"on-error {raw!r}: choose raise, none (TRL only; also skip) or value:X (a "
            "number), e.g. RUBRICATE_ON_ERROR=value:0"
        )

    def rewards(
        self, records: Sequence[GradeRecord], recent_error_rate: float | None = None
    ) -> list[float | None]:
        """The reward of each record; unscored ones per the mode.

        Args:
            records: one batch.
            recent_error_rate: the share of recent pairs that failed, batch included (None:
                too few to tell; the batch alone is then judged when it has 8 pairs or more).

        Raises:
            UnscoredRewardError: ``raise`` mode with any unscored record, or too many of them.
        """
        failed = [r for r in records if not r.scored]
        rate = recent_error_rate
        if rate is None and len(records) >= 8:
            rate = len(failed) / len(records)
        too_many = rate is not None and rate > self.max_error_rate
        if failed and (self.mode == "raise" or too_many):
            why = "" if self.mode == "raise" else " (over RUBRICATE_MAX_ERROR_RATE)"
            raise UnscoredRewardError(
                f"{error_summary(failed, len(records))}{why}; first: {failed[0].error}. "
                "Set RUBRICATE_ON_ERROR=skip or value:X to train on; rerunning replays stored "
                "judge calls"
            )
        fallback = self.value if self.mode == "value" else None
        return [r.reward if r.scored else fallback for r in records]


def error_summary(failed: Sequence[GradeRecord], total: int) -> str:
    """``"3 of 64 completions could not be graded (model_grader_parse_error: 2, ...)"``."""
    flags: Counter[str] = Counter()
    for record in failed:
        flags.update(record.metadata.errors.flags() or ["other_error"])
    listed = ", ".join(f"{flag}: {n}" for flag, n in flags.most_common())
    return f"{len(failed)} of {total} completions could not be graded ({listed})"


def log_batch(records: Sequence[GradeRecord], grader: Grader) -> None:
    """One warning for a batch with unscored records, with the running totals."""
    failed = [r for r in records if not r.scored]
    if failed:
        stats = grader.stats
        log.warning(
            "rubricate reward: %s; first: %s; %d unscored of %d graded so far",
            error_summary(failed, len(records)),
            failed[0].error,
            stats.unscored,
            stats.pairs,
        )


def as_grader(grader: Grader | Mapping[str, Any]) -> Grader:
    """``grader`` itself, or a :class:`~rubricate.Grader` for grader JSON configured from the
    environment (``rubricate.load_grader(grader)``: :func:`rubricate.settings_from_env`,
    ``RUBRICATE_PYTHON_WORKERS``, ``RUBRICATE_BATCH_CONCURRENCY``, ``RUBRICATE_ERROR_RETRIES``);
    nothing starts until the first grade.

    Raises:
        InputError: not a valid grader, or a bad environment variable.
    """
    return grader if isinstance(grader, Grader) else load_grader(grader)


def sub_grader_names(grader: Grader) -> list[str]:
    """Names of the sub-graders of a ``multi`` grader (none otherwise)."""
    graders = grader.json.get("graders") if grader.json.get("type") == "multi" else None
    return list(graders) if isinstance(graders, dict) else []


def message_text(message: Mapping[str, Any]) -> str:
    """The text of a chat message: a string ``content``, or its text parts joined."""
    content = message.get("content")
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "") if isinstance(part, Mapping) else str(part) for part in content
        )
    return str(content)


def completion_output(completion: Any, index: int) -> tuple[str, list | None]:
    """``(output_text, output_tools)`` of one trainer completion.

    A string is the text. A conversational completion (a list of messages, TRL's
    conversational format) is its last assistant message (the last message when none has a
    role), with that message's ``tool_calls``. A single message dict counts as a list of one.

    Raises:
        InputError: anything else (the message names the completion's index).
    """
    if isinstance(completion, str):
        return completion, None
    if isinstance(completion, Mapping):
        completion = [completion]
    if isinstance(completion, list) and all(isinstance(m, Mapping) for m in completion):
        if not completion:
            return "", None
        replies = [m for m in completion if m.get("role", "assistant") == "assistant"]
        message = replies[-1] if replies else completion[-1]
        tools = message.get("tool_calls")
        return message_text(message), list(tools) if isinstance(tools, list) else None
    raise InputError(
        f"completion {index} is a {type(completion).__name__}: expected a string or a list of "
        'chat messages ({"role": "assistant", "content": ...})'
    )
