"""Reinforcement fine-tuning hyperparameters: ``--hyperparameters key=value``, range-checked.

The accepted keys are exactly the fields of the SDK's
``openai.types.fine_tuning.ReinforcementHyperparameters``. Their domains are those the API
spec declares (openai/openai-openapi ``openapi.yaml``, ``FineTuneReinforcementHyperparameters``,
sharing ``n_epochs``/``batch_size``/``learning_rate_multiplier`` with the supervised method):

=============================  =============================================================
key                            values
=============================  =============================================================
``n_epochs``                   ``auto`` or an integer 1 to 50
``batch_size``                 ``auto`` or an integer 1 to 256
``learning_rate_multiplier``   ``auto`` or a number > 0
``eval_interval``              ``auto`` or an integer >= 1 (training steps between evals)
``eval_samples``               ``auto`` or an integer >= 1 (samples per evaluation)
``compute_multiplier``         ``auto`` or a number > 0.00001 and <= 10
``reasoning_effort``           ``default``, ``low``, ``medium`` or ``high`` (no ``auto``)
=============================  =============================================================

Azure OpenAI documents the same four RFT-specific keys (``eval_interval``, ``eval_samples``,
``compute_multiplier``, ``reasoning_effort``), all defaulting to ``auto``/``medium``, the
service filling ``auto`` from heuristics on the data (Azure OpenAI, "Reinforcement
fine-tuning", "Hyperparameter selection").

Values are parsed from text: ``auto`` stays the string, integers must be written as integers
(``2``, not ``2.5``; ``2.0`` is accepted as 2), numbers may use exponents (``1e-1``). Every
problem is collected (one message each, naming the key, the value and the allowed domain),
so a command reports them all together.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Domain:
    """What one hyperparameter accepts."""

    kind: Literal["integer", "number", "enum"]
    low: float | None = None
    """Lower bound (``None``: none)."""
    low_exclusive: bool = False
    high: float | None = None
    """Upper bound, inclusive (``None``: none)."""
    values: tuple[str, ...] = ()
    """For ``enum``: the allowed values."""
    auto: bool = True
    """Whether ``"auto"`` is accepted."""

    def describe(self) -> str:
        """The domain in words, e.g. ``"auto" or an integer from 1 to 50``."""
        if self.kind == "enum":
            return "one of " + ", ".join(self.values)
        noun = "an integer" if self.kind == "integer" else "a number"
        if self.low is not None and self.high is not None and not self.low_exclusive:
            bounds = f" from {self.low:g} to {self.high:g}"
        else:
            parts = []
            if self.low is not None:
                parts.append(f"{'>' if self.low_exclusive else '>='} {self.low:g}")
            if self.high is not None:
                parts.append(f"<= {self.high:g}")
            bounds = " " + " and ".join(parts) if parts else ""
        return ('"auto" or ' if self.auto else "") + noun + bounds


DOMAINS: dict[str, Domain] = {
    "n_epochs": Domain("integer", 1, high=50),
    "batch_size": Domain("integer", 1, high=256),
    "learning_rate_multiplier": Domain("number", 0, low_exclusive=True),
    "eval_interval": Domain("integer", 1),
    "eval_samples": Domain("integer", 1),
    "compute_multiplier": Domain("number", 0.00001, low_exclusive=True, high=10),
    "reasoning_effort": Domain("enum", values=("default", "low", "medium", "high"), auto=False),
}
"""Every reinforcement hyperparameter and its documented domain."""


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def check_value(key: str, value: Any) -> tuple[Any, str | None]:
    """Parse and range-check one value (text from the command line, or JSON).

    Returns:
        ``(value, None)`` with the value in its JSON type, or ``(None, problem)``.
    """
    domain = DOMAINS[key]
    text = value.strip() if isinstance(value, str) else value
    bad = f"{key}={value}: must be {domain.describe()}"
    if domain.kind == "enum":
        return (text, None) if text in domain.values else (None, bad)
    if text == "auto":
        return ("auto", None) if domain.auto else (None, bad)
    if isinstance(text, bool):
        return None, bad
    number = float(text) if isinstance(text, int | float) else _number(str(text))
    if number is None or not math.isfinite(number):
        return None, bad
    if domain.kind == "integer":
        if number != int(number):
            return None, bad
        number = int(number)
    if domain.low is not None and (
        number <= domain.low if domain.low_exclusive else number < domain.low
    ):
        return None, bad
    if domain.high is not None and number > domain.high:
        return None, bad
    return number, None


def parse_hyperparameters(pairs: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Parse ``key=value`` strings into reinforcement hyperparameters.

    A later pair overrides an earlier one for the same key. Unknown keys get a did-you-mean.

    Returns:
        ``(hyperparameters, problems)``: the parsed values (keys in :data:`DOMAINS` order) and
        one message per problem (empty when all are good).
    """
    parsed: dict[str, Any] = {}
    problems: list[str] = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key or not value.strip():
            problems.append(f"{pair!r}: write key=value, e.g. n_epochs=2")
            continue
        if key not in DOMAINS:
            close = difflib.get_close_matches(key, DOMAINS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(
                f"{key}: not a reinforcement hyperparameter{hint}; the keys are "
                + ", ".join(DOMAINS)
            )
            continue
        checked, problem = check_value(key, value)
        if problem is not None:
            problems.append(problem)
        else:
            parsed[key] = checked
    return {k: parsed[k] for k in DOMAINS if k in parsed}, problems


def batch_warning(hyperparameters: dict[str, Any], train_rows: int) -> str | None:
    """A warning when ``batch_size`` exceeds the training rows (one batch would need more rows
    than there are; the API documents no rule, so this is a warning, not an error)."""
    batch = hyperparameters.get("batch_size")
    if isinstance(batch, int) and batch > train_rows:
        return f"batch_size={batch} is larger than the {train_rows} training rows"
    return None
