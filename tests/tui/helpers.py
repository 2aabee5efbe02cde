"""Waiting for the apps to settle: debounce timers fired, workers done, messages handled."""

from __future__ import annotations

from textual.app import App
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from rubricate.tui.editor.screen import EditorScreen


async def workers_done(app: App) -> None:
    """Wait for the app's workers; one cancelled meanwhile (an exclusive worker replaced by a
    newer one when the cursor moved on) is done too, not an error."""
    try:
        await app.workers.wait_for_complete()
    except WorkerCancelled:
        pass


def _editor_busy(screen: object) -> bool:
    if not isinstance(screen, EditorScreen):
        return False
    pending_fields = bool(screen.detail._pending)
    lint_stale = screen.lint is None or screen.lint.text != screen.doc.text
    return pending_fields or lint_stale


async def settle(pilot: Pilot, rounds: int = 80) -> None:
    """Wait until no field change is pending, lint matches the text and no worker runs."""
    app = pilot.app
    for _ in range(rounds):
        await pilot.pause()
        await workers_done(app)
        await pilot.pause()
        busy = any(_editor_busy(screen) for screen in app.screen_stack)
        if not busy and not any(not w.is_finished for w in app.workers):
            return
        await pilot.pause(0.05)
    raise AssertionError("the app did not settle")


async def review_ready(pilot: Pilot) -> object:
    """Wait until the run is loaded and the agreement figures are in; the review screen."""
    from rubricate.tui.review.screen import ReviewScreen

    app = pilot.app
    for _ in range(200):
        await pilot.pause()
        await workers_done(app)
        await pilot.pause()
        screen = app.screen
        if isinstance(screen, ReviewScreen) and screen.figures is not None:
            if not any(not w.is_finished for w in app.workers):
                return screen
        await pilot.pause(0.02)
    raise AssertionError("the review did not load")


async def idle(pilot: Pilot, rounds: int = 200) -> None:
    """Wait until no worker runs and no recompute is pending (after a grade: the agreement
    figures are recomputed)."""
    from rubricate.tui.review.screen import ReviewScreen

    app = pilot.app
    for _ in range(rounds):
        await pilot.pause()
        await workers_done(app)
        await pilot.pause()
        reviews = [s for s in app.screen_stack if isinstance(s, ReviewScreen)]
        pending = any(
            s._agreement_timer is not None and s.figures_version != s.version for s in reviews
        )
        if not pending and not any(not w.is_finished for w in app.workers):
            return
        await pilot.pause(0.02)
    raise AssertionError("workers did not finish")


async def baseline_ready(pilot: Pilot, rounds: int = 200) -> object:
    """Wait until a baseline run is shown, no worker runs and the samples of the item under
    the cursor are read; the baseline screen."""
    from rubricate.tui.review.baseline_screen import BaselineScreen

    app = pilot.app
    for _ in range(rounds):
        await pilot.pause()
        await workers_done(app)
        await pilot.pause()
        screen = app.screen
        if isinstance(screen, BaselineScreen) and not any(not w.is_finished for w in app.workers):
            if screen.item_id is None or screen.item_id in screen.lines:
                return screen
        await pilot.pause(0.02)
    raise AssertionError("the baseline review did not load")


SMALL = (80, 24)
"""The smallest terminal both apps are made for (the README promises it)."""


def screen_lines(app: App) -> list[str]:
    """What the terminal shows now, one string per row (the screen with its toasts, as the
    compositor renders it: what is clipped, scrolled away or covered is not there)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def region_lines(app: App, widget: object) -> list[str]:
    """The rows of the screen inside ``widget``'s content region (its visible part, without
    its border, padding and scrollbar)."""
    region = widget.content_region  # type: ignore[attr-defined]
    rows = screen_lines(app)[region.y : region.bottom]
    return [row[region.x : region.right] for row in rows]


def flowed(lines: list[str]) -> str:
    """Wrapped lines read as one text: runs of white space become one space."""
    return " ".join(" ".join(lines).split())


def shown_whole(text: str, lines: list[str]) -> bool:
    """Whether ``text`` is on screen in full, allowing for wrapping (not cut, not covered)."""
    return " ".join(text.split()) in flowed(lines)
