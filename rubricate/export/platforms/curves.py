"""A compact line chart in plain Unicode text, for reward curves in a terminal (pure).

:func:`render_chart` draws several ``(x, y)`` series on one character grid: each series has
its own mark (``●``, ``○``, ``◆``, ``◇``, ...), consecutive points of a series are joined by a
dotted line (``·``) so a curve reads as a curve, the y axis is labelled with its range and the
x axis with the first and last step; a legend names each mark. No colour and no terminal
control codes, so the text is the same in a terminal, a log file or a test.

Edge cases: no points at all gives ``"(no data)"``; a single x value or a flat series is drawn
in the middle of the grid's width or height; NaN and infinite values are skipped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

MARKS = ("●", "○", "◆", "◇", "▲", "△")
LINE = "·"


def _scale(value: float, low: float, high: float, cells: int) -> int:
    if high == low:
        return cells // 2
    return round((value - low) / (high - low) * (cells - 1))


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def render_chart(
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    width: int = 60,
    height: int = 12,
    title: str | None = None,
) -> str:
    """Draw ``series`` (name -> points) as text, ``height`` rows by ``width`` columns of plot.

    Returns:
        The chart as lines joined by newlines (no trailing newline).
    """
    clean = {
        name: [(float(x), float(y)) for x, y in points if math.isfinite(x) and math.isfinite(y)]
        for name, points in series.items()
    }
    clean = {name: points for name, points in clean.items() if points}
    if not clean:
        return "(no data)"
    xs = [x for points in clean.values() for x, _ in points]
    ys = [y for points in clean.values() for _, y in points]
    x_low, x_high, y_low, y_high = min(xs), max(xs), min(ys), max(ys)
    grid = [[" "] * width for _ in range(height)]

    def cell(x: float, y: float) -> tuple[int, int]:
        col = _scale(x, x_low, x_high, width)
        row = height - 1 - _scale(y, y_low, y_high, height)
        return row, col

    for points in clean.values():  # lines first, so marks are drawn over them
        ordered = sorted(points)
        for (x0, y0), (x1, y1) in zip(ordered, ordered[1:], strict=False):
            (r0, c0), (r1, c1) = cell(x0, y0), cell(x1, y1)
            steps = max(abs(r1 - r0), abs(c1 - c0))
            for k in range(1, steps):
                r = round(r0 + (r1 - r0) * k / steps)
                c = round(c0 + (c1 - c0) * k / steps)
                if grid[r][c] == " ":
                    grid[r][c] = LINE
    for index, points in enumerate(clean.values()):
        mark = MARKS[index % len(MARKS)]
        for x, y in points:
            r, c = cell(x, y)
            grid[r][c] = mark
    top, bottom = _fmt(y_high), _fmt(y_low)
    pad = max(len(top), len(bottom))
    lines = [title] if title else []
    for r, row in enumerate(grid):
        label = top if r == 0 else bottom if r == height - 1 else ""
        lines.append(f"{label:>{pad}} ┤{''.join(row).rstrip()}")
    lines.append(" " * pad + " └" + "─" * width)
    left, right = _fmt(x_low), _fmt(x_high)
    gap = max(1, width - len(left) - len(right))
    lines.append(" " * (pad + 2) + left + " " * gap + right)
    legend = "   ".join(f"{MARKS[i % len(MARKS)]} {name}" for i, name in enumerate(clean))
    lines.append(" " * (pad + 2) + legend)
    return "\n".join(lines)
