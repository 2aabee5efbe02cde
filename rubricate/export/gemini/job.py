"""The ``tuningJobs.create`` request body (``job.json``) and its validation.

``POST https://{location}-aiplatform.googleapis.com/v1beta1/projects/{project}/locations/
{location}/tuningJobs`` with a ``TuningJob`` body (REST reference, ``projects.locations
.tuningJobs.create``): ``baseModel``, ``tunedModelDisplayName``, ``description`` and
``reinforcementTuningSpec`` (``trainingDatasetUri``, ``validationDatasetUri``,
``compositeRewardConfig``, ``hyperParameters``).

The body is validated against ``schema/tuning_job.schema.json``, a JSON Schema transcribed
from the discovery document of that REST reference (``tests/export/gemini/
transcribe_schema.py`` regenerates it; its ``$comment`` names the revision). ``jsonschema`` is
not a runtime dependency, so :func:`schema_problems` implements the keywords that schema uses
(``$ref``, ``type``, ``properties``, ``additionalProperties``, ``items``, ``enum``,
``pattern``); the tests check it agrees with ``jsonschema``. Beyond the schema (the reference
says so in prose): a single reward config has exactly one scorer, ``rewardName`` is unique.

``-H KEY=VALUE`` takes ``ReinforcementTuningHyperParameters`` field names (``epochCount``,
``batchSize``, ``learningRateMultiplier``, ``samplesPerPrompt``, ...), typed by the schema.
"""

from __future__ import annotations

import difflib
import importlib.resources
import json
import re
from functools import lru_cache
from typing import Any

SCORERS = (
    "autoraterScorer",
    "codeExecutionRewardScorer",
    "stringMatchRewardScorer",
    "cloudRunRewardScorer",
)


@lru_cache(maxsize=1)
def tuning_job_schema() -> dict[str, Any]:
    """The transcribed JSON Schema of the request body."""
    text = (
        importlib.resources.files("rubricate.export.gemini")
        .joinpath("schema", "tuning_job.schema.json")
        .read_text(encoding="utf-8")
    )
    return json.loads(text)


_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
}


def _type_ok(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, _TYPES[kind])


def schema_problems(value: Any, schema: dict[str, Any] | None = None) -> list[str]:
    """Every place ``value`` breaks ``schema`` (default: the tuning job's), one line each."""
    root = tuning_job_schema() if schema is None else schema
    problems: list[str] = []
    stack: list[tuple[Any, dict[str, Any], str]] = [(value, root, "job")]
    while stack:
        data, node, where = stack.pop()
        while "$ref" in node:
            node = root["$defs"][node["$ref"].rsplit("/", 1)[1]]
        kind = node.get("type")
        if kind is not None and not _type_ok(data, kind):
            problems.append(f"{where}: must be of type {kind}")
            continue
        if "enum" in node and data not in node["enum"]:
            problems.append(f"{where}: {data!r} is not one of {', '.join(node['enum'])}")
        if "pattern" in node and isinstance(data, str) and not re.search(node["pattern"], data):
            problems.append(f"{where}: {data!r} does not match {node['pattern']}")
        if isinstance(data, dict):
            props = node.get("properties", {})
            extra = node.get("additionalProperties", True)
            for key, item in data.items():
                if key in props:
                    stack.append((item, props[key], f"{where}.{key}"))
                elif extra is False:
                    close = difflib.get_close_matches(key, list(props), n=1)
                    hint = f"; did you mean {close[0]}?" if close else ""
                    problems.append(f"{where}: unknown field {key!r}{hint}")
                elif isinstance(extra, dict):
                    stack.append((item, extra, f"{where}.{key}"))
        if isinstance(data, list) and "items" in node:
            stack += [(item, node["items"], f"{where}[{i}]") for i, item in enumerate(data)]
    return sorted(problems)


def job_problems(job: dict[str, Any]) -> list[str]:
    """:func:`schema_problems` plus the rules the reference states in prose."""
    problems = schema_problems(job)
    spec = job.get("reinforcementTuningSpec", {})
    configs = spec.get("compositeRewardConfig", {}).get("weightedRewardConfigs", [])
    names: set[str] = set()
    for index, entry in enumerate(configs):
        config = entry.get("rewardConfig", {})
        where = f"job.reinforcementTuningSpec.compositeRewardConfig.weightedRewardConfigs[{index}]"
        present = [s for s in SCORERS if s in config]
        if len(present) != 1:
            problems.append(f"{where}.rewardConfig: needs exactly one scorer, has {present}")
        name = config.get("rewardName")
        if name in names:
            problems.append(f"{where}.rewardConfig.rewardName: {name!r} is used twice")
        names.add(name)
        if not isinstance(entry.get("weight"), int | float) or entry["weight"] <= 0:
            problems.append(f"{where}.weight: must be a positive number")
    if not configs:
        problems.append("job.reinforcementTuningSpec.compositeRewardConfig: no reward config")
    return problems


def hyperparameters(pairs: list[str]) -> tuple[dict[str, Any], list[str]]:
    """``-H KEY=VALUE`` as ``ReinforcementTuningHyperParameters`` (typed by the schema)."""
    fields = tuning_job_schema()["$defs"]["ReinforcementTuningHyperParameters"]["properties"]
    out: dict[str, Any] = {}
    problems: list[str] = []
    for pair in pairs:
        key, _, text = pair.partition("=")
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f"did you mean {close[0]}?" if close else "keys: " + ", ".join(fields)
            problems.append(f"{key}: not a Gemini reinforcement tuning hyperparameter; {hint}")
            continue
        node = fields[key]
        try:
            if node.get("type") == "integer":
                value: Any = int(text)
            elif node.get("type") == "number":
                value = float(text)
            elif "pattern" in node:  # int64: a JSON string of digits
                value = str(int(text))
            else:
                value = text
        except ValueError:
            problems.append(f"{key}={text}: must be a {node.get('type')}")
            continue
        if "enum" in node and value not in node["enum"]:
            problems.append(f"{key}={text}: choose one of {', '.join(node['enum'])}")
            continue
        out[key] = value
    return out, problems


def build_job(
    *,
    model: str,
    display_name: str,
    description: str,
    train_uri: str,
    valid_uri: str,
    composite: dict[str, Any],
    hyper: dict[str, Any],
) -> dict[str, Any]:
    """The request body."""
    spec: dict[str, Any] = {
        "trainingDatasetUri": train_uri,
        "validationDatasetUri": valid_uri,
        "compositeRewardConfig": composite,
    }
    if hyper:
        spec["hyperParameters"] = hyper
    return {
        "baseModel": model,
        "tunedModelDisplayName": display_name,
        "description": description,
        "reinforcementTuningSpec": spec,
    }
