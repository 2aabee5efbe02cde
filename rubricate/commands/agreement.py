"""``rubricate agreement RATINGS.csv``: how well do the expert raters agree with each other?

Reads a long (``unit, rater, score``) or wide (one column per rater) CSV — see
:mod:`rubricate.calibration.inputs.ratings` for the detection rule — and prints Krippendorff's alpha
at every level, the six ICC forms with 95 % intervals (complete units only), Fleiss' kappa and
percent agreement for categorical scores, Cohen's kappas for two raters, and the mean pairwise
Spearman correlation.

Scores may be numbers or labels (``pass``/``fail``, ``A``/``B``/``C``): labels get the nominal
figures (alpha, Fleiss' and Cohen's unweighted kappa, percent agreement); ``--order
fail,partly,pass`` (worst first) makes them ordinal (ordinal alpha, weighted kappas,
Spearman). The headline ``--level`` defaults to interval for numbers, nominal for labels and
ordinal for ordered labels.

Exit codes: 0 when the figures were computed (whatever they are), 2 for an unreadable or
invalid file (one line naming the file, line and column).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from rubricate.commands._common import emit_json, format_option
from rubricate.errors import InputError

if TYPE_CHECKING:
    from rubricate.calibration.inputs.ratings import Layout
    from rubricate.calibration.stats.expert_agreement import Scale
    from rubricate.calibration.stats.krippendorff import Level

_FORM_NAMES = {
    "ICC1": "ICC(1,1)  one-way random, single rater",
    "ICC2": "ICC(2,1)  two-way random, absolute agreement",
    "ICC3": "ICC(3,1)  two-way mixed, consistency",
    "ICC1k": "ICC(1,k)  one-way random, mean of k raters",
    "ICC2k": "ICC(2,k)  two-way random, mean of k raters",
    "ICC3k": "ICC(3,k)  two-way mixed, mean of k raters",
}


def _filters(values: tuple[str, ...]) -> dict[str, str]:
    filters = {}
    for value in values:
        column, sep, wanted = value.partition("=")
        if not sep or not column.strip():
            raise InputError(f"--filter {value!r}: write COLUMN=VALUE, e.g. rater_type=physician")
        filters[column.strip()] = wanted.strip()
    return filters


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def render_text(
    source: str,
    layout: str,
    n_missing: int,
    summary: dict[str, Any],
    labels: tuple[str, ...] | None = None,
) -> str:
    """The readable report of :func:`summarize_agreement`'s result."""
    lines = [
        f"{source}: {summary['n_units']} units, {summary['n_raters']} raters, "
        f"{summary['n_ratings']} ratings ({layout} layout, {n_missing} empty cells); "
        f"{summary['n_pairable_units']} units have two or more ratings",
    ]
    if labels is not None:
        ordered = summary["scale"] == "ordinal"
        shown = " < ".join(labels) if ordered else ", ".join(labels)
        lines.append(f"labels ({'ordered' if ordered else 'unordered'}): {shown}")
    lines += [
        "",
        "Krippendorff's alpha (all ratings, missing allowed)",
    ]
    for level, value in summary["krippendorff_alpha"].items():
        mark = "   <- --level" if level == summary["level"] else ""
        lines.append(f"  {level:<10}{_num(value):>8}{mark}")
    lines += [
        "",
        f"ICC, Shrout & Fleiss, 95% CI — {summary['icc_units']} complete units "
        f"({summary['icc_dropped_units']} dropped: not rated by every rater)",
    ]
    for form, name in _FORM_NAMES.items():
        entry = summary["icc"][form]
        interval = f"[{_num(entry['ci_low'])}, {_num(entry['ci_high'])}]"
        if entry["ci_low"] is None:
            interval = ""
        lines.append(f"  {name:<46}{_num(entry['value']):>8}  {interval}".rstrip())
    oneway = summary["icc1_all_units"]
    lines.append(
        f"  {'ICC(1,1)  one-way, every unit with 2+ ratings':<46}{_num(oneway['value']):>8}  "
        f"[{_num(oneway['ci_low'])}, {_num(oneway['ci_high'])}]"
    )
    lines += ["", f"Fleiss' kappa            {_num(summary['fleiss_kappa']):>8}"]
    lines.append(f"Percent agreement        {_num(summary['percent_agreement']):>8}")
    if summary["cohen_kappa"] is not None:
        for kind, value in summary["cohen_kappa"].items():
            lines.append(f"Cohen's kappa, {kind:<10}{_num(value):>8}")
    lines.append(
        f"Mean pairwise Spearman   {_num(summary['mean_pairwise_spearman']):>8}"
        f"  ({summary['spearman_pairs']} rater pairs sharing 3+ units)"
    )
    lines += [f"note: {note}" for note in summary["notes"]]
    return "\n".join(lines)


@click.command("agreement")
@click.argument("ratings_csv", type=click.Path())
@click.option(
    "--level",
    type=click.Choice(["nominal", "ordinal", "interval", "ratio"]),
    default=None,
    help="Level of measurement of the headline alpha [default: interval for numbers, nominal "
    "for labels, ordinal with --order].",
)
@click.option(
    "--order",
    default=None,
    metavar="L1,L2,...",
    help="The labels in order, worst first (e.g. fail,partly,pass): ordinal figures for labels.",
)
@click.option(
    "--layout",
    type=click.Choice(["auto", "long", "wide"]),
    default="auto",
    show_default=True,
    help="long = unit,rater,score rows; wide = a unit column then one column per rater.",
)
@click.option(
    "--filter",
    "filters",
    multiple=True,
    metavar="COLUMN=VALUE",
    help="Long files: keep only rows where COLUMN equals VALUE (repeatable).",
)
@format_option("text", "json")
def agreement(
    ratings_csv: str,
    level: Level | None,
    order: str | None,
    layout: Layout,
    filters: tuple[str, ...],
    output_format: str,
) -> None:
    """Inter-rater agreement of expert RATINGS_CSV: alpha, ICC, kappas, Spearman.

    \b
    RATINGS_CSV is read as long when its header has a unit column (unit, item_id, ...), a
    rater column (rater, rater_id, expert, ...) and a score column (score, rating, label,
    criteria_met, ...); otherwise as wide: the first column is the unit id and every other
    column one rater. Scores are numbers (true/false allowed) or labels (pass/fail, A/B/C;
    --order gives their order); an empty cell is missing.
    """
    # Deferred: pandas and scipy are heavy; `rubricate --help` must stay fast.
    from rubricate.calibration.inputs.ratings import read_ratings_csv
    from rubricate.calibration.stats.expert_agreement import summarize_agreement

    chosen = _filters(filters)
    ratings = read_ratings_csv(ratings_csv, layout=layout, filters=chosen)
    ordered = _order(order)
    scale: Scale = "numeric" if ratings.labels is None else "ordinal" if ordered else "nominal"
    levels: dict[Scale, Level] = {"numeric": "interval", "ordinal": "ordinal", "nominal": "nominal"}
    level = level or levels[scale]
    if scale == "nominal" and level != "nominal":
        example = ",".join(ratings.labels or ())
        raise InputError(
            f"--level {level} needs an order of the labels: pass --order {example} (worst first)"
        )
    if scale == "ordinal" and level in ("interval", "ratio"):
        raise InputError(f"--level {level} needs numbers: labels have an order, not distances")
    matrix = ratings.coded(ordered).to_numpy(dtype=float)
    summary = summarize_agreement(matrix, level=level, scale=scale)
    labels = ratings.labels if not ordered else ordered
    if output_format == "json":
        emit_json(
            {
                "file": ratings_csv,
                "layout": ratings.layout,
                "filters": chosen,
                "n_missing": ratings.n_missing,
                "labels": list(labels) if labels is not None else None,
                **summary,
            }
        )
    else:
        click.echo(render_text(ratings_csv, ratings.layout, ratings.n_missing, summary, labels))


def _order(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    labels = tuple(label.strip() for label in value.split(","))
    if len(labels) < 2 or not all(labels):
        raise InputError(f"--order {value!r}: list two or more labels, comma-separated, "
                         "worst first (e.g. fail,partly,pass)")  # fmt: skip
    return labels
