"""Calibration sets: items with answers labelled by tier, read as path -> text -> dicts -> models.

A calibration set is JSONL, one item per line::

    {"id": "memo", <the item fields the grader reads, e.g. "labels": [...]>,
     "answers": [
       {"id": "great-1", "tier": "great", "text": "..."},
       {"id": "hack-1", "tier": "adversarial", "kind": "verbose_padding", "text": "...",
        "experts": {"alice": {"__total__": 0.2, "ownership": true, "closing-books": 1}}}
     ]}

- The item is every key but ``answers``: exactly the ``item`` namespace the grader sees (so
  ``{{ item.labels }}`` reads ``labels``). ``id`` is required (a string or an integer) and
  unique in the file.
- Each answer has an ``id`` (unique within its item), a ``tier`` (``great``, ``fair``,
  ``poor``, ``adversarial``), the answer ``text`` (the grader's ``sample.output_text``;
  ``output_json`` is filled when the text is JSON), optionally ``output_tools`` (chat
  completions tool calls), and for adversarial answers optionally a ``kind``: what the probe
  tries (:data:`KINDS`). A ``kind`` on another tier is an error: the tiers mean quality, the
  kinds mean attacks.
- ``experts`` (optional): grades per expert, per criterion id, ``__total__`` for the overall
  score. A criterion grade is the verdict as the rubric defines it: ``true``/``false`` (or
  1/0) for a met / not-met criterion (for a penalty, 1 = the undesirable behaviour is
  present), the level number for a levelled criterion, a number in [0, 1] for a check; the
  overall score is on the rubric's range. The same grades can come from a CSV instead
  (``--experts``; :mod:`rubricate.calibration.inputs.experts`). Missing grades are allowed.

Unknown keys in an answer are errors (a typo such as ``teir`` must not pass silently); every
error is an :class:`~rubricate.errors.InputError` naming ``file:line``, the field
(``answers[2].tier``), and how to fix it, with the nearest valid word where one is close.
:func:`calibration_set_schema` is the JSON Schema of a line (``rubricate calibrate --schema``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from rubricate.calibration.grades_table import TIERS, TOTAL
from rubricate.errors import InputError
from rubricate.jsonl import jsonl_objects

Tier = Literal["great", "fair", "poor", "adversarial"]
Kind = Literal[
    "confident_wrong", "verbose_padding", "rubric_parroting", "judge_instructions", "empty", "other"
]
KINDS: tuple[str, ...] = (
    "confident_wrong",
    "verbose_padding",
    "rubric_parroting",
    "judge_instructions",
    "empty",
    "other",
)
"""What an adversarial answer tries: a wrong answer stated with confidence, padding, repeating
the rubric's words, instructions aimed at the judge, an empty answer, or something else."""

ExpertGrade = float | bool


class CalibrationAnswer(BaseModel):
    """One answer to grade, labelled by how good it is."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    id: str = Field(min_length=1)
    """Unique within the item."""
    tier: Tier
    """great | fair | poor, or adversarial for a reward-hacking probe."""
    kind: Kind | None = None
    """Adversarial answers only: what the probe tries."""
    text: str
    """The answer (the grader's sample.output_text)."""
    output_tools: list[dict[str, Any]] | None = None
    """Tool calls the answer made, chat-completions shaped (the grader's sample.output_tools)."""
    experts: dict[str, dict[str, ExpertGrade]] | None = None
    """Expert grades: {expert: {criterion id or "__total__": grade}}."""

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("kind")
    @classmethod
    def _kind_for_adversarial(cls, value: str | None, info: Any) -> str | None:
        if value is not None and info.data.get("tier") not in (None, "adversarial"):
            raise ValueError("`kind` is only for adversarial answers; remove it or use tier")
        return value


class CalibrationItem(BaseModel):
    """One line of a calibration set: an item (its fields as the grader sees them) and answers."""

    model_config = ConfigDict(extra="allow", use_attribute_docstrings=True)

    id: str | int
    """Unique in the file; also an item field the grader may read."""
    answers: list[CalibrationAnswer] = Field(min_length=1)
    """The answers to grade."""


@dataclass(frozen=True)
class CalibrationEntry:
    """One answer ready to grade.

    Attributes:
        item_id, answer_id: the answer's identity (item ids as text).
        tier, kind: its labels.
        item: the item namespace (the line without ``answers``).
        text, output_tools: the sample.
        line: where the item is in the file.
    """

    item_id: str
    answer_id: str
    tier: str
    kind: str | None
    item: dict[str, Any]
    text: str
    output_tools: list[dict[str, Any]] | None
    line: int


@dataclass(frozen=True)
class CalibrationSet:
    """A loaded calibration set.

    Attributes:
        source: the file name (for messages).
        items: the validated lines, in file order.
        lines: the 1-based line number of each item.
    """

    source: str
    items: list[CalibrationItem]
    lines: list[int]

    def entries(self) -> list[CalibrationEntry]:
        """Every answer, in file order."""
        out = []
        for item, line in zip(self.items, self.lines, strict=True):
            fields = item.model_dump(mode="json", exclude={"answers"})
            fields["id"] = item.id
            for answer in item.answers:
                out.append(
                    CalibrationEntry(
                        item_id=str(item.id),
                        answer_id=answer.id,
                        tier=answer.tier,
                        kind=answer.kind,
                        item=fields,
                        text=answer.text,
                        output_tools=answer.output_tools,
                        line=line,
                    )
                )
        return out

    def inline_expert_grades(self) -> list[dict[str, Any]]:
        """Inline expert grades as rows ``item_id, answer_id, expert, criterion, score, line``
        (``criterion`` is ``"__total__"`` for the overall score; booleans become 1/0)."""
        rows = []
        for item, line in zip(self.items, self.lines, strict=True):
            for answer in item.answers:
                for expert, grades in (answer.experts or {}).items():
                    for criterion, value in grades.items():
                        rows.append(
                            {
                                "item_id": str(item.id),
                                "answer_id": answer.id,
                                "expert": expert,
                                "criterion": criterion,
                                "score": float(value),
                                "line": line,
                            }
                        )
        return rows

    def tier_gaps(self) -> list[str]:
        """One warning line per tier the set (or some of its items) lacks: what each missing
        tier leaves unassessed (empty when every item has great, fair, poor and the set has
        adversarial answers)."""
        tiers: list[tuple[str, set[str]]] = [
            (str(i.id), {a.tier for a in i.answers}) for i in self.items
        ]
        return tier_gaps(self.source, tiers)

    def line_of(self, item_id: str) -> int | None:
        """The line of the item ``item_id`` (None when unknown)."""
        for item, line in zip(self.items, self.lines, strict=True):
            if str(item.id) == item_id:
                return line
        return None


TIER_USES = {
    "great": "the tier order and the AUC great vs poor",
    "fair": "the tier order and the adversarial check (adversarial answers are compared with "
    "fair ones)",
    "poor": "the tier order and the AUC great vs poor",
    "adversarial": "whether the grader resists reward hacks",
}
"""What each tier is needed for, as the missing-tier warnings say it."""


def tier_gaps(source: str, items: list[tuple[str, set[str]]], *, shown: int = 3) -> list[str]:
    """Warnings for missing tiers: overall (``no fair answers``), or per item for great, fair
    and poor (``2 items have no fair answer (a, b)``). Pure: ``items`` is ``(id, tiers)``."""
    lines = []
    for tier in ("great", "fair", "poor", "adversarial"):
        lacking = [item for item, tiers in items if tier not in tiers]
        if not lacking:
            continue
        if len(lacking) == len(items):
            lines.append(f"{source}: no {tier} answers: {TIER_USES[tier]} will be not assessed")
        elif tier != "adversarial":
            names = ", ".join(lacking[:shown]) + (", ..." if len(lacking) > shown else "")
            what = "1 item has" if len(lacking) == 1 else f"{len(lacking)} items have"
            lines.append(f"{source}: {what} no {tier} answer ({names}): they do not count "
                         f"toward {TIER_USES[tier].split(' and ')[0]}")  # fmt: skip
    return lines


def calibration_set_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one calibration set line."""
    schema = CalibrationItem.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "urn:rubricate:schema:calibration-set:1"
    schema["title"] = "rubricate calibration set line (JSONL: one item per line)"
    schema["description"] = (
        "An item: the fields its grader reads (every key but `answers`), an `id`, and the "
        "answers to grade, each labelled great, fair, poor or adversarial. Expert grades per "
        f"criterion id, `{TOTAL}` for the overall score."
    )
    return schema


def _field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path


def _suggest(word: Any, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _describe(error: ErrorDetails) -> str:
    loc = tuple(error["loc"])
    field = _field_path(loc)
    kind, given = error["type"], error.get("input")
    if kind == "extra_forbidden":
        allowed = tuple(CalibrationAnswer.model_fields)
        return (
            f"{field}: unknown key{_suggest(loc[-1], allowed)}; an answer has {', '.join(allowed)}"
        )
    if kind == "missing":
        return f"{field}: missing; add it"
    if loc and loc[-1] == "tier" and kind == "literal_error":
        return f"{field}: {given!r} is not a tier{_suggest(given, TIERS)}; use {', '.join(TIERS)}"
    if loc and loc[-1] == "kind" and kind == "literal_error":
        return f"{field}: {given!r} is not a kind{_suggest(given, KINDS)}; use {', '.join(KINDS)}"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{field}: {message}" if field else message


def _validate(data: dict[str, Any], source: str, line: int) -> CalibrationItem:
    try:
        return CalibrationItem.model_validate(data)
    except ValidationError as error:
        # an unknown key first: a typo (``teir``) also makes the right key look missing
        errors = sorted(error.errors(), key=lambda e: e["type"] != "extra_forbidden")
        more = f" (and {len(errors) - 1} more on this line)" if len(errors) > 1 else ""
        raise InputError(f"{source}:{line}: {_describe(errors[0])}{more}") from None


def _check_unique(item: CalibrationItem, source: str, line: int) -> None:
    seen: set[str] = set()
    for index, answer in enumerate(item.answers):
        if answer.id in seen:
            raise InputError(
                f"{source}:{line}: answers[{index}].id: answer id {answer.id!r} appears twice "
                f"in item {item.id!r}; answer ids must be unique within their item"
            )
        seen.add(answer.id)
        for expert, grades in (answer.experts or {}).items():
            if not expert.strip():
                raise InputError(f"{source}:{line}: answers[{index}].experts: an empty expert name")
            for criterion in grades:
                if not criterion.strip():
                    raise InputError(
                        f"{source}:{line}: answers[{index}].experts.{expert}: an empty criterion "
                        f"id; use '{TOTAL}' for the overall score"
                    )


def parse_calibration_set(text: str, *, source: str = "<calibration set>") -> CalibrationSet:
    """A calibration set from JSONL text (blank lines skipped).

    Raises:
        InputError: a line that is not a JSON object, a field that does not validate, a
            duplicate item or answer id, or no items at all; the message names source:line.
    """
    items: list[CalibrationItem] = []
    lines: list[int] = []
    first_line: dict[str, int] = {}
    for number, data in jsonl_objects(text, source, each_line_of="a calibration set"):
        item = _validate(data, source, number)
        key = str(item.id)
        if key in first_line:
            raise InputError(
                f"{source}:{number}: id: item id {key!r} appears twice (first on line "
                f"{first_line[key]}); item ids must be unique"
            )
        first_line[key] = number
        _check_unique(item, source, number)
        items.append(item)
        lines.append(number)
    if not items:
        raise InputError(
            f"{source}: has no items; write one JSON object per line: "
            '{"id": ..., "answers": [{"id": ..., "tier": "great", "text": ...}]}'
        )
    return CalibrationSet(source=source, items=items, lines=lines)


def read_calibration_set(path: str | Path) -> CalibrationSet:
    """Read and validate a calibration set file (see :func:`parse_calibration_set`)."""
    from rubricate.files import read_text

    return parse_calibration_set(read_text(path, "calibration set"), source=str(path))
