"""``POST /openrlhf``: what OpenRLHF's remote reward client really sends, and what it can take.

OpenRLHF decodes ``prompt + response`` tokens with ``skip_special_tokens=False``, so a query
ends with the tokenizer's end token (``<|im_end|>``, ``</s>``), and with some tokenizers the
decoded prompt is not byte for byte the prompt it sent. Its batch split needs the same
``extra_logs`` keys in every answer, and every value must be JSON (no NaN). Each test here
reproduced a defect of the route (issue 13 and issue 15 item 8).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rubricate.export.serve.app import ServeConfig, create_app
from rubricate.rubrics.compile import compile_rubric
from rubricate.rubrics.loader import load_rubric

ROOT = Path(__file__).resolve().parents[2]
EUROVOC = compile_rubric(load_rubric(ROOT / "examples/eurovoc/rubric.yaml").rubric, None)
ITEM = {"domains": ["trade", "law"]}
PROMPT = "<|im_start|>user\nClassify the act.<|im_end|>\n<|im_start|>assistant\n"
GOOD = '{"domains": ["trade", "law"]}'


@pytest.fixture(scope="module")
def eurovoc() -> Iterator[TestClient]:
    with TestClient(create_app(ServeConfig(EUROVOC))) as client:
        yield client


@pytest.fixture(scope="module")
def eurovoc_value() -> Iterator[TestClient]:
    with TestClient(create_app(ServeConfig(EUROVOC, on_error="value:-1"))) as client:
        yield client


def _body(responses: list[str], prompts: list[str] | None = None, labels=None) -> dict:
    prompts = prompts or [PROMPT] * len(responses)
    return {
        "query": [p + r for p, r in zip(prompts, responses, strict=True)],
        "prompts": prompts,
        "labels": labels or [json.dumps(ITEM)] * len(responses),
    }


@pytest.mark.parametrize(
    "tail", ["<|im_end|>", "</s>", "<|im_end|><|endoftext|>", "<|eot_id|>", "<|im_end|>\n"]
)
def test_a_trailing_end_token_is_stripped_not_scored_zero(eurovoc: TestClient, tail: str):
    # was: the JSON did not parse with the tail, and F1 0 was counted as scored
    answer = eurovoc.post("/openrlhf", json=_body([GOOD + tail])).json()
    assert answer["rewards"] == [1.0]


def test_leading_special_tokens_before_the_prompt(eurovoc: TestClient):
    body = _body([GOOD + "</s>"])
    body["query"] = ["<s>" + body["query"][0]]
    assert eurovoc.post("/openrlhf", json=body).json()["rewards"] == [1.0]


def test_strip_tokens_are_configurable():
    config = ServeConfig(EUROVOC, strip_tokens=["<|my_end|>"])
    with TestClient(create_app(config)) as client:
        assert client.post("/openrlhf", json=_body([GOOD + "<|my_end|>"])).json()["rewards"] == [
            1.0
        ]
        # not in the list: the tail stays, and the pair is not a silent 0 (see below)
        failed = client.post("/openrlhf", json=_body([GOOD + "<|im_end|>"]))
        assert failed.status_code == 502 and "--strip-token" in failed.json()["error"]


def test_an_unknown_end_token_is_a_loud_failure_never_a_scored_zero(eurovoc_value: TestClient):
    # the JSON parses once the special-looking tail is cut: a transport artefact, not an answer
    answer = eurovoc_value.post("/openrlhf", json=_body([GOOD + "<|custom_stop|>"])).json()
    assert answer["rewards"] == [-1.0]
    assert answer["extra_logs"]["rubricate_scored"] == [0.0]


def test_a_real_non_json_answer_still_scores_zero_as_rubricate_grade_does(eurovoc: TestClient):
    answer = eurovoc.post("/openrlhf", json=_body(["I think trade.<|im_end|>"])).json()
    assert answer["rewards"] == [0.0]


def test_a_decoded_prompt_that_differs_from_the_prompt_sent(eurovoc: TestClient):
    # a tokenizer that normalises on decode (spaces, case, NFKC): was 422 for the whole batch
    sent = "<|im_start|>user\nClassify  the ＡＣＴ .<|im_end|>\n<|im_start|>assistant\n"
    decoded = "<|im_start|>user\nclassify the act.<|im_end|>\n<|im_start|>assistant\n"
    body = {"query": [decoded + GOOD + "<|im_end|>"], "prompts": [sent], "labels": [ITEM]}
    answer = eurovoc.post("/openrlhf", json=body)
    assert answer.status_code == 200 and answer.json()["rewards"] == [1.0]


def test_a_query_without_its_prompt_is_one_unscored_pair_not_a_422(eurovoc_value: TestClient):
    body = _body([GOOD, GOOD])
    body["query"][1] = "something else entirely " + GOOD
    answer = eurovoc_value.post("/openrlhf", json=body)
    assert answer.status_code == 200
    assert answer.json()["rewards"] == [1.0, -1.0]
    assert answer.json()["extra_logs"]["rubricate_scored"] == [1.0, 0.0]


def test_extra_logs_keys_are_the_same_in_every_answer(eurovoc_value: TestClient):
    # OpenRLHF stacks extra_logs per key across samples: "Size of info[rubricate/f1] (2) does
    # not match batch_size (3)" when one answer lacked the key
    unscored = eurovoc_value.post("/openrlhf", json={"query": ["x"], "labels": ["no item"]}).json()
    scored = eurovoc_value.post("/openrlhf", json=_body([GOOD])).json()
    assert set(unscored["extra_logs"]) == set(scored["extra_logs"]) == {
        "rubricate_scored",
        "rubricate/f1",
        "rubricate/precision",
        "rubricate/recall",
    }
    assert unscored["extra_logs"]["rubricate/f1"] == [-1.0]


def test_a_mixed_batch_under_value_policy_is_json(eurovoc_value: TestClient):
    # was a 500: NaN for the unscored pair's sub-rewards is not JSON
    body = _body([GOOD, GOOD])
    body["labels"][1] = "not an item"
    answer = eurovoc_value.post("/openrlhf", json=body)
    assert answer.status_code == 200
    data = json.loads(answer.text)  # strict JSON: no NaN
    assert data["rewards"] == [1.0, -1.0]
    for values in data["extra_logs"].values():
        assert all(isinstance(v, float) and math.isfinite(v) for v in values)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"query": ["q"], "prompts": 7}, "prompts"),
        ({"query": ["q"], "prompts": "q"}, "prompts"),
        ({"query": ["q"], "labels": {"answer": "x"}}, "labels"),
        ({"query": ["q"], "labels": "x"}, "labels"),
        ({"query": ["q"], "prompts": [7]}, "prompts[0]"),
        ({"query": ["q"], "labels": ['{"a": ' * 5000 + "1" + "}" * 5000]}, "deep"),
        ({"query": ["q"], "labels": ['{"a": ' * 100_000 + "1" + "}" * 100_000]}, "deep"),
    ],
)
def test_malformed_openrlhf_bodies_are_422(eurovoc: TestClient, body: dict, words: str):
    answer = eurovoc.post("/openrlhf", json=body)
    assert answer.status_code == 422, answer.text
    assert words in answer.json()["error"]


def test_deeply_nested_labels_as_json_values(eurovoc: TestClient):
    nested: object = "x"
    for _ in range(150):
        nested = [nested]
    answer = eurovoc.post("/openrlhf", json={"query": ["q"], "labels": [nested]})
    assert answer.status_code == 422 and "deep" in answer.json()["error"]


def test_json_nested_100000_deep_is_400_and_counted(eurovoc: TestClient):
    body = b"[" * 100_000 + b"]" * 100_000
    answer = eurovoc.post("/openrlhf", content=body)
    assert answer.status_code == 400 and "nested" in answer.json()["error"]
    assert eurovoc.post("/grade", content=body).status_code == 400
    metrics = eurovoc.get("/metrics").text
    assert 'rubricate_requests_total{route="/openrlhf",status="400"}' in metrics
    assert 'rubricate_requests_total{route="/grade",status="400"}' in metrics
