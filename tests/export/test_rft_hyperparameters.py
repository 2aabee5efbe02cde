"""Reinforcement hyperparameters: parsing and the documented ranges."""

from __future__ import annotations

import pytest

from rubricate.export.rft.hyperparameters import DOMAINS, batch_warning, parse_hyperparameters


def test_values_are_parsed_to_their_json_types_in_a_fixed_order() -> None:
    parsed, problems = parse_hyperparameters(
        ["reasoning_effort=high", "n_epochs=2", "learning_rate_multiplier=1e-1",
         "compute_multiplier=auto", "batch_size=2.0", "eval_interval=5", "eval_samples=3"]
    )  # fmt: skip
    assert problems == []
    assert parsed == {
        "n_epochs": 2,
        "batch_size": 2,
        "learning_rate_multiplier": 0.1,
        "eval_interval": 5,
        "eval_samples": 3,
        "compute_multiplier": "auto",
        "reasoning_effort": "high",
    }
    assert list(parsed) == [k for k in DOMAINS if k in parsed]


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("n_epochs=0", 'n_epochs=0: must be "auto" or an integer from 1 to 50'),
        ("n_epochs=51", 'n_epochs=51: must be "auto" or an integer from 1 to 50'),
        ("n_epochs=2.5", 'n_epochs=2.5: must be "auto" or an integer from 1 to 50'),
        ("batch_size=257", 'batch_size=257: must be "auto" or an integer from 1 to 256'),
        (
            "learning_rate_multiplier=0",
            'learning_rate_multiplier=0: must be "auto" or a number > 0',
        ),
        (
            "compute_multiplier=10.5",
            'compute_multiplier=10.5: must be "auto" or a number > 1e-05 and <= 10',
        ),
        (
            "compute_multiplier=0.00001",
            'compute_multiplier=0.00001: must be "auto" or a number > 1e-05 and <= 10',
        ),
        ("eval_interval=0", 'eval_interval=0: must be "auto" or an integer >= 1'),
        ("eval_samples=-1", 'eval_samples=-1: must be "auto" or an integer >= 1'),
        (
            "reasoning_effort=auto",
            "reasoning_effort=auto: must be one of default, low, medium, high",
        ),
        (
            "reasoning_effort=xhigh",
            "reasoning_effort=xhigh: must be one of default, low, medium, high",
        ),
        ("n_epochs=nan", 'n_epochs=nan: must be "auto" or an integer from 1 to 50'),
        (
            "epochs=3",
            "epochs: not a reinforcement hyperparameter (did you mean n_epochs?); the keys are "
            "n_epochs, batch_size, learning_rate_multiplier, eval_interval, eval_samples, "
            "compute_multiplier, reasoning_effort",
        ),
        ("n_epochs", "'n_epochs': write key=value, e.g. n_epochs=2"),
    ],
)
def test_a_value_out_of_range_says_what_is_allowed(pair: str, message: str) -> None:
    parsed, problems = parse_hyperparameters([pair])
    assert parsed == {}
    assert problems == [message]


def test_every_problem_is_collected_and_later_pairs_win() -> None:
    parsed, problems = parse_hyperparameters(["n_epochs=0", "batch_size=9", "n_epochs=3", "x=1"])
    assert parsed == {"n_epochs": 3, "batch_size": 9}
    assert len(problems) == 2


def test_batch_larger_than_the_training_set_is_a_warning() -> None:
    assert (
        batch_warning({"batch_size": 16}, 12) == "batch_size=16 is larger than the 12 training rows"
    )
    assert batch_warning({"batch_size": "auto"}, 12) is None
    assert batch_warning({"batch_size": 12}, 12) is None
