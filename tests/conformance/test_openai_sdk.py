"""The OpenAI SDK: every compiled grader (every target of every case) and an RFT job payload
for each, checked against the installed ``openai`` package's types (CI installs the newest),
then sent by the real SDK to the loopback server, which must receive them exactly as written.

The two places where the SDK's types are wrong about the API (a ``multi``'s ``graders`` map,
``response_format`` in ``method.reinforcement``) are named in
:mod:`rubricate.rubrics.compile.sdk_gaps`; a test here fails when a new SDK release fixes one,
so the workaround goes.
"""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest

from rubricate.datasets.response_format import response_format_from
from rubricate.errors import GraderError
from rubricate.export.rewards.bundle import compile_for_bundle
from rubricate.export.rft.payload import (
    fill_files,
    job_payload,
    validate_payload,
    without_pass_threshold,
)
from rubricate.rubrics.compile.sdk_gaps import gaps_in_installed_sdk
from rubricate.rubrics.compile.validate import validate_grader
from rubricate.rubrics.loader import load_rubric
from rubricate.testing import FakeOpenAI, finetune_routes
from tests.conformance import cases
from tests.conformance.conftest import ConformanceLog, Outcome

TARGETS = ("multi", "score_model", "python")
SCHEMAS = {
    "eurovoc": {"domains": {"type": "array", "items": {"type": "string"}}},
    "citations": {"passages": {"type": "array", "items": {"type": "string"}}},
}


def test_the_sdk_still_has_the_gaps_we_work_around():
    gaps = gaps_in_installed_sdk()
    fixed = [gap for gap, still in gaps.items() if not still]
    assert not fixed, (
        f"openai {openai.__version__} fixed: {fixed}; remove the workaround from "
        "rubricate/rubrics/compile/sdk_gaps.py"
    )


def _response_format(name: str) -> dict | None:
    properties = SCHEMAS.get(name)
    if properties is None:
        return None
    schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    return response_format_from(schema, name)


@pytest.mark.parametrize("name", cases.CASES)
def test_graders_and_payloads_pass_the_sdk_types_and_reach_the_api_as_written(
    name: str, conformance: ConformanceLog, fake_openai: FakeOpenAI, tmp_path: Path
):
    case = cases.build(name, tmp_path)
    loaded = load_rubric(case.rubric)
    state = finetune_routes.install(fake_openai)
    client = openai.OpenAI(api_key="sk-conformance-not-a-key", base_url=fake_openai.base_url)
    files = {}
    for purpose_name in ("train", "valid"):
        path = tmp_path / f"{purpose_name}.jsonl"
        path.write_text(json.dumps({"messages": [{"role": "user", "content": "x"}]}) + "\n")
        with path.open("rb") as handle:
            files[purpose_name] = client.files.create(file=handle, purpose="fine-tune").id
    sent, skipped = [], []
    for target in TARGETS:
        try:
            compiled = compile_for_bundle(loaded, target)
        except GraderError as error:  # this rubric has no form for this target
            skipped.append(f"{target} ({error.msg[:60]})")
            continue
        validate_grader(compiled.grader)
        grader, _ = without_pass_threshold(compiled.grader)
        payload = job_payload(
            model="o4-mini-2025-04-16",
            grader=grader,
            hyperparameters={"n_epochs": 1, "reasoning_effort": "medium"},
            response_format=_response_format(name),
            suffix=f"conformance-{target}",
            seed=7,
        )
        validate_payload(payload)  # the SDK's JobCreateParams, seen through sdk_gaps
        filled = fill_files(payload, files["train"], files["valid"])
        client.fine_tuning.jobs.create(**filled)
        sent.append((target, filled))
    client.close()
    differs = [t for (t, body), got in zip(sent, state.created, strict=True) if got != body]
    assert sent and len(state.created) == len(sent)
    verdict = "differs" if differs else "equal"
    detail = (
        f"openai {openai.__version__}: {len(sent)} graders + job payloads "
        f"({', '.join(t for t, _ in sent)}) sent as written"
        + (f"; changed by the SDK: {differs}" if differs else "")
        + (f"; no {', '.join(skipped)}" if skipped else "")
    )
    conformance.outcomes.append(Outcome("openai-sdk", name, verdict, detail))
    assert not differs, detail
