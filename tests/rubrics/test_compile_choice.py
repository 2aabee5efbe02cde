"""``CompileChoice``: the options, their record in a manifest, and the refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricate.errors import InputError
from rubricate.export.rft.manifest import manifest_choice
from rubricate.rubrics.compile import compile_exact
from rubricate.rubrics.compile.choice import CompileChoice, compile_choice, with_judge_model
from rubricate.rubrics.compile.panel import compile_panel
from rubricate.rubrics.compile.serialize import grader_json
from rubricate.rubrics.lint import load_checked_rubric

TAX = Path(__file__).resolve().parents[2] / "examples" / "accordance_tax" / "rubric.yaml"


@pytest.mark.parametrize(
    "choice",
    [
        CompileChoice(),
        CompileChoice(target="multi", judge_model="o3-mini-2025-01-31"),
        CompileChoice(panel=("a", "b", "c"), rule="mean"),
        CompileChoice(panel=("a", "b")),
    ],
)
def test_the_manifest_record_round_trips(choice: CompileChoice):
    assert CompileChoice.from_record(choice.record()) == choice
    assert manifest_choice({"grader": {"type": "multi", "compile": choice.record()}}) == choice


def test_a_manifest_without_a_record_keeps_its_grader_type_as_the_target():
    assert manifest_choice({"grader": {"type": "python"}}) == CompileChoice(target="python")
    assert manifest_choice(None) == CompileChoice()


def test_options_are_the_command_line_that_makes_the_choice():
    assert CompileChoice().options() == ""
    assert CompileChoice(judge_model="m").options() == "--judge-model m"
    assert (
        CompileChoice(panel=("a", "b"), rule="mean").options()
        == "--panel a,b --panel-rule mean"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"judge_model": "m", "panel": "a,b"}, "--panel and --judge-model both choose"),
        ({"target": "python", "panel": "a,b"}, "--panel compiles a multi grader"),
        ({"panel": "a"}, "--panel: a panel needs at least 2"),
        ({"judge_model": " "}, "--judge-model: give a model name"),
    ],
)
def test_refusals_name_the_option(kwargs: dict, message: str):
    with pytest.raises(InputError) as caught:
        CompileChoice.from_options(**kwargs)
    assert caught.value.msg.startswith(message)


def test_the_bytes_are_what_calibration_compiled_before():
    """The judge-model and panel bytes equal the compile calls calibration made before
    compile_choice existed (compile_exact of the overridden rubric; compile_panel)."""
    rubric = load_checked_rubric(TAX).rubric
    judged = with_judge_model(rubric, "o3-mini-2025-01-31")
    assert compile_choice(rubric, CompileChoice(judge_model="o3-mini-2025-01-31")).text == (
        compile_exact(judged)[2]
    )
    panel = CompileChoice(panel=("a", "b"))
    assert compile_choice(rubric, panel).text == grader_json(compile_panel(rubric, ("a", "b")))
    assert compile_choice(rubric, panel).target == "multi"
