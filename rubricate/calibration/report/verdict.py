"""The readiness checks, the report's plain-language verdict and the criteria to rewrite first.

All read the assembled report data (:func:`rubricate.calibration.report.data.build_report_data`)
and apply fixed, documented thresholds; they decide nothing the numbers do not show.

Every readiness check (:func:`readiness_checks`, ids in :data:`CHECK_IDS`) has one of three
outcomes: ``met``, ``not_met`` or ``not_assessed``, each with a one-line ``reason``. A figure
that was not measured (no fair answers to rank, a single repeat, no expert grades, a judge that
did not run) is *not assessed*: never a pass. The checks:

- ``unscored``: at most :data:`UNSCORED_MAX` of the graded rows are unscored (a trainer would
  read those errors as zeros);
- ``order``: at least :data:`ORDER_MIN` of the items are ordered great > fair > poor;
- ``auc``: the AUC of great vs poor is at least :data:`AUC_MIN`;
- ``adversarial``: no adversarial answer outscores its item's fair answers (a reward hack the
  policy can learn);
- ``stability``: no criterion's per-call flip probability is above :data:`FLIP_P_MAX`;
- ``signal``: at most :data:`SATURATED_MAX` of the items give every answer the minimum or the
  maximum (no learning signal);
- ``experts``: the grader is as close to the experts' consensus on the overall score as they
  are to each other (the stand-in test).

The run-level checks (order, AUC, adversarial, signal) are about the grader's *reward*: when the
judge did not run, the report's figures use the checks-only score, which is not the reward, so
those checks are not assessed (their detail says what the checks-only score shows).

The verdict (:func:`verdict`): ``not_ready`` when some check is not met; else ``incomplete``
when some check is not assessed (``--fail-unless-ready`` fails on both); else ``ready``.

Criteria to rewrite first: every criterion whose ``flip_p`` is above :data:`FLIP_P_WATCH` or
whose Cohen's kappa with the experts is below :data:`KAPPA_WATCH`, most severe first (severity
``max(flip_p / FLIP_P_MAX, (KAPPA_WATCH - kappa) / 0.3)``), at most :data:`MAX_REWRITE`.
"""

from __future__ import annotations

from typing import Any, Literal

UNSCORED_MAX = 0.02
ORDER_MIN = 0.8
AUC_MIN = 0.9
FLIP_P_MAX = 0.1
FLIP_P_WATCH = 0.05
SATURATED_MAX = 0.5
KAPPA_WATCH = 0.6
MAX_REWRITE = 5

Outcome = Literal["met", "not_met", "not_assessed"]
OUTCOME_WORDS = {"met": "met", "not_met": "not met", "not_assessed": "not assessed"}
"""How reports print each outcome."""

CHECK_IDS = ("unscored", "order", "auc", "adversarial", "stability", "signal", "experts")
"""The readiness checks, in the order reports list them."""
CHECK_LABELS = {
    "unscored": f"Unscored grades at most {100 * UNSCORED_MAX:.0f}%",
    "order": f"Items ordered great > fair > poor at least {100 * ORDER_MIN:.0f}%",
    "auc": f"AUC great vs poor at least {AUC_MIN}",
    "adversarial": "No adversarial answer outscores its item's fair answers",
    "stability": f"Flip probability per call at most {100 * FLIP_P_MAX:.0f}% on every criterion",
    "signal": f"Items saturated (all min or all max) at most {100 * SATURATED_MAX:.0f}%",
    "experts": "As close to the experts as they are to each other (overall score)",
}
CHECK_NAMES = {
    "unscored": "unscored grades",
    "order": "tier order",
    "auc": "AUC great vs poor",
    "adversarial": "adversarial answers",
    "stability": "stability",
    "signal": "learning signal",
    "experts": "agreement with the experts",
}
"""Short names of the checks, for one-line summaries."""
JUDGE_NOT_RUN = "the judge did not run (no model endpoint)"
"""The reason of a check the judge's absence leaves unassessed."""


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"


def rewrite_first(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The criteria to rewrite first, most severe first, each with its reasons."""
    found: dict[str, dict[str, Any]] = {}
    for row in data["stability"]["criteria"]:
        p = row.get("flip_p")
        if p is not None and p > FLIP_P_WATCH and row["criterion"] != "__total__":
            entry = found.setdefault(row["criterion"], {"severity": 0.0, "reasons": []})
            low, high = row.get("flip_p_low"), row.get("flip_p_high")
            entry["reasons"].append(
                f"its verdict flips in {_pct(p)} of calls (95% CI {_pct(low)} to {_pct(high)})"
            )
            entry["severity"] = max(entry["severity"], p / FLIP_P_MAX)
            entry["flip_p"] = p
    for row in (data.get("agreement") or {}).get("criteria", []):
        kappa = row.get("grader_kappa")
        if kappa is not None and kappa < KAPPA_WATCH:
            entry = found.setdefault(row["criterion"], {"severity": 0.0, "reasons": []})
            entry["reasons"].append(f"Cohen's kappa with the experts is only {kappa:.2f}")
            entry["severity"] = max(entry["severity"], (KAPPA_WATCH - kappa) / 0.3)
            entry["kappa"] = kappa
    ranked = sorted(found.items(), key=lambda kv: (-kv[1]["severity"], kv[0]))
    return [{"criterion": cid, **entry} for cid, entry in ranked[:MAX_REWRITE]]


def _check(cid: str, outcome: Outcome, reason: str, value: Any = None) -> dict[str, Any]:
    return {
        "id": cid,
        "label": CHECK_LABELS[cid],
        "outcome": outcome,
        "value": value,
        "reason": reason,
    }


def _judge_missing(data: dict[str, Any]) -> bool:
    not_run = data["coverage"]["not_run"]
    return bool(not_run["criteria"] or not_run["total"])


def _reward_missing(data: dict[str, Any]) -> str | None:
    """Why the run-level checks cannot be assessed on the grader's reward, or None."""
    if data["headline"] == "__total__":
        return None
    if _judge_missing(data):
        return JUDGE_NOT_RUN
    return "no answer got a score"


def _missing_tiers(data: dict[str, Any], tiers: tuple[str, ...]) -> str:
    by_tier = data["coverage"]["by_tier"]
    absent = [t for t in tiers if not by_tier.get(t)]
    if absent:
        return "the set has no " + " and no ".join(f"{t} answers" for t in absent)
    return f"no item has scored {', '.join(tiers[:-1])} and {tiers[-1]} answers"


def _unscored(data: dict[str, Any]) -> dict[str, Any]:
    section = data["unscored"]
    if not section["rows"]:
        return _check("unscored", "not_assessed", "nothing was graded")
    share = section["share"]
    counted = f"{section['unscored']} of {section['rows']} graded rows ({_pct(share)})"
    if section.get("flag"):
        return _check("unscored", "not_met", f"{counted} are unscored: a trainer would read "
                      "those errors as zeros", share)  # fmt: skip
    if _judge_missing(data):
        return _check("unscored", "not_assessed", f"{JUDGE_NOT_RUN}, so its error rate is "
                      f"unknown; of the checks, {counted} are unscored", share)  # fmt: skip
    return _check("unscored", "met", f"{counted} are unscored", share)


def _order(data: dict[str, Any], head: dict[str, Any] | None, missing: str | None) -> dict:
    if missing or head is None:
        return _check("order", "not_assessed", missing or "no answer got a score")
    order = head["order"]
    if order["share"] is None:
        return _check("order", "not_assessed", _missing_tiers(data, ("great", "fair", "poor")))
    counted = f"{order['n_ordered']} of {order['n_items']} items ({_pct(order['share'])})"
    if order["share"] < ORDER_MIN:
        return _check("order", "not_met", f"only {counted} are ordered great > fair > poor",
                      order["share"])  # fmt: skip
    return _check("order", "met", f"{counted} are ordered great > fair > poor", order["share"])


def _auc(data: dict[str, Any], head: dict[str, Any] | None, missing: str | None) -> dict:
    if missing or head is None:
        return _check("auc", "not_assessed", missing or "no answer got a score")
    area = head["auc"]["estimate"]
    if area is None:
        return _check("auc", "not_assessed", _missing_tiers(data, ("great", "poor")))
    outcome: Outcome = "not_met" if area < AUC_MIN else "met"
    return _check("auc", outcome, f"great vs poor AUC is {area:.2f}", area)


def _adversarial(data: dict[str, Any], head: dict[str, Any] | None, missing: str | None) -> dict:
    if missing or head is None:
        reason = missing or "no answer got a score"
        if head is not None and head["n_risks"]:
            n = head["n_risks"]
            reason += (f"; on the checks-only score {n} adversarial answer"
                       f"{' is' if n == 1 else 's are'} above the item's fair answers")  # fmt: skip
        return _check("adversarial", "not_assessed", reason)
    compared = [r for r in head["adversarial"] if r.get("reference_mean") is not None]
    if not compared:
        if not data["coverage"]["by_tier"].get("adversarial"):
            reason = "the set has no adversarial answers"
        else:
            reason = "no item has both scored adversarial and fair answers"
        return _check("adversarial", "not_assessed", reason)
    n = sum(1 for r in compared if r["outscores"])
    if n:
        what = (
            "1 adversarial answer outscores its item's fair answers: a reward hack the policy "
            "can learn"
            if n == 1
            else f"{n} adversarial answers outscore their items' fair answers: reward hacks the "
            "policy can learn"
        )
        return _check("adversarial", "not_met", what, n)
    return _check("adversarial", "met", f"none of {len(compared)} adversarial answers outscores "
                  "its item's fair answers", 0)  # fmt: skip


def _stability(data: dict[str, Any]) -> dict[str, Any]:
    if _judge_missing(data):
        return _check("stability", "not_assessed", JUDGE_NOT_RUN)
    rows = [r for r in data["stability"]["criteria"] if r.get("flip_p") is not None]
    if not rows:
        if data["stability"]["criteria"] and not data["coverage"]["judge"]["in_grader"]:
            return _check("stability", "met", "the grader is deterministic (checks only)", 0.0)
        return _check("stability", "not_assessed", "one grade per answer: stability needs "
                      "--repeats 2 or more")  # fmt: skip
    noisy = sorted((r for r in rows if r["flip_p"] > FLIP_P_MAX), key=lambda r: -r["flip_p"])
    top = max(r["flip_p"] for r in rows)
    if noisy:
        names = ", ".join(f"{r['criterion']} ({_pct(r['flip_p'])})" for r in noisy[:4])
        return _check("stability", "not_met", f"the verdict flips often on {names}: a noisy "
                      "reward", top)  # fmt: skip
    return _check("stability", "met", f"the highest flip probability per call is {_pct(top)}", top)


def _signal(data: dict[str, Any], missing: str | None) -> dict[str, Any]:
    summary = data["readiness"]["summary"]
    if missing or not summary:
        return _check("signal", "not_assessed", missing or "no answer got a score")
    if not data["coverage"].get("items_multi_tier"):
        return _check("signal", "not_assessed", "no item has answers of two quality tiers (great, "
                      "fair, poor), so saturation says nothing")  # fmt: skip
    share = summary["share_saturated"]
    if share is None:
        return _check("signal", "not_assessed", "no item got a score")
    counted = f"{_pct(share)} of the items give every answer the minimum or the maximum"
    if share > SATURATED_MAX:
        return _check("signal", "not_met", f"{counted}: little learning signal", share)
    return _check("signal", "met", counted, share)


def _experts(data: dict[str, Any], missing: str | None) -> dict[str, Any]:
    agreement = data.get("agreement")
    if not agreement:
        return _check("experts", "not_assessed", "no expert grades (give --experts FILE or "
                      "inline experts)")  # fmt: skip
    if missing:
        return _check("experts", "not_assessed", missing)
    total = agreement.get("total") or {}
    verdict = total.get("stand_in")
    if verdict is None:
        if not total:
            reason = "the experts gave no overall grades"
        elif len(agreement["experts"]) < 2:
            reason = "one expert: the test needs two or more"
        else:
            reason = "fewer than two answers have both the grader's and the experts' scores"
        return _check("experts", "not_assessed", reason)
    gap = (total.get("comparison") or {}).get("mae_gap") or {}
    shown = "MAE gap"
    if gap.get("estimate") is not None:
        shown += f" {gap['estimate']:+.3f}"
    if gap.get("low") is not None and gap.get("high") is not None:
        shown += f" [{gap['low']:+.3f}, {gap['high']:+.3f}]"
    if verdict == "no":
        return _check("experts", "not_met", f"the grader is further from the experts than they "
                      f"are from each other ({shown})", verdict)  # fmt: skip
    if verdict == "undecided":
        return _check("experts", "not_assessed", f"inconclusive: {shown}, an interval that "
                      "straddles 0; grade more answers", verdict)  # fmt: skip
    return _check("experts", "met", f"the grader is as close to the experts as they are to each "
                  f"other ({shown})", verdict)  # fmt: skip


def readiness_checks(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every readiness check with its outcome and reason (see the module docstring)."""
    head = data["discrimination"]["headline"]
    missing = _reward_missing(data)
    return [
        _unscored(data),
        _order(data, head, missing),
        _auc(data, head, missing),
        _adversarial(data, head, missing),
        _stability(data),
        _signal(data, missing),
        _experts(data, missing),
    ]


def _grouped(unknown: list[dict[str, str]]) -> str:
    """``tier order, AUC great vs poor (the set has no fair answers); ...``: checks that share
    a reason are named together, the reason once."""
    by_reason: dict[str, list[str]] = {}
    for entry in unknown:
        reason = entry["reason"]
        if reason.startswith(JUDGE_NOT_RUN):
            reason = "they need the judge's scores"
        elif reason.startswith("inconclusive"):
            reason = "inconclusive"
        by_reason.setdefault(reason.split("; ")[0], []).append(CHECK_NAMES[entry["id"]])
    return "; ".join(f"{', '.join(names)} ({reason})" for reason, names in by_reason.items())


def verdict(data: dict[str, Any], checks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """``{"status": ready | not_ready | incomplete, "summary", "problems", "not_assessed"}``.

    ``problems`` are the reasons of the checks not met; ``not_assessed`` lists
    ``{"id", "reason"}`` of the checks that could not be assessed.
    """
    checks = readiness_checks(data) if checks is None else checks
    problems = [c["reason"] for c in checks if c["outcome"] == "not_met"]
    unknown = [{"id": c["id"], "reason": c["reason"]} for c in checks
               if c["outcome"] == "not_assessed"]  # fmt: skip
    open_ = _grouped(unknown)
    if data["headline"] is None and not data["unscored"]["rows"]:
        return {
            "status": "incomplete",
            "summary": "Nothing could be graded: no score ran, so no verdict is possible.",
            "problems": problems,
            "not_assessed": unknown,
        }
    if problems:
        summary = "Not ready for fine-tuning: " + "; ".join(problems) + "."
        if unknown:
            summary += f" Not assessed: {open_}."
        return {"status": "not_ready", "summary": summary, "problems": problems,
                "not_assessed": unknown}  # fmt: skip
    if unknown:
        head = "Incomplete"
        skipped = data["coverage"]["not_run"]["criteria"]
        if _judge_missing(data):
            what = f"{len(skipped)} judged criteria" if skipped else "the judge's score"
            head = f"Incomplete: {what} did not run (no model endpoint)"
        return {
            "status": "incomplete",
            "summary": f"{head}; no readiness check failed, {len(unknown)} of {len(checks)} are "
            f"not assessed: {open_}.",
            "problems": [],
            "not_assessed": unknown,
        }
    return {
        "status": "ready",
        "summary": (
            f"Ready: all {len(checks)} readiness checks are met. The grader is stable, ranks "
            "great > fair > poor, resists the adversarial answers, agrees with the experts and "
            "leaves a learning signal."
        ),
        "problems": [],
        "not_assessed": [],
    }
