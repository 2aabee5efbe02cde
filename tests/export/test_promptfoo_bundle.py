"""promptfoo bundles: the config's shape, and the assertion called with promptfoo-shaped
``context`` dicts on every example."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest
from ruamel.yaml import YAML

from rubricate.errors import ExportError
from rubricate.export.rewards.bundle import compile_for_bundle, promptfoo_files
from rubricate.export.rewards.common import UnscoredRewardError
from rubricate.export.rewards.promptfoo import grading_result
from rubricate.judge.records import GradeMetadata, GradeRecord
from rubricate.rubrics.compile import grader_json
from rubricate.rubrics.items import read_items
from rubricate.rubrics.loader import load_rubric
from rubricate.testing import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ["accordance_tax", "citations", "eurovoc"]


def _bundle(tmp_path: Path, example: str, threshold: float = 0.5) -> Path:
    loaded = load_rubric(ROOT / "examples" / example / "rubric.yaml")
    items = read_items(ROOT / "examples" / example / "items.jsonl")
    files = promptfoo_files(
        loaded,
        compile_for_bundle(loaded, None),
        items,
        providers=["openai:gpt-4.1-mini"],
        threshold=threshold,
    )
    out = tmp_path / example
    out.mkdir()
    for name, data in files.items():
        (out / name).write_bytes(data)
    return out


def _import(folder: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"pf_{folder.name}", folder / "rubricate_assert.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _answer(example: str, test_vars: dict, good: bool) -> str:
    if example == "eurovoc":
        return json.dumps({"domains": test_vars["domains"] if good else ["transport"]})
    if example == "citations":
        return json.dumps({"passages": test_vars["passages"] if good else ["No."]})
    memo = (ROOT / "examples" / example / "README.md").read_text(encoding="utf-8")
    return memo + " [[PASS]]" if good else "Nothing to allocate."


@pytest.mark.parametrize("example", EXAMPLES)
def test_config_runs_the_exact_grader_on_every_item(tmp_path: Path, example: str):
    folder = _bundle(tmp_path, example)
    config = YAML(typ="safe").load((folder / "promptfooconfig.yaml").read_text())
    loaded = load_rubric(ROOT / "examples" / example / "rubric.yaml")
    grader = compile_for_bundle(loaded, None).grader
    assert (folder / "grader.json").read_text() == grader_json(grader)
    (assertion,) = config["defaultTest"]["assert"]
    assert assertion == {
        "type": "python",
        "value": "file://rubricate_assert.py",
        "config": {"pass_threshold": 0.5},
    }
    assert config["prompts"] == ["file://prompt.json"]
    assert (folder / "prompt.json").read_text().strip() == "{{ messages | dump }}"
    lines = (ROOT / "examples" / example / "items.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines if line.strip()]
    assert [t["description"] for t in config["tests"]] == [i["id"] for i in items]
    for test, item in zip(config["tests"], items, strict=True):
        # the item exactly as in the file, one object variable (promptfoo rewrites top-level
        # string variables); the messages the RFT row has (these items carry their own)
        assert test["vars"] == {"item": item, "messages": item["messages"]}
    assert config["defaultTest"]["options"] == {"disableVarExpansion": True}


@pytest.mark.parametrize("example", EXAMPLES)
def test_assertion_with_promptfoo_context(
    tmp_path: Path, example: str, fake_openai_env: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("RUBRICATE_STORE", str(tmp_path / "calls.sqlite"))
    folder = _bundle(tmp_path, example)
    module = _import(folder)
    config = YAML(typ="safe").load((folder / "promptfooconfig.yaml").read_text())
    test = config["tests"][0]
    context = {
        "prompt": json.dumps(test["vars"]["messages"]),
        "vars": test["vars"],
        "test": {"vars": test["vars"], "assert": config["defaultTest"]["assert"]},
        "config": {"pass_threshold": 0.5},
        "logProbs": None,
        "provider": {"id": "openai:gpt-4.1-mini"},
        "providerResponse": {"output": "..."},
    }
    good = module.get_assert(_answer(example, test["vars"]["item"], True), context)
    bad = module.get_assert(_answer(example, test["vars"]["item"], False), context)
    assert good["pass"] is True and bad["pass"] is False
    assert good["score"] > bad["score"] and "pass threshold 0.5" in good["reason"]
    subs = good["namedScores"]
    assert [c["score"] for c in good["componentResults"]] == list(subs.values())
    strict = module.get_assert(
        _answer(example, test["vars"]["item"], True),
        {**context, "config": {"pass_threshold": 1.01}},
    )
    assert strict["pass"] is False and strict["score"] == good["score"]
    if example == "accordance_tax":  # the judge's conclusion is shown with its criterion
        assert any(": " in c["reason"].split(": ", 1)[1] for c in good["componentResults"])
    module.grader.close()


def test_output_parsed_by_promptfoo_is_graded_as_its_json_text(tmp_path: Path):
    module = _import(_bundle(tmp_path, "eurovoc"))
    result = module.get_assert({"domains": ["trade"]}, {"vars": {"domains": ["trade"]}})
    assert result["score"] == 1.0 and result["pass"] is True
    module.grader.close()


def test_a_grade_that_errors_raises_instead_of_scoring_zero(tmp_path: Path):
    module = _import(_bundle(tmp_path, "eurovoc"))
    with pytest.raises(UnscoredRewardError, match="python_grader_runtime_error"):
        module.get_assert('{"domains": []}', {"vars": {"title": "no gold labels"}})
    module.grader.close()


def test_grading_result_reports_clipping_and_threshold():
    record = GradeRecord(
        reward=0.8,
        sub_rewards={"a": 1.0},
        metadata=GradeMetadata(name="g", type="multi"),
        clipped=["a"],
    )
    result = grading_result(record, "g", 0.8)
    assert result["pass"] is True
    assert result["reason"] == "g: 0.8 >= pass threshold 0.8 (clipped to the range: a)"
    assert result["componentResults"] == [{"pass": True, "score": 1.0, "reason": "a: 1"}]


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("note", "send {{ env.OPENAI_API_KEY }} here", "item.note holds '{{ env... }}'"),
        ("note", "{{env['HOME']}}", "item.note holds"),
        ("schema", {"a": {"$ref": "#/defs/x"}}, 'item.schema.a has a "$ref" key'),
    ],
)
def test_items_promptfoo_would_rewrite_are_refused(tmp_path: Path, field, value, words):
    # promptfoo fills in {{ env.X }} and resolves $ref anywhere in a config when loading it
    items = tmp_path / "items.jsonl"
    row = {"id": "a", "domains": ["trade"], "messages": [{"role": "user", "content": "x"}]}
    items.write_text(json.dumps({**row, field: value}) + "\n", encoding="utf-8")
    loaded = load_rubric(ROOT / "examples" / "eurovoc" / "rubric.yaml")
    with pytest.raises(ExportError, match=re.escape(f"{items}:1: {words}")):
        promptfoo_files(
            loaded, compile_for_bundle(loaded, None), read_items(items), providers=[], threshold=0.5
        )


def test_a_hand_written_test_with_flat_vars_is_graded_with_them(tmp_path: Path):
    module = _import(_bundle(tmp_path, "eurovoc"))
    flat = module.get_assert('{"domains": ["trade"]}', {"vars": {"domains": ["trade", "law"]}})
    nested = module.get_assert(
        '{"domains": ["trade"]}', {"vars": {"item": {"domains": ["trade", "law"]}, "x": 1}}
    )
    assert flat["score"] == nested["score"] == pytest.approx(2 / 3)
    module.grader.close()
