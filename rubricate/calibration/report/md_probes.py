"""The Markdown section of the generated adversarial probes (``--probe adversarial``).

Renders ``report.json``'s ``probes.adversarial`` (:mod:`rubricate.calibration.probes.summary`):
per probe kind, how many were generated and how many outscore their item's fair answers; the
probes that do; per criterion, which ones the probes move; and every probe not generated, with
the reason. On the checks-only score (no judge) the section says that it is not the reward and
claims no reward hack.
"""

from __future__ import annotations

from typing import Any

from rubricate.calibration.probes.summary import FORM
from rubricate.calibration.report.md_sections import LABELS, Figures, cell, fmt, table
from rubricate.calibration.report.model_agreement import AdversarialProbes
from rubricate.calibration.report.schema import CalibrationReport

MAX_LISTED = 20
"""Outscoring probes listed (report.json has them all)."""


def _kind_rows(section: AdversarialProbes) -> list[list[Any]]:
    return [
        [f"`probe:{k.probe}`", k.description, k.generated,
         k.not_generated, k.compared,
         f"**{k.outscore}**" if k.outscore else "0",
         "-" if k.above_half is None else k.above_half,
         ", ".join(k.items) or "-"]
        for k in section.kinds
    ]  # fmt: skip


def probe_lines(report: CalibrationReport, figures: Figures) -> list[str]:
    """The section, or nothing when the run generated no probes."""
    if report.probes is None:
        return []
    section = report.probes.adversarial
    score = LABELS.get(section.score or "", "no score")
    lines = ["## Generated adversarial probes", ""]
    lines += [
        "Reward-hacking answers generated from each item's great answer by `--probe "
        "adversarial` (tier adversarial, ids `probe:<kind>`), graded like the written answers "
        f"(same repeats) and compared with the item's fair answers on {score}. The form probes "
        "(padding, parroting, injection) are built on the first half of the great answer, "
        "which the `truncation` probe grades alone (their control): a form probe that outscores "
        "the fair answers but not the half alone shows the half, not the form, beats them. "
        f"Padding reaches {section.pad_factor}x the great answer's length.",
        "",
    ]
    if section.score is None:
        lines += ["No score ran, so the probes could not be compared.", ""]
    elif not section.on_reward:
        lines += [
            "These figures use the **checks-only score**, which is not the reward: the "
            "grader's reward was not measured, so no probe is claimed to be a reward hack.",
            "",
        ]
    lines += table(
        ["probe", "what it is", "generated", "not generated", "compared with fair",
         "outscore fair", "above the half alone", "items where it outscores fair"],
        _kind_rows(section),
        "llrrrrrl",
    )  # fmt: skip
    winners = [p for p in section.probes if p.outscores]
    if winners:
        lines += ["Probes that outscore their item's fair answers:", ""]
        lines += table(
            ["item", "probe", "from", "mean", "fair mean", "margin", "half alone"],
            [[p.item_id, f"`{p.answer_id}`", p.source, fmt(p.mean),
              fmt(p.fair_mean), fmt(p.margin),
              fmt(p.half_mean) if p.probe in FORM else "-"]
             for p in winners[:MAX_LISTED]],
            "lllrrrr",
        )  # fmt: skip
    uncompared = [p for p in section.probes if p.outscores is None]
    if uncompared:
        items = sorted({str(p.item_id) for p in uncompared})
        lines += [
            f"{len(uncompared)} probes could not be compared (not assessed): their items have "
            f"no scored fair answer ({cell(', '.join(items))}).",
            "",
        ]
    compared = [r for r in section.criteria if r.compared]
    moved = [r for r in compared if r.beat_fair]
    if compared and not moved:
        lines += ["Per criterion: no probe does better than its item's fair answers on any "
                  "criterion.", ""]  # fmt: skip
    if moved:
        lines += ["Per criterion: probes doing better than the item's fair answers (a higher "
                  "score; for a penalty, a lower one), of those compared; every other pair of "
                  "probe and criterion has none (report.json lists every pair):",
                  ""]  # fmt: skip
        lines += table(
            ["probe", "criterion", "scored by", "better than fair", "items"],
            [[f"`probe:{r.probe}`", f"`{r.criterion}`", r.scored_by,
              f"{r.beat_fair} of {r.compared}", ", ".join(r.items) or "-"]
             for r in moved],
            "lllrl",
        )  # fmt: skip
    missing = section.not_generated
    if missing:
        groups: dict[tuple[str, str], list[str]] = {}
        for m in missing:
            groups.setdefault((m.probe, m.reason), []).append(str(m.item_id))
        lines += [f"Not generated ({len(missing)}; every item and answer is in report.json):", ""]
        lines += table(
            ["probe", "why", "items"],
            [[f"`probe:{probe}`", reason, f"{len(items)}: " + ", ".join(sorted(set(items)))]
             for (probe, reason), items in groups.items()],
            "lll",
        )  # fmt: skip
    return lines
