"""Validate grader JSON against the ``openai`` package's own pydantic models.

Each grader is validated with its type's model (``openai.types.graders.*``), and the
top-level grader with ``ReinforcementMethod(grader=...)``, the model of a fine-tuning job's
``method.reinforcement``. On top of the models, which accept unknown keys (``extra="allow"``),
this module refuses:

- any key the model does not define, at any depth (a typo such as ``"refrence"`` would
  otherwise pass and be ignored by the platform);
- a ``score_model`` ``range`` that is not two numbers ``[low, high]`` with low < high;
- a ``python`` source that does not compile, defines no top-level ``grade``, or exceeds the
  platform's 256 kB;
- a ``multi`` whose ``graders`` is not a non-empty map of identifier names to graders (a
  nested ``multi`` included), or whose ``calculate_output`` strays from the platform's grammar
  or names a sub-grader that does not exist.

Where the SDK's types are wrong (a ``multi``'s ``graders`` map): :mod:`.sdk_gaps`. Each entry
of the map is validated on its own, and ``MultiGrader`` / ``ReinforcementMethod`` are given
:func:`~.sdk_gaps.sdk_view_of_grader`: every other field is checked exactly.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from rubricate import pysource
from rubricate.errors import GraderError
from rubricate.rubrics.compile.formula import check_formula
from rubricate.rubrics.compile.names import FORMULA_FUNCTIONS
from rubricate.rubrics.compile.sdk_gaps import MULTI_GRADERS_MAP, sdk_view_of_grader

MAX_PYTHON_SOURCE = 256 * 1024
"""The platform's limit on a python grader's source, in bytes."""
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _models() -> dict[str, Any]:
    # Deferred: importing openai costs ~0.5 s, which compile itself does not need.
    from openai.types.graders import (
        LabelModelGrader,
        MultiGrader,
        PythonGrader,
        ScoreModelGrader,
        StringCheckGrader,
        TextSimilarityGrader,
    )

    return {
        "string_check": StringCheckGrader,
        "text_similarity": TextSimilarityGrader,
        "python": PythonGrader,
        "score_model": ScoreModelGrader,
        "label_model": LabelModelGrader,
        "multi": MultiGrader,
    }


def _problems(error: Any) -> str:
    parts = []
    for problem in error.errors()[:4]:
        loc = ".".join(str(p) for p in problem["loc"])
        parts.append(f"{loc}: {problem['msg']}" if loc else problem["msg"])
    more = len(error.errors()) - 4
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _extra_keys(model: Any, where: str) -> list[str]:
    from pydantic import BaseModel

    found = [f"{where}.{k}" for k in (model.model_extra or {})]
    for field in type(model).model_fields:
        value = getattr(model, field)
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            if isinstance(item, BaseModel):
                sub = f"{where}.{field}" + (f"[{i}]" if isinstance(value, list) else "")
                found += _extra_keys(item, sub)
    return found


def _validate_model(model_cls: Any, data: dict[str, Any], where: str) -> None:
    from pydantic import ValidationError

    try:
        model = model_cls.model_validate(data)
    except ValidationError as error:
        raise GraderError(
            f"{where}: rejected by openai's {model_cls.__name__}: {_problems(error)}"
        ) from None
    extra = _extra_keys(model, where)
    if extra:
        raise GraderError(
            f"{where}: unknown keys {', '.join(extra)} ({model_cls.__name__} defines no such "
            "field; the platform would ignore or refuse them)"
        )


def _check_semantics(grader: dict[str, Any], where: str) -> None:
    kind = grader.get("type")
    if kind == "score_model" and "range" in grader and grader["range"] is not None:
        low_high = grader["range"]
        if len(low_high) != 2 or not low_high[0] < low_high[1]:
            raise GraderError(f"{where}.range: must be [low, high] with low < high, got {low_high}")
    if kind == "python":
        source = grader["source"]
        if len(source.encode("utf-8")) > MAX_PYTHON_SOURCE:
            raise GraderError(f"{where}.source: longer than the platform's 256 kB limit")
        try:
            tree = pysource.parse(source)
        except SyntaxError as error:
            raise GraderError(
                f"{where}.source: line {error.lineno}: syntax error: {error.msg}"
            ) from None
        if not any(isinstance(n, ast.FunctionDef) and n.name == "grade" for n in tree.body):
            raise GraderError(f"{where}.source: defines no top-level `def grade(sample, item)`")


def _validate_single(grader: Any, where: str, nested: bool) -> None:
    if not isinstance(grader, dict):
        raise GraderError(f"{where}: a grader must be a JSON object, got {type(grader).__name__}")
    models = _models()
    kind = grader.get("type")
    if kind not in models or (nested and kind == "multi"):
        allowed = [k for k in models if not (nested and k == "multi")]
        raise GraderError(f"{where}.type: must be one of {', '.join(allowed)}, got {kind!r}")
    if kind != "multi":
        _validate_model(models[kind], grader, where)
        _check_semantics(grader, where)


def validate_grader(grader: dict[str, Any]) -> None:
    """Raise :class:`GraderError` unless ``grader`` is a grader the platform accepts.

    Raises:
        GraderError: one line naming where (``grader.graders.ownership.input[0].role``) and
            what is wrong.
    """
    from openai.types.fine_tuning.reinforcement_method import ReinforcementMethod

    _validate_single(grader, "grader", nested=False)
    top = grader
    if grader["type"] == "multi":
        subs = grader.get("graders")
        if not isinstance(subs, dict) or not subs or isinstance(subs.get("type"), str):
            raise GraderError(
                "grader.graders: must be a non-empty map from sub-grader name to grader, "
                'as in {"ownership": {"type": "score_model", ...}} (the API takes a map: '
                f"{MULTI_GRADERS_MAP})"
            )
        for name, sub in subs.items():
            if not _IDENTIFIER.match(name) or name in FORMULA_FUNCTIONS:
                raise GraderError(
                    f"grader.graders: '{name}' is not a usable name in calculate_output "
                    "(use letters, digits and _, not starting with a digit, not a function name)"
                )
            _validate_single(sub, f"grader.graders.{name}", nested=True)
        top = sdk_view_of_grader(grader)
        _validate_model(_models()["multi"], top, "grader")
        check_formula(grader["calculate_output"], frozenset(subs))
    _validate_model(ReinforcementMethod, {"grader": top}, "reinforcement method")
