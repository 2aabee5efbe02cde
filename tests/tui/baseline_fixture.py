"""Baseline run directories written by the real ``rubricate baseline`` against the loopback
server, with every sample's text scripted per model, item and sample index.

:func:`baseline_run` runs the command; :func:`expected_items` recomputes from the run's own
``grades.csv`` (with pandas, not with the review's code) what the review must show: each
model's scored rewards per item, and the items in headroom order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from rubricate.calibration.baseline.prepare import BaselineRequest, prepare_baseline
from rubricate.cli import run as cli
from rubricate.testing import FakeOpenAI, Fault
from tests.calibration.baseline_fixtures import script_samples
from tests.tui.refund import FULL_REFUND, refund_rubric

ROOT = Path(__file__).resolve().parents[2]
TAX = ROOT / "examples" / "accordance_tax"

Script = Mapping[str, Mapping[str, Sequence[str | None]]]
"""model -> item -> the text of each sample (None: the generation is refused)."""

REFUND_RUBRIC = refund_rubric("Reply to the customer's refund request for order {{ item.order }}.")
REFUND_ITEMS = ["late-order", "damaged", "wrong-size"]
GOOD = FULL_REFUND  # 1.0
HALF = "[[PASS]] A refund is due."  # facts met, no amount: 0.5
NONE = "No."  # 0.0
REFUND_SCRIPT: Script = {
    "cand-a": {
        "late-order": [GOOD, NONE, HALF],  # mean 0.5, max 1: headroom 0.5
        "damaged": [HALF, HALF, HALF],  # flat: headroom 0
        "wrong-size": [GOOD, GOOD, HALF],  # mean 5/6: headroom 1/6
    },
    "cand-b": {
        "late-order": [GOOD, GOOD, GOOD],  # always the maximum: headroom 0
        "damaged": [HALF, None, GOOD],  # refused: mean 0.75 over 2 (not 0.5 over 3): 0.25
        "wrong-size": [NONE, GOOD, NONE],  # mean 1/3: headroom 2/3
    },
}
"""Item headrooms (mean over the models): wrong-size (1/6 + 2/3) / 2 = 5/12, late-order 1/4,
damaged 1/8: the headroom order is not the file's."""

TAX_FULL = (
    "[[PASS]] Alex 33.33%, Barbara 20%, Chris 33.33%, Dana 13.33%; Barbara 26.67%, Dana 6.67%; "
    "$300,000; $240,030; $60,030; $248,333; $75,000"
)
TAX_PART = "[[PASS]] Alex 33.33%, Barbara 20%, Dana 13.33%; $300,000"
TAX_NONE = "The memo is short."
TAX_SCRIPT: Script = {
    "cand-a": {
        "memo-to-shareholders": [TAX_FULL, TAX_NONE, TAX_NONE],
        "preparer-workpaper": [TAX_PART, TAX_PART, TAX_FULL],
        "client-email": [TAX_NONE, TAX_NONE, TAX_NONE],
    },
    "cand-b": {
        "memo-to-shareholders": [TAX_PART, None, TAX_PART],
        "preparer-workpaper": [TAX_NONE, TAX_FULL, TAX_PART],
        "client-email": [TAX_FULL, TAX_FULL, TAX_FULL],
    },
}


def refund_files(folder: Path) -> tuple[Path, Path]:
    """The refund rubric and its three items, written into ``folder``."""
    rubric = folder / "rubric.yaml"
    rubric.write_text(REFUND_RUBRIC, encoding="utf-8")
    items = folder / "items.jsonl"
    lines = [f'{{"id": "{item}", "order": "A-{i}"}}\n' for i, item in enumerate(REFUND_ITEMS)]
    items.write_text("".join(lines), encoding="utf-8")
    return rubric, items


def baseline_run(
    fake: FakeOpenAI, rubric: Path, items: Path, out: Path, script: Script, samples: int = 3
) -> Path:
    """Run ``rubricate baseline`` with ``script``'s texts (its None samples refused); ``out``.

    ``fake`` must be the server the environment points at (``fake_openai_env``).
    """
    models = tuple(script)
    request = BaselineRequest(rubric=rubric, items=items, models=models, samples=samples)
    keys = script_samples(fake, prepare_baseline(request), script)
    refused = {
        keys[model][(item, index)]
        for model, per_item in script.items()
        for item, texts in per_item.items()
        for index, text in enumerate(texts)
        if text is None
    }
    if refused:
        fake.fault(Fault.refusal(), times=len(refused), match=lambda r: r.identity in refused)
    store = str(out.parent / "calls.sqlite")
    argv = ["baseline", str(rubric), "--items", str(items), "--samples", str(samples),
            "--out", str(out), "--store", store, "--no-figures",
            "--max-unscored", "1"]  # fmt: skip
    for model in models:
        argv += ["--model", model]
    assert cli(argv) == 0
    asked = set(fake.received())
    assert all(key in asked for per in keys.values() for key in per.values())  # script reached
    return out


def headline_rewards(out: Path) -> pd.DataFrame:
    """The scored rewards of ``out/grades.csv``: item_id, model, sample, score."""
    grades = pd.read_csv(out / "grades.csv", dtype={"item_id": str, "model": str})
    total = grades[(grades["criterion"] == "__total__") & grades["scored"].astype(bool)]
    return total[["item_id", "model", "sample", "score"]]


def expected_items(out: Path, item_order: Sequence[str]) -> list[tuple[str, float]]:
    """``(item, headroom)`` highest first (ties in file order), computed from grades.csv:
    per model max - mean over scored samples, then the mean over models."""
    rewards = headline_rewards(out)
    per_model = rewards.groupby(["item_id", "model"])["score"].agg(["max", "mean"])
    headroom = (per_model["max"] - per_model["mean"]).groupby(level="item_id").mean()
    rows = [(item, float(headroom[item])) for item in item_order if item in headroom.index]
    return sorted(rows, key=lambda r: -r[1] if not math.isnan(r[1]) else math.inf)
