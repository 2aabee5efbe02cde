"""The Unicode reward chart and the curves taken from metrics events."""

from __future__ import annotations

from rubricate.export.platforms.curves import render_chart
from rubricate.export.platforms.jobs import curves, format_event


def test_chart_of_two_series() -> None:
    chart = render_chart(
        {"train": [(1, 0.0), (2, 1.0)], "valid": [(1, 1.0), (2, 0.0)]}, width=5, height=3
    )
    assert chart == "\n".join(
        [
            "1 ┤○· ·●",
            "  ┤  ·",
            "0 ┤●· ·○",
            "  └─────",
            "   1   2",
            "   ● train   ○ valid",
        ]
    )


def test_degenerate_charts() -> None:
    assert render_chart({}) == "(no data)"
    assert render_chart({"a": [(1.0, float("nan"))]}) == "(no data)"
    flat = render_chart({"a": [(3, 0.5)]}, width=5, height=3, title="t").splitlines()
    assert flat[0] == "t" and flat[2] == "    ┤  ●"  # one point: centred


def test_curves_from_metrics_events() -> None:
    def metrics(at: int, **data: float) -> dict:
        return {"type": "metrics", "created_at": at, "data": data}

    events = [
        {"type": "message", "message": "started", "created_at": 1},
        metrics(2, step=2, valid_reward_mean=0.4, train_reward_mean=0.5, train_loss=1.0),
        metrics(3, step=1, train_reward_mean=0.2),
        metrics(4, step=2, train_reward_mean=0.6),
        metrics(5, total_steps=3),
    ]
    assert curves(events) == {
        "train_reward_mean": [(1.0, 0.2), (2.0, 0.6)],
        "valid_reward_mean": [(2.0, 0.4)],
    }
    assert curves(events[:1]) == {}


def test_event_lines() -> None:
    metrics = {"type": "metrics", "created_at": 0, "level": "info",
               "data": {"step": 3, "total_steps": 10, "train_reward_mean": 0.41234}}  # fmt: skip
    assert (
        format_event(metrics) == "1970-01-01 00:00:00  info   step 3/10: train_reward_mean 0.4123"
    )
    message = {"type": "message", "created_at": 60, "level": "warn", "message": "slow"}
    assert format_event(message) == "1970-01-01 00:01:00  warn   slow"
