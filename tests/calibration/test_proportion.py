"""Wilson and exact intervals against R. G. Newcombe (1998), Statistics in Medicine 17,
857-872, Table II (methods 3 "score" and 5 "exact"), to the 4 decimals printed there."""

from __future__ import annotations

import numpy as np
import pytest

from rubricate.calibration.stats.proportion import proportion_ci

NEWCOMBE = [
    # k, n, Wilson (low, high), Clopper-Pearson (low, high)
    (81, 263, (0.2553, 0.3662), (0.2527, 0.3676)),
    (15, 148, (0.0624, 0.1605), (0.0578, 0.1617)),
    (0, 20, (0.0, 0.1611), (0.0, 0.1684)),
    (1, 29, (0.0061, 0.1718), (0.0009, 0.1776)),
]


@pytest.mark.parametrize(("k", "n", "wilson", "exact"), NEWCOMBE)
def test_newcombe_table(k: int, n: int, wilson: tuple, exact: tuple) -> None:
    low, high = proportion_ci(k, n)
    assert (float(low), float(high)) == pytest.approx(wilson, abs=5e-5)
    low, high = proportion_ci(k, n, method="exact")
    assert (float(low), float(high)) == pytest.approx(exact, abs=5e-5)


def test_vectorised_and_edges() -> None:
    low, high = proportion_ci(np.array([0, 5, 0]), np.array([10, 5, 0]))
    assert low[0] == 0.0 and high[1] == 1.0
    assert np.isnan(low[2]) and np.isnan(high[2])
    with pytest.raises(ValueError, match="0 <= k <= n"):
        proportion_ci(3, 2)
    with pytest.raises(ValueError, match="unknown method"):
        proportion_ci(1, 2, method="wald")  # type: ignore[arg-type]
