"""The baseline report's figures: PNGs drawn with matplotlib's Agg backend from the report data.

Same conventions as the calibration figures (:mod:`~rubricate.calibration.report.figures`): the
style of :mod:`~rubricate.calibration.report.plotting`
(fonts of 11 pt or more), the Okabe-Ito colour-blind-safe palette; models also differ by hatch
and marker, so the figures read in grey.

- ``variance_study.png``: the RFT build hour's variance study, one panel per model: per item,
  sorted by mean, a bar for the mean over its samples, a line of plus and minus one SD (clipped
  to the score range), and an ``x`` at the best sample; the box gives the overall mean, the mean
  of maxima, the mean variance and the number of scored samples;
- ``criteria.png``: each criterion's (sub-grader's) mean per model, side by side.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rubricate.calibration.report.plotting import pyplot, save_figures

MODEL_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9")
"""Okabe-Ito colours, one per model in the order given."""
MODEL_HATCHES = ("", "//", "..", "xx", "\\\\", "--")
MAX_ITEM_LABELS = 40
"""Items named under the variance study's bars up to this many."""


def colour(index: int) -> str:
    """The colour of the ``index``-th model."""
    return MODEL_COLOURS[index % len(MODEL_COLOURS)]


def _panel(ax: Any, model: str, index: int, block: dict[str, Any], score_range: list) -> None:
    rows = block["items"]
    low, high = score_range
    xs = list(range(len(rows)))
    means = [r["mean"] for r in rows]
    sds = [r["sd"] or 0.0 for r in rows]
    below = [min(sd, m - low) for m, sd in zip(means, sds, strict=True)]
    above = [min(sd, high - m) for m, sd in zip(means, sds, strict=True)]
    ax.bar(xs, [m - low for m in means], bottom=low, width=0.75, color=colour(index), alpha=0.35,
           hatch=MODEL_HATCHES[index % len(MODEL_HATCHES)], label="mean over samples")  # fmt: skip
    ax.errorbar(xs, means, yerr=[below, above], fmt="none", ecolor="#1b1b1b", capsize=3,
                lw=1.4, label="±1 SD (spread)")  # fmt: skip
    ax.scatter(xs, [r["max"] for r in rows], marker="x", s=46, color="#C00000", lw=2,
               zorder=4, label="best sample (max)")  # fmt: skip
    summary = block["summary"]

    def show(value: Any, digits: int) -> str:
        return "n/a" if value is None else f"{value:.{digits}f}"

    text = (
        f"overall mean = {show(summary['overall_mean'], 3)}\n"
        f"mean of maxima = {show(summary['mean_max'], 3)}\n"
        f"mean variance = {show(summary['mean_variance'], 4)}\n"
        f"scored samples = {summary['samples']}"
    )
    ax.text(1.015, 0.5, text, ha="left", va="center", transform=ax.transAxes, fontsize=11,
            bbox={"facecolor": "white", "edgecolor": "#bbbbbb"})  # fmt: skip
    if len(rows) <= MAX_ITEM_LABELS:
        ax.set_xticks(xs, [r["item_id"] for r in rows], rotation=60, ha="right", fontsize=11)
    else:
        ax.set_xticks([])
    ax.set_xlim(-0.7, max(len(rows), 1) - 0.3)
    ax.set_ylim(low - 0.03 * (high - low), high + 0.3 * (high - low))  # room for the legend
    ax.set_yticks([low + k * (high - low) / 5 for k in range(6)])
    ax.set_ylabel("reward")
    ax.set_title(f"{model}: items sorted by mean reward ({len(rows)} items)")
    ax.legend(loc="upper left", frameon=False, ncol=3, fontsize=11, borderaxespad=0.2)


def _variance_study(plt: Any, data: dict[str, Any]) -> Any:
    models = [m for m in data["models"] if data["variance_study"][m]["items"]]
    most = max(len(data["variance_study"][m]["items"]) for m in models)
    width = max(11.0, min(26.0, 0.32 * most + 6))
    labels = most <= MAX_ITEM_LABELS
    height = (5.6 if labels else 4.4) * len(models)
    fig, axes = plt.subplots(len(models), 1, figsize=(width, height), squeeze=False)
    for row, model in enumerate(models):
        index = data["models"].index(model)
        _panel(axes[row][0], model, index, data["variance_study"][model], data["score_range"])
    fig.suptitle("Variance study: reward per item over the samples", fontsize=15)
    return fig


def _criteria(plt: Any, data: dict[str, Any]) -> Any:
    rows = [r for r in data["criteria"] if r["leaf"]]
    models = data["models"]
    height = 0.8 / len(models)
    fig, ax = plt.subplots(figsize=(9, max(3.0, 0.5 * len(rows) * max(1, len(models) / 2) + 1.8)))
    for index, model in enumerate(models):
        ys = [y - 0.4 + height * (index + 0.5) for y in range(len(rows))]
        values = [r["models"][model]["mean"] for r in rows]
        ax.barh(ys, [v if v is not None else 0 for v in values], height=height * 0.92,
                color=colour(index), hatch=MODEL_HATCHES[index % len(MODEL_HATCHES)],
                alpha=0.85, label=model)  # fmt: skip
        for y, value in zip(ys, values, strict=True):
            shown = "n/a" if value is None else f"{value:.2f}"
            ax.text((value or 0) + 0.01, y, shown, va="center", fontsize=11)
    ax.set_yticks(range(len(rows)), [r["criterion"] for r in rows])
    ax.invert_yaxis()
    ax.set_xlim(0, 1.12)
    ax.set_xlabel("mean score over scored samples (0 to 1)")
    ax.set_title("Criterion (sub-grader) means per model")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=11)
    return fig


def write_baseline_figures(data: dict[str, Any], out: Path) -> dict[str, dict[str, str]]:
    """Draw every figure the data allows into ``out/figures``; stale ones are removed.

    Returns:
        ``{name: {"path": "figures/<name>.png", "title": ...}}`` in display order.
    """
    plt = pyplot()
    plans = [
        ("variance_study", "Variance study per model",
         any(data["variance_study"][m]["items"] for m in data["models"]),
         lambda: _variance_study(plt, data)),
        ("criteria", "Criterion means per model", any(r["leaf"] for r in data["criteria"]),
         lambda: _criteria(plt, data)),
    ]  # fmt: skip
    return save_figures(plt, plans, out)
