"""The exact keyword arguments of ``client.fine_tuning.jobs.create`` for an RFT job.

::

    {"model": "o4-mini-2025-04-16",
     "training_file": "TRAINING_FILE_ID", "validation_file": "VALIDATION_FILE_ID",
     "suffix": "...", "seed": 7,                       # when given
     "method": {"type": "reinforcement",
                "reinforcement": {"grader": {...},
                                  "response_format": {...},     # when given
                                  "hyperparameters": {...}}}}   # when given

(``jobs.create(model, training_file, validation_file, suffix, seed, method, ...)``, the SDK's
``openai.types.fine_tuning.job_create_params.JobCreateParams``; ``method.type`` is
``"reinforcement"`` and ``method.reinforcement`` the ``ReinforcementMethod`` config.) The two
file ids are placeholders until submit uploads the files (:func:`fill_files`).

``response_format`` sits in ``method.reinforcement``, in the Chat Completions ``json_schema``
shape, as OpenAI's RFT guide creates its example job; see
:mod:`~rubricate.datasets.response_format`.

The grader: the platform's RFT graders take no ``pass_threshold`` (that field belongs to the
evals graders), so :func:`without_pass_threshold` drops it from the job's copy. Compile never
emits one, so the job's grader equals ``grader.json`` byte for byte in practice; the manifest
records any removal.

Validation (:func:`validate_payload`) uses the ``openai`` package's own types throughout: the
grader through :func:`rubricate.rubrics.compile.validate.validate_grader` (each grader type's
model and ``ReinforcementMethod``), the hyperparameters against
``ReinforcementHyperparameters`` and the documented ranges (:mod:`.hyperparameters`), and
the whole payload against ``JobCreateParams``, refusing keys the types do not define. Where
those types are wrong about the API (a ``multi``'s ``graders`` map, ``response_format`` in
``method.reinforcement``), the checks see the SDK view built by
:mod:`rubricate.rubrics.compile.sdk_gaps`; the payload sent is never changed.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from rubricate.datasets.response_format import check_response_format
from rubricate.errors import ExportError
from rubricate.export.rft.hyperparameters import DOMAINS, check_value
from rubricate.rubrics.compile.sdk_gaps import (
    UNDECLARED_REINFORCEMENT_KEYS as UNDECLARED_KEYS,
)
from rubricate.rubrics.compile.sdk_gaps import sdk_view_of_reinforcement

TRAINING_FILE = "TRAINING_FILE_ID"
"""Placeholder for the training file id, replaced at submit."""
VALIDATION_FILE = "VALIDATION_FILE_ID"
"""Placeholder for the validation file id, replaced at submit."""
SUFFIX_MAX = 64
"""``suffix``: a string of up to 64 characters (API reference)."""
SEED_MAX = 2_147_483_647
"""``seed``: an integer from 0 to 2147483647 (openai-openapi ``CreateFineTuningJobRequest``)."""
_UNION_TAG = re.compile(r"^(str|int|float|bool|none|.*\[.*\]|function-.*|typed-dict)$")
"""pydantic's names for union members in an error location (``model.str``), left out."""


def without_pass_threshold(grader: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A copy of ``grader`` without any ``pass_threshold`` (sub-graders included), and the
    paths removed (``grader.graders.f1.pass_threshold``)."""
    removed: list[str] = []

    def strip(node: dict[str, Any], where: str) -> dict[str, Any]:
        out = {}
        for key, value in node.items():
            if key == "pass_threshold":
                removed.append(f"{where}.{key}")
            elif key == "graders" and isinstance(value, dict):
                out[key] = {
                    name: strip(sub, f"{where}.graders.{name}") if isinstance(sub, dict) else sub
                    for name, sub in value.items()
                }
            else:
                out[key] = copy.deepcopy(value)
        return out

    return strip(grader, "grader"), removed


def job_payload(
    *,
    model: str,
    grader: dict[str, Any],
    hyperparameters: dict[str, Any] | None = None,
    response_format: dict[str, Any] | None = None,
    suffix: str | None = None,
    seed: int | None = None,
) -> dict[str, Any]:
    """The ``jobs.create`` keyword arguments (file ids as placeholders; see the module
    docstring). ``grader`` is used as given: strip ``pass_threshold`` first."""
    reinforcement: dict[str, Any] = {"grader": grader}
    if response_format is not None:
        reinforcement["response_format"] = response_format
    if hyperparameters:
        reinforcement["hyperparameters"] = dict(hyperparameters)
    payload: dict[str, Any] = {
        "model": model,
        "training_file": TRAINING_FILE,
        "validation_file": VALIDATION_FILE,
    }
    if suffix is not None:
        payload["suffix"] = suffix
    if seed is not None:
        payload["seed"] = seed
    payload["method"] = {"type": "reinforcement", "reinforcement": reinforcement}
    return payload


def fill_files(payload: dict[str, Any], training_file: str, validation_file: str) -> dict[str, Any]:
    """``payload`` with the uploaded files' ids in place of the placeholders."""
    filled = dict(payload)
    filled["training_file"] = training_file
    filled["validation_file"] = validation_file
    return filled


def _unknown(
    given: dict[str, Any], typed: Any, where: str, allowed: frozenset[str] = frozenset()
) -> None:
    keys = set(typed.__required_keys__) | set(typed.__optional_keys__) | set(allowed)
    unknown = sorted(set(given) - keys)
    if unknown:
        raise ExportError(
            f"job payload: {where} has keys the API does not define: {', '.join(unknown)}"
        )


def validate_payload(payload: dict[str, Any]) -> None:
    """Check ``payload`` against the ``openai`` package's types and the documented ranges.

    Raises:
        ExportError: one line naming the field and what is wrong.
        GraderError: the grader is not one the platform accepts.
    """
    from openai.types.fine_tuning import ReinforcementHyperparameters
    from openai.types.fine_tuning.job_create_params import JobCreateParams, Method
    from openai.types.fine_tuning.reinforcement_method_param import ReinforcementMethodParam
    from pydantic import TypeAdapter, ValidationError

    from rubricate.rubrics.compile.validate import validate_grader

    _unknown(payload, JobCreateParams, "the job")
    method = payload.get("method")
    if not isinstance(method, dict) or method.get("type") != "reinforcement":
        raise ExportError('job payload: method.type must be "reinforcement"')
    _unknown(method, Method, "method")
    config = method.get("reinforcement")
    if not isinstance(config, dict):
        raise ExportError("job payload: method.reinforcement must be an object")
    _unknown(config, ReinforcementMethodParam, "method.reinforcement", UNDECLARED_KEYS)
    grader = config.get("grader")
    if not isinstance(grader, dict):
        raise ExportError("job payload: method.reinforcement.grader must be an object")
    validate_grader(grader)
    hyper = config.get("hyperparameters") or {}
    try:
        ReinforcementHyperparameters.model_validate(hyper)
    except ValidationError as error:
        first = error.errors()[0]
        where = f"hyperparameters.{first['loc'][0]}"
        raise ExportError(f"job payload: {where}: {first['msg']}") from None
    for key, value in hyper.items():
        if key not in DOMAINS:
            raise ExportError(f"job payload: hyperparameters.{key} is not a hyperparameter")
        _, problem = check_value(key, value)
        if problem is not None:
            raise ExportError(f"job payload: hyperparameters.{problem}")
    if "response_format" in config:
        check_response_format(config["response_format"])
    suffix = payload.get("suffix")
    if suffix is not None and not (isinstance(suffix, str) and 1 <= len(suffix) <= SUFFIX_MAX):
        raise ExportError(f"job payload: suffix must be 1 to {SUFFIX_MAX} characters")
    seed = payload.get("seed")
    if seed is not None and not (
        isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed <= SEED_MAX
    ):
        raise ExportError(f"job payload: seed must be an integer from 0 to {SEED_MAX}")
    typed = copy.deepcopy(payload)
    typed["method"]["reinforcement"] = sdk_view_of_reinforcement(config)  # see sdk_gaps
    try:
        TypeAdapter(JobCreateParams).validate_python(typed)
    except ValidationError as error:
        first = error.errors()[0]
        loc = ".".join(str(p) for p in first["loc"] if not _UNION_TAG.match(str(p)))
        message = f"job payload: {loc}: {first['msg']} (openai's JobCreateParams)"
        raise ExportError(message) from None
