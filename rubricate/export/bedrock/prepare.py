"""``rubricate export rft --platform bedrock``: the Amazon Bedrock RFT bundle (in memory).

Built on the OpenAI bundle (:func:`rubricate.export.rft.prepare.prepare_rft`: the rubric
loaded and checked, ``grader.json`` exactly as compiled, the dataset checks, the calibration
run that graded these bytes, the manifest), then made Bedrock's:

- ``train.jsonl`` / ``valid.jsonl``: the OpenAI RFT rows (Bedrock's documented training format,
  "Prepare data for open-weight models" / Nova RFT "Data format") as ``{"messages",
  "reference_answer"}``: ``reference_answer`` holds every item field the grader reads (and the
  item ``id``), the one field that reaches the Lambda in every documented event shape; a
  ``developer`` message becomes ``system`` (Nova's roles are ``system`` and ``user``);
- ``lambda.zip`` (:mod:`.package`), its SHA-256 and sizes against Lambda's limits in the
  manifest;
- ``job.json`` (:mod:`.job`), validated against botocore's service model;
- ``README.md`` (:mod:`.readme`).

Refused (errors, nothing written): a grader with a ``text_similarity`` part or a python grader
importing a module outside the standard library (the Lambda package carries no third-party
packages; :mod:`.lambda_runtime`), a package over Lambda's limits, a request botocore's model
rejects, unknown Bedrock hyperparameters. Warned: placeholders left in ``job.json``, a
``--response-format`` (Bedrock's request has no response format), rows with ``tools``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from rubricate.datasets.rft_rows import Rows
from rubricate.export.bedrock import job as bedrock_job
from rubricate.export.bedrock.package import (
    HANDLER,
    LAMBDA_RUNTIME,
    UNZIPPED_LIMIT,
    ZIP_LIMIT,
    build_package,
    size_problems,
)
from rubricate.export.bedrock.readme import render_readme
from rubricate.export.rft.manifest import file_record, sha256
from rubricate.export.rft.prepare import Prepared, RftOptions, prepare_rft
from rubricate.pysource import parse
from rubricate.rubrics.problems import Problem, sort_key

DROPPED_RULES = ("rft-model", "job-payload", "hyperparameter")
"""OpenAI-only checks of the base bundle that do not apply to Bedrock's job."""


def _problem(file: str, message: str, rule: str, severity: str = "error") -> Problem:
    return Problem(file, None, None, "", message, severity, rule)  # type: ignore[arg-type]


def bedrock_row(row: dict[str, Any]) -> dict[str, Any]:
    """One OpenAI RFT row as a Bedrock row (module docstring)."""
    messages = [
        {**m, "role": "system"} if m.get("role") == "developer" else dict(m)
        for m in row["messages"]
    ]
    reference = {k: v for k, v in row.items() if k not in ("messages", "tools")}
    return {"messages": messages, "reference_answer": reference}


def bedrock_rows(rows: Rows) -> Rows:
    return dataclasses.replace(rows, rows=[bedrock_row(r) for r in rows.rows])


def _parts(grader: dict[str, Any]) -> dict[str, dict[str, Any]]:
    if grader.get("type") == "multi":
        return dict(grader.get("graders") or {})
    return {str(grader.get("name") or grader.get("type")): grader}


def runtime_problems(grader: dict[str, Any]) -> list[Problem]:
    """Parts the Lambda's standard-library runtime cannot run (see :mod:`.lambda_runtime`)."""
    out = []
    for name, part in _parts(grader).items():
        kind = part.get("type")
        if kind == "text_similarity":
            out.append(
                _problem(
                    "grader.json",
                    f"{name}: text_similarity ({part.get('evaluation_metric')}) cannot run in the "
                    "Bedrock Lambda runtime (it needs rapidfuzz, sacrebleu, rouge-score, nltk or "
                    "an embeddings model); write the criterion as a python check instead",
                    "bedrock-runtime",
                )
            )
        elif kind == "python":
            missing = sorted(_third_party_imports(str(part.get("source", ""))))
            if missing:
                out.append(
                    _problem(
                        "grader.json",
                        f"{name}: the python grader imports {', '.join(missing)}, which the Lambda "
                        "package does not carry (standard library only); rewrite it without them",
                        "bedrock-runtime",
                    )
                )
    return out


def _third_party_imports(source: str) -> set[str]:
    import ast

    try:
        tree = parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return {name for name in found if name not in sys.stdlib_module_names}


def _job(options: RftOptions, prepared: Prepared, rubric_id: str) -> list[Problem]:
    problems: list[Problem] = []
    try:
        hyper, hyper_problems = bedrock_job.parse_hyperparameters(list(options.hyperparameters))
    except ImportError as error:
        hyper, hyper_problems = {}, []
        why = (
            str(error)
            if "predates" in str(error)
            else ("botocore is not installed: pip install 'rubricate[bedrock]'")
        )
        if options.hyperparameters:
            problems.append(
                _problem("--hyperparameters", f"cannot be checked: {why}", "hyperparameter")
            )
        problems.append(
            _problem(
                "job.json",
                f"not validated against Bedrock's service model: {why}",
                "job-request",
                "warning",
            )
        )
    problems += [_problem("--hyperparameters", p, "hyperparameter") for p in hyper_problems]
    prepared.job = bedrock_job.build_job(
        rubric_id=rubric_id,
        grader_sha256=prepared.grader_sha256,
        model=options.model,
        hyperparameters=hyper,
        suffix=options.suffix,
    )
    if not hyper_problems and not problems:
        problems += [
            _problem("job.json", f"CreateModelCustomizationJob: {p}", "job-request")
            for p in bedrock_job.validate_job(prepared.job)
        ]
    unset = [
        name
        for name, value in bedrock_job.settings_from_env().items()
        if value == bedrock_job.PLACEHOLDERS[name]
    ]
    if unset:
        problems.append(
            _problem(
                "job.json",
                f"placeholders left in the request: set {', '.join(unset)} before "
                "exporting (or edit job.json before submitting it)",
                "job-placeholder",
                "warning",
            )
        )
    return problems


def prepare_bedrock(options: RftOptions) -> Prepared:
    """Prepare the Bedrock bundle (module docstring); nothing is written.

    Raises:
        as :func:`~rubricate.export.rft.prepare.prepare_rft`.
    """
    base = dataclasses.replace(options, hyperparameters=[])
    prepared = prepare_rft(base)
    grader = json.loads(prepared.grader_text)
    rubric_id = prepared.manifest["rubric"]["id"]
    problems = [p for p in prepared.problems if p.rule not in DROPPED_RULES]
    problems += runtime_problems(grader)
    if "." not in options.model and not options.model.startswith("arn:"):
        problems.append(
            _problem(
                "--model",
                f"{options.model}: not a Bedrock model identifier; Bedrock RFT takes e.g. "
                "amazon.nova-2-lite-v1:0:256k or an open-weight model's id",
                "bedrock-model",
                "warning",
            )
        )
    if options.response_format is not None:
        problems.append(
            _problem(
                "--response-format",
                "Bedrock's RFT request has no response format; it is ignored "
                "(ask for the format in the prompt instead)",
                "response-format",
                "warning",
            )
        )
    assert prepared.train is not None and prepared.valid is not None
    if any("tools" in r for r in prepared.train.rows + prepared.valid.rows):
        problems.append(
            _problem(
                str(options.train),
                "rows with tools: Bedrock RFT takes text prompts only; the "
                "tools are left out of the rows",
                "bedrock-tools",
                "warning",
            )
        )
    prepared.train, prepared.valid = bedrock_rows(prepared.train), bedrock_rows(prepared.valid)
    package = build_package(prepared.grader_text)
    problems += [_problem("lambda.zip", p, "lambda-size") for p in size_problems(package)]
    problems += _job(options, prepared, rubric_id)
    problems.sort(key=sort_key)
    prepared.problems = problems
    prepared.extra_files = {"lambda.zip": package.data}
    manifest = prepared.manifest
    manifest["platform"] = "bedrock"
    manifest["hyperparameters"] = prepared.job["customizationConfig"]["rftConfig"].get(
        "hyperParameters", {}
    )
    manifest["files"] = {
        "train.jsonl": file_record(prepared.train, options.train),
        "valid.jsonl": file_record(prepared.valid, options.valid),
    }
    manifest["lambda"] = {
        "file": "lambda.zip",
        "sha256": sha256(package.data),
        "bytes": len(package.data),
        "unzipped_bytes": package.unzipped_bytes,
        "limits": {"zipped_bytes": ZIP_LIMIT, "unzipped_bytes": UNZIPPED_LIMIT},
        "within_limits": not size_problems(package),
        "handler": HANDLER,
        "runtime": LAMBDA_RUNTIME,
        "files": list(package.files),
    }
    manifest["job"] = {
        "file": "job.json",
        "operation": bedrock_job.OPERATION,
        "placeholders": bedrock_job.placeholders_in(prepared.job),
    }
    manifest["warnings"] = [p.format() for p in prepared.warnings]
    prepared.readme = render_readme(manifest, prepared.job, str(Path(options.out)))
    return prepared
