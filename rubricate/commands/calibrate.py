"""``rubricate calibrate RUBRIC --set SET.jsonl``: prove the grader before it trains a model.

Compiles the rubric, grades every answer of the calibration set ``--repeats`` times (default 5;
``auto`` repeats only what is still uncertain) with exactly the grader JSON that export writes,
through the local runtime and the model client (the repeat index is part of every call key:
repeats are real samples, and a rerun replays them from the call store for free), and writes
the run directory (``--out``, default ``runs/<rubric id>``): ``grader.json``, ``run.json``,
``set.jsonl``, ``rubric.yaml``, ``grades.csv``, ``records.jsonl``, ``experts.csv``,
``report.md``, ``report.html`` (self-contained), ``report.json`` and ``figures/``.

- ``--experts FILE``: expert grades, long CSV ``item_id,answer_id,expert,criterion_id,score``
  (empty criterion_id = the overall score). Inline ``experts`` in the set work too.
- ``--judge-model M``: judge with M instead of the rubric's model. It changes the grader, so
  the rubric is compiled with it; export compiles the rubric's own model, so put M in the rubric
  to export what was calibrated.
- No model endpoint: the checks still run; the judged criteria are marked *not run* (one
  warning line says how to enable them) and the report says what did not run.
- ``--schema``: print the JSON Schema of a calibration set line and exit.
- ``--compare mode=per_criterion,holistic``, ``--compare judge=MODEL_A,MODEL_B[,...]`` or
  ``--compare panel=MODEL_A,MODEL_B,MODEL_C`` (each judge, then their panel): one full
  calibration per arm in ``OUT/arms/<arm>/`` (same set, same fixed repeats), then
  ``comparison.json``, ``comparison.md`` and ``comparison.html`` in ``OUT`` with the grader to
  export and why (:mod:`rubricate.calibration.compare`).
- ``--panel MODEL_A,MODEL_B[,...]`` (``--panel-rule majority|mean``): calibrate the panel of
  those judges, compiled as one ``multi`` grader (``rubricate compile --panel`` writes the same
  bytes; :mod:`rubricate.rubrics.compile.panel`).
- ``--probe adversarial`` (a comma-separated list, or repeated): add reward-hacking answers
  generated from each item's great answers (figures, hedging, truncation, padding to 3x,
  parroting, injection), graded like the written ones and reported per kind and criterion;
  what could not be generated is listed per item (:mod:`rubricate.calibration.probes`).
- ``--probe invariance``: the rubric recompiled with harmless changes (criteria reversed and
  shuffled, few-shot examples reversed, ids renamed, weights x 2), each a full calibration in
  ``OUT/arms/<change>/`` beside the unchanged grader in ``OUT/arms/baseline/``, then
  ``invariance.json``, ``.md`` and ``.html`` in ``OUT``: per criterion, the flips under each
  change beside the rerun flips, with an exact test (:mod:`rubricate.calibration.probes`).
  ``--probe invariance:paraphrase`` adds the judge model's paraphrase of each judged
  criterion as a sixth change, listed in the report for review. With ``--fail-unless-ready``
  it exits 1 when a row is flagged or the unchanged grader's verdict is not "ready".
- ``--report-only``: recompute the reports of the run in ``--out`` from its files (e.g. after
  experts added grades in ``rubricate review``); no grading, no model call.

Exit codes: 0 when the reports were written; 1 when more than ``--max-unscored`` (default 2%)
of the graded rows are unscored, or with ``--fail-unless-ready`` when the verdict is not
"ready" (not met, or not assessed); 2 with one line for bad input (file, line, field, how to
fix), or when the endpoint cannot be reached or refuses the key: the run stops after
``--max-connection-failures`` consecutive failed connections, keeps what finished (``run.json``
says ``stopped`` and why) and a rerun replays every answer already paid for.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rubricate.commands._client_options import client_options
from rubricate.commands._common import (
    ProgressBar,
    calls_note,
    check_unscored,
    emit,
    emit_json,
    endpoint_notes,
    format_option,
    max_unscored_option,
    note,
    score_clipped_option,
    target_option,
    warn,
    workers_option,
)
from rubricate.errors import CheckFailed, InputError
from rubricate.judge.calls import ClientSettings

if TYPE_CHECKING:
    from rubricate.calibration.report.schema import CalibrationReport
    from rubricate.rubrics.compile import Target


class RepeatsType(click.ParamType):
    """A positive number of repeats, or ``auto``."""

    name = "N|auto"

    def convert(self, value: Any, param: Any, ctx: Any) -> int | None:
        if value is None or (isinstance(value, str) and value.lower() == "auto"):
            return None
        try:
            number = int(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is neither a number nor 'auto'", param, ctx)
        if number < 1:
            self.fail("needs at least 1 repeat (2 or more to measure stability)", param, ctx)
        return number


def _summary(outcome: Any) -> dict[str, Any]:
    from rubricate.calibration.report.schema import CalibrationReport

    report = CalibrationReport.model_validate(outcome.data)  # report.json's content, typed
    discrimination = report.discrimination
    head = discrimination.headline if discrimination is not None else None
    flips = [r for r in report.stability.criteria if r.flip_p is not None]
    top = max(flips, key=lambda r: r.flip_p or 0.0, default=None)
    return {
        "out": str(outcome.out),
        "status": outcome.manifest["status"],
        "judged_run": outcome.manifest["judged_run"],
        "grader_sha256": outcome.manifest["grader_sha256"],
        "repeats": outcome.manifest["repeats"],
        "verdict": report.verdict.model_dump(),
        "headline": report.headline,
        "tier_means": {r.tier: r.mean for r in head.tier_means} if head else {},
        "ordered_share": head.order.share if head else None,
        "auc": head.auc.estimate if head else None,
        "adversarial_risks": head.n_risks if head else None,
        "max_flip_p": top.flip_p if top else None,
        "max_flip_p_criterion": top.criterion if top else None,
        "scored_by": report.scored_by,
        "checks": [c.model_dump() for c in report.readiness.checks],
        "not_run": report.coverage.not_run.model_dump(),
        "unscored_share": report.unscored.share,
        "unscored": report.unscored.unscored,
        "graded_rows": report.unscored.rows,
        "clipped": report.clipped.model_dump(),
        "rewrite_first": [r.criterion for r in report.readiness.rewrite_first],
        "usage": outcome.manifest["usage"],
        "probes": _probe_summary(report),
        "files": [str(p) for p in outcome.files],
    }


def _probe_summary(report: CalibrationReport) -> dict[str, Any] | None:
    """The generated probes in one summary: per kind generated / not generated / outscore."""
    if report.probes is None:
        return None
    section = report.probes.adversarial
    return {
        "score": section.score,
        "on_reward": section.on_reward,
        "kinds": [{k: getattr(r, k) for k in ("probe", "generated", "not_generated", "compared",
                                              "outscore", "above_half", "items")}
                  for r in section.kinds],
        "outscore": section.outscore,
    }


def _print_probes(probes: dict[str, Any]) -> None:
    generated = sum(k["generated"] for k in probes["kinds"])
    missing = sum(k["not_generated"] for k in probes["kinds"])
    on = HEADLINES.get(probes["score"] or "", "no score")
    click.echo(f"generated adversarial probes: {generated} graded, {missing} not generated; "
               f"outscore their item's fair answers on the {on}: {probes['outscore']}")  # fmt: skip
    for kind in probes["kinds"]:
        where = f" ({', '.join(kind['items'])})" if kind["items"] else ""
        half = "" if kind["above_half"] is None else f"; {kind['above_half']} above the half alone"
        click.echo(f"  probe:{kind['probe']}: {kind['outscore']} of {kind['compared']} compared "
                   f"outscore fair{where}{half}; {kind['not_generated']} not generated")


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _measured(value: float | None) -> str:
    return "not assessed" if value is None else f"{value:.3f}"


HEADLINES = {"__total__": "reward", "__checks__": "checks-only score (not the reward)"}
"""How the terminal names the score the run-level figures use."""


def _print_text(summary: dict[str, Any]) -> None:
    from rubricate.calibration.report.verdict import OUTCOME_WORDS

    judged = "" if summary["judged_run"] else "; judge not run"
    click.echo(f"run: {summary['out']} ({summary['status']}{judged})")
    click.echo(f"verdict: {summary['verdict']['summary']}")
    checks = summary["checks"]
    counts = ", ".join(
        f"{sum(1 for c in checks if c['outcome'] == o)} {word}" for o, word in OUTCOME_WORDS.items()
    )
    click.echo(f"readiness checks: {counts}")
    for check in checks:
        if check["outcome"] != "met":
            click.echo(f"  {OUTCOME_WORDS[check['outcome']]}: {check['label']}: {check['reason']}")
    if summary["headline"]:
        name = HEADLINES.get(summary["headline"], summary["headline"])
        means = ", ".join(f"{t} {_num(v)}" for t, v in summary["tier_means"].items())
        click.echo(f"{name} by tier: {means}")
        click.echo(
            f"  ordered great > fair > poor: {_measured(summary['ordered_share'])}; AUC great vs "
            f"poor: {_measured(summary['auc'])}; adversarial above fair: "
            f"{summary['adversarial_risks']}"
        )
    clipped = summary["clipped"]
    how = "counted as scored" if clipped["counted_as_scored"] else "unscored, left out"
    outside = (
        "not assessed (the judge did not run)"
        if clipped.get("assessed") is False
        else f"{clipped['replies']}" + (f" ({how})" if clipped["replies"] else "")
    )
    click.echo(
        f"unscored: {summary['unscored']} of {summary['graded_rows']} graded rows; results "
        f"outside their range (clipped): {outside}"
    )
    if summary["max_flip_p"] is not None:
        criterion = summary["max_flip_p_criterion"]
        source = summary["scored_by"].get(criterion, "grader")
        click.echo(
            f"highest flip probability per grading: {_num(summary['max_flip_p'])} "
            f"({criterion}, scored by {source})"
        )
    if summary.get("probes"):
        _print_probes(summary["probes"])
    if summary["rewrite_first"]:
        click.echo(f"rewrite first: {', '.join(summary['rewrite_first'])}")
    reports = [f for f in summary["files"] if Path(f).name.startswith("report.")]
    click.echo(f"reports: {', '.join(reports)}")


def _report_only(
    out: Path | None, figures: bool, output_format: str, fail_unless_ready: bool
) -> None:
    from rubricate.calibration.report.files import REPORT_FILES, rebuild_reports

    if out is None:
        raise InputError("--report-only needs --out RUN_DIR: the run whose reports to rebuild")
    verdict = rebuild_reports(out, figures=figures).verdict.model_dump()
    files = [str(out / name) for name in REPORT_FILES]
    if output_format == "json":
        emit_json({"out": str(out), "verdict": verdict, "files": files})
    else:
        click.echo(f"verdict: {verdict['summary']}")
        click.echo(f"reports: {', '.join(files)}")
    if fail_unless_ready:
        _gate(verdict)


def _gate(verdict: dict[str, Any]) -> None:
    """``--fail-unless-ready``: exit 1 unless every readiness check is met."""
    if verdict["status"] != "ready":
        unknown = len(verdict.get("not_assessed", []))
        more = f" ({unknown} checks not assessed)" if unknown else ""
        raise CheckFailed(
            f"calibration verdict: {verdict['status']}{more}; --fail-unless-ready needs ready"
        )


def _print_comparison(summary: dict[str, Any]) -> None:
    from rubricate.calibration.compare.table import COLUMNS, cell

    for arm in summary["arms"]:
        click.echo(f"arm {arm['arm']}: {arm['out']}")
    widths = {k: max(len(h), *(len(cell(k, r[k])) for r in summary["rows"])) for k, h in COLUMNS}
    click.echo("  ".join(h.ljust(widths[k]) for k, h in COLUMNS))
    for row in summary["rows"]:
        click.echo("  ".join(cell(k, row[k]).ljust(widths[k]) for k, _ in COLUMNS))
    rec = summary["recommendation"]
    sha = rec["grader_sha256"]
    click.echo(f"recommended: {rec['arm']} (grader SHA-256 {sha}): {rec['reason']}")
    click.echo(f"rule: {rec['rule']}")
    click.echo(f"reports: {', '.join(summary['files'])}")


def _panel(panel: str | None, rule: str, compare_spec: str | None) -> tuple[str, ...]:
    """The ``--panel`` models, checked (one line naming ``--panel``)."""
    from rubricate.rubrics.compile.panel import check_panel, parse_panel

    if panel is None:
        return ()
    if compare_spec is not None:
        raise InputError("--panel and --compare: use --compare panel=MODEL_A,MODEL_B,... instead")
    models = parse_panel(panel)
    check_panel(models, rule)
    return models


def _compare(
    request: Any,
    spec: str,
    settings: ClientSettings,
    output_format: str,
    max_unscored: float,
    fail_unless_ready: bool,
) -> None:
    """``--compare SPEC``: every arm a full calibration run, then the comparison reports."""
    from rubricate.calibration.compare.run import prepare_arms, run_comparison

    out, arms = prepare_arms(request, spec)
    for line in arms[0][1].warnings:
        warn(line)
    result = asyncio.run(
        run_comparison(out, spec, arms, settings, warn=warn,
                       progress=lambda arm: ProgressBar(f"grading {arm.name}"))  # fmt: skip
    )
    for arm, outcome in result.arms:
        usage = outcome.manifest["usage"]
        if usage and (usage["calls"] or usage["cached"]):
            calls_note(f"judge ({arm.name})", usage)
    summary = {
        "out": str(result.out),
        "arms": [{"arm": a.name, "out": str(o.out)} for a, o in result.arms],
        "rows": result.data["arms"],
        "recommendation": result.data["recommendation"],
        "files": [str(p) for p in result.files],
    }
    emit(summary, output_format, _print_comparison)
    for arm, outcome in result.arms:
        unscored = outcome.data["unscored"]
        check_unscored(unscored["unscored"], unscored["rows"], f"graded rows of arm {arm.name}",
                       max_unscored, None)  # fmt: skip
    if fail_unless_ready and not result.data["recommendation"]["ready"]:
        raise CheckFailed("no compared grader's verdict is ready; --fail-unless-ready needs one")


def _print_invariance(summary: dict[str, Any]) -> None:
    base = summary["baseline"]
    click.echo(f"baseline: {base['out']} ({base['target']}, grader {base['grader_sha256'][:12]})")
    for change in summary["changes"]:
        rows = [r for r in summary["rows"] if r["change"] == change["change"]]
        if not rows:
            click.echo(f"{change['change']}: {change['reason']}")
            continue
        counts: dict[str, int] = {}
        for row in rows:
            counts[row["verdict"]] = counts.get(row["verdict"], 0) + 1
        said = "; ".join(f"{n} {verdict}" for verdict, n in counts.items())
        click.echo(f"{change['change']} ({change['description']}): {said}")
    flagged = [r for r in summary["rows"] if r["flagged"]]
    click.echo(f"flagged: {len(flagged)}")
    for row in flagged:
        p = "" if row["p_holm"] is None else f", Holm p {row['p_holm']:.3g}"
        flip = f"change flip {_num(row['change_flip'])} vs rerun flip {_num(row['rerun_flip'])}"
        click.echo(f"  {row['criterion']} under {row['change']}: {flip}{p}")
    click.echo(f"reports: {', '.join(summary['files'])}")


def _probe(request: Any, probes: list[str], settings: ClientSettings, output_format: str,
           max_unscored: float, fail_unless_ready: bool) -> None:  # fmt: skip
    """``--probe invariance``: the unchanged grader and each harmless change, then the reports."""
    from rubricate.calibration.invariance.run import prepare_invariance, run_invariance

    out, arms = prepare_invariance(request)
    base = arms[0].prepared
    assert base is not None
    for line in base.warnings:
        warn(line)
    if "invariance:paraphrase" in probes:
        from rubricate.calibration.invariance.paraphrase import paraphrase_criteria
        from rubricate.calibration.invariance.run import add_paraphrase

        paraphrases = asyncio.run(paraphrase_criteria(base.rubric, settings))
        if paraphrases.reason is not None:
            warn(f"--probe invariance:paraphrase: {paraphrases.reason}")
        if paraphrases.usage and (paraphrases.usage["calls"] or paraphrases.usage["cached"]):
            calls_note("paraphrases", paraphrases.usage)
        add_paraphrase(out, arms, paraphrases)
    said: set[str] = set()

    def once(line: str) -> None:  # every arm would repeat the same warning
        if line not in said:
            said.add(line)
            warn(line)

    result = asyncio.run(
        run_invariance(out, arms, settings, warn=once,
                       progress=lambda name: ProgressBar(f"grading {name}"))  # fmt: skip
    )
    for name, outcome in result.outcomes.items():
        usage = outcome.manifest["usage"]
        if usage and (usage["calls"] or usage["cached"]):
            calls_note(f"judge ({name})", usage)
    summary = {
        "out": str(result.out),
        "baseline": result.data["baseline"],
        "changes": result.data["changes"],
        "rows": result.data["rows"],
        "flagged": result.data["flagged"],
        "files": [str(p) for p in result.files],
    }
    emit(summary, output_format, _print_invariance)
    for name, outcome in result.outcomes.items():
        unscored = outcome.data["unscored"]
        check_unscored(unscored["unscored"], unscored["rows"], f"graded rows of arm {name}",
                       max_unscored, None)  # fmt: skip
    if fail_unless_ready:
        if result.data["flagged"]:
            raise CheckFailed(f"--probe invariance flagged {len(result.data['flagged'])} "
                              "rows; --fail-unless-ready needs none")  # fmt: skip
        _gate(result.outcomes["baseline"].data["verdict"])


@click.command("calibrate")
@click.argument("rubric", required=False, type=click.Path(path_type=Path))
@click.option(
    "--set",
    "set_path",
    type=click.Path(path_type=Path),
    metavar="SET.jsonl",
    help="The calibration set: items with great/fair/poor/adversarial answers.",
)
@click.option(
    "--repeats",
    type=RepeatsType(),
    default="5",
    show_default=True,
    help="Grades per answer, or 'auto' (repeat until --target-ci or --budget).",
)
@click.option(
    "--target-ci",
    type=click.FloatRange(min=0, min_open=True),
    default=0.1,
    show_default=True,
    help="--repeats auto: widest flip-probability interval allowed.",
)
@click.option(
    "--budget",
    type=click.IntRange(min=1),
    default=None,
    metavar="CALLS",
    help="Most judge calls (auto stops there; fixed repeats refuse to start above it).",
)
@click.option(
    "--experts",
    type=click.Path(path_type=Path),
    default=None,
    metavar="FILE",
    help="Expert grades CSV: item_id,answer_id,expert,criterion_id,score.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="Run directory [default: runs/<rubric id>].",
)
@click.option(
    "--judge-model",
    default=None,
    metavar="M",
    help="Judge model instead of the rubric's (compiled into the grader).",
)
@target_option("Compile target [default: the rubric's, as `rubricate compile` chooses].")
@click.option(
    "--exclude-leaked",
    is_flag=True,
    help="Leave out answers that are few-shot examples in the rubric (else refuse).",
)
@workers_option
@click.option(
    "--no-figures", is_flag=True, help="Skip the figures (faster; the reports are still written)."
)
@click.option(
    "--fail-unless-ready", is_flag=True, help="Exit 1 unless the verdict is 'ready' (for CI)."
)
@click.option(
    "--report-only",
    is_flag=True,
    help="Rebuild the reports of the run in --out from its files; grade nothing.",
)
@click.option(
    "--compare",
    "compare_spec",
    default=None,
    metavar="SPEC",
    help="Compare graders: mode=per_criterion,holistic, judge=MODEL_A,MODEL_B[,...] or "
    "panel=MODEL_A,MODEL_B,MODEL_C (each judge, then their panel); "
    "each arm runs into OUT/arms/<arm>/ and comparison.{json,md,html} go to OUT.",
)
@click.option(
    "--panel",
    default=None,
    metavar="MODEL_A,MODEL_B[,...]",
    help="Calibrate a panel of judges compiled as one multi grader (as `compile --panel`).",
)
@click.option(
    "--panel-rule",
    type=click.Choice(["majority", "mean"]),
    default="majority",
    show_default=True,
    help="How the panel pools verdicts (majority per met/not met criterion, or the mean).",
)
@click.option(
    "--probe",
    "probe_values",
    multiple=True,
    metavar="KIND[,KIND]",
    help="Probe the grader (comma-separated, or repeated): adversarial = add reward-hacking "
    "answers built from each great answer (figures, hedging, truncation, padding, parroting, "
    "injection); invariance = recompile with harmless changes (order, examples, ids, weights) "
    "and test the flips against reruns (invariance:paraphrase adds the judge's paraphrase of "
    "each criterion; reports invariance.{json,md,html} in OUT).",
)
@click.option("--schema", is_flag=True, help="Print the JSON Schema of a calibration set line.")
@max_unscored_option
@score_clipped_option
@client_options
@format_option("text", "json")
def calibrate(
    rubric: Path | None,
    set_path: Path | None,
    repeats: int | None,
    target_ci: float,
    budget: int | None,
    experts: Path | None,
    out: Path | None,
    judge_model: str | None,
    target: Target | None,
    exclude_leaked: bool,
    workers: int,
    no_figures: bool,
    fail_unless_ready: bool,
    report_only: bool,
    compare_spec: str | None,
    panel: str | None,
    panel_rule: str,
    probe_values: tuple[str, ...],
    schema: bool,
    max_unscored: float,
    score_clipped: bool,
    client_settings: ClientSettings,
    output_format: str,
) -> None:
    """Calibrate RUBRIC's grader on a calibration set: stability, discrimination, agreement.

    Grades every answer of SET.jsonl --repeats times with the compiled grader (the exact bytes
    export writes) and reports whether the judge is stable, ranks great > fair > poor, resists
    adversarial answers, agrees with the experts, and leaves a learning signal for RFT.
    Without a model endpoint the deterministic checks still run and the report says what did
    not. Example:

    \b
      rubricate calibrate examples/accordance_tax/rubric.yaml \\
        --set examples/accordance_tax/calibration.jsonl \\
        --experts examples/accordance_tax/experts.csv --out runs/accordance_tax
    """
    if schema:
        from rubricate.calibration.inputs.calset import calibration_set_schema

        click.echo(json.dumps(calibration_set_schema(), indent=2))
        return
    if report_only and compare_spec is not None:
        raise InputError("--report-only rebuilds one run's reports; drop --compare (each arm's "
                         "run is in OUT/arms/<arm>/: pass that as --out)")  # fmt: skip
    from rubricate.calibration.invariance import spec as probe_spec
    from rubricate.calibration.probes import GENERATED, parse_probes

    chosen = parse_probes(probe_values)
    invariance = [p for p in chosen if p not in GENERATED]
    if invariance:
        invariance = probe_spec.parse_probes(",".join(invariance))  # one invariance probe
        if report_only or compare_spec is not None:
            other = "--report-only" if report_only else "--compare"
            raise InputError(f"--probe {invariance[0]} and {other} cannot run together; "
                             "run them one at a time")  # fmt: skip
    if report_only:
        _report_only(out, not no_figures, output_format, fail_unless_ready)
        return
    if rubric is None or set_path is None:
        raise InputError("calibrate needs RUBRIC and --set SET.jsonl (or --schema)")
    from rubricate.calibration.run.adaptive import AdaptiveSettings
    from rubricate.calibration.run.execution import execute
    from rubricate.calibration.run.session import CalibrateRequest, prepare

    request = CalibrateRequest(
        rubric=rubric,
        calibration_set=set_path,
        out=out,
        repeats=repeats,
        adaptive=AdaptiveSettings(target_ci=target_ci),
        budget=budget,
        experts=experts,
        judge_model=judge_model,
        target=target,
        exclude_leaked=exclude_leaked,
        figures=not no_figures,
        workers=workers,
        score_clipped=score_clipped,
        panel=_panel(panel, panel_rule, compare_spec),
        panel_rule=panel_rule,
        probes=tuple(p for p in chosen if p in GENERATED),
    )
    if invariance:
        _probe(request, invariance, client_settings, output_format, max_unscored,
               fail_unless_ready)  # fmt: skip
        return
    if compare_spec is not None:
        _compare(request, compare_spec, client_settings, output_format, max_unscored,
                 fail_unless_ready)  # fmt: skip
        return
    prepared = prepare(request)
    for line in prepared.warnings:
        warn(line)
    for leak in prepared.leaks:
        warn(f"{set_path}:{leak.line}: left out: {leak.describe()}")
    bar = ProgressBar("grading")  # execute starts and closes it
    outcome = asyncio.run(execute(prepared, client_settings, progress=bar, warn=warn))
    usage = outcome.manifest["usage"]
    if usage and (usage["calls"] or usage["cached"]):
        calls_note("judge", usage)
    endpoint_notes(outcome.manifest.get("endpoint"), outcome.manifest.get("judge_replies"))
    if judge_model:
        note("--judge-model changed the grader: to export what was calibrated, pass "
             f"--judge-model {judge_model} to `rubricate export` / `rubricate compile`, or set "
             f"judge.model: {judge_model} in the rubric")  # fmt: skip
    if panel:
        note("--panel calibrated the panel grader (`rubricate compile --panel "
             f"{panel} --panel-rule {panel_rule}` writes the same bytes; `rubricate export` "
             "takes the same options)")  # fmt: skip
    summary = _summary(outcome)
    emit(summary, output_format, _print_text)
    unscored = outcome.data["unscored"]
    top = next((r.get("top_error") for r in unscored["per_criterion"] if r.get("top_error")), None)
    check_unscored(unscored["unscored"], unscored["rows"], "graded rows", max_unscored, top)
    if fail_unless_ready:
        _gate(summary["verdict"])
