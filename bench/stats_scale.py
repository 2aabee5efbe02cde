"""Agreement statistics at scale: ours against ``krippendorff`` and ``pingouin``, side by side.

One run builds a 10,000 units x 100 raters matrix of integer scores 1..7 (a per-unit true
score plus rater noise), hides 20 % of the ratings at random for Krippendorff's alpha, and
times, alternating ours and theirs, best of ``--repeats``:

- Krippendorff's alpha at each level (nominal, ordinal, interval, ratio):
  :func:`rubricate.calibration.stats.krippendorff.krippendorff_alpha` against
  ``krippendorff.alpha`` (raters x units input, as that package wants);
- the six Shrout & Fleiss ICC forms on the complete matrix (no missing ratings):
  :func:`rubricate.calibration.stats.icc.icc` against ``pingouin.intraclass_corr``, which takes a
  long table (1,000,000 rows here) — building that table is not timed, only the call.

Prints per statistic the two times, the speed-up (theirs / ours; target >= 1) and the largest
absolute difference of the values (target <= 1e-9; for ICC the six point estimates, since
pingouin rounds its intervals to 2 decimals). Exits 1 when a target is missed.

Run: ``python bench/stats_scale.py [--units 10000] [--raters 100] [--missing 0.2]
[--repeats 3] [--seed 0] [--json]``. Needs the ``bench`` extra (krippendorff, pingouin).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import numpy as np
import pandas as pd

from rubricate.calibration.stats.icc import ICC_FORMS, icc
from rubricate.calibration.stats.krippendorff import LEVELS, krippendorff_alpha

try:
    import krippendorff
    import pingouin
except ImportError as error:  # pragma: no cover - depends on the environment
    sys.exit(f"stats_scale needs the bench extra: pip install -e '.[bench]' ({error})")


def best_time(func: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """The fastest of ``repeats`` calls, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def ratings(units: int, raters: int, seed: int) -> np.ndarray:
    """Integer scores 1..7: a true score per unit plus rater noise of -1, 0 or +1."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(2, 7, size=units)
    noise = rng.choice([-1, 0, 1], p=[0.2, 0.6, 0.2], size=(units, raters))
    return np.clip(truth[:, None] + noise, 1, 7).astype(float)


def pingouin_icc(long: pd.DataFrame) -> np.ndarray:
    with warnings.catch_warnings():  # pingouin's own pandas deprecation warnings
        warnings.simplefilter("ignore")
        table = pingouin.intraclass_corr(long, targets="unit", raters="rater", ratings="score")
    return table["ICC"].to_numpy(dtype=float)


def run(units: int, raters: int, missing: float, repeats: int, seed: int) -> dict[str, Any]:
    complete = ratings(units, raters, seed)
    with_gaps = complete.copy()
    with_gaps[np.random.default_rng(seed + 1).random(complete.shape) < missing] = np.nan
    rows = []
    for level in LEVELS:
        ours_t, ours = best_time(lambda lv=level: krippendorff_alpha(with_gaps, lv), repeats)
        theirs_t, theirs = best_time(
            lambda lv=level: krippendorff.alpha(with_gaps.T, level_of_measurement=lv), repeats
        )
        rows.append(
            {
                "statistic": f"alpha {level}",
                "reference": f"krippendorff {version('krippendorff')}",
                "ours_s": ours_t,
                "theirs_s": theirs_t,
                "value": ours,
                "max_abs_diff": abs(ours - theirs),
            }
        )
    long = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(units), raters),
            "rater": np.tile(np.arange(raters), units),
            "score": complete.ravel(),
        }
    )
    ours_t, result = best_time(lambda: icc(complete), repeats)
    theirs_t, theirs = best_time(lambda: pingouin_icc(long), repeats)
    ours_values = np.array([result[form].value for form in ICC_FORMS])
    rows.append(
        {
            "statistic": "ICC, six forms + CIs",
            "reference": f"pingouin {version('pingouin')}",
            "ours_s": ours_t,
            "theirs_s": theirs_t,
            "value": float(ours_values[1]),
            "max_abs_diff": float(np.max(np.abs(ours_values - theirs))),
        }
    )
    for row in rows:
        row["speedup"] = row["theirs_s"] / row["ours_s"]
    passed = all(r["speedup"] >= 1.0 and r["max_abs_diff"] <= 1e-9 for r in rows)
    return {
        "units": units,
        "raters": raters,
        "missing": missing,
        "ratings_alpha": int(np.sum(~np.isnan(with_gaps))),
        "ratings_icc": int(complete.size),
        "repeats": repeats,
        "rows": rows,
        "passed": passed,
    }


def render(report: dict[str, Any]) -> str:
    lines = [
        f"stats_scale: {report['units']} units x {report['raters']} raters, scores 1..7; "
        f"alpha on {report['ratings_alpha']} ratings ({report['missing']:.0%} missing), "
        f"ICC on {report['ratings_icc']} (complete); best of {report['repeats']}",
        f"{'statistic':<22}{'ours (s)':>10}{'theirs (s)':>12}{'speed-up':>10}"
        f"{'max |diff|':>12}  {'value':>8}  reference",
    ]
    for r in report["rows"]:
        lines.append(
            f"{r['statistic']:<22}{r['ours_s']:>10.4f}{r['theirs_s']:>12.4f}"
            f"{r['speedup']:>9.1f}x{r['max_abs_diff']:>12.1e}  {r['value']:>8.4f}  {r['reference']}"
        )
    verdict = "PASS" if report["passed"] else "MISSED"
    lines.append(f"target: speed-up >= 1 and |diff| <= 1e-9 on every row: {verdict}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--raters", type=int, default=100)
    parser.add_argument("--missing", type=float, default=0.2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args()
    report = run(args.units, args.raters, args.missing, args.repeats, args.seed)
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
