"""``rubricate grade --remote``: the same pairs through the API's graders-run endpoint.

Each pair is one ``POST /v1/fine_tuning/alpha/graders/run`` (``client.fine_tuning.alpha.
graders.run(grader=..., model_sample=<output_text>, item=<item>)``) with the official SDK,
against ``--base-url`` / ``OPENAI_BASE_URL`` or the OpenAI API, with ``OPENAI_API_KEY``. The
endpoint takes the sample as text only, so ``output_tools`` cannot be sent (a warning says so
when samples have tools). Requests run ``--concurrency`` at a time with the SDK's own retries
(``--max-retries``); a request that still fails is reported for that pair (its message with
any key redacted), and the run goes on.

The graders-run endpoint is part of OpenAI's fine-tuning API, which OpenAI is winding down;
where it is gone, every pair reports the endpoint's error.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from rubricate.commands._grade_inputs import Pair
from rubricate.errors import InputError
from rubricate.judge.calls import ClientSettings
from rubricate.judge.retry import redact
from rubricate.progress import Progress

if TYPE_CHECKING:
    from openai.types.fine_tuning.alpha.grader_run_params import Grader


async def run_remote(
    grader: dict[str, Any],
    pairs: Sequence[Pair],
    settings: ClientSettings,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """One ``GraderRunResponse`` dict (or ``{"error": "..."}``) per pair, in order.

    Raises:
        InputError: no endpoint or key configured.
    """
    import openai  # deferred: importing the SDK costs ~0.5 s

    key = os.environ.get("OPENAI_API_KEY") or None
    base_url = settings.base_url or os.environ.get("OPENAI_BASE_URL") or None
    if not key and not base_url:
        raise InputError(
            "--remote needs the OpenAI API: set OPENAI_API_KEY (and OPENAI_BASE_URL or "
            "--base-url for another endpoint)"
        )
    client = openai.AsyncOpenAI(
        api_key=key or "no-key-needed",
        base_url=base_url,
        max_retries=settings.max_retries,
        timeout=settings.timeout_s,
    )
    slots = asyncio.Semaphore(settings.concurrency)
    secrets = (key,) if key else ()

    async def one(pair: Pair) -> dict[str, Any]:
        async with slots:
            try:
                response = await client.fine_tuning.alpha.graders.run(
                    grader=cast("Grader", grader),  # compiled grader JSON: one of the SDK's graders
                    model_sample=pair.sample_text,
                    item=pair.item,
                )
                answer = response.to_dict(mode="json")
            except openai.APIStatusError as error:
                message = redact(str(error.message), secrets) or ""
                answer = {"error": f"HTTP {error.status_code}: {message}"}
            except openai.APIError as error:
                answer = {"error": redact(f"{type(error).__name__}: {error}", secrets)}
        if progress is not None:
            progress.advance()
        return answer

    try:
        return list(await asyncio.gather(*(one(pair) for pair in pairs)))
    finally:
        await client.close()
