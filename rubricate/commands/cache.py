"""``rubricate cache stats|clear``: look into or empty the model call store.

``stats`` reports what the store holds: answers by model with their tokens and what they cost
when they were made (batch answers at half price), calls whose last attempt failed (by error
kind), and batches still running. ``clear`` deletes stored answers (every one of them was
paid for, so it asks first, or needs ``--yes`` when not run from a terminal);
``--errors-only`` forgets only the recorded failures.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from rubricate.commands._common import emit_json, format_option
from rubricate.errors import InputError
from rubricate.judge.calls import ClientSettings

_STORE_OPTION = click.option(
    "--store",
    "store",
    metavar="PATH",
    default=ClientSettings().store_path,
    show_default=True,
    help="The SQLite call store.",
)


@click.group()
def cache() -> None:
    """Inspect or empty the model call store."""


def _open(path: str):
    from rubricate.judge.store import CallStore

    if not Path(path).is_file():
        raise InputError(f"{path}: no call store there (nothing recorded yet?); pass --store PATH")
    return CallStore(path)


def store_stats(path: str) -> dict[str, Any]:
    """What the store at ``path`` holds, as plain data."""
    from rubricate.judge.calls import Usage
    from rubricate.judge.pricing import default_prices

    prices = default_prices()
    with _open(path) as store:
        rows = store.query(
            "SELECT model, kind, batch_id IS NOT NULL, COUNT(*), SUM(input_tokens), "
            "SUM(cached_input_tokens), SUM(output_tokens), SUM(reasoning_tokens) "
            "FROM calls GROUP BY model, kind, batch_id IS NOT NULL ORDER BY model"
        )
        flagged = dict(
            store.query(
                "SELECT error_kind, COUNT(*) FROM calls "
                "WHERE error_kind IS NOT NULL GROUP BY error_kind"
            )
        )
        errors = dict(store.query("SELECT kind, COUNT(*) FROM errors GROUP BY kind"))
        open_batches = store.query("SELECT COUNT(*) FROM batches WHERE finished_at IS NULL")[0][0]
        all_batches = store.query("SELECT COUNT(*) FROM batches")[0][0]
    models: dict[str, dict[str, Any]] = {}
    total_cost = 0.0
    unpriced: set[str] = set()
    for model, kind, batched, count, inp, cached, out, reasoning in rows:
        entry = models.setdefault(
            model,
            {
                "kind": kind,
                "answers": 0,
                "input_tokens": 0,
                "cached_input_tokens": 0,
                "output_tokens": 0,
                "reasoning_tokens": 0,
                "cost_usd": 0.0,
            },
        )
        usage = Usage(
            input_tokens=inp,
            cached_input_tokens=cached,
            output_tokens=out,
            reasoning_tokens=reasoning,
        )
        entry["answers"] += count
        for name, value in usage.model_dump().items():
            entry[name] += value
        cost = prices.cost(model, usage, batch=bool(batched))
        if cost is None:
            entry["cost_usd"] = None
            unpriced.add(model)
        elif entry["cost_usd"] is not None:
            entry["cost_usd"] += cost
            total_cost += cost
    return {
        "store": path,
        "bytes": sum(p.stat().st_size for p in Path(path).parent.glob(Path(path).name + "*")),
        "answers": sum(m["answers"] for m in models.values()),
        "answers_with_errors": flagged,
        "failed_calls": errors,
        "batches": all_batches,
        "unfinished_batches": open_batches,
        "models": models,
        "cost_usd": total_cost,
        "unpriced_models": sorted(unpriced),
    }


def _render(stats: dict[str, Any]) -> str:
    lines = [f"store: {stats['store']} ({stats['bytes'] / 1e6:.2f} MB)"]
    flagged = ", ".join(f"{k} {v}" for k, v in sorted(stats["answers_with_errors"].items()))
    lines.append(f"answers: {stats['answers']}" + (f" (of which {flagged})" if flagged else ""))
    failed = stats["failed_calls"]
    if failed:
        detail = ", ".join(f"{k} {v}" for k, v in sorted(failed.items()))
        lines.append(f"calls without an answer: {sum(failed.values())} ({detail})")
    if stats["batches"]:
        lines.append(f"batches: {stats['batches']} ({stats['unfinished_batches']} unfinished)")
    if stats["models"]:
        lines.append(
            f"{'model':<32} {'answers':>8} {'input':>10} {'cached':>10} {'output':>10} {'cost':>10}"
        )
        for name, m in stats["models"].items():
            cost = "unpriced" if m["cost_usd"] is None else f"${m['cost_usd']:.4f}"
            lines.append(
                f"{name:<32} {m['answers']:>8} {m['input_tokens']:>10} "
                f"{m['cached_input_tokens']:>10} {m['output_tokens']:>10} {cost:>10}"
            )
    lines.append(f"cost of the stored answers: ~${stats['cost_usd']:.4f}")
    return "\n".join(lines)


@cache.command()
@_STORE_OPTION
@format_option()
def stats(store: str, output_format: str) -> None:
    """What the call store holds: answers, tokens, cost, failures, batches."""
    found = store_stats(store)
    if output_format == "json":
        emit_json(found)
    else:
        click.echo(_render(found))


@cache.command()
@_STORE_OPTION
@click.option("--errors-only", is_flag=True, help="Forget recorded failures; keep answers.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@format_option()
def clear(store: str, errors_only: bool, yes: bool, output_format: str) -> None:
    """Delete stored answers (paid calls!), recorded failures and what was learned of
    endpoints."""
    with _open(store) as opened:
        answers = opened.count()
        if not errors_only and answers and not yes:
            if not sys.stdin.isatty():
                raise InputError(
                    f"{store}: refusing to delete {answers} stored answers without --yes"
                )
            click.confirm(f"Delete {answers} stored answers from {store}?", abort=True, err=True)
        removed = opened.clear(errors_only=errors_only)
    if output_format == "json":
        emit_json({"store": store, "removed": removed})
    else:
        parts = ", ".join(f"{count} {name}" for name, count in removed.items())
        click.echo(f"removed {parts} from {store}")
