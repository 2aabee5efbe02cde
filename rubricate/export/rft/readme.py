"""The bundle's ``README.md``: what is in it and the commands to submit and follow it (pure)."""

from __future__ import annotations

import json
from typing import Any

_CUTOFF = (
    "OpenAI's self-serve fine-tuning takes no new jobs from 2027-01-06 (and its hosted Evals "
    "API shuts on 2026-11-30, so there is no Evals export); Azure OpenAI runs RFT with the "
    "same grader JSON (`--azure`)."
)


def _calibration(manifest: dict[str, Any]) -> str:
    run = manifest.get("calibration")
    if not run:
        return (
            "**No calibration run has vetted this grader.** Run `rubricate calibrate` on the "
            "rubric (it writes the same grader bytes) before spending on training."
        )
    status = run.get("status", "unknown")
    return (
        f"Calibrated by `{run['path']}` (status {status}, {run.get('repeats', '?')} repeats, "
        f"judge {run.get('judge_model', '?')}): the same grader bytes (sha256 "
        f"`{manifest['grader']['sha256']}`)."
    )


def _labels(manifest: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for field, counts in (manifest.get("labels") or {}).items():
        total = sum(counts.values()) or 1
        top = ", ".join(f"{k} {v} ({v / total:.0%})" for k, v in list(counts.items())[:6])
        more = ", ..." if len(counts) > 6 else ""
        out.append(f"- label field `{field}` in train.jsonl: {top}{more}")
    balance = manifest.get("balance")
    if balance:
        out.append(
            f"- balanced on `{balance['field']}` by undersampling (seed {balance['seed']}): "
            f"{balance['dropped']} training rows dropped"
        )
    return out


def render_readme(manifest: dict[str, Any], job: dict[str, Any], folder: str = ".") -> str:
    """The README text for a bundle described by ``manifest`` with job arguments ``job``;
    ``folder`` is the bundle's path as the user named it (for the commands)."""
    files = manifest["files"]
    grader = manifest["grader"]
    method = job["method"]["reinforcement"]
    hyper = method.get("hyperparameters") or {}
    lines = [
        f"# RFT bundle: {manifest['rubric']['id']}",
        "",
        f"A reinforcement fine-tuning job for `{manifest['model']}`, exported by rubricate "
        f"{manifest['rubricate_version']} from `{manifest['rubric']['path']}` on "
        f"{manifest['created_at']}.",
        "",
        "| file | what it is |",
        "|---|---|",
        f"| `grader.json` | the {grader['type']} grader `{grader['name']}`, byte for byte what "
        f"`{_compile_command(grader)}` writes (sha256 `{grader['sha256']}`) |",
        f"| `train.jsonl` | {files['train.jsonl']['rows']} training rows in the RFT format "
        "(`messages` plus the item fields the grader reads) |",
        f"| `valid.jsonl` | {files['valid.jsonl']['rows']} validation rows, none shared with "
        "training |",
        "| `job.json` | the exact keyword arguments of `client.fine_tuning.jobs.create`; "
        "`TRAINING_FILE_ID` and `VALIDATION_FILE_ID` are filled in at submit |",
        "| `manifest.json` | hashes, sources, calibration run, label distribution, warnings |",
        "",
        "## Calibration",
        "",
        _calibration(manifest),
        "",
        "## The job",
        "",
        f"- model: `{job['model']}`" + (f", suffix `{job['suffix']}`" if "suffix" in job else ""),
        f"- hyperparameters: `{json.dumps(hyper)}`" if hyper else "- hyperparameters: API defaults",
        "- response format: "
        + (
            f"json_schema `{method['response_format']['json_schema']['name']}`"
            if "response_format" in method
            else "text"
        ),
        *_labels(manifest),
        "",
        "## Submit and follow",
        "",
        "```bash",
        f"rubricate jobs submit {folder}            # OpenAI: OPENAI_API_KEY",
        f"rubricate jobs submit {folder} --azure    # Azure OpenAI: AZURE_OPENAI_ENDPOINT, "
        "AZURE_OPENAI_API_KEY, OPENAI_API_VERSION",
        "rubricate jobs status JOB_ID --follow     # status, events, reward curves",
        "rubricate jobs events JOB_ID",
        "rubricate jobs checkpoints JOB_ID",
        "rubricate jobs cancel JOB_ID",
        "```",
        "",
        "Or with the SDK alone:",
        "",
        "```python",
        "import json",
        "from openai import OpenAI  # or AzureOpenAI(azure_endpoint=..., api_version=...)",
        "",
        "client = OpenAI()",
        'job = json.load(open("job.json"))',
        'job["training_file"] = client.files.create(file=open("train.jsonl", "rb"), '
        'purpose="fine-tune").id',
        'job["validation_file"] = client.files.create(file=open("valid.jsonl", "rb"), '
        'purpose="fine-tune").id',
        "print(client.fine_tuning.jobs.create(**job).id)",
        "```",
        "",
        _CUTOFF,
        "",
    ]
    warnings = manifest.get("warnings") or []
    if warnings:
        lines += ["## Warnings at export", ""] + [f"- {w}" for w in warnings] + [""]
    return "\n".join(lines)


def _compile_command(grader: dict[str, Any]) -> str:
    """``rubricate compile`` with the options the bundle was compiled with (``grader.compile``)."""
    from rubricate.rubrics.compile.choice import CompileChoice

    options = CompileChoice.from_record(grader.get("compile")).options()
    return "rubricate compile RUBRIC" + (f" {options}" if options else "")
