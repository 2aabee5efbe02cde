"""The runtime: dispatch, config checks, order, progress, repeats, timing."""

from __future__ import annotations

import pytest

from rubricate.errors import GraderError
from rubricate.judge.graders.kinds import model_calls
from rubricate.judge.runtime import Runtime, pairs_at_once
from rubricate.judge.sample import make_sample
from tests.judge.fakes import ScriptedClient, score_reply

CHECK = {"type": "string_check", "name": "s", "input": "{{ sample.output_text }}",
         "reference": "{{ item.answer }}", "operation": "eq"}  # fmt: skip
JUDGE = {"type": "score_model", "name": "j", "model": "m",
         "input": [{"role": "user", "content": "{{ sample.output_text }}"}]}  # fmt: skip


class Counter:
    def __init__(self) -> None:
        self.advanced = 0

    def start(self, total: int | None = None, description: str | None = None) -> None: ...
    def update(self, total: int | None = None, description: str | None = None) -> None: ...
    def close(self) -> None: ...

    def advance(self, n: int = 1) -> None:
        self.advanced += n


async def test_grade_many_preserves_order_and_reports_progress() -> None:
    pairs = [({"answer": str(i % 3)}, make_sample(str(i % 2))) for i in range(50)]
    progress = Counter()
    async with Runtime() as rt:
        records = await rt.grade_many(CHECK, pairs, progress=progress, concurrency=4)
    assert [r.reward for r in records] == [float(str(i % 3) == str(i % 2)) for i in range(50)]
    assert progress.advanced == 50
    assert all(r.metadata.execution_time >= 0 for r in records)


async def test_repeat_is_passed_to_every_model_call() -> None:
    client = ScriptedClient(responder=lambda request, repeat: score_reply(repeat / 10))
    async with Runtime(client) as rt:
        records = await rt.grade_many(JUDGE, [({}, make_sample("a"))] * 3, repeat=4)
        single = await rt.grade(JUDGE, {}, make_sample("a"), repeat=2)
    assert [r.reward for r in records] == [0.4, 0.4, 0.4]
    assert single.reward == 0.2
    assert [repeat for _, repeat in client.requests] == [4, 4, 4, 2]


async def test_model_graders_without_client_are_not_run() -> None:
    async with Runtime(None) as rt:
        records = await rt.grade_many(JUDGE, [({}, make_sample("a"))] * 2)
    for record in records:
        assert not record.scored
        assert record.metadata.errors.model_grader_server_error_details == "not_configured"


@pytest.mark.parametrize(
    "grader, words",
    [
        ({"name": "x"}, ["unknown grader type None"]),
        ({"type": "regex", "name": "x"}, ["unknown grader type 'regex'"]),
        ({**CHECK, "operation": "neq"}, ["operation", "'ne'"]),
        ({k: v for k, v in CHECK.items() if k != "input"}, ["input", "missing"]),
        ({**CHECK, "input": 3}, ["input", "must be a string"]),
        ({"type": "multi", "name": "m", "graders": {"a": {"type": "multi", "name": "n",
          "graders": {}, "calculate_output": "1"}}, "calculate_output": "a"}, ["cannot contain"]),
        ({**JUDGE, "range": [1, 0]}, ["range"]),
        ({**JUDGE, "input": []}, ["non-empty list"]),
        ({"type": "text_similarity", "name": "t", "input": "a", "reference": "b",
          "evaluation_metric": "rouge_6"}, ["evaluation_metric"]),
    ],
)  # fmt: skip
async def test_configs_that_cannot_run_raise(grader: dict, words: list[str]) -> None:
    async with Runtime() as rt:
        with pytest.raises(GraderError) as info:
            await rt.grade(grader, {}, make_sample("x"))
        with pytest.raises(GraderError):
            await rt.grade_many(grader, [({}, make_sample("x"))])
    for word in words:
        assert word in info.value.msg


async def test_template_and_formula_problems_are_records_not_exceptions() -> None:
    # a malformed template is a per-record invalid_variable_error (as on the platform)
    async with Runtime() as rt:
        record = await rt.grade({**CHECK, "input": "{{ foo.bar }}"}, {}, make_sample("x"))
    assert record.metadata.errors.flags() == ["invalid_variable_error"]


async def test_python_workers_get_nltk_data(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    import rubricate.judge.runtime as runtime

    monkeypatch.setattr(runtime, "nltk_data_dir", lambda: str(tmp_path))
    async with Runtime(python_workers=1) as rt:
        pool = await rt.python_pool()
        assert pool.extra_env == {"NLTK_DATA": str(tmp_path)}
        assert await rt.python_pool() is pool


def test_model_calls_and_pairs_at_once() -> None:
    """A pair renders and claims every call when it starts: grade starts about three times
    the client's slots' worth of calls (issue 20), at least 64 pairs of a check-only grader."""
    judge = {"type": "score_model", "name": "j", "model": "m", "input": []}
    check = {"type": "string_check", "name": "s", "input": "a", "reference": "a",
             "operation": "eq"}  # fmt: skip
    cosine = {"type": "text_similarity", "evaluation_metric": "cosine"}
    multi = {"type": "multi", "graders": {f"j{i}": judge for i in range(15)} | {"s": check}}
    assert [model_calls(g) for g in (judge, check, cosine, multi, {"type": "multi"})] == [
        1, 0, 1, 15, 0
    ]  # fmt: skip
    assert pairs_at_once(multi, 64) == 13  # 13 x 15 = 195 calls for 64 slots
    assert pairs_at_once(judge, 64) == 192
    assert pairs_at_once(check, 8) == 64 and pairs_at_once(check, 64) == 128
    assert pairs_at_once(multi, 1) == 2
