"""Label tasks: the training label distribution, the skew warning, and ``--balance``.

The reward-hacking trap: when one label dominates the training set, a policy that always
answers it already earns most of the reward an exact-match grader hands out, and RL happily
converges there. So export reports the training label distribution of every *label field* and
warns when it is skewed.

Label fields are item fields the grader compares the answer with as a whole:

- a ``string_check`` (sub-)grader whose ``reference`` or ``input`` is exactly one
  ``{{ item.<field> }}`` reference (the platform's exact-match label grader);
- a rubric check whose expected value is exactly ``{{ item.<field> }}``: ``equals`` (one label
  per item) or ``set_f1`` (a label set per item);
- the field given to ``--balance``.

A class is the field's value: a string, number or boolean as itself; a list as the *set* of its
labels (sorted, JSON), since always answering the most common set is the multi-label trap.

Skew (:data:`SKEW_THRESHOLD`): the warning fires when the most frequent class holds at least
60 % of the training rows. For an exact-match grader that share is the mean reward of the
constant policy "always answer the majority class": at 60 % a policy that learned nothing
already scores 0.6, and the useful signal is the remaining 0.4. A field whose every row has a
distinct class (free-text references) is not a label field in that sense and never warns.

``--balance FIELD`` resamples the *training* rows (never the validation rows) by undersampling:
every class keeps as many rows as the rarest class has, chosen at random with ``--seed``
(default 0), so the same inputs and seed always give the same rows, in their original order.
Undersampling never duplicates a row (duplicates would break the id checks and over-weight a
prompt); the manifest records what was kept and dropped per class.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rubricate.rubrics.model import EqualsCheck, Rubric, SetF1Check
from rubricate.rubrics.problems import Problem

SKEW_THRESHOLD = 0.6
"""Warn when the most frequent training class holds at least this share of the rows."""
_PURE_ITEM = re.compile(r"^\s*\{\{\s*item\.([A-Za-z0-9_-]+)\s*\}\}\s*$")
_MISSING = "<missing>"


def _pure_item_field(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    match = _PURE_ITEM.match(text)
    return match.group(1) if match else None


def _grader_label_fields(grader: Mapping[str, Any]) -> list[str]:
    if grader.get("type") == "multi":
        found: list[str] = []
        for sub in (grader.get("graders") or {}).values():
            if isinstance(sub, Mapping):
                found += _grader_label_fields(sub)
        return found
    if grader.get("type") != "string_check":
        return []
    fields = [_pure_item_field(grader.get(key)) for key in ("reference", "input")]
    return [f for f in fields if f is not None]


def label_fields(rubric: Rubric, grader: Mapping[str, Any]) -> list[str]:
    """The label fields of a rubric and its compiled grader (see the module docstring), in
    the order first found."""
    found = _grader_label_fields(grader)
    for criterion in rubric.leaves():
        check = criterion.check
        if isinstance(check, EqualsCheck):
            found.append(_pure_item_field(check.equals) or "")
        elif isinstance(check, SetF1Check):
            found.append(_pure_item_field(check.set_f1) or "")
    return list(dict.fromkeys(f for f in found if f))


def class_of(value: Any) -> str:
    """The class a label value belongs to: a string as itself, other scalars as JSON text,
    a list as the JSON list of its elements' classes, sorted and without repeats
    (``["b", "a", "a"]`` -> ``'["a", "b"]'``)."""
    if isinstance(value, list):
        return json.dumps(sorted({class_of(v) for v in value}), ensure_ascii=False)
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def distribution(items: Sequence[Mapping[str, Any]], field: str) -> Counter[str]:
    """Rows per class of ``field`` (items without it count as ``<missing>``)."""
    return Counter(class_of(item[field]) if field in item else _MISSING for item in items)


def skew_problem(path: str, field: str, counts: Counter[str]) -> Problem | None:
    """The skew warning for ``field``'s training distribution, or None when it is not skewed
    (or every row is its own class, or there are no rows)."""
    total = sum(counts.values())
    if not total or len(counts) == total:
        return None
    top, n = counts.most_common(1)[0]
    share = n / total
    if share < SKEW_THRESHOLD:
        return None
    message = (
        f"label field {field!r} is skewed: {n} of {total} training rows ({share:.0%}) are "
        f"{top!r}, so always answering it already earns a mean reward of about {share:.2f} "
        f"(the threshold is {SKEW_THRESHOLD:.0%}); the model can learn that shortcut instead "
        f"of the task; rebalance with `--balance {field}` or add rows of the other classes"
    )
    return Problem(path, None, None, "", message, "warning", "label-skew")


@dataclass(frozen=True)
class Balanced:
    """The result of :func:`balance`.

    Attributes:
        keep: indexes of the kept rows, in their original order.
        before: rows per class before.
        after: rows per class after.
        seed: the seed used.
    """

    keep: list[int]
    before: dict[str, int]
    after: dict[str, int]
    seed: int

    def report(self, field: str) -> dict[str, Any]:
        """A JSON-ready record for the manifest."""
        return {
            "field": field,
            "method": "undersample",
            "seed": self.seed,
            "before": self.before,
            "after": self.after,
            "dropped": sum(self.before.values()) - sum(self.after.values()),
        }


def balance(items: Sequence[Mapping[str, Any]], field: str, seed: int = 0) -> Balanced:
    """Undersample ``items`` so every class of ``field`` has as many rows as the rarest one.

    Deterministic: the same items and seed always keep the same rows. Rows without the field
    form their own class (``<missing>``); the template-variable check reports them anyway.
    With fewer than two classes nothing is dropped.
    """
    groups: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        key = class_of(item[field]) if field in item else _MISSING
        groups.setdefault(key, []).append(index)
    before = {k: len(v) for k, v in sorted(groups.items())}
    if len(groups) < 2:
        return Balanced(list(range(len(items))), before, dict(before), seed)
    size = min(len(v) for v in groups.values())
    rng = random.Random(seed)
    keep: list[int] = []
    for key in sorted(groups):
        keep += sorted(rng.sample(groups[key], size))
    keep.sort()
    after = {k: size for k in sorted(groups)}
    return Balanced(keep, before, after, seed)
