"""Label tasks in a baseline: per-sample, micro and macro averages, side by side per model."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from rubricate.calibration.baseline.execution import execute_baseline
from rubricate.calibration.baseline.labels import averages, label_tasks, sample_labels
from rubricate.calibration.baseline.prepare import BaselineRequest, prepare_baseline
from rubricate.judge.calls import ClientSettings
from rubricate.rubrics.loader import load_rubric
from rubricate.testing import FakeOpenAI
from tests.calibration.baseline_fixtures import (
    EUROVOC,
    ROOT,
    domains,
    eurovoc_items,
    script_samples,
)

PRECISE, EAGER = "precise", "eager"
# Gold: payment-services and financial-instruments {finance, business and competition},
# renewable-energy {energy, environment}. "precise" names one gold label, "eager" both plus two
# wrong ones.
SCRIPT = {
    PRECISE: {
        "payment-services": [domains("finance")] * 2,
        "financial-instruments": [domains("finance")] * 2,
        "renewable-energy": [domains("energy")] * 2,
    },
    EAGER: {
        "payment-services": [domains("finance", "business and competition", "trade", "law")] * 2,
        "financial-instruments": [domains("finance", "business and competition", "trade", "law")]
        * 2,
        "renewable-energy": [domains("energy", "environment", "trade", "law")] * 2,
    },
}


def test_one_model_high_precision_low_recall_the_other_the_reverse(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    items = eurovoc_items(tmp_path / "items.jsonl", list(SCRIPT[PRECISE]))
    request = BaselineRequest(rubric=EUROVOC / "rubric.yaml", items=items,
                              models=(PRECISE, EAGER), samples=2, out=tmp_path / "run",
                              figures=False)  # fmt: skip
    prepared = prepare_baseline(request)
    script_samples(fake_openai, prepared, SCRIPT)
    data = asyncio.run(execute_baseline(prepared, client_settings)).data
    means = {r["criterion"]: r["models"] for r in data["criteria"]}
    # precise: P 1, R 1/2, F1 2/3 on every sample; eager: P 2/4, R 1, F1 2/3
    assert means["precision"][PRECISE]["mean"] == 1.0 and means["recall"][PRECISE]["mean"] == 0.5
    assert means["precision"][EAGER]["mean"] == 0.5 and means["recall"][EAGER]["mean"] == 1.0
    assert means["f1"][PRECISE]["mean"] == pytest.approx(2 / 3)
    assert means["f1"][EAGER]["mean"] == pytest.approx(2 / 3)
    (task,) = data["labels"]
    assert task["criteria"] == ["f1", "precision", "recall"] and task["kind"] == "multi"
    precise, eager = task["models"][PRECISE], task["models"][EAGER]
    # micro, precise: TP 6 (3 items x 2 samples), FP 0, FN 6 -> P 1, R 1/2, F1 2/3
    assert precise["micro"] == pytest.approx({"precision": 1.0, "recall": 0.5, "f1": 2 / 3})
    # micro, eager: TP 12, FP 12, FN 0 -> P 1/2, R 1, F1 2/3
    assert eager["micro"] == pytest.approx({"precision": 0.5, "recall": 1.0, "f1": 2 / 3})
    # macro, precise: finance and energy P=R=F1=1; business and competition and environment
    # never predicted (P 0/0 -> 0, R 0) -> (1 + 0 + 1 + 0) / 4 = 1/2 each
    assert precise["macro"] == pytest.approx({"precision": 0.5, "recall": 0.5, "f1": 0.5})
    assert precise["labels"] == 4
    # macro, eager: four gold labels at 1, trade and law at 0 -> 4/6 each
    assert eager["macro"] == pytest.approx({"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3})
    # the per-sample average is what the sub-graders average
    assert eager["per_sample"] == pytest.approx({"precision": 0.5, "recall": 1.0, "f1": 2 / 3})
    markdown = (tmp_path / "run" / "report.md").read_text()
    assert "| micro (pooled counts) | 1.000 | 0.500 | 0.667 | 0.500 | 1.000 | 0.667 |" in markdown
    assert "| `precision` | 0 | 1.000 (n=6) | 0.500 (n=6) |" in markdown


def test_fuzzy_matching_and_no_macro_without_shared_labels() -> None:
    pairs = [
        (["the rent is due monthly.", "unrelated"], ["The rent is due monthly"], "a"),
        ([], ["clause two"], "b"),
        ([], [], "c"),
    ]
    result = averages(pairs, 0.85)
    # sample a: 1 match of 2 predicted, 1 gold -> P 1/2, R 1, F1 2/3; b: P 0, R 0, F1 0;
    # c: nothing expected, nothing said -> P 1, R 1, F1 1
    assert result["per_sample"] == pytest.approx(
        {"precision": 0.5, "recall": 2 / 3, "f1": (2 / 3 + 0 + 1) / 3}
    )
    # micro: TP 1, FP 1, FN 1 -> P 1/2, R 1/2, F1 1/2
    assert result["micro"] == pytest.approx({"precision": 0.5, "recall": 0.5, "f1": 0.5})
    assert result["macro"] is None  # every item has labels of its own
    assert averages([], None) == {
        "samples": 0, "labels": 0, "per_sample": None, "micro": None, "macro": None}  # fmt: skip


def test_label_tasks_group_the_criteria_of_one_comparison() -> None:
    eurovoc = load_rubric(EUROVOC / "rubric.yaml").rubric
    (task,) = label_tasks(eurovoc)
    assert task.criteria == ("f1", "precision", "recall") and task.kind == "multi"
    item = {"domains": ["Environment", "industry"]}
    assert sample_labels(task, '{"domains": ["environment ", "trade"]}', item) == (
        ["environment", "trade"], ["environment", "industry"])  # fmt: skip
    assert sample_labels(task, "not json", item) == ([], ["environment", "industry"])
    assert sample_labels(task, '{"domains": []}', {}) == ([], [])  # field missing: no labels
    citations = load_rubric(ROOT / "examples" / "citations" / "rubric.yaml").rubric
    (quoted,) = label_tasks(citations)
    assert quoted.config["fuzzy_threshold"] == 0.85
    tax = load_rubric(ROOT / "examples" / "accordance_tax" / "rubric.yaml").rubric
    assert label_tasks(tax) == []
