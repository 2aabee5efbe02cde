"""The rubric format, version 1, as pydantic models.

This module is the format's single source of truth: the loader validates YAML against it,
``rubricate schema`` prints its JSON Schema, compile and lint read it. It does no IO.

A rubric is a list of weighted criteria. A criterion is judged by a model (``text``), checked
deterministically (``check``), both (the check gates the model), or a group of children.

Scoring (see :mod:`rubricate.rubrics.scoring`): each criterion scores in [0, 1] (levels map
to ``level / max_level``); weight-0 criteria are tracked (reported, not scored); a list of
criteria scores ``sum(w * s) / sum(w for w > 0)``; a group's score is that over its children,
clipped to [0, 1]; the rubric's raw score is that over the top-level criteria, mapped onto
``score.range`` and clipped to it, so penalties pull a score down but never below the range.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
"""Ids are lowercase slugs: letters, digits, ``-`` and ``_``, starting with a letter or digit."""

Slug = Annotated[str, Field(pattern=SLUG_PATTERN, min_length=1, max_length=64)]
Tier = Literal["great", "fair", "poor"]


class _Strict(BaseModel):
    """Base of every format model: unknown keys are errors; field docstrings document the schema.

    Numbers are finite: ``.inf`` and ``.nan`` (YAML's infinity and not-a-number) are refused
    wherever a number goes (a weight of ``.inf`` cannot be scored or written in a formula).
    """

    model_config = ConfigDict(
        extra="forbid", use_attribute_docstrings=True, allow_inf_nan=False
    )


# --------------------------------------------------------------------------- checks


class ContainsCheck(_Strict):
    """Passes when the answer contains the text (or all / any of several texts)."""

    contains: str | list[str]
    """Text that must appear in the answer; a list means several texts."""
    case_sensitive: bool = False
    """Match case exactly (default: ignore case)."""
    match: Literal["all", "any"] = "all"
    """With a list: must all texts appear, or is any one enough."""


class RegexCheck(_Strict):
    """Passes when a regular expression (Python syntax) matches somewhere in the answer."""

    regex: str
    """The pattern, searched anywhere in the answer."""
    ignore_case: bool = False
    """Match without regard to case."""


class NumbersCheck(_Strict):
    """Finds amounts in the answer ($1,234.50, 26.67%, 1.2M) and compares them to the expected."""

    numbers: list[str | float]
    """Expected amounts, written as an expert would: "$300,000", "26.67%", 1.2e6."""
    tolerance: float = Field(default=0.005, ge=0)
    """Relative tolerance: |found - expected| <= tolerance * |expected| (0.005 = 0.5 %)."""
    match: Literal["all", "any", "fraction"] = "all"
    """``all``: 1 when every amount is found; ``any``: 1 when one is; ``fraction``: share found."""


class EqualsCheck(_Strict):
    """Passes when a value equals the expected one exactly (after trimming whitespace)."""

    equals: str | int | float | bool
    """Expected value; may be a template such as "{{ item.answer }}"."""
    path: str | None = None
    """Dotted path into the answer parsed as JSON ("total.amount"); none = the whole answer."""
    case_sensitive: bool = True
    """Compare case exactly."""


class SetF1Check(_Strict):
    """Precision, recall or F1 between the answer's label list and the expected labels."""

    set_f1: str | list[str]
    """Expected labels: a list, or a template naming an item field ("{{ item.labels }}")."""
    path: str | None = None
    """Dotted path to the predicted list in the answer parsed as JSON; none = the whole answer
    parsed as a JSON list, or failing that one label per line or comma."""
    metric: Literal["f1", "precision", "recall"] = "f1"
    """Which figure the criterion scores."""
    case_sensitive: bool = False
    """Compare labels case-sensitively (default: case and surrounding space ignored)."""
    fuzzy_threshold: float | None = Field(default=None, ge=0, le=1)
    """Match labels by similarity instead of equality: a predicted and an expected label match
    when their similarity ratio (as ``fuzzy``) is at least this; each label matches at most
    once, best pairs first. For quoted passages, e.g. 0.9."""


class FuzzyCheck(_Strict):
    """Similarity between the answer and a reference text (rapidfuzz ratio in [0, 1])."""

    fuzzy: str
    """Reference text, or a template such as "{{ item.passage }}"."""
    threshold: float | None = Field(default=None, ge=0, le=1)
    """With a threshold the check passes (1) or fails (0); without, it scores the ratio."""


class PythonCheck(_Strict):
    """Inline Python defining ``grade(sample, item) -> float`` in [0, 1].

    Runs with the platform's python grader limits; ``sample["output_text"]`` is the answer.
    """

    python: str
    """Source code that defines ``def grade(sample, item) -> float``."""


Check = (
    ContainsCheck | RegexCheck | NumbersCheck | EqualsCheck | SetF1Check | FuzzyCheck | PythonCheck
)
CHECK_KINDS: dict[str, type[BaseModel]] = {
    "contains": ContainsCheck,
    "regex": RegexCheck,
    "numbers": NumbersCheck,
    "equals": EqualsCheck,
    "set_f1": SetF1Check,
    "fuzzy": FuzzyCheck,
    "python": PythonCheck,
}
"""Check kind (the key that names it in YAML) → model."""


def check_kind(check: Check) -> str:
    """The YAML key that names ``check``'s kind (``"numbers"``, ``"regex"`` ...)."""
    for kind, cls in CHECK_KINDS.items():
        if isinstance(check, cls):
            return kind
    raise TypeError(f"not a check: {check!r}")


def _check_tag(value: Any) -> str | None:
    """The discriminator: the one kind key present in a check mapping (``{numbers: [...]}``)."""
    if isinstance(value, dict):
        kinds = [k for k in CHECK_KINDS if k in value]
        return kinds[0] if len(kinds) == 1 else None
    try:
        return check_kind(value)
    except TypeError:
        return None


CheckField = Annotated[
    Annotated[ContainsCheck, Tag("contains")]
    | Annotated[RegexCheck, Tag("regex")]
    | Annotated[NumbersCheck, Tag("numbers")]
    | Annotated[EqualsCheck, Tag("equals")]
    | Annotated[SetF1Check, Tag("set_f1")]
    | Annotated[FuzzyCheck, Tag("fuzzy")]
    | Annotated[PythonCheck, Tag("python")],
    Discriminator(
        _check_tag,
        custom_error_type="check_kind",
        custom_error_message="a check needs exactly one of the keys: " + ", ".join(CHECK_KINDS),
    ),
]
"""A check in YAML: a mapping whose one kind key (``numbers``, ``regex`` ...) picks the model."""


# --------------------------------------------------------------------------- criteria


class Criterion(_Strict):
    """One weighted criterion, or a group of criteria (``children``)."""

    id: Slug
    """Unique slug; becomes the sub-grader name (``-`` turns into ``_``)."""
    text: str | None = None
    """What the judge decides, written as one checkable statement. For a penalty, describe the
    undesirable behaviour. For a group, an optional title."""
    weight: float
    """Points for meeting it; negative for a penalty; 0 for a tracked criterion that is
    computed and reported (a sub-reward such as precision) but does not count in the score.
    Weights are normalised by the sum of positive weights, so they need not add up to 1."""
    levels: dict[int, str] | None = None
    """Graded instead of met / not met: contiguous integers from 0 to a maximum, each with
    what that level means. Level k scores k / max."""
    check: CheckField | None = None
    """A deterministic check. Alone it replaces the judge; with ``text`` it gates the judge
    (a failed check scores 0 without a model call)."""
    children: list[Criterion] | None = None
    """Makes this a group: its score is the weighted mean of its children."""

    @model_validator(mode="after")
    def _shape(self) -> Criterion:
        if self.children is not None:
            if not self.children:
                raise ValueError("a group needs at least one child in `children`")
            if self.check is not None or self.levels is not None:
                raise ValueError("a group (with `children`) cannot have `check` or `levels`")
        elif self.text is None and self.check is None:
            raise ValueError("needs `text` (judged by a model), `check`, or `children`")
        if self.levels is not None and self.text is None:
            raise ValueError("`levels` need a `text` for the judge to grade against")
        return self

    @property
    def is_group(self) -> bool:
        return self.children is not None

    @property
    def is_judged(self) -> bool:
        """True when a model judges this criterion (it has ``text`` and is not a group)."""
        return not self.is_group and self.text is not None

    @property
    def kind(self) -> Literal["group", "judged", "check", "both"]:
        if self.is_group:
            return "group"
        if self.check is None:
            return "judged"
        return "both" if self.text is not None else "check"

    @property
    def max_level(self) -> int:
        """Highest level (1 for a binary criterion)."""
        return max(self.levels) if self.levels else 1


class ItemCriterion(_Strict):
    """A criterion carried by a dataset item (per-item rubrics): judged only, no checks."""

    id: Slug | None = None
    """Optional slug; items are numbered when absent."""
    text: str
    """What the judge decides."""
    weight: float
    """Points, negative for a penalty."""


# --------------------------------------------------------------------------- settings


class JudgeSettings(_Strict):
    """Which model judges, and how."""

    model: str = "o4-mini-2025-04-16"
    """Grader model name (any model your endpoint serves)."""
    mode: Literal["per_criterion", "holistic"] = "per_criterion"
    """``per_criterion``: a multi grader with one judge call per criterion (most reliable);
    ``holistic``: one score_model call with the whole rubric."""
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high", "xhigh"] | None = None
    """For reasoning models."""
    temperature: float | None = Field(default=None, ge=0, le=2)
    """Sampling temperature (reasoning models ignore it)."""
    top_p: float | None = Field(default=None, gt=0, le=1)
    """Nucleus sampling."""
    seed: int | None = None
    """Sampling seed, where the model honours it."""
    max_completion_tokens: int | None = Field(default=None, gt=0)
    """Cap on the judge's reply, reasoning included."""


class ScoreSettings(_Strict):
    """The range the final score is mapped onto and clipped to."""

    range: tuple[float, float] = (0.0, 1.0)
    """[min, max] of the final score."""

    @field_validator("range")
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not value[0] < value[1]:
            raise ValueError(f"must be [min, max] with min < max, got {list(value)}")
        return value


class Example(_Strict):
    """A few-shot anchor shown to the judge: an answer with its expected verdicts or score."""

    id: Slug | None = None
    """Optional slug; examples are numbered when absent."""
    tier: Tier
    """How good the answer is: great, fair or poor."""
    answer: str
    """The answer text."""
    verdicts: dict[str, bool | int] | None = None
    """Expected verdict per criterion id: true/false, or a level."""
    score: float | None = None
    """Expected overall score (for holistic judging)."""

    @model_validator(mode="after")
    def _has_expectation(self) -> Example:
        if self.verdicts is None and self.score is None:
            raise ValueError("an example needs `verdicts` (per criterion) or `score`")
        return self


class Rubric(_Strict):
    """A rubric file (format version 1)."""

    rubric: Literal[1]
    """Format version; always 1."""
    id: Slug
    """Slug; becomes the grader name."""
    title: str
    """One-line human title."""
    task: str | None = None
    """The prompt the graded model gets; may use ``{{ item.field }}``. When absent the graders
    read ``{{ item.task }}`` from each dataset item."""
    reference: str | None = None
    """The expert solution shown to the judge; may use ``{{ item.field }}``."""
    judge: JudgeSettings = Field(default_factory=JudgeSettings)
    """Judge model and mode."""
    score: ScoreSettings = Field(default_factory=ScoreSettings)
    """Score range."""
    pass_threshold: float | None = None
    """Score at or above which an answer passes (kept out of RFT jobs, which take none)."""
    item_criteria: str | None = None
    """Name of an item field holding per-item criteria (a list of {id, text, weight}); they are
    judged alongside this file's criteria by a holistic grader."""
    criteria: list[Criterion] = Field(default_factory=list)
    """The criteria, in display order."""
    examples: list[Example] = Field(default_factory=list)
    """Few-shot anchors rendered into the judge prompts."""

    @model_validator(mode="after")
    def _has_criteria(self) -> Rubric:
        if not self.criteria and self.item_criteria is None:
            raise ValueError("needs `criteria` (or `item_criteria` naming an item field)")
        return self

    def walk(self) -> list[tuple[tuple[int, ...], Criterion]]:
        """Every criterion, depth first, with its index path.

        ``(2, 0)`` is ``criteria[2].children[0]``.
        """
        out: list[tuple[tuple[int, ...], Criterion]] = []

        def visit(nodes: list[Criterion], prefix: tuple[int, ...]) -> None:
            for i, node in enumerate(nodes):
                out.append(((*prefix, i), node))
                if node.children:
                    visit(node.children, (*prefix, i))

        visit(self.criteria, ())
        return out

    def leaves(self) -> list[Criterion]:
        """Every criterion that is not a group, depth first."""
        return [c for _, c in self.walk() if not c.is_group]
