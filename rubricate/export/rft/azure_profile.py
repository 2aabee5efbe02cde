"""Azure AI Foundry's rules for RFT graders, as data, and the grader JSON checked against them.

Pure: no IO. What Azure AI Foundry (Azure OpenAI) reinforcement fine-tuning takes differs from
OpenAI's RFT in a few documented places, all checked here on the compiled grader JSON (the
exact JSON the job carries):

- **Grader models** (:data:`ALLOWED_GRADER_MODELS`): a ``score_model`` (or ``label_model``)
  must name a model Azure lets grade. The Azure page lists ``gpt-4o-2024-08-06`` and
  ``o3-mini-2025-01-31`` ("The following models can be used as model graders", revision of
  2026-02-11, the one in force in 2026-03). Microsoft's Foundry blog of 2026-04-16 ("What's new
  in Microsoft Foundry fine-tuning, April 2026") adds GPT-4.1, GPT-4.1-mini and GPT-4.1-nano
  as model graders without naming snapshots; we accept their only Azure snapshots
  (``2025-04-14``). Anything else (``o4-mini``, the rubric format's default judge) is refused,
  with the closest allowed model as a did-you-mean.
- **Grader types** (:data:`GRADER_TYPES`): ``string_check``, ``text_similarity``,
  ``score_model``, ``python`` and ``multi``. ``label_model`` was on the page until 2025-08 and
  is no longer listed for RFT (revision of 2026-02-11); the endpoint grader is a private
  preview whose API is unpublished.
- **text_similarity metrics** (:data:`TEXT_SIMILARITY_METRICS`): ``fuzzy_match``, ``bleu``,
  ``gleu``, ``meteor``, ``rouge_1`` ... ``rouge_5``, ``rouge_l``; no ``cosine``.
- **python graders**: source under 256 KB (:data:`PYTHON_MAX_BYTES`), and imports limited to
  the standard library plus the pinned packages of :data:`PYTHON_PACKAGES` (numpy 2.2.4,
  scipy 1.15.2, ...; Azure's list adds rdkit, scikit-bio and ast-grep-py to OpenAI's image).
  Only the documented packages count: a package that happens to be installed as a dependency
  of one of them (``typing_extensions``, ``dateutil``) is not promised and is refused.

Limits that cannot be checked before the job runs are recorded for the bundle's manifest and
README (:data:`RUNTIME_LIMITS`): 2 GB of memory, 1 GB of disk, one CPU core, 2 minutes per
grader run, no network; jobs pause at USD 5,000 of training plus grading.

Sources (checked with rubricate's documentation search, 2026-12):

- https://learn.microsoft.com/azure/ai-foundry/openai/how-to/reinforcement-fine-tuning
  (MicrosoftDocs/azure-ai-docs, ``articles/ai-foundry/openai/how-to/reinforcement-fine-tuning.md``,
  ``ms.date: 02/11/2026``): grader types, metrics, grader models, python limits and packages,
  the spending pause.
- https://devblogs.microsoft.com/foundry/whats-new-in-foundry-finetune-april-2026: the GPT-4.1
  family as model graders.
"""

from __future__ import annotations

import ast
import difflib
import sys
from dataclasses import dataclass
from typing import Any

from rubricate import pysource

PLATFORM_NAME = "Azure AI Foundry"

DOCS_URL = "https://learn.microsoft.com/azure/ai-foundry/openai/how-to/reinforcement-fine-tuning"

ALLOWED_GRADER_MODELS: tuple[str, ...] = (
    "gpt-4o-2024-08-06",
    "o3-mini-2025-01-31",
    "gpt-4.1-2025-04-14",
    "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano-2025-04-14",
)
"""Models Azure AI Foundry RFT lets grade (the documented two, then the GPT-4.1 family
announced 2026-04-16)."""

GRADER_TYPES: tuple[str, ...] = (
    "multi",
    "python",
    "score_model",
    "string_check",
    "text_similarity",
)
"""Grader types Azure AI Foundry documents for RFT."""

MODEL_GRADER_TYPES = ("score_model", "label_model")
"""Grader types that call a grader model."""

TEXT_SIMILARITY_METRICS: tuple[str, ...] = (
    "fuzzy_match",
    "bleu",
    "gleu",
    "meteor",
    "rouge_1",
    "rouge_2",
    "rouge_3",
    "rouge_4",
    "rouge_5",
    "rouge_l",
)
"""``text_similarity`` metrics Azure AI Foundry documents for RFT (no ``cosine``)."""

PYTHON_MAX_BYTES = 256 * 1024
"""A python grader's source must be under 256 KB."""

PYTHON_PACKAGES: dict[str, str] = {
    "numpy": "numpy==2.2.4",
    "scipy": "scipy==1.15.2",
    "sympy": "sympy==1.13.3",
    "pandas": "pandas==2.2.3",
    "rapidfuzz": "rapidfuzz==3.10.1",
    "sklearn": "scikit-learn==1.6.1",
    "rouge_score": "rouge-score==0.1.2",
    "deepdiff": "deepdiff==8.4.2",
    "jsonschema": "jsonschema==4.23.0",
    "pydantic": "pydantic==2.10.6",
    "yaml": "pyyaml==6.0.2",
    "nltk": "nltk==3.9.1",
    "sqlparse": "sqlparse==0.5.3",
    "rdkit": "rdkit==2024.9.6",
    "skbio": "scikit-bio==0.6.3",
    "ast_grep_py": "ast-grep-py==0.36.2",
}
"""Import name -> the pinned package Azure's python grader runtime provides (besides the
standard library)."""

RUNTIME_LIMITS: dict[str, Any] = {
    "python_source_max_bytes": PYTHON_MAX_BYTES,
    "python_memory": "2 GB",
    "python_disk": "1 GB",
    "python_cpu": "1 core",
    "python_runtime": "2 minutes",
    "python_network": "none",
    "spending_pause_usd": 5000,
}
"""What Azure enforces while the job runs (recorded in the manifest; not checkable here)."""


@dataclass(frozen=True)
class Finding:
    """One place where a grader breaks Azure's rules.

    Attributes:
        grader: the sub-grader names from the top grader down (``()`` for the top grader,
            ``("f1",)`` for a ``multi``'s sub-grader ``f1``).
        field: the grader field concerned (``model``, ``type``, ``evaluation_metric``,
            ``source``).
        message: one line: what is wrong on Azure and what to use instead.
        rule: a stable id (``azure-grader-model`` ...).
        value: the offending value: the model (``azure-grader-model``), the top-level module
            imported (``azure-python-import``); None otherwise.
        line: for ``azure-python-import``, the 1-based line of the import in the source.
    """

    grader: tuple[str, ...]
    field: str
    message: str
    rule: str
    value: str | None = None
    line: int | None = None


def closest_model(model: str) -> str:
    """The allowed grader model nearest to ``model`` (for a did-you-mean)."""
    stem = model.lower()
    scored = [(difflib.SequenceMatcher(None, stem, m).ratio(), m) for m in ALLOWED_GRADER_MODELS]
    return max(scored)[1]


def model_message(model: str, *, default: bool = False) -> str:
    """The one-line refusal of grader model ``model``, naming every allowed one."""
    what = f"{model} (the default judge model)" if default else model
    return (
        f"{what} cannot grade {PLATFORM_NAME} RFT jobs; did you mean {closest_model(model)}? "
        f"Allowed grader models: {', '.join(ALLOWED_GRADER_MODELS)}"
    )


def import_message(module: str) -> str:
    """The one-line refusal of an import the runtime lacks."""
    names = ", ".join(sorted(p.split("==")[0] for p in PYTHON_PACKAGES.values()))
    return (
        f'imports "{module}", which {PLATFORM_NAME}\'s python grader runtime does not provide; '
        f"use the standard library or one of: {names}"
    )


def size_message(size: int) -> str:
    """The one-line refusal of a python source that is too large."""
    return (
        f"python grader source is {size:,} bytes; {PLATFORM_NAME} takes under 256 KB "
        f"({PYTHON_MAX_BYTES:,} bytes): move data out of the code into the items"
    )


def imported_modules(source: str) -> list[tuple[str, int]]:
    """``(top-level module, line)`` of every import in ``source`` that Azure's runtime lacks
    (relative imports as ``"."``); empty when the source does not parse (lint reports that)."""
    try:
        tree = pysource.parse(source)
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return []
    out: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = ["." if node.level else (node.module or "")]
        else:
            continue
        for name in names:
            top = name.split(".")[0] if name != "." else "."
            if top and top != "." and (top in sys.stdlib_module_names or top in PYTHON_PACKAGES):
                continue
            out.append((top or ".", node.lineno))
    return out


def grader_findings(grader: dict[str, Any], path: tuple[str, ...] = ()) -> list[Finding]:
    """Every place ``grader`` (grader JSON, sub-graders included) breaks Azure's rules."""
    kind = grader.get("type")
    out: list[Finding] = []
    if kind not in GRADER_TYPES:
        hint = " (label_model is no longer listed for RFT; use score_model)" if kind else ""
        out.append(
            Finding(
                path,
                "type",
                f"grader type {kind} is not one {PLATFORM_NAME} RFT takes{hint}; "
                f"use one of: {', '.join(GRADER_TYPES)}",
                "azure-grader-type",
            )
        )
    if kind in MODEL_GRADER_TYPES:
        model = str(grader.get("model"))
        if model not in ALLOWED_GRADER_MODELS:
            out.append(Finding(path, "model", model_message(model), "azure-grader-model", model))
    if kind == "text_similarity":
        metric = grader.get("evaluation_metric")
        if metric not in TEXT_SIMILARITY_METRICS:
            out.append(
                Finding(
                    path,
                    "evaluation_metric",
                    f"text_similarity metric {metric} is not available on {PLATFORM_NAME} RFT; "
                    f"use one of: {', '.join(TEXT_SIMILARITY_METRICS)}",
                    "azure-metric",
                )
            )
    if kind == "python":
        source = str(grader.get("source", ""))
        size = len(source.encode("utf-8"))
        if size >= PYTHON_MAX_BYTES:
            out.append(Finding(path, "source", size_message(size), "azure-python-size"))
        for module, line in imported_modules(source):
            out.append(
                Finding(path, "source", import_message(module), "azure-python-import", module, line)
            )
    if kind == "multi":
        for name, sub in (grader.get("graders") or {}).items():
            if isinstance(sub, dict):
                out += grader_findings(sub, (*path, str(name)))
    return out
