"""The ``--verify`` verdict (rubricate.export.verify.render): what fails and what does not."""

from __future__ import annotations

from rubricate.export.verify.model import AnswerComparison, PartReward, Verification
from rubricate.export.verify.render import render_verification


def _answer(*parts: PartReward, answer_id: str = "great", error: str | None = None):
    cal = sum(p.calibrated or 0 for p in parts)
    form = sum(p.form or 0 for p in parts)
    return AnswerComparison("memo", answer_id, 0, cal, form, tuple(parts), error)


def test_equal_deterministic_parts_pass():
    v = Verification("openai", (_answer(PartReward("f1", False, 0.5, 0.5)),))
    rendered = render_verification(v)
    assert not rendered.failed and rendered.failure == ""
    assert rendered.data["deterministic_parts"] == 1
    assert rendered.text.endswith("verdict: every deterministic part equal")


def test_a_deterministic_difference_over_1e_9_fails():
    v = Verification("azure", (_answer(PartReward("f1", False, 0.5, 0.5 + 2e-9)),))
    rendered = render_verification(v)
    assert rendered.failed
    assert "memo/great#0 f1: calibrated 0.500000 != azure 0.500000" in rendered.failure
    assert rendered.data["max_deterministic_difference"] > 1e-9


def test_a_difference_within_1e_9_passes():
    v = Verification("azure", (_answer(PartReward("f1", False, 0.5, 0.5 + 5e-10)),))
    assert not render_verification(v).failed


def test_a_judged_difference_is_shown_not_failed():
    v = Verification(
        "openai",
        (
            _answer(PartReward("gate", False, 1.0, 1.0), PartReward("judge", True, 1.0, 0.0)),
            _answer(PartReward("gate", False, 1.0, 1.0), PartReward("judge", True, 0.5, 0.5)),
        ),
    )
    rendered = render_verification(v)
    assert not rendered.failed
    # (|1 - 0| + |0.5 - 0.5|) / 2 = 0.5
    assert rendered.data["judged_mean_abs_difference"] == 0.5
    assert "judged parts: 2, mean absolute difference 0.5000" in rendered.text


def test_no_answers_fails():
    rendered = render_verification(Verification("openai", ()))
    assert rendered.failed and "no answer was compared" in rendered.failure


def test_answers_with_nothing_compared_fail():
    v = Verification(
        "openai",
        (AnswerComparison("memo", "great", 0, None, None, (), "form: grader.json cannot run"),),
    )
    rendered = render_verification(v)
    assert rendered.failed and "no answer was compared" in rendered.failure


def test_an_answer_error_is_counted_and_shown():
    ok = _answer(PartReward("f1", False, 1.0, 1.0))
    broken = _answer(
        PartReward("f1", False, 1.0, 1.0),
        PartReward("judge", True, None, None, "form: judge reply did not parse"),
        answer_id="fair",
        error="form: unscored",
    )
    rendered = render_verification(Verification("openai", (ok, broken)))
    assert rendered.data["answer_errors"] == 1
    assert "memo/fair#0: form: unscored" in rendered.data["errors"]
    assert "memo/fair#0 judge: form: judge reply did not parse" in rendered.data["errors"]
    assert "answers with an error: 1" in rendered.text
    assert not rendered.failed  # the deterministic part of both answers is equal


def test_a_deterministic_part_without_a_reward_fails():
    part = PartReward("f1", False, 1.0, None, "form: python_grader_runtime_error")
    rendered = render_verification(Verification("openai", (_answer(part),)))
    assert rendered.failed and "python_grader_runtime_error" in rendered.failure


def test_a_form_failure_fails_whatever_the_rewards():
    v = Verification(
        "openai",
        (_answer(PartReward("f1", False, 1.0, 1.0)),),
        failures=("grader.json is not the rubric's fresh compile",),
    )
    rendered = render_verification(v)
    assert rendered.failed and "fresh compile" in rendered.failure
    assert "failure: grader.json is not the rubric's fresh compile" in rendered.text


def test_a_total_difference_fails_when_every_part_is_deterministic():
    part = PartReward("f1", False, 0.5, 0.5)
    changed = AnswerComparison("memo", "great", 0, 0.5, 1.0, (part,))
    rendered = render_verification(Verification("openai", (changed,)))
    assert rendered.failed and "memo/great#0 total: calibrated 0.500000 != openai 1.000000" in (
        rendered.failure
    )
    judged = AnswerComparison(
        "memo", "great", 0, 0.5, 1.0, (part, PartReward("j", True, 0.0, 1.0))
    )
    assert not render_verification(Verification("openai", (judged,))).failed
