"""The grading runtime inside the Bedrock Lambda package: standard library only.

A Lambda's Python has no rubricate, pydantic or openai SDK, and a package built on the
exporter's machine must not carry that machine's compiled wheels (``pydantic_core`` built for
macOS does not import on Lambda's Amazon Linux). This is why the Lambda, alone of the exported
reward modules, does not go through rubricate's public API (``rubricate.load_grader`` and
``rubricate.rewards``; ``docs/api.md``): that API needs the whole package and its compiled
dependencies, where this runtime keeps the zip at about 35 KB, far inside Lambda's limits, and
``export rft --platform bedrock --verify`` checks it against the calibrated grader part by part.
So the package carries this module plus
*verbatim copies* of the pure-Python rubricate modules that decide a reward: template
rendering (:mod:`rubricate.judge.template`), ``calculate_output``
(:mod:`rubricate.judge.formula`, :mod:`rubricate.judge.formula_parser`), the judge reply parser
(:mod:`rubricate.judge.graders.judge_reply`) and the sample namespace
(:mod:`rubricate.judge.sample`). This module re-implements only the small glue that rubricate's
own graders wrap around them, with the same rules (the docstrings of
:mod:`rubricate.judge.graders.string_check`, ``python_grader``, ``model_graders`` and ``multi``):

- ``string_check``: ``eq``/``ne``/``like``/``ilike`` on the rendered ``input`` and ``reference``;
- ``python``: ``grade(sample, item)`` from ``source``; the value must be a finite
  ``numbers.Real`` (as :func:`rubricate.judge.sandbox.worker_executor.check_value`). It runs in
  the Lambda process (no bubblewrap sandbox there; the Lambda is the user's own function);
- ``score_model`` / ``label_model``: the rendered messages go to ``$OPENAI_BASE_URL``
  ``/chat/completions`` with the reply schema as ``response_format`` ``json_schema`` and the
  grader's ``sampling_params``; the reply is parsed by the same parser; a score outside
  ``range`` is clipped (the platform's value);
- ``multi``: every sub-grader, then ``calculate_output`` over their rewards.

``text_similarity`` needs rapidfuzz / sacrebleu / rouge-score / nltk or an embeddings model and
is not in this runtime: the exporter refuses such graders (:mod:`.prepare`).

Anything that leaves a part without a reward (a missing template variable, a python grader
that raises or returns a non-number, a judge reply that does not parse after the retries, an
HTTP error after the retries, a formula error) raises :class:`RewardError`: there is no
silent 0 (see :mod:`.lambda_function` for how that reaches Bedrock).

Environment (read by the Lambda; nothing is stored in the package): ``OPENAI_BASE_URL`` (e.g.
``https://bedrock-mantle.<region>.api.aws/v1``, Bedrock's OpenAI-compatible endpoint, per
"Access and security for open-weight models",
https://docs.aws.amazon.com/bedrock/latest/userguide/rft-open-weight-access-security.html),
``OPENAI_API_KEY`` (e.g. an Amazon Bedrock API key), ``RUBRICATE_TIMEOUT`` (seconds per judge
request, 120), ``RUBRICATE_MAX_RETRIES`` (extra attempts per judge call, 3),
``RUBRICATE_CONCURRENCY`` (parts graded at once, 16).
"""

from __future__ import annotations

import json
import math
import numbers
import os
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from rubricate.judge.formula import FormulaError, evaluate, parse
from rubricate.judge.graders.judge_reply import (
    SCORE_SCHEMA,
    ReplyParseError,
    label_schema,
    parse_label_reply,
    parse_score_reply,
)
from rubricate.judge.sample import make_sample
from rubricate.judge.template import TemplateError, render

RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


class RewardError(Exception):
    """A part of the reward could not be computed (the message says which and why)."""


@dataclass
class Settings:
    """The judge endpoint and limits, from the Lambda's environment."""

    base_url: str = "https://api.openai.com/v1"
    api_key: str | None = None
    timeout_s: float = 120.0
    max_retries: int = 3
    concurrency: int = 16

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            base_url=(env.get("OPENAI_BASE_URL") or cls.base_url).rstrip("/"),
            api_key=env.get("OPENAI_API_KEY") or None,
            timeout_s=float(env.get("RUBRICATE_TIMEOUT") or 120.0),
            max_retries=int(env.get("RUBRICATE_MAX_RETRIES") or 3),
            concurrency=max(1, int(env.get("RUBRICATE_CONCURRENCY") or 16)),
        )


@dataclass
class Result:
    """One sample's reward: the total and each part's (sub-grader name -> reward)."""

    reward: float
    parts: dict[str, float] = field(default_factory=dict)


def _texts(grader: dict, item: dict, sample: dict, path: str) -> tuple[str, str]:
    try:
        return render(grader["input"], item, sample), render(grader["reference"], item, sample)
    except TemplateError as error:
        raise RewardError(f"{path}: {error.msg}") from None


def string_check(grader: dict, item: dict, sample: dict, path: str) -> float:
    text, reference = _texts(grader, item, sample, path)
    operation = grader["operation"]
    if operation == "eq":
        return float(text == reference)
    if operation == "ne":
        return float(text != reference)
    if operation == "like":
        return float(reference in text)
    if operation == "ilike":
        return float(reference.lower() in text.lower())
    raise RewardError(f"{path}: unknown string_check operation {operation!r}")


_PYTHON: dict[str, Any] = {}


def python(grader: dict, item: dict, sample: dict, path: str) -> float:
    source = grader["source"]
    fn = _PYTHON.get(source)
    if fn is None:
        module: dict[str, Any] = {"__name__": "grader"}
        try:
            exec(compile(source, f"<{path}>", "exec"), module)  # noqa: S102 - the grader's code
        except BaseException as error:  # noqa: BLE001 - reported, never a 0
            raise RewardError(f"{path}: python grader does not load: {error!r}") from None
        fn = module.get("grade")
        if not callable(fn):
            raise RewardError(f"{path}: the source defines no grade(sample, item) function")
        _PYTHON[source] = fn
    try:
        value = fn(json.loads(json.dumps(sample)), json.loads(json.dumps(item)))
    except BaseException as error:  # noqa: BLE001 - everything a grader raises is reported
        raise RewardError(f"{path}: python grader failed: {error!r}") from None
    if not isinstance(value, numbers.Real):
        raise RewardError(f"{path}: grade() returned {type(value).__name__}, not a number")
    number = float(value)
    if not math.isfinite(number):
        raise RewardError(f"{path}: grade() returned {number!r}, not a finite number")
    return number


def _part(part: Any) -> Any:
    if not isinstance(part, dict):
        return part
    kind = part.get("type")
    if kind in ("input_text", "output_text"):
        return {"type": "text", "text": part.get("text", "")}
    if kind == "input_image":
        return {"type": "image_url", "image_url": {"url": part.get("image_url", "")}}
    return part


def judge_messages(grader: dict, item: dict, sample: dict, path: str) -> list[dict[str, Any]]:
    """The judge's chat messages, every template rendered (as ``model_graders.render_messages``)."""
    out: list[dict[str, Any]] = []
    for message in grader["input"]:
        content = message.get("content", "")
        try:
            if isinstance(content, str):
                rendered: Any = render(content, item, sample)
            else:
                parts = content if isinstance(content, list) else [content]
                rendered = []
                for part in parts:
                    if isinstance(part, dict) and isinstance(part.get("text"), str):
                        part = {**part, "text": render(part["text"], item, sample)}
                    if isinstance(part, dict) and isinstance(part.get("image_url"), str):
                        part = {**part, "image_url": render(part["image_url"], item, sample)}
                    rendered.append(_part(part))
        except TemplateError as error:
            raise RewardError(f"{path}: {error.msg}") from None
        role = message.get("role", "user")
        out.append({"role": "system" if role == "developer" else role, "content": rendered})
    return out


def request_body(grader: dict, messages: list[dict[str, Any]], schema: dict) -> dict[str, Any]:
    """The chat completions body (rubricate's ``json_schema`` mode, :mod:`rubricate.judge.wire`)."""
    body: dict[str, Any] = {"model": grader["model"]}
    params = grader.get("sampling_params") or {}
    for name in ("temperature", "top_p", "seed", "reasoning_effort"):
        if params.get(name) is not None:
            body[name] = params[name]
    tokens = params.get("max_completions_tokens", params.get("max_completion_tokens"))
    if tokens is not None:
        body["max_completion_tokens"] = tokens
    body["response_format"] = {"type": "json_schema", "json_schema": schema}
    body["messages"] = messages
    return body


def _post(settings: Settings, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        settings.base_url + "/chat/completions",
        data=json.dumps(body).encode("utf-8"),
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}),
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=settings.timeout_s) as response:  # noqa: S310
        return json.loads(response.read().decode("utf-8"))


def _reply_text(reply: dict[str, Any]) -> str:
    try:
        message = reply["choices"][0]["message"]
    except (KeyError, IndexError, TypeError):
        raise ReplyParseError("the response has no choices[0].message") from None
    if message.get("refusal"):
        raise ReplyParseError(f"the judge refused: {message['refusal']}")
    if reply["choices"][0].get("finish_reason") == "length":
        raise ReplyParseError("the judge's reply was cut off at the token limit")
    return message.get("content") or ""


def ask(settings: Settings, body: dict[str, Any], parse: Any, path: str) -> Any:
    """Call the judge and parse its reply; retry server errors and unparsable replies.

    Raises:
        RewardError: still no parsed verdict after ``settings.max_retries`` extra attempts.
    """
    last = "no attempt"
    for attempt in range(settings.max_retries + 1):
        if attempt:
            time.sleep(min(8.0, 0.5 * 2 ** (attempt - 1)))
        try:
            return parse(_reply_text(_post(settings, body)))
        except urllib.error.HTTPError as error:
            last = f"HTTP {error.code} from the judge endpoint"
            if error.code not in RETRY_STATUS:
                break
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            last = f"judge endpoint unreachable: {error}"
        except (ReplyParseError, ValueError) as error:
            last = f"judge reply did not parse: {error}"
    raise RewardError(f"{path}: {last} (after {attempt + 1} attempts)")


def score_model(grader: dict, item: dict, sample: dict, path: str, settings: Settings) -> float:
    messages = judge_messages(grader, item, sample, path)
    verdict = ask(settings, request_body(grader, messages, SCORE_SCHEMA), parse_score_reply, path)
    low, high = (float(x) for x in (grader.get("range") or (0.0, 1.0)))
    return min(max(verdict.result, low), high)


def label_model(grader: dict, item: dict, sample: dict, path: str, settings: Settings) -> float:
    labels = list(grader["labels"])
    messages = judge_messages(grader, item, sample, path)
    body = request_body(grader, messages, label_schema(labels))
    verdict = ask(settings, body, lambda text: parse_label_reply(text, labels), path)
    return 1.0 if verdict.label in grader.get("passing_labels", []) else 0.0


def grade_one(grader: dict, item: dict, sample: dict, path: str, settings: Settings) -> float:
    kind = grader.get("type")
    if kind == "string_check":
        return string_check(grader, item, sample, path)
    if kind == "python":
        return python(grader, item, sample, path)
    if kind == "score_model":
        return score_model(grader, item, sample, path, settings)
    if kind == "label_model":
        return label_model(grader, item, sample, path, settings)
    raise RewardError(f"{path}: grader type {kind!r} is not supported by this Lambda runtime")


def formula_names(grader: dict) -> set[str]:
    """The sub-grader names ``calculate_output`` reads (empty when it does not parse)."""
    try:
        return set(parse(grader["calculate_output"]).names)
    except (FormulaError, KeyError):
        return set()


class Runtime:
    """Grades samples with one grader config; judge calls run on a thread pool."""

    def __init__(self, grader: dict, settings: Settings | None = None) -> None:
        self.grader = grader
        self.settings = settings or Settings.from_env()
        self._pool = ThreadPoolExecutor(max_workers=self.settings.concurrency)

    def grade(self, item: dict, output_text: str) -> Result:
        """The reward of one answer.

        Raises:
            RewardError: any part could not be computed.
        """
        grader, sample = self.grader, make_sample(output_text)
        name = str(grader.get("name") or grader.get("type"))
        if grader.get("type") != "multi":
            return Result(grade_one(grader, item, sample, name, self.settings))
        subs: dict[str, dict] = grader["graders"]
        futures = {
            key: self._pool.submit(grade_one, sub, item, sample, f"{name}.{key}", self.settings)
            for key, sub in subs.items()
        }
        parts: dict[str, float] = {}
        failures: list[str] = []
        for key, future in futures.items():
            try:
                parts[key] = future.result()
            except RewardError as error:
                failures.append(str(error))
        if failures:
            more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
            raise RewardError(failures[0] + more)
        try:
            return Result(evaluate(grader["calculate_output"], parts), parts)
        except FormulaError as error:
            raise RewardError(f"{name}: calculate_output: {error.msg}") from None
