"""``rubricate export rft --platform gemini``: the Gemini reinforcement tuning bundle.

Built on :func:`rubricate.export.rft.prepare.prepare_rft` (the same compile, rows, dataset
checks and calibration link, so ``grader.json`` is byte for byte what ``rubricate compile``
writes and the manifest names the calibration run of those bytes), then made Gemini's:

- ``train.jsonl`` / ``valid.jsonl``: ``ReinforcementTuningExample`` rows (:mod:`.rows`);
- ``job.json``: the ``tuningJobs.create`` body (:mod:`.job`), validated against the
  transcribed REST schema; its reward is the composite compiled from the grader
  (:mod:`.scorers`) or, as the fallback, a ``cloudRunRewardScorer`` calling ``rubricate serve``
  on Cloud Run with this ``grader.json`` (``--gemini reward=...``, :mod:`.options`);
- ``manifest.json``: the common manifest plus ``"platform": "gemini"`` and a ``gemini``
  section: the reward mode, whether it is exact, every difference from the calibrated grader,
  the scorers (name, kind, weight, judged) and the autorater model;
- ``README.md`` (:mod:`.readme`), and with the Cloud Run fallback a ``Dockerfile`` running
  ``rubricate serve grader.json`` (:data:`DOCKERFILE`).

OpenAI-only checks of the common preparer are dropped (the RFT model list, the OpenAI job
payload); ``-H`` takes Gemini's hyperparameter names; ``--response-format`` is refused (the
reinforcement tuning spec has none).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from rubricate._version import __version__
from rubricate.export.gemini import job as jobs
from rubricate.export.gemini.options import GeminiOptions, parse_gemini_options
from rubricate.export.gemini.readme import render_readme
from rubricate.export.gemini.rows import gemini_rows
from rubricate.export.gemini.scorers import Compiled, cloud_run_composite, compile_composite
from rubricate.export.rft.manifest import file_record, jsonl
from rubricate.export.rft.prepare import Prepared, RftOptions, prepare_rft
from rubricate.rubrics.model import Rubric
from rubricate.rubrics.problems import Problem, sort_key

DOCKERFILE = """\
# rubricate serve on Cloud Run, for Gemini's cloudRunRewardScorer (POST /gemini).
# gcloud run deploy rubricate-reward --source . --no-allow-unauthenticated
FROM python:3.11-slim
# The rubricate that wrote this bundle (or COPY a wheel of it and install that).
RUN pip install --no-cache-dir "rubricate=={version}"
COPY grader.json /srv/grader.json
# Cloud Run sets PORT; the judge's OPENAI_BASE_URL / OPENAI_API_KEY come from the service's
# environment (secrets), never from this image.
CMD ["sh", "-c", "exec rubricate serve /srv/grader.json --host 0.0.0.0 --port ${{PORT:-8080}}"]
"""
"""The Cloud Run fallback's container (written only with the fallback)."""

DROPPED_RULES = frozenset({"rft-model", "job-payload", "hyperparameter"})
"""Problems of the common preparer that concern OpenAI's job only."""


def _problem(file: str, message: str, rule: str, severity: str = "error") -> Problem:
    return Problem(file, None, None, "", message, severity, rule)  # type: ignore[arg-type]


def foreign_imports(snippet: str) -> list[str]:
    """Top-level modules a snippet imports that are not in Python's standard library (the
    reference does not list the code-execution sandbox's packages)."""
    import ast
    import sys

    found: set[str] = set()
    for node in ast.walk(ast.parse(snippet)):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return sorted(m for m in found if m not in sys.stdlib_module_names)


def autorater_name(opts: GeminiOptions, rubric: Rubric) -> tuple[str | None, str | None]:
    """The autorater's full model name, or ``(None, why not)``."""
    model = opts.autorater
    if model is None and rubric.judge.model.startswith("gemini"):
        model = rubric.judge.model
    if model is None:
        return None, (
            f"the rubric's judge {rubric.judge.model} is not a Vertex AI model, and Gemini's "
            "autorater needs one: give --gemini autorater=MODEL (e.g. gemini-2.5-flash) and "
            "calibrate the rubric with that model first, or use the Cloud Run fallback "
            "(--gemini reward=cloudrun --gemini serve_url=URL)"
        )
    if model.startswith("projects/"):
        return model, None
    return (
        f"projects/{opts.project}/locations/{opts.location}/publishers/google/models/{model}",
        None,
    )


PANEL_REFUSAL = (
    "Gemini's composite reward is a weighted sum of single scorers, each autorater one Vertex "
    "AI model, so it cannot pool a panel's verdicts (the panel's calculate_output takes the "
    "judges' majority or mean per criterion); give --gemini reward=cloudrun --gemini "
    "serve_url=URL to run the panel grader exactly through `rubricate serve` on Cloud Run, or "
    "export without --panel"
)
"""Why ``--panel`` has no composite (one line, at ``--panel``)."""


def _reward(
    opts: GeminiOptions,
    rubric: Rubric,
    grader: dict[str, Any],
    problems: list[Problem],
    *,
    panel: bool = False,
) -> tuple[Compiled, str | None]:
    """The reward (composite or Cloud Run) and the autorater model used (None: none); a
    ``panel`` grader only through Cloud Run (:data:`PANEL_REFUSAL`)."""
    fallback = None
    if opts.serve_url is not None:
        fallback = cloud_run_composite(rubric.id, opts.serve_url.rstrip("/") + "/gemini")
    if opts.reward == "cloudrun":
        if fallback is None:
            problems.append(_problem("--gemini", "reward=cloudrun needs serve_url=URL", "gemini"))
            return Compiled(), None
        return fallback, None
    if panel:
        if opts.reward == "auto" and fallback is not None:
            message = "a panel of judges has no composite; using the Cloud Run fallback"
            problems.append(_problem("--panel", message, "gemini-fallback", "warning"))
            fallback.replaced = ["--panel: " + PANEL_REFUSAL.split(";")[0]]
            return fallback, None
        problems.append(_problem("--panel", PANEL_REFUSAL, "gemini-panel"))
        return Compiled(), None
    compiled = compile_composite(rubric, grader, "AUTORATER")
    model = None
    if any(s.kind == "autorater" for s in compiled.scorers):
        model, why = autorater_name(opts, rubric)
        if model is None:
            compiled.unsupported.insert(0, f"autorater: {why}")
        else:
            compiled = compile_composite(rubric, grader, model)
    differences = compiled.unsupported + compiled.inexact
    if compiled.exact:
        return compiled, model
    if opts.reward == "auto" and fallback is not None:
        problems.append(
            _problem(
                "--gemini",
                f"the composite would not be the rubric's reward ({len(differences)} "
                f"difference(s), first: {differences[0]}); using the Cloud Run fallback",
                "gemini-fallback",
                "warning",
            )
        )
        fallback.replaced = differences
        return fallback, None
    if opts.reward == "auto" or compiled.unsupported:
        problems.append(
            _problem(
                str(rubric.id),
                f"{len(differences)} rubric feature(s) have no exact Gemini scorer (first: "
                f"{differences[0]}); give --gemini serve_url=URL for the exact reward through "
                "`rubricate serve` on Cloud Run"
                + (
                    ""
                    if compiled.unsupported
                    else ", or --gemini reward=composite to accept "
                    "the approximation (every difference is listed in the manifest)"
                ),
                "gemini-inexact",
            )
        )
        return compiled, model
    problems += [_problem("gemini", d, "gemini-inexact", "warning") for d in compiled.inexact]
    return compiled, model


def prepare_gemini(options: RftOptions) -> Prepared:
    """Prepare the Gemini bundle (see the module docstring); nothing is written.

    Raises:
        As :func:`~rubricate.export.rft.prepare.prepare_rft`.
    """
    base = dataclasses.replace(options, hyperparameters=[], response_format=None)
    prepared = prepare_rft(base)
    problems = [p for p in prepared.problems if p.rule not in DROPPED_RULES]
    rubric = prepared.rubric  # judge.model is --judge-model's when given
    grader = json.loads(prepared.grader_text)

    opts, option_problems = parse_gemini_options(list(options.platform_options))
    problems += [_problem("--gemini", p, "gemini") for p in option_problems]
    hyper, hyper_problems = jobs.hyperparameters(list(options.hyperparameters))
    problems += [_problem("--hyperparameters", p, "hyperparameter") for p in hyper_problems]
    if options.response_format is not None:
        message = "Gemini reinforcement tuning takes no response format; leave it out"
        problems.append(_problem("--response-format", message, "response-format"))
    for key in ("project", "gcs"):
        if getattr(opts, key) is None:
            message = f"--platform gemini needs --gemini {key}=" + (
                "PROJECT_ID" if key == "project" else "gs://BUCKET/FOLDER"
            )
            problems.append(_problem("--gemini", message, "gemini"))

    compiled, autorater = _reward(opts, rubric, grader, problems, panel=bool(options.choice.panel))
    for scorer in compiled.scorers:
        if scorer.kind == "code":
            code = scorer.config["codeExecutionRewardScorer"]["pythonCodeSnippet"]
            modules = foreign_imports(code)
            if modules:
                message = (
                    f"{scorer.name}: imports {', '.join(modules)}; Gemini does not document the "
                    "packages of its code-execution sandbox (check with the "
                    "ValidateReinforcementTuningReward API, or use the Cloud Run fallback)"
                )
                problems.append(_problem("gemini", message, "gemini-packages", "warning"))
    assert prepared.train is not None and prepared.valid is not None
    train, train_problems = gemini_rows(prepared.train)
    valid, valid_problems = gemini_rows(prepared.valid)
    problems += train_problems + valid_problems
    prepared.train, prepared.valid = train, valid

    gcs = (opts.gcs or "gs://BUCKET/FOLDER").rstrip("/")
    prepared.job = jobs.build_job(
        model=options.model,
        display_name=options.suffix or rubric.id,
        description=f"rubricate {rubric.id}, grader.json sha256 {prepared.grader_sha256}",
        train_uri=f"{gcs}/train.jsonl",
        valid_uri=f"{gcs}/valid.jsonl",
        composite=compiled.composite(),
        hyper=hyper,
    )
    if compiled.scorers:
        problems += [
            _problem("job.json", p, "gemini-schema") for p in jobs.job_problems(prepared.job)
        ]
    if autorater is not None and not autorater.endswith("/" + rubric.judge.model):
        problems.append(
            _problem(
                "gemini",
                f"the autorater runs {autorater.rsplit('/', 1)[-1]}, the rubric was calibrated "
                f"with {rubric.judge.model}: calibrate with the autorater's model (Vertex AI "
                "serves it on an OpenAI-compatible endpoint) before training",
                "gemini-autorater",
                "warning",
            )
        )
    problems.sort(key=sort_key)
    prepared.problems = problems
    manifest = prepared.manifest
    manifest["platform"] = "gemini"
    manifest["files"] = {
        "train.jsonl": file_record(train, options.train),
        "valid.jsonl": file_record(valid, options.valid),
    }
    manifest["hyperparameters"] = hyper
    manifest["warnings"] = [p.format() for p in prepared.warnings]
    manifest["gemini"] = {
        "project": opts.project,
        "location": opts.location,
        "reward": "cloudrun"
        if any(s.kind == "cloud_run" for s in compiled.scorers)
        else "composite",
        "exact": compiled.exact,
        "differences": compiled.unsupported + compiled.inexact,
        "omitted": compiled.omitted,
        "fallback_because": compiled.replaced,
        "autorater_model": autorater,
        "calibrated_judge_model": rubric.judge.model,
        "scorers": [
            {
                "reward_name": s.name,
                "kind": s.kind,
                "weight": s.weight,
                "judged": s.judged,
                "to_sub_reward": s.to_sub_reward,
            }
            for s in compiled.scorers
        ],
        "train_bytes": len(jsonl(train)),
    }
    prepared.readme = render_readme(manifest, prepared.job, str(options.out))
    if manifest["gemini"]["reward"] == "cloudrun":
        prepared.extra_files["Dockerfile"] = DOCKERFILE.format(version=__version__).encode()
    return prepared
