"""The baseline report in Markdown: the report data (:mod:`.report`) as a document.

Order: the verdict (will RFT help, per model), the key figures, then the sections that back
them: learning signal with the items to drop or fix, the variance study per item, the criterion
(sub-grader) means and label averages, tokens / latency / cost, unscored samples, this run's
calls. Every per-model table has one column (or one group of columns) per model, in the order
the models were given. Numbers follow the calibration report
(:mod:`~rubricate.calibration.report.md_sections`: 3
decimals, shares as percentages, ``n/a`` when a value could not be computed).
"""

from __future__ import annotations

from typing import Any

from rubricate.calibration.report.md_bias import baseline_bias_lines
from rubricate.calibration.report.md_sections import (
    cell,
    figure,
    fmt,
    pct,
    report_header,
    table,
)
from rubricate.calibration.run_manifest import RunManifest

Figures = dict[str, dict[str, str]]
MAX_ITEMS = 100
"""Items listed in the variance-study table (report.json has them all)."""
MAX_NAMES = 15
"""Item ids named per list in the learning-signal section."""
MAX_UNSCORED = 50
"""Unscored samples listed (report.json and samples.csv have them all)."""
LABELS = {"__total__": "reward (`__total__`)", "__checks__": "checks-only score (`__checks__`)"}


def _names(ids: list[str]) -> str:
    shown = ", ".join(f"`{i}`" for i in ids[:MAX_NAMES])
    return shown + (f" and {len(ids) - MAX_NAMES} more" if len(ids) > MAX_NAMES else "")


def _money(value: Any, digits: int = 4) -> str:
    return "n/a (unpriced)" if value is None else f"${value:.{digits}f}"


def _latency(usage: dict[str, Any]) -> str:
    """Mean latency of the live generations; n/a says why there is none."""
    if not usage["latency_n"]:
        failed, replayed = usage.get("failed_generations", 0), usage.get("replayed", 0)
        if failed and not replayed:
            return "n/a (no generation succeeded)"
        if failed:
            return "n/a (replayed from the store, or failed)"
        return "n/a (replayed from the store)"
    return f"{fmt(usage['latency_mean_s'], 2)} s"


def _grading_cost(usage: dict[str, Any]) -> str:
    if not usage["judge_calls"]:
        return "none (no judge call: checks only)"
    return (
        f"{_money(usage['grading_cost_per_sample_usd'], 5)} / {_money(usage['grading_cost_usd'])}"
        f" ({usage['judge_calls']} judge calls)"
    )


def _header(data: dict[str, Any]) -> list[str]:
    run = data["run"]
    gen = run.get("generation") or {}
    fmt_name = (gen.get("response_format") or {}).get("json_schema", {}).get("name")
    settings = ", ".join(
        [
            f"temperature {gen.get('temperature') if gen.get('temperature') is not None else 'default'}",  # noqa: E501
            f"reasoning effort {gen.get('reasoning_effort') or 'default'}",
            f"response format {'`' + fmt_name + '`' if fmt_name else 'text'}",
        ]
    )
    models = ", ".join(f"`{m}`" for m in data["models"])
    inputs = (
        f"Items {run.get('items_path')}: {run['counts']['items']} items; models {models}; "
        f"{data['samples_per_item']} samples per item; {settings}"
    )
    judge = run.get("judge_model") or "none (checks only)"
    return report_header("Baseline", RunManifest.model_validate(run),
                         title=data["rubric"]["title"], rubric_id=data["rubric"]["id"],
                         judge=judge, inputs=inputs)  # fmt: skip


def _verdict(data: dict[str, Any]) -> list[str]:
    signal = data["learning_signal"]
    lines = []
    for model in data["models"]:
        verdict = signal[model]["verdict"]
        lines.append(f"> **`{model}`:** {verdict}.")
        lines.append(">")
    return [*lines[:-1], ""]


def _per_model(data: dict[str, Any], rows: list[tuple[str, Any]]) -> list[str]:
    """A table of figures (rows) by model (columns); each value is ``fn(model) -> str``."""
    header = ["figure", *[f"`{m}`" for m in data["models"]]]
    body = [[name, *[value(m) for m in data["models"]]] for name, value in rows]
    return table(header, body)


def _key_figures(data: dict[str, Any]) -> list[str]:
    study, signal = data["variance_study"], data["learning_signal"]
    usage, unscored = data["usage"], data["unscored"]
    rows = [
        ("Mean reward (overall mean of item means)",
         lambda m: fmt(study[m]["summary"]["overall_mean"])),
        ("Mean of per-item maxima", lambda m: fmt(study[m]["summary"]["mean_max"])),
        ("Mean variance", lambda m: fmt(study[m]["summary"]["mean_variance"], 4)),
        ("Headroom (mean of max − mean)", lambda m: fmt(signal[m]["headroom"])),
        ("Items with zero variance", lambda m: pct(signal[m]["share_zero_variance"])),
        ("Items always at the minimum", lambda m: pct(signal[m]["share_all_min"])),
        ("Items always at the maximum", lambda m: pct(signal[m]["share_all_max"])),
        ("Scored samples", lambda m: f"{study[m]['summary']['samples']} of "
                                     f"{unscored[m]['samples']}"),
        ("Unscored samples", lambda m: f"{unscored[m]['count']} ({pct(unscored[m]['share'], 1)})"),
        ("Reasoning tokens per sample (mean)",
         lambda m: fmt(usage[m]["reasoning_tokens_mean"], 0)),
        ("Latency per sample (mean)", lambda m: _latency(usage[m])),
        ("Generation cost per sample", lambda m: _money(usage[m]["generation_cost_per_sample_usd"],
                                                        5)),
    ]  # fmt: skip
    return ["## Key figures", "", *_per_model(data, rows)]


def _signal_lines(data: dict[str, Any], figures: Figures) -> list[str]:
    lines = [
        "## 1. Learning signal",
        "",
        "RFT learns from the differences between the grades of one prompt's samples: an item "
        "whose samples always score the same (always the minimum, always the maximum, or one "
        "score in between) gives no signal. Shares are over the items with 2 or more scored "
        "samples.",
        "",
    ]
    for model in data["models"]:
        signal = data["learning_signal"][model]
        lines += [f"### `{model}`", "", f"{signal['verdict']}.", ""]
        lists = (
            ("drop", "Drop (always the maximum: already solved, nothing to learn)"),
            ("fix", "Fix or drop (always the minimum: check the reference and the grader on a "
                    "sample, or the task is too hard for this model)"),
            ("flat", "Look at (the same intermediate score on every sample)"),
            ("too_few", "Too few scored samples to tell"),
        )  # fmt: skip
        for key, title in lists:
            if signal[key]:
                lines.append(f"- {title}: {len(signal[key])} item(s): {_names(signal[key])}")
        if any(signal[key] for key, _ in lists):
            lines.append("")
    return lines


def _study_lines(data: dict[str, Any], figures: Figures) -> list[str]:
    models = data["models"]
    lines = ["## 2. Variance study", "", *figure(figures, "variance_study")]
    by_item: dict[str, dict[str, Any]] = {item_id: {} for item_id in data["items"]}
    for model in models:
        for row in data["variance_study"][model]["items"]:
            by_item.setdefault(row["item_id"], {})[model] = row
    first = models[0]
    order = sorted(by_item, key=lambda i: (by_item[i].get(first, {}).get("mean", 2.0e9), i))
    header = ["item"]
    for model in models:
        prefix = f"`{model}` " if len(models) > 1 else ""
        header += [f"{prefix}mean", f"{prefix}max", f"{prefix}min", f"{prefix}SD", f"{prefix}n"]
    body = []
    for item_id in order[:MAX_ITEMS]:
        row = [f"`{item_id}`"]
        for model in models:
            got = by_item[item_id].get(model)
            row += (
                [fmt(got["mean"]), fmt(got["max"]), fmt(got["min"]), fmt(got["sd"]), got["n"]]
                if got
                else ["n/a"] * 4 + [0]
            )
        body.append(row)
    sort_note = f"sorted by `{first}`'s mean" if len(models) > 1 else "sorted by mean"
    lines += [f"Per item over its scored samples ({sort_note}; SD with n − 1):", ""]
    lines += table(header, body)
    if len(order) > MAX_ITEMS:
        lines += [f"({len(order) - MAX_ITEMS} more items in report.json.)", ""]
    return lines


def _criteria_lines(data: dict[str, Any], figures: Figures) -> list[str]:
    models = data["models"]
    header = ["criterion", "weight", *[f"`{m}`" for m in models]]
    body = []
    for row in data["criteria"]:
        name = LABELS.get(row["criterion"], f"`{row['criterion']}`")
        weight = "" if row["weight"] is None else f"{row['weight']:g}"
        cells = []
        for model in models:
            got = row["models"][model]
            extra = f", {got['unscored']} unscored" if got["unscored"] else ""
            cells.append(f"{fmt(got['mean'])} (n={got['n']}{extra})")
        body.append([name, weight, *cells])
    lines = [
        "## 3. Criteria side by side",
        "",
        "Mean score of each criterion's sub-grader over the scored samples (criteria in [0, 1]; "
        "for a penalty, 1 = the behaviour is present; the reward on the rubric's range).",
        "",
        *table(header, body, "l" + "r" * (len(header) - 1)),
        *figure(figures, "criteria"),
    ]
    for task in data["labels"]:
        lines += _label_lines(task, models)
    return lines


def _label_lines(task: dict[str, Any], models: list[str]) -> list[str]:
    kind = "multi-label" if task["kind"] == "multi" else "single-label"
    header = ["average"]
    for model in models:
        prefix = f"`{model}` " if len(models) > 1 else ""
        header += [f"{prefix}precision", f"{prefix}recall", f"{prefix}F1"]
    body = []
    averages = (
        ("per_sample", "per sample (the sub-graders' mean)"),
        ("micro", "micro (pooled counts)"),
        ("macro", "macro (mean over labels)"),
    )
    for key, title in averages:
        row = [title]
        for model in models:
            got = task["models"][model][key]
            row += [fmt(got[k]) if got else "n/a" for k in ("precision", "recall", "f1")]
        body.append(row)
    lines = [f"### Label task ({kind}): {', '.join(f'`{c}`' for c in task['criteria'])}", ""]
    lines += table(header, body)
    if any(task["models"][m]["macro"] is None and task["models"][m]["samples"] for m in models):
        lines += ["Macro: n/a where every item has labels of its own (no label recurs across "
                  "items), so a per-label average means nothing.", ""]  # fmt: skip
    return lines


def _usage_lines(data: dict[str, Any], figures: Figures) -> list[str]:
    usage = data["usage"]
    rows = [
        ("Samples (replayed from the store)",
         lambda m: f"{usage[m]['samples']} ({usage[m]['replayed']})"),
        ("Reasoning tokens per sample, mean / max",
         lambda m: f"{fmt(usage[m]['reasoning_tokens_mean'], 0)} / "
                   f"{usage[m]['reasoning_tokens_max']}"),
        ("Output tokens per sample, reasoning included (mean)",
         lambda m: fmt(usage[m]["output_tokens_mean"], 0)),
        ("Input tokens per sample (mean)", lambda m: fmt(usage[m]["input_tokens_mean"], 0)),
        ("Latency per sample, mean / median / p95",
         lambda m: f"{fmt(usage[m]['latency_mean_s'], 2)} / {fmt(usage[m]['latency_p50_s'], 2)}"
                   f" / {fmt(usage[m]['latency_p95_s'], 2)} s (n={usage[m]['latency_n']})"),
        ("Generation cost, per sample / total",
         lambda m: f"{_money(usage[m]['generation_cost_per_sample_usd'], 5)} / "
                   f"{_money(usage[m]['generation_cost_usd'])}"),
        ("Grading cost, per sample / total", lambda m: _grading_cost(usage[m])),
    ]  # fmt: skip
    return [
        "## 4. Tokens, latency and cost per sample",
        "",
        "Costs are estimates from the token counts and the price table, whether or not this run "
        "paid them; latency counts calls answered live (a call replayed from the store keeps the "
        "latency recorded when it was made, in the same run directory).",
        "",
        *_per_model(data, rows),
    ]


def _unscored_lines(data: dict[str, Any], figures: Figures) -> list[str]:
    models = data["models"]
    counts = ", ".join(
        f"`{m}` {data['unscored'][m]['count']} of {data['unscored'][m]['samples']}" for m in models
    )
    lines = [
        "## 5. Unscored samples",
        "",
        f"Unscored samples (the generation failed or the grade errored) are left out of every "
        f"mean, never counted as 0: {counts}.",
        "",
    ]
    listed = [(m, s) for m in models for s in data["unscored"][m]["list"]]
    body = [[f"`{m}`", f"`{s['item_id']}`", s["sample"], cell(s["error"])] for m, s in listed]
    lines += table(["model", "item", "sample", "reason"], body[:MAX_UNSCORED], "llrl")
    if len(body) > MAX_UNSCORED:
        lines += [f"({len(body) - MAX_UNSCORED} more in samples.csv.)", ""]
    return lines


def _run_lines(data: dict[str, Any], figures: Figures) -> list[str]:
    cost = data.get("cost") or {}
    if not cost:
        return []
    paid = _money(cost.get("cost_usd"))
    if cost.get("unpriced"):
        paid += f" (+ unpriced: {', '.join(cost['unpriced'])})"
    return [
        "## 6. This run",
        "",
        f"{cost.get('calls', 0)} model calls made (generation and judging), "
        f"{cost.get('cached', 0)} replayed from the call store for free; paid {paid}; "
        f"{fmt(cost.get('wall_s'), 1)} s. Files: `grades.csv` (one row per sample and "
        "criterion), `samples.csv` (one row per sample), `records.jsonl` (each sample's text, "
        "generation call and grade record).",
        "",
    ]


def render_baseline_markdown(data: dict[str, Any], figures: Figures) -> str:
    """The whole Markdown report.

    Args:
        data: the report data.
        figures: ``{name: {"path", "title"}}`` of the figures written (may be empty).
    """
    lines = _header(data) + _verdict(data) + _key_figures(data)
    for section in (_signal_lines, _study_lines, _criteria_lines, baseline_bias_lines,
                    _usage_lines, _unscored_lines, _run_lines):  # fmt: skip
        lines += section(data, figures)
    return "\n".join(lines).rstrip() + "\n"
