"""Runs OpenRLHF's real remote reward client against a reward server (run by the tools venv's
python: OpenRLHF 0.11.2 installed without its dependencies, transformers, no torch).

stdin: ``{"url", "texts", "pairs": [{"messages", "label", "response"}]}``; stdout: one JSON
list, per pair OpenRLHF's rollout output fields ``reward``, ``scores``, ``extra_logs``, plus the
``query`` its client posted.

What is OpenRLHF's own code, and what stands in:

- ``openrlhf.utils.agent.SingleTurnAgentExecutor.execute`` (its single-turn rollout with a
  ``--reward.remote_url``): tokenizes the prompt, asks the engine for the response tokens,
  decodes prompt + response with ``skip_special_tokens=False`` and posts it with its aiohttp
  client (5 tries), exactly as in training. ``openrlhf/utils/__init__.py`` imports torch, so
  the package's ``__init__`` is skipped and ``agent.py`` (which needs only aiohttp and
  ``openrlhf.utils.logging_utils``) is imported from the installed package.
- The tokenizer is a real ``transformers`` fast tokenizer, trained here on the case's texts
  (byte-level BPE, ChatML special tokens ``<|im_start|>``, ``<|im_end|>`` = eos,
  ``<|endoftext|>`` = pad), and the prompt is its chat template applied to the item's
  messages, as OpenRLHF's prompt dataset does (``--data.apply_chat_template``). Without
  torch, ``return_tensors="pt"`` is served as numpy (the client only calls ``.tolist()``).
- The engine (vLLM in training) answers the given response's tokens followed by the eos
  token, as vLLM's ``token_ids`` include the stop token.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
import types
from pathlib import Path
from types import SimpleNamespace
from typing import Any

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def load_client() -> Any:
    """OpenRLHF's ``openrlhf.utils.agent`` without ``openrlhf.utils.__init__`` (torch)."""
    spec = importlib.util.find_spec("openrlhf")
    assert spec is not None and spec.submodule_search_locations, "openrlhf is not installed"
    utils_dir = Path(next(iter(spec.submodule_search_locations))) / "utils"
    package = types.ModuleType("openrlhf.utils")
    package.__path__ = [str(utils_dir)]
    sys.modules["openrlhf.utils"] = package
    import openrlhf.utils.agent as agent

    return agent


def train_tokenizer(texts: list[str]) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=1200,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    core.train_from_iterator(texts, trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
    )
    tokenizer.chat_template = CHATML
    return tokenizer


class NumpyTensors:
    """The tokenizer, with ``return_tensors="pt"`` served as numpy (no torch here)."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("return_tensors") == "pt":
            kwargs["return_tensors"] = "np"
        return self.tokenizer(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.tokenizer, name)


class Engine:
    """Stands in for vLLM: answers each prompt with its pair's response and the eos token."""

    def __init__(self, tokenizer: Any, response: str) -> None:
        self.ids = tokenizer(response, add_special_tokens=False)["input_ids"]
        self.ids = [*self.ids, tokenizer.eos_token_id]
        self.text = response

    async def generate(self, prompt_token_ids: list[int], params: Any, **kwargs: Any) -> Any:
        output = SimpleNamespace(
            token_ids=self.ids, text=self.text, finish_reason="stop", logprobs=None
        )
        return SimpleNamespace(outputs=[output])


async def main() -> None:
    request = json.load(sys.stdin)
    answer, sys.stdout = sys.stdout, sys.stderr  # OpenRLHF's logger writes to stdout
    agent = load_client()
    tokenizer = train_tokenizer(request["texts"])
    executor = agent.SingleTurnAgentExecutor(request["url"])

    async def one(pair: dict[str, Any]) -> dict[str, Any]:
        prompt = tokenizer.apply_chat_template(
            pair["messages"], tokenize=False, add_generation_prompt=True
        )
        params = SimpleNamespace(max_tokens=None, logprobs=None)
        out = await executor.execute(
            prompt,
            pair["label"],
            params,
            max_length=65536,
            hf_tokenizer=NumpyTensors(tokenizer),
            llm_engine=Engine(tokenizer, pair["response"]),
        )
        query = tokenizer.decode(out["observation_tokens"], skip_special_tokens=False)
        return {k: out[k] for k in ("reward", "scores", "extra_logs")} | {"query": query}

    results = await asyncio.gather(*(one(pair) for pair in request["pairs"]))
    json.dump(results, answer)


if __name__ == "__main__":
    asyncio.run(main())
