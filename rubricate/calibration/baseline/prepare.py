"""Preparing a baseline run: what to sample, from which prompts, graded by which exact grader.

A baseline answers the question the RFT guides ask before any training run: sample the model
you mean to fine-tune several times on each training item, grade every sample with the exact
grader, and look at the spread. :func:`prepare_baseline` does everything but calling a model:

- loads the rubric and compiles it (the target export would choose, or ``target``), serialises
  it with :func:`~rubricate.rubrics.compile.grader_json` and parses those exact bytes back: the
  grader that grades the samples is the one whose bytes (and SHA-256) export writes;
- reads the items and builds each item's RFT row with
  :func:`rubricate.datasets.rft_rows.build_rows`, the same function ``rubricate export rft``
  uses: the samples answer exactly the prompt a training job would send (the rubric's task
  rendered for the item, after an optional developer message; or the item's own
  ``messages``), and the row (the prompt plus the item fields the grader reads) is the
  ``item`` the grader sees, as on the platform;
- checks the items as export does: a missing template variable, invalid per-item criteria, a
  prompt that is not an RFT prompt or a duplicate ``id`` is an :class:`InputError` naming
  the file and line; an item's own prompt that lacks the rubric's task is a warning;
- reads ``--response-format`` (a JSON Schema or a ``json_schema`` response format, as
  ``export rft --response-format`` takes it): the samples are then generated with Structured
  Outputs, as the trained model would be.

:func:`generation_request` is the one place a sample's :class:`ModelRequest` is built; its
``key(sample_index)`` is the call-store key, so every sample is a separate call and a rerun
replays it. Items that carry ``tools`` are sampled without them (the model client has no tool
calling); a warning says so, since RFT would offer the tools.

An item without an ``id`` is named ``line<N>`` after its line in the items file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rubricate.calibration.run.pipeline import PreparedRun, compile_for_run
from rubricate.errors import ExportError, InputError
from rubricate.files import read_bytes
from rubricate.judge.calls import ModelRequest

if TYPE_CHECKING:
    from rubricate.rubrics.compile import Target

REASONING_EFFORTS = ("low", "medium", "high")
"""The ``--reasoning-effort`` values the command accepts."""


@dataclass(frozen=True)
class GenerationSettings:
    """How every sample is generated (the same for every model).

    Attributes:
        temperature: sampling temperature (None: the endpoint's default, as RFT samples).
        reasoning_effort: ``low``, ``medium`` or ``high`` (None: the model's default).
        response_format: the Chat Completions ``json_schema`` response format (None: text).
        max_output_tokens: the output limit of each sample (None: the endpoint's; a local
            server may then write until its context is full).
    """

    temperature: float | None = None
    reasoning_effort: str | None = None
    response_format: dict[str, Any] | None = None
    max_output_tokens: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready description for ``run.json``."""
        return {
            "temperature": self.temperature,
            "reasoning_effort": self.reasoning_effort,
            "response_format": self.response_format,
            "max_output_tokens": self.max_output_tokens,
        }


@dataclass(frozen=True)
class BaselineRequest:
    """What ``rubricate baseline`` was asked (paths as the user gave them)."""

    rubric: Path
    items: Path
    models: tuple[str, ...]
    samples: int = 3
    temperature: float | None = None
    reasoning_effort: str | None = None
    response_format: Path | None = None
    developer: str | None = None
    target: Target | None = None
    out: Path | None = None
    figures: bool = True
    workers: int = 2
    max_output_tokens: int | None = None


@dataclass(frozen=True)
class BaselineItem:
    """One item to sample: its id, its line in the items file, and its RFT row."""

    item_id: str
    line: int
    row: dict[str, Any]


@dataclass(kw_only=True)
class PreparedBaseline(PreparedRun):
    """A baseline, loaded and checked; nothing written, no model called.

    Attributes:
        request: the options.
        items: the RFT rows to sample; ``items_bytes`` the items file as read.
        generation: how each model samples.
    """

    request: BaselineRequest
    items: list[BaselineItem]
    items_bytes: bytes
    generation: GenerationSettings


def generation_request(
    row: dict[str, Any], model: str, generation: GenerationSettings
) -> ModelRequest:
    """The request that samples ``model`` on one RFT row; sample ``i`` is its ``key(i)``."""
    schema = (generation.response_format or {}).get("json_schema")
    return ModelRequest(
        kind="generate",
        model=model,
        messages=tuple(dict(m) for m in row["messages"]),
        temperature=generation.temperature,
        reasoning_effort=generation.reasoning_effort,
        json_schema=dict(schema) if schema else None,
        max_completion_tokens=generation.max_output_tokens,
    )


def _response_format(path: Path | None, rubric_id: str) -> dict[str, Any] | None:
    if path is None:
        return None
    from rubricate.datasets.response_format import read_response_format, response_format_from

    data = read_response_format(path)
    try:
        return response_format_from(data, rubric_id)
    except ExportError as error:
        raise InputError(f"{path}: {error.msg}") from None


def _check_request(request: BaselineRequest) -> None:
    if not request.models:
        raise InputError("baseline needs at least one --model M (the model to sample)")
    seen: set[str] = set()
    for model in request.models:
        if not model.strip():
            raise InputError("--model: an empty model name; give the name the endpoint knows")
        if model in seen:
            raise InputError(f"--model {model} is given twice; give each model once")
        seen.add(model)
    if request.samples < 1:
        raise InputError("--samples must be at least 1 (3 or more to see a spread)")
    if request.reasoning_effort not in (None, *REASONING_EFFORTS):
        raise InputError(
            f"--reasoning-effort {request.reasoning_effort!r}: use {', '.join(REASONING_EFFORTS)}"
        )


def _first_error(problems: list[Any]) -> None:
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InputError(f"{errors[0].format()}{more}")


def _baseline_items(rows: Any) -> list[BaselineItem]:
    from rubricate.datasets.labels import class_of

    items = []
    for row, line in zip(rows.rows, rows.lines, strict=True):
        item_id = class_of(row["id"]) if "id" in row else f"line{line}"
        items.append(BaselineItem(item_id, line, row))
    return items


def prepare_baseline(request: BaselineRequest) -> PreparedBaseline:
    """Load, compile and check everything (see the module docstring).

    Raises:
        InputError / RubricFormatError / GraderError: one line naming file, line and field.
    """
    from rubricate.datasets import checks as dataset_checks
    from rubricate.datasets.rft_rows import build_rows, grader_item_fields, rubric_item_fields
    from rubricate.rubrics.items import read_items
    from rubricate.rubrics.lint import load_checked_rubric

    _check_request(request)
    loaded = load_checked_rubric(request.rubric)
    rubric = loaded.rubric
    compiled = compile_for_run(request.rubric, rubric, request.target)
    grader = compiled["grader"]
    generation = GenerationSettings(
        temperature=request.temperature,
        reasoning_effort=request.reasoning_effort,
        response_format=_response_format(request.response_format, rubric.id),
        max_output_tokens=request.max_output_tokens,
    )
    items = read_items(request.items)
    fields = rubric_item_fields(loaded) | grader_item_fields(grader)
    rows = build_rows(items, task=rubric.task, developer=request.developer, fields=fields)
    _first_error(dataset_checks.item_problems(loaded, items))
    _first_error(rows.problems + dataset_checks.duplicate_ids(rows))
    warnings = [p.format() for p in rows.problems if p.severity != "error"]
    own = sum(1 for item in items.items if "messages" in item)
    if request.developer and own:
        warnings.append(
            f"{items.path}: --developer is not added to the {own} item(s) that carry their own "
            "messages (export rft sends those verbatim too)"
        )
    with_tools = sum(1 for row in rows.rows if row.get("tools"))
    if with_tools:
        warnings.append(
            f"{items.path}: {with_tools} item(s) carry tools; the baseline samples them without "
            "tools (RFT would offer them), so their samples may score lower than training would"
        )
    if request.samples == 1:
        warnings.append("--samples 1: one sample per item shows no spread; use 3 or more")
    return PreparedBaseline(
        **compiled,
        request=request,
        items=_baseline_items(rows),
        items_bytes=read_bytes(request.items, "items file"),
        generation=generation,
        out=request.out or Path("runs") / f"{rubric.id}-baseline",
        warnings=warnings,
    )
