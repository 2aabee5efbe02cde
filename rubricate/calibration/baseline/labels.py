"""Label tasks in a baseline: precision, recall and F1 per sample, micro- and macro-averaged.

A rubric criterion is a *label task* when its check compares the answer's labels with expected
ones: a ``set_f1`` check (multi-label: a set per item) or an ``equals`` check whose expected
value is exactly one ``{{ item.<field> }}`` (single-label classification). Criteria comparing
the same labels the same way (``f1``, ``precision`` and ``recall`` over one field, say) form
one :class:`LabelTask`.

The answer's and the expected labels are read exactly as the compiled checks read them (the
check library's ``predicted_labels`` / ``expected_labels``, normalised the same way), and
matched one to one (exactly, or fuzzily at ``fuzzy_threshold``, best pairs first). Then, over
the scored samples of one model (an unscored sample is left out, never counted as 0):

- *per sample*: the mean over samples of each sample's precision, recall and F1 (what the
  sub-graders average; sklearn's ``average="samples"``);
- *micro*: precision, recall and F1 of the pooled counts: every matched label is a true
  positive, every unmatched predicted label a false positive, every unmatched expected label a
  false negative;
- *macro*: the unweighted mean over labels (every expected or predicted label) of each label's
  precision, recall and F1, a 0/0 counted as 0 (sklearn's ``zero_division=0``). Only defined
  when labels recur across items (some expected label belongs to two items or more): when every
  item has labels of its own (quoted passages), a per-label average means nothing and macro is
  None.

Edge cases: a sample with no predicted and no expected label has precision and recall 1 (as the
check scores it); no scored sample gives None everywhere.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rubricate.judge.sample import make_sample
from rubricate.rubrics.compile.checklib import answers, labels
from rubricate.rubrics.model import EqualsCheck, Rubric, SetF1Check

_PURE_ITEM = re.compile(r"^\s*\{\{\s*item\.([A-Za-z0-9_-]+)\s*\}\}\s*$")


@dataclass(frozen=True)
class LabelTask:
    """Criteria that compare the same labels the same way.

    Attributes:
        criteria: the criterion ids.
        kind: ``multi`` (set_f1) or ``single`` (equals on an item field).
        config: the check's settings, as the check library takes them.
    """

    criteria: tuple[str, ...]
    kind: str
    config: Mapping[str, Any]

    @property
    def name(self) -> str:
        """The criteria, comma-separated."""
        return ", ".join(self.criteria)


def label_tasks(rubric: Rubric) -> list[LabelTask]:
    """The label tasks of ``rubric`` in criterion order (see the module docstring)."""
    found: dict[tuple[Any, ...], tuple[str, dict[str, Any], list[str]]] = {}
    for criterion in rubric.leaves():
        check = criterion.check
        if isinstance(check, SetF1Check):
            config = {"set_f1": check.set_f1, "path": check.path,
                      "case_sensitive": check.case_sensitive,
                      "fuzzy_threshold": check.fuzzy_threshold}  # fmt: skip
            kind = "multi"
        elif isinstance(check, EqualsCheck) and isinstance(check.equals, str):
            if not _PURE_ITEM.match(check.equals):
                continue
            config = {"equals": check.equals, "path": check.path,
                      "case_sensitive": check.case_sensitive}  # fmt: skip
            kind = "single"
        else:
            continue
        key = (kind, *sorted((k, repr(v)) for k, v in config.items()))
        found.setdefault(key, (kind, config, []))[2].append(criterion.id)
    return [LabelTask(tuple(ids), kind, config) for kind, config, ids in found.values()]


def _single(value: Any) -> list[str]:
    if value is None:
        return []
    return [value.strip() if isinstance(value, str) else answers._as_text(value)]


def sample_labels(task: LabelTask, text: str, item: Mapping[str, Any]) -> tuple[list, list]:
    """``(predicted, expected)`` labels of one answer, normalised as the check compares them.

    A template naming a field the item lacks gives no expected label.
    """
    sample = make_sample(text)
    config = dict(task.config)
    case = bool(config.get("case_sensitive"))
    try:
        if task.kind == "multi":
            predicted = labels.predicted_labels(config, sample)
            expected = labels.expected_labels(config, sample, dict(item))
        else:
            expected = _single(answers.resolve(config["equals"], sample, dict(item)))
            data = answers.json_answer(sample) if config.get("path") else None
            value = (
                answers.get_path(data, config["path"]) if data is not None else None
            ) if config.get("path") else answers.answer_text(sample)  # fmt: skip
            predicted = _single(value)
    except ValueError:
        return [], []

    def norm(values: Iterable[Any]) -> list[str]:
        kept = dict.fromkeys(labels.normal_label(v, case) for v in values)
        return [v for v in kept if v]

    return norm(predicted), norm(expected)


def match_pairs(
    predicted: list[str], expected: list[str], threshold: float | None
) -> list[tuple[int, int]]:
    """One-to-one matches ``(predicted index, expected index)``: equal labels, or pairs whose
    similarity reaches ``threshold``, best first (ties in list order), as the check matches."""
    if threshold is None:
        where = {label: j for j, label in enumerate(expected)}
        return [(i, where[p]) for i, p in enumerate(predicted) if p in where]
    scored = sorted(
        (-labels.fuzzy_ratio(p, e), i, j)
        for i, p in enumerate(predicted)
        for j, e in enumerate(expected)
        if labels.fuzzy_ratio(p, e) >= threshold
    )
    used_p: set[int] = set()
    used_e: set[int] = set()
    pairs = []
    for _, i, j in scored:
        if i not in used_p and j not in used_e:
            used_p.add(i)
            used_e.add(j)
            pairs.append((i, j))
    return pairs


def _prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _as_dict(values: tuple[float, float, float]) -> dict[str, float]:
    return dict(zip(("precision", "recall", "f1"), values, strict=True))


def averages(
    pairs: Iterable[tuple[list[str], list[str], str]], threshold: float | None
) -> dict[str, Any]:
    """Per-sample, micro and macro precision / recall / F1 of labelled answers.

    Args:
        pairs: ``(predicted, expected, item_id)`` per scored sample, normalised labels.
        threshold: the fuzzy matching threshold (None: exact).

    Returns:
        ``{"samples", "labels", "per_sample", "micro", "macro"}``; each average is a
        ``{"precision", "recall", "f1"}`` dict or None (see the module docstring).
    """
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    per_sample: list[tuple[float, float, float]] = []
    owners: dict[str, set[str]] = {}
    for predicted, expected, item_id in pairs:
        matched = match_pairs(predicted, expected, threshold)
        hit_p, hit_e = {i for i, _ in matched}, {j for _, j in matched}
        for _, j in matched:
            tp[expected[j]] += 1
        for i, label in enumerate(predicted):
            if i not in hit_p:
                fp[label] += 1
        for j, label in enumerate(expected):
            owners.setdefault(label, set()).add(item_id)
            if j not in hit_e:
                fn[label] += 1
        precision = len(matched) / len(predicted) if predicted else float(not expected)
        recall = len(matched) / len(expected) if expected else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_sample.append((precision, recall, f1))
    n = len(per_sample)
    if not n:
        return {"samples": 0, "labels": 0, "per_sample": None, "micro": None, "macro": None}
    vocabulary = sorted(set(tp) | set(fp) | set(fn))
    shared = any(len(items) >= 2 for items in owners.values())
    macro = None
    if shared and vocabulary:
        each = [_prf(tp[v], fp[v], fn[v]) for v in vocabulary]
        macro = _as_dict(tuple(sum(col) / len(each) for col in zip(*each, strict=True)))
    return {
        "samples": n,
        "labels": len(vocabulary),
        "per_sample": _as_dict(tuple(sum(col) / n for col in zip(*per_sample, strict=True))),
        "micro": _as_dict(_prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))),
        "macro": macro,
    }
