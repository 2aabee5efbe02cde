"""The Gemini bundle's ``README.md``: what is in it, how to submit it, what is not equivalent."""

from __future__ import annotations

from typing import Any


def render_readme(manifest: dict[str, Any], job: dict[str, Any], out: str) -> str:
    """The README text (pure)."""
    g = manifest["gemini"]
    project = g["project"] or "PROJECT_ID"
    location = g["location"]
    spec = job["reinforcementTuningSpec"]
    lines = [
        f"# Gemini reinforcement tuning bundle: {manifest['rubric']['id']}",
        "",
        "Written by `rubricate export rft --platform gemini`. Google's reinforcement tuning is "
        "pre-GA (Vertex AI API v1beta1).",
        "",
        "| file | what |",
        "|---|---|",
        f"| `grader.json` | the calibrated grader, sha256 `{manifest['grader']['sha256']}` |",
        "| `train.jsonl`, `valid.jsonl` | `ReinforcementTuningExample` rows (item fields in "
        "`references`) |",
        "| `job.json` | the `tuningJobs.create` request body |",
        "| `manifest.json` | where everything came from, the scorers, every difference |",
        "",
        "## Submit",
        "",
        "```bash",
        f"gcloud storage cp {out}/train.jsonl {spec['trainingDatasetUri']}",
        f"gcloud storage cp {out}/valid.jsonl {spec['validationDatasetUri']}",
        'curl -X POST -H "Authorization: Bearer $(gcloud auth print-access-token)" \\',
        '  -H "Content-Type: application/json" \\',
        f"  https://{location}-aiplatform.googleapis.com/v1beta1/projects/{project}/"
        f"locations/{location}/tuningJobs \\",
        f"  -d @{out}/job.json",
        "```",
        "",
    ]
    calibration = manifest.get("calibration")
    lines.append(
        "Calibration: "
        + (
            f"run `{calibration['path']}` graded exactly these grader bytes."
            if calibration
            else "**no calibration run has graded these grader bytes.**"
        )
    )
    lines += ["", "## Reward", ""]
    if g["reward"] == "cloudrun":
        lines += [
            "One `cloudRunRewardScorer`: Gemini posts each response to `rubricate serve` "
            "(`POST /gemini`), which runs `grader.json` itself, so the reward is the calibrated "
            "grader's exactly (judge calls included). Deploy it first, e.g.:",
            "",
            "```bash",
            "gcloud run deploy rubricate-reward --source . --region "
            + location
            + " --no-allow-unauthenticated  # a container running: rubricate serve grader.json",
            "gcloud run services add-iam-policy-binding rubricate-reward --region "
            + location
            + " --member serviceAccount:service-PROJECT_NUMBER@gcp-sa-vertex-tune.iam."
            "gserviceaccount.com --role roles/run.invoker",
            "```",
            "",
            "The judge endpoint and key come from the service's environment (`OPENAI_BASE_URL`, "
            "`OPENAI_API_KEY`); a reward that cannot be computed is an HTTP error, never 0.",
        ]
    else:
        lines += [
            f"A composite of {len(g['scorers'])} weighted scorers, one per sub-grader of "
            "`grader.json` (Gemini: total = sum(w * r) / sum(w)):",
            "",
            "| reward | scorer | weight |",
            "|---|---|---|",
        ]
        lines += [
            f"| `{s['reward_name']}` | {s['kind']} | {s['weight']:.6g} |" for s in g["scorers"]
        ]
        if g["omitted"]:
            lines += ["", "Left out (weight 0, reported only): " + ", ".join(g["omitted"]) + "."]
        if g["autorater_model"]:
            lines += [
                "",
                f"Autorater: `{g['autorater_model']}`; the rubric was calibrated with "
                f"`{g['calibrated_judge_model']}`.",
            ]
    lines += ["", "## Equivalence", ""]
    if g["exact"] and g["reward"] == "composite":
        lines.append(
            "Every scorer is the calibrated sub-grader's reward and the weights reproduce the "
            "rubric's formula: the composite **is** the calibrated reward (code scorers run the "
            "sub-graders' python verbatim)."
        )
    elif g["differences"]:
        lines.append(
            "**Not the calibrated reward.** These rubric features have no exact Gemini equivalent:"
        )
        lines.append("")
        lines += [f"- {d}" for d in g["differences"]]
        lines += [
            "",
            "For the exact reward, export again with `--gemini serve_url=https://...` (the Cloud "
            "Run fallback through `rubricate serve`).",
        ]
    lines += [
        "",
        "Check it locally on a calibration set: `rubricate export rft ... --platform gemini "
        "--verify SET.jsonl` shows each scorer's reward beside the calibrated grader's.",
        "",
    ]
    return "\n".join(lines)
