"""The comparison the conformance table is built on."""

from __future__ import annotations

import math

from tests.conformance.conftest import compare


def test_equal_within_tolerance() -> None:
    assert compare([1.0, 0.5, None], [1.0, 0.5 + 1e-12, None], 1e-9)[0] == "equal"


def test_a_none_is_never_equal_to_a_number() -> None:
    # an unscored reward must stay unscored in the tool, never become 0
    verdict, detail = compare([None], [0.0], 1e-9)
    assert verdict == "differs" and "#0" in detail


def test_nan_only_equals_nan() -> None:
    assert compare([math.nan], [math.nan], 1e-9)[0] == "equal"
    assert compare([math.nan], [0.0], 1e-9)[0] == "differs"


def test_length_mismatch_differs() -> None:
    # promptfoo expanding a list variable into one test per element gave 13 rewards for 5
    assert compare([1, 0.8, 0.4, 0.8, 0], [1] * 13, 1e-9) == ("differs", "13 rewards, expected 5")
