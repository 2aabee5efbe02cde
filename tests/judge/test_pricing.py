"""Prices: lookup with date suffixes, cost arithmetic, batch discount, user overrides."""

from __future__ import annotations

import json

import pytest

from rubricate.errors import InputError
from rubricate.judge.calls import Usage
from rubricate.judge.pricing import PriceTable, default_prices, load_prices


def test_cost_arithmetic():
    table = PriceTable()
    usage = Usage(input_tokens=1_000_000, cached_input_tokens=400_000, output_tokens=500_000)
    # gpt-4.1-mini: 0.6M uncached * 0.40 + 0.4M cached * 0.10 + 0.5M out * 1.60
    expected = 0.6 * 0.40 + 0.4 * 0.10 + 0.5 * 1.60
    assert table.cost("gpt-4.1-mini", usage) == pytest.approx(expected)
    assert table.cost("gpt-4.1-mini-2025-04-14", usage) == pytest.approx(expected)
    assert table.cost("gpt-4.1-mini", usage, batch=True) == pytest.approx(expected / 2)
    assert table.cost("my-local-model", usage) is None


def test_embedding_cached_rate_defaults_to_input():
    usage = Usage(input_tokens=2_000_000, cached_input_tokens=1_000_000)
    assert PriceTable().cost("text-embedding-3-small", usage) == pytest.approx(0.04)


def test_overrides_from_yaml_and_json(tmp_path, monkeypatch):
    yaml_file = tmp_path / "prices.yaml"
    yaml_file.write_text(
        "models:\n  local: {input: 0, output: 0}\n  gpt-4.1: {input: 1, output: 2}\n"
    )
    table = load_prices(yaml_file)
    assert table.cost("local", Usage(input_tokens=5)) == 0.0
    assert table.cost("gpt-4.1", Usage(output_tokens=1_000_000)) == pytest.approx(2.0)
    assert table.cost("o3", Usage(output_tokens=1_000_000)) == pytest.approx(8.0)
    json_file = tmp_path / "prices.json"
    json_file.write_text(json.dumps({"models": {"x": {"input": 3}}}))
    monkeypatch.setenv("RUBRICATE_PRICES", str(json_file))
    assert default_prices().cost("x", Usage(input_tokens=1_000_000)) == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("models: [1, 2]", "needs a 'models' mapping"),
        ("models:\n  m: {input: -1}\n", "models.m.input"),
        ("models:\n  m: {input: 1, outptu: 2}\n", "models.m.outptu"),
        ("models: {m: [", "not valid YAML"),
    ],
)
def test_bad_price_files_name_the_problem(tmp_path, text, words):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=words.replace(".", r"\.").replace("[", r"\[")):
        load_prices(path)


def test_missing_price_file(tmp_path):
    with pytest.raises(InputError, match=r"no such price file \(RUBRICATE_PRICES\)"):
        load_prices(tmp_path / "nope.yaml")
