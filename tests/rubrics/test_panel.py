"""A panel of judges compiled as one ``multi`` grader: the formula pools exactly as
:func:`~rubricate.rubrics.compile.panel.pooled`, each judge's sub-grader is that judge's own,
checks appear once, and bad panels are one line."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from rubricate.cli import run as cli
from rubricate.errors import InputError
from rubricate.judge.formula import evaluate
from rubricate.rubrics.compile import compile_rubric, subgrader_plan
from rubricate.rubrics.compile.panel import (
    compile_panel,
    panel_name,
    pooled,
    pooled_formula,
)
from rubricate.rubrics.lint import load_checked_rubric

ROOT = Path(__file__).resolve().parents[2]
TAX = ROOT / "examples" / "accordance_tax" / "rubric.yaml"
MODELS = ["gpt-4o-2024-08-06", "o3-mini-2025-01-31", "gpt-4.1-mini-2025-04-14"]


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_the_majority_formula_is_more_than_half_and_a_tie_is_not_met(k: int) -> None:
    names = [f"j{i}" for i in range(k)]
    formula = pooled_formula(names, "majority", 1)
    for verdicts in itertools.product((0, 1), repeat=k):
        expected = 1.0 if sum(verdicts) > k / 2 else 0.0  # a tie (k even) is not met
        assert evaluate(formula, dict(zip(names, verdicts, strict=True))) == expected
        assert pooled(verdicts, "majority", 1) == expected


def test_levels_and_the_mean_rule_take_the_mean() -> None:
    names = ["a", "b", "c"]
    for rule, level in (("mean", 1), ("majority", 2), ("mean", 3)):
        formula = pooled_formula(names, rule, level)  # type: ignore[arg-type]  # both rules
        for values in ((0, 1, 1), (2, 0, 1), (3, 3, 2)):
            got = evaluate(formula, dict(zip(names, values, strict=True)))
            assert got == pytest.approx(sum(values) / 3)
            assert pooled(values, rule, level) == pytest.approx(sum(values) / 3)  # type: ignore[arg-type]


def test_each_judge_is_its_own_single_judge_subgrader_and_checks_appear_once() -> None:
    rubric = load_checked_rubric(TAX).rubric
    panel = compile_panel(rubric, MODELS)
    plan = subgrader_plan(rubric)
    singles = []
    for model in MODELS:
        judge = rubric.judge.model_copy(update={"model": model})
        singles.append(compile_rubric(rubric.model_copy(update={"judge": judge}), "multi"))
    judged_names = [name for _, name, role in plan if role == "judge"]
    other = [name for _, name, role in plan if role != "judge"]
    assert judged_names and other
    for name in judged_names:
        assert name not in panel["graders"]
        for k, single in enumerate(singles, 1):
            sub = dict(panel["graders"][panel_name(name, k)])
            assert sub.pop("name") == panel_name(name, k)
            assert sub == {key: v for key, v in single["graders"][name].items() if key != "name"}
            assert sub["model"] == MODELS[k - 1]
    for name in other:
        assert panel["graders"][name] == singles[0]["graders"][name]
    assert len(panel["graders"]) == len(other) + 3 * len(judged_names)


def test_the_panel_reward_is_the_rubric_scored_on_the_pooled_verdicts() -> None:
    """All checks pass; judges 1 and 2 give every criterion its top level, judge 3 the lowest:
    the majority panel's reward is the single grader's with each met / not met criterion met
    and each levelled one at 2/3 of its top (the mean), the mean panel's is that of 2/3
    everywhere."""
    rubric = load_checked_rubric(TAX).rubric
    single = compile_rubric(rubric, "multi")
    plan = subgrader_plan(rubric)
    levels = {c.id: c.max_level for c in rubric.leaves()}
    subs: dict[str, float] = {}
    all_met: dict[str, float] = {}
    two_thirds: dict[str, float] = {}
    for cid, name, role in plan:
        if role != "judge":
            subs[name] = all_met[name] = two_thirds[name] = 1.0
            continue
        top = levels[cid]
        subs |= {panel_name(name, 1): top, panel_name(name, 2): top, panel_name(name, 3): 0}
        all_met[name] = top if top == 1 else top * 2 / 3
        two_thirds[name] = top * 2 / 3
    majority = compile_panel(rubric, MODELS, "majority")
    mean = compile_panel(rubric, MODELS, "mean")
    assert evaluate(majority["calculate_output"], subs) == pytest.approx(
        evaluate(single["calculate_output"], all_met)
    )
    assert evaluate(mean["calculate_output"], subs) == pytest.approx(
        evaluate(single["calculate_output"], two_thirds)
    )


@pytest.mark.parametrize(
    ("models", "rule", "words"),
    [
        (["a"], "majority", "at least 2 judge models"),
        (["a", "a"], "majority", "repeated"),
        (["a", "b"], "median", "unknown rule 'median'"),
    ],
)
def test_bad_panels_are_one_line(models: list[str], rule: str, words: str) -> None:
    rubric = load_checked_rubric(TAX).rubric
    with pytest.raises(InputError, match=words):
        compile_panel(rubric, models, rule)  # type: ignore[arg-type]  # the bad rule


def test_a_rubric_that_judges_nothing_has_no_panel(capsys: pytest.CaptureFixture) -> None:
    code = cli(["compile", str(ROOT / "examples" / "eurovoc" / "rubric.yaml"), "--panel", "a,b"])
    err = capsys.readouterr().err
    assert code == 2 and "judges no criterion" in err and len(err.strip().splitlines()) == 1


def test_compile_panel_cli_writes_the_validated_grader(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    out = tmp_path / "panel.json"
    assert cli(["compile", str(TAX), "--panel", ",".join(MODELS), "-o", str(out)]) == 0
    grader = json.loads(out.read_text())
    rubric = load_checked_rubric(TAX).rubric
    assert grader == json.loads(json.dumps(compile_panel(rubric, MODELS)))
    capsys.readouterr()
    assert cli(["compile", str(TAX), "--panel", ",".join(MODELS), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert {s["name"] for s in summary["subgraders"]} == set(grader["graders"])
    assert cli(["compile", str(TAX), "--panel", "a,b", "--target", "score_model"]) == 2
