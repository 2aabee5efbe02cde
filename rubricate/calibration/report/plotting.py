"""matplotlib for the reports' figures: the Agg backend, one style, PNG files written in turn.

Shared by the calibration figures (:mod:`.figures`) and the baseline figures
(:mod:`~rubricate.calibration.baseline.figures`). :func:`pyplot` imports matplotlib (it takes a
second, so only when
figures are drawn) with the Agg backend, so no display is needed, and applies the style: fonts
of 11 pt or more, no top or right spine, a light grid. :func:`save_figures` draws the figures a
report wants into ``out/figures`` and removes the ones it no longer wants.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

DPI = 110

FigurePlan = tuple[str, str, bool, Callable[[], Any]]
"""``(name, title, wanted, draw)``: ``draw()`` returns the figure ``figures/<name>.png`` holds."""


def _style(plt: Any) -> None:
    plt.rcParams.update(
        {
            "font.size": 12,
            "axes.titlesize": 14,
            "axes.labelsize": 12,
            "xtick.labelsize": 11,
            "ytick.labelsize": 11,
            "legend.fontsize": 11,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
        }
    )


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend, styled for the reports."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    _style(plt)
    return plt


def save_figures(plt: Any, plans: Sequence[FigurePlan], out: Path) -> dict[str, dict[str, str]]:
    """Draw each wanted figure into ``out/figures/<name>.png``; delete the unwanted ones.

    A figure not wanted this time is removed, so a stale one from an earlier run never remains.

    Returns:
        ``{name: {"path": "figures/<name>.png", "title": ...}}`` in the order of ``plans``.
    """
    folder = out / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, dict[str, str]] = {}
    for name, title, wanted, draw in plans:
        path = folder / f"{name}.png"
        if not wanted:
            path.unlink(missing_ok=True)
            continue
        fig = draw()
        fig.tight_layout()
        fig.savefig(path, dpi=DPI)
        plt.close(fig)
        written[name] = {"path": f"figures/{name}.png", "title": title}
    return written
