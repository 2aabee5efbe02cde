"""The response inside an OpenRLHF ``query`` (pure: no IO).

OpenRLHF's remote reward client (``openrlhf.utils.agent.SingleTurnAgentExecutor``, 0.11) posts
``query`` = the prompt and response tokens decoded with ``skip_special_tokens=False``, so:

- the response ends with the tokenizer's end token (``<|im_end|>``, ``</s>``, ``<|eot_id|>``)
  and may start or end with padding;
- the decoded prompt is the prompt sent only when the tokenizer's decode reproduces its input
  (byte-level BPE does; tokenizers that normalise case, spacing or Unicode forms do not).

:func:`split_response` takes the response out the way OpenRLHF's own reward examples do
(``serve_rm.strip_sequence`` cut runs of end and padding tokens from both ends; its reward
functions take the query after the prompt), and goes further where those would grade garbage:

1. the response is what follows the prompt: the first exact occurrence, else the first
   occurrence once case, spacing and Unicode compatibility forms are ignored on both sides
   (NFKC, casefold, whitespace dropped), else the pair is refused;
2. runs of the configured special tokens are cut from its start and end (whitespace between
   and after them too; whitespace the model wrote before its end token is kept);
3. if the text still is not JSON but would be once a trailing special-looking token
   (``<|...|>``, ``<eos>``, ``</s>``, ``[PAD]``) is cut, the pair is refused and the message
   names the token to add with ``--strip-token``: a transport artefact never becomes a
   scored 0.

A refused pair is a :class:`Refused` with a one-line reason; the server grades it as unscored
(``sample_parse_error``), never as a reward.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rubricate.judge.sample import parse_json

DEFAULT_STRIP_TOKENS: tuple[str, ...] = (
    "<|im_end|>",  # ChatML (Qwen, ...)
    "<|endoftext|>",
    "</s>",  # Llama 2, Mistral (sentencepiece)
    "<|eot_id|>",  # Llama 3
    "<|eom_id|>",
    "<|end_of_text|>",
    "<|end|>",  # Phi-3
    "<|return|>",  # gpt-oss
    "<end_of_turn>",  # Gemma
    "<eos>",
    "<pad>",
    "<|pad|>",
    "[PAD]",
)
"""End and padding tokens of common chat tokenizers (``rubricate serve --strip-token``)."""

_SPECIAL_LIKE = re.compile(
    r"(?:<\|[^<>|\s]{1,40}\|>|</?[a-z][a-z0-9_]{0,30}>|\[[A-Z_]{2,16}\])\s*$"
)


@dataclass(frozen=True)
class Refused:
    """A pair whose response cannot be taken out of its query."""

    reason: str


def _folded(text: str) -> tuple[str, list[int]]:
    """``text`` with case, spacing and compatibility forms folded, and for each folded
    character the index of the character it came from."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for folded in unicodedata.normalize("NFKC", char).casefold():
            if not folded.isspace():
                chars.append(folded)
                origin.append(index)
    return "".join(chars), origin


def _after_prompt(query: str, prompt: str) -> int | None:
    """Where the response starts in ``query``, or None when the prompt is not there."""
    at = query.find(prompt)
    if at >= 0:
        return at + len(prompt)
    folded_query, origin = _folded(query)
    folded_prompt, _ = _folded(prompt)
    if not folded_prompt:
        return None
    at = folded_query.find(folded_prompt)
    if at < 0:
        return None
    end = origin[at + len(folded_prompt) - 1] + 1
    # the whitespace the prompt ends with (a chat template's "assistant\n") is the prompt's
    trailing = len(prompt) - len(prompt.rstrip())
    while trailing and end < len(query) and query[end].isspace():
        end += 1
        trailing -= 1
    return end


def _strip_pattern(tokens: Sequence[str]) -> tuple[re.Pattern[str], re.Pattern[str]] | None:
    if not tokens:
        return None
    alternatives = "|".join(re.escape(t) for t in sorted(set(tokens), key=len, reverse=True))
    return re.compile(f"^(?:(?:{alternatives})\\s*)+"), re.compile(f"(?:(?:{alternatives})\\s*)+$")


def strip_special(text: str, tokens: Sequence[str]) -> str:
    """``text`` without runs of ``tokens`` at its start and end (see the module docstring)."""
    patterns = _strip_pattern(tokens)
    if patterns is None:
        return text
    head, tail = patterns
    return tail.sub("", head.sub("", text, count=1), count=1)


def _special_tail(text: str) -> list[str]:
    """The special-looking tokens whose removal makes ``text`` JSON (none: empty)."""
    cut = text
    removed: list[str] = []
    while (found := _SPECIAL_LIKE.search(cut)) is not None and len(removed) < 4:
        removed.insert(0, found.group(0).strip())
        cut = cut[: found.start()]
        if parse_json(cut)[0]:
            return removed
    return []


def split_response(query: str, prompt: str | None, strip_tokens: Sequence[str]) -> str | Refused:
    """The response in ``query`` (see the module docstring), or why there is none."""
    start = 0
    if prompt:
        found = _after_prompt(query, prompt)
        if found is None:
            return Refused(
                "the query does not contain its prompt, even ignoring case, spacing and Unicode "
                "forms (is the label/prompt column the one the model was given?)"
            )
        start = found
    text = strip_special(query[start:], strip_tokens)
    if not parse_json(text)[0]:
        tail = _special_tail(text)
        if tail:
            flags = " ".join(f"--strip-token '{token}'" for token in tail)
            return Refused(
                f"the response ends with {''.join(tail)!r}, which looks like a tokenizer's "
                f"special token and keeps its JSON from parsing; serve with {flags}"
            )
    return text
