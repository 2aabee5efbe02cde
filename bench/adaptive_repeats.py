"""``--repeats auto`` against fixed repeats: judge calls spent for the same interval width.

Both designs calibrate the same rubric (judged criteria only, one per flip probability in
``--flip-p``) on the same set (``--items`` items x great / fair / poor answers) against the
loopback server, in one run, with a scripted judge that flips each criterion's true verdict with
its own probability (each design gets a fresh judge with the same draws):

- fixed: one more repeat of every answer at a time, until every criterion's flip_p interval is
  at most ``--target-ci`` wide: the fewest fixed repeats that reach the width, and their calls;
- auto: :func:`rubricate.calibration.run.adaptive.run_adaptive` with the same target.

Widths use the same rule in both (:func:`rubricate.calibration.run.adaptive.interval_widths`).
Prints the calls of each, the ratio auto / fixed (target: at most 0.5), the widest interval
each reached, and wall times.

Run: ``python bench/adaptive_repeats.py [--items 20] [--target-ci 0.1]
[--flip-p 0,0,0.01,0.02,0.05,0.05,0.1,0.3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import re
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rubricate.calibration.inputs.calset import parse_calibration_set
from rubricate.calibration.run.adaptive import AdaptiveSettings, interval_widths, run_adaptive
from rubricate.calibration.run.runner import CalibrationRunner, full_jobs
from rubricate.calibration.verdicts import plan_grader
from rubricate.judge.calls import ClientSettings
from rubricate.judge.client import open_client
from rubricate.judge.runtime import Runtime
from rubricate.rubrics.compile import compile_rubric, grader_json
from rubricate.rubrics.loader import parse_rubric
from rubricate.testing import FakeOpenAI
from rubricate.testing.replies import last_user_text, prompt_text

_CRITERION = re.compile(r'<criterion(?:-[0-9a-f]+)? id="([^"]+)"')


def scripted_judge(flip_p: dict[str, float]) -> Callable[[Any], bool]:
    """Met when the answer holds ``[[MET:<id>]]``; the k-th call about one (criterion, answer)
    flips it when ``hash(criterion, answer, k) < p``: the same draws for every design."""
    seen: Counter[tuple[str, str]] = Counter()
    lock = threading.Lock()

    def score(request: Any) -> bool:
        body = request.body or {}
        found = _CRITERION.search(prompt_text(body))
        criterion = found.group(1) if found else ""
        answer = last_user_text(body)
        with lock:
            k = seen[criterion, answer]
            seen[criterion, answer] += 1
        digest = hashlib.sha256(f"{criterion}\x1f{answer}\x1f{k}".encode()).digest()
        flipped = int.from_bytes(digest[:8], "big") / 2**64 < flip_p.get(criterion, 0.0)
        return (f"[[MET:{criterion}]]" in answer) != flipped

    return score


def build(flip_p: dict[str, float], n_items: int) -> tuple[dict, Any, list]:
    """The rubric's compiled grader, its plan and the set's entries."""
    criteria = "\n".join(
        f"  - {{id: {c}, text: The answer satisfies requirement {c}., weight: 1}}" for c in flip_p
    )
    text = f"rubric: 1\nid: bench\ntitle: Bench\ntask: Answer.\ncriteria:\n{criteria}\n"
    rubric = parse_rubric(text).rubric
    grader = __import__("json").loads(grader_json(compile_rubric(rubric, "multi")))
    truth = {"great": list(flip_p), "fair": list(flip_p)[::2], "poor": []}
    lines = []
    for i in range(n_items):
        answers = [
            {"id": tier, "tier": tier,
             "text": f"Answer to item {i}. " + " ".join(f"[[MET:{c}]]" for c in met)}
            for tier, met in truth.items()
        ]  # fmt: skip
        lines.append(__import__("json").dumps({"id": f"item-{i}", "answers": answers}))
    entries = parse_calibration_set("\n".join(lines)).entries()
    return grader, plan_grader(rubric, grader, "multi"), entries


async def fixed(grader, plan, entries, settings, adaptive: AdaptiveSettings) -> dict:  # noqa: ANN001
    """One more repeat of everything until every interval is narrow enough."""
    client = open_client(settings)
    started = time.perf_counter()
    async with Runtime(client) as runtime:
        runner = CalibrationRunner(grader, plan, runtime, concurrency=64)
        repeats, widest = 0, float("inf")
        while widest > adaptive.target_ci and repeats < adaptive.max_repeats:
            await runner.run(full_jobs(entries, range(repeats, repeats + 1)))
            repeats += 1
            if repeats >= 2:
                widths = interval_widths(runner.grades(), plan.judged_criteria, adaptive)
                widest = float(widths["width"].max())
    await client.aclose()
    return {"calls": runner.calls, "repeats": repeats, "widest": widest,
            "wall_s": time.perf_counter() - started}  # fmt: skip


async def auto(grader, plan, entries, settings, adaptive: AdaptiveSettings) -> dict:  # noqa: ANN001
    """``--repeats auto``."""
    client = open_client(settings)
    started = time.perf_counter()
    async with Runtime(client) as runtime:
        runner = CalibrationRunner(grader, plan, runtime, concurrency=64)
        result = await run_adaptive(runner, entries, adaptive)
    await client.aclose()
    widths = [w["width"] for w in result.widths if w["width"] is not None]
    return {"calls": runner.calls, "rounds": len(result.rounds), "stop": result.stop,
            "widest": max(widths), "wall_s": time.perf_counter() - started}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--target-ci", type=float, default=0.1)
    parser.add_argument("--flip-p", default="0,0,0.01,0.02,0.05,0.05,0.1,0.3")
    parser.add_argument(
        "--initial",
        type=int,
        default=AdaptiveSettings.initial,
        help="auto: repeats of every answer in the first round",
    )
    args = parser.parse_args()
    probabilities = [float(p) for p in args.flip_p.split(",")]
    flip_p = {f"c{i}": p for i, p in enumerate(probabilities)}
    grader, plan, entries = build(flip_p, args.items)
    adaptive = AdaptiveSettings(target_ci=args.target_ci, initial=args.initial)
    results: dict[str, dict] = {}
    with FakeOpenAI() as server, tempfile.TemporaryDirectory() as folder:
        for name, design in (("fixed", fixed), ("auto", auto)):
            server.policy.score = scripted_judge(flip_p)  # fresh judge: the same draws
            settings = ClientSettings(base_url=server.base_url, concurrency=32,
                                      store_path=str(Path(folder) / f"{name}.sqlite"))  # fmt: skip
            results[name] = asyncio.run(design(grader, plan, entries, settings, adaptive))
    f, a = results["fixed"], results["auto"]
    print(f"{len(entries)} answers x {len(flip_p)} judged criteria, flip p = {probabilities}, "
          f"target interval width {args.target_ci}")  # fmt: skip
    print(f"fixed repeats: {f['repeats']} repeats, {f['calls']} judge calls, widest interval "
          f"{f['widest']:.3f}, {f['wall_s']:.1f}s")  # fmt: skip
    print(f"auto repeats:  {a['rounds']} rounds ({a['stop']}), {a['calls']} judge calls, widest "
          f"interval {a['widest']:.3f}, {a['wall_s']:.1f}s")  # fmt: skip
    print(
        f"judge calls auto / fixed for the same width: {a['calls'] / f['calls']:.2f} "
        "(target <= 0.5)"
    )


if __name__ == "__main__":
    main()
