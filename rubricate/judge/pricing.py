"""Token prices and the cost estimate of a run.

Prices are US dollars per million tokens, for standard (not priority) processing, as OpenAI
published them (checked 2025-08; they change, so the table is only an estimate). Reasoning
tokens are billed as output tokens and are already part of ``output_tokens``; cached input
tokens are part of ``input_tokens`` and billed at the cached rate. The Batch API costs half.

A model is looked up by its exact name, then with a date suffix removed
(``gpt-4.1-mini-2025-04-14`` -> ``gpt-4.1-mini``). A model not in the table has no price: the
estimate says so (``unpriced``) rather than counting it as free.

A local server (a base URL on this machine or a private network, see
:func:`rubricate.judge.endpoint.is_local_host`) is not priced from this table, whatever the
model is called there (llama.cpp answers to any name): only a price file's entries apply, and a
model without one costs nothing ("local: no cost"), never an invented API price.

Override or extend the table with a JSON or YAML file (``RUBRICATE_PRICES=path``, or
:func:`load_prices`)::

    models:
      my-vllm-model: {input: 0, output: 0}
      gpt-4.1-mini: {input: 0.4, cached_input: 0.1, output: 1.6}
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rubricate.errors import InputError
from rubricate.judge.calls import Usage

BATCH_DISCOUNT = 0.5
PRICES_ENV = "RUBRICATE_PRICES"


class Price(BaseModel):
    """Dollars per million tokens."""

    model_config = ConfigDict(extra="forbid")

    input: float = Field(ge=0)
    cached_input: float | None = Field(default=None, ge=0)
    """None: cached input costs the same as input."""
    output: float = Field(default=0.0, ge=0)

    def cost(self, usage: Usage, *, batch: bool = False) -> float:
        """Dollars for ``usage``."""
        cached = min(usage.cached_input_tokens, usage.input_tokens)
        cached_rate = self.input if self.cached_input is None else self.cached_input
        dollars = (
            (usage.input_tokens - cached) * self.input
            + cached * cached_rate
            + usage.output_tokens * self.output
        ) / 1_000_000
        return dollars * (BATCH_DISCOUNT if batch else 1.0)


DEFAULT_PRICES: dict[str, Price] = {
    name: Price(input=i, cached_input=c, output=o)
    for name, (i, c, o) in {
        "gpt-5": (1.25, 0.125, 10.0),
        "gpt-5-mini": (0.25, 0.025, 2.0),
        "gpt-5-nano": (0.05, 0.005, 0.4),
        "gpt-4.1": (2.0, 0.5, 8.0),
        "gpt-4.1-mini": (0.4, 0.1, 1.6),
        "gpt-4.1-nano": (0.1, 0.025, 0.4),
        "gpt-4o": (2.5, 1.25, 10.0),
        "gpt-4o-mini": (0.15, 0.075, 0.6),
        "o1": (15.0, 7.5, 60.0),
        "o3": (2.0, 0.5, 8.0),
        "o3-mini": (1.1, 0.55, 4.4),
        "o4-mini": (1.1, 0.275, 4.4),
        "text-embedding-3-small": (0.02, None, 0.0),
        "text-embedding-3-large": (0.13, None, 0.0),
        "text-embedding-ada-002": (0.1, None, 0.0),
    }.items()
}

_DATE_SUFFIX = re.compile(r"-\d{4}-\d{2}-\d{2}$")


class PriceTable:
    """Prices by model name, with date-suffix fallback. ``local``: a local server's table,
    where a model without a price costs nothing rather than being unpriced."""

    def __init__(self, prices: dict[str, Price] | None = None, *, local: bool = False) -> None:
        self.prices = dict(DEFAULT_PRICES if prices is None else prices)
        self.local = local

    def find(self, model: str) -> Price | None:
        """The price of ``model``, or None when unknown."""
        if model in self.prices:
            return self.prices[model]
        base = _DATE_SUFFIX.sub("", model)
        return self.prices.get(base)

    def cost(self, model: str, usage: Usage, *, batch: bool = False) -> float | None:
        """Dollars for ``usage`` on ``model`` (None when the model has no price; 0 on a local
        server)."""
        price = self.find(model)
        if price is None:
            return 0.0 if self.local else None
        return price.cost(usage, batch=batch)

    def merged(self, overrides: dict[str, Price]) -> PriceTable:
        return PriceTable({**self.prices, **overrides}, local=self.local)


def parse_prices(data: Any, source: str) -> dict[str, Price]:
    """Read ``{"models": {name: {input, cached_input, output}}}``; ``source`` names the file."""
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
        raise InputError(f"{source}: a price file needs a 'models' mapping of name -> prices")
    prices: dict[str, Price] = {}
    for name, value in data["models"].items():
        try:
            prices[str(name)] = Price.model_validate(value)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InputError(
                f"{source}: models.{name}.{where}: {first['msg']} "
                "(prices are dollars per million tokens: input, cached_input, output)"
            ) from None
    return prices


def load_prices(path: str | Path, *, local: bool = False) -> PriceTable:
    """The default table overridden by the JSON or YAML file at ``path`` (``local``: the
    file's entries alone)."""
    path = Path(path)
    from rubricate.files import read_text

    text = read_text(path, "price file (RUBRICATE_PRICES)")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except ValueError as error:
            raise InputError(f"{path}: not valid JSON ({error})") from None
    else:
        from ruamel.yaml import YAML, YAMLError

        try:
            data = YAML(typ="safe").load(text)
        except YAMLError as error:
            raise InputError(f"{path}: not valid YAML ({error})") from None
    base = PriceTable({}, local=True) if local else PriceTable()
    return base.merged(parse_prices(data, str(path)))


def default_prices(*, local: bool = False) -> PriceTable:
    """The table in force: the defaults, overridden by ``$RUBRICATE_PRICES`` when set; for a
    local server (``local``) the file's entries alone."""
    path = os.environ.get(PRICES_ENV)
    if path:
        return load_prices(path, local=local)
    return PriceTable({}, local=True) if local else PriceTable()
