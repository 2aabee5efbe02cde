"""``rubricate export rft --platform azure``: the OpenAI bundle, held to Azure AI Foundry's rules.

Azure AI Foundry (Azure OpenAI) runs RFT on the same grader JSON, ``train.jsonl`` /
``valid.jsonl`` and ``jobs.create`` arguments as OpenAI, so :func:`prepare_azure` prepares the
bundle exactly as :func:`~rubricate.export.rft.prepare.prepare_rft` does (``grader.json`` byte
for byte the calibrated grader) and adds:

- the Azure profile's problems (:mod:`.azure_lint`; grader models, grader types,
  ``text_similarity`` metrics, python source size and imports), each an error on one line at
  the rubric node that causes it, so the command exits 2 and writes nothing, the way any other
  bundle problem does. A rubric judged by a model Azure refuses can still be exported with
  ``--judge-model`` (one of the allowed models; the refusal suggests it) or ``--panel`` of
  allowed models: the grader is the one ``rubricate compile`` writes with the same options, and
  a ``--panel`` is a ``multi`` grader, which Azure takes as it is;
- ``manifest.json`` ``"platform"``: the platform, the rules checked and the limits Azure
  enforces only while the job runs (2 GB, 1 CPU, 2 minutes, no network, the USD 5,000
  spending pause), with the documentation they come from;
- a README section saying the same, and that ``--submit`` goes to Azure OpenAI
  (``AZURE_OPENAI_ENDPOINT``).

Sources: see :mod:`.azure_profile`.
"""

from __future__ import annotations

import json
from typing import Any

from rubricate.export.rft.azure_lint import RULES, azure_problems
from rubricate.export.rft.azure_profile import (
    ALLOWED_GRADER_MODELS,
    DOCS_URL,
    GRADER_TYPES,
    PLATFORM_NAME,
    PYTHON_PACKAGES,
    RUNTIME_LIMITS,
    TEXT_SIMILARITY_METRICS,
)
from rubricate.export.rft.prepare import Prepared, RftOptions, prepare_rft
from rubricate.rubrics.problems import sort_key


def platform_record() -> dict[str, Any]:
    """The manifest's ``platform`` entry for Azure AI Foundry."""
    return {
        "name": "azure",
        "title": PLATFORM_NAME,
        "checked": sorted(RULES),
        "grader_models": list(ALLOWED_GRADER_MODELS),
        "grader_types": list(GRADER_TYPES),
        "text_similarity_metrics": list(TEXT_SIMILARITY_METRICS),
        "python_packages": sorted(PYTHON_PACKAGES.values()),
        "limits": dict(RUNTIME_LIMITS),
        "documentation": DOCS_URL,
    }


def readme_section() -> str:
    """The bundle README's Azure section (Markdown)."""
    limits = RUNTIME_LIMITS
    return "\n".join(
        [
            "",
            f"## {PLATFORM_NAME}",
            "",
            "This bundle was checked against Azure AI Foundry's RFT rules (`rubricate check "
            "RUBRIC --platform azure` runs the same checks):",
            "",
            f"- grader models: {', '.join(f'`{m}`' for m in ALLOWED_GRADER_MODELS)};",
            f"- grader types: {', '.join(f'`{t}`' for t in GRADER_TYPES)} (no `label_model`);",
            "- `text_similarity` metrics: no `cosine`;",
            "- python graders: source under 256 KB, imports from the standard library and "
            f"{', '.join(sorted(PYTHON_PACKAGES.values()))} only.",
            "",
            f"Enforced by Azure while the job runs, not checkable here: {limits['python_memory']} "
            f"of memory, {limits['python_disk']} of disk, {limits['python_cpu']}, "
            f"{limits['python_runtime']} per python grader run, no network; the job **pauses** "
            f"at USD {limits['spending_pause_usd']:,} of training plus grading (resume it, or "
            "deploy the last checkpoint).",
            "",
            "Submit with `--submit --platform azure` (or `--azure`): `AZURE_OPENAI_ENDPOINT`, "
            "`AZURE_OPENAI_API_KEY` (or `AZURE_OPENAI_AD_TOKEN`) and `OPENAI_API_VERSION`. "
            f"Documentation: {DOCS_URL}",
            "",
        ]
    )


def prepare_azure(options: RftOptions) -> Prepared:
    """The OpenAI bundle plus Azure's problems, manifest entry and README section.

    Raises:
        As :func:`~rubricate.export.rft.prepare.prepare_rft`.
    """
    from rubricate.rubrics.lint import load_checked_rubric

    prepared = prepare_rft(options)
    loaded = load_checked_rubric(options.rubric)
    grader = json.loads(prepared.grader_text)
    prepared.problems += azure_problems(loaded, grader, options.choice)
    prepared.problems.sort(key=sort_key)
    prepared.manifest["platform"] = platform_record()
    prepared.readme = prepared.readme.rstrip("\n") + "\n" + readme_section()
    return prepared
