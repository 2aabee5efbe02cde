"""``rubricate review RUN_DIR``: the review app, for calibration and baseline runs.

The command checks that RUN_DIR is a run directory before the app starts (one line and exit 2
otherwise). The app opens with a loading screen while a thread worker reads the run (the
grades, the set, the rubric, and an index of ``records.jsonl``, which can be large); then the
review screen: :class:`ReviewScreen` for a calibration run, :class:`BaselineScreen` for a
baseline run (``run.json`` says ``"kind": "baseline"``;
:func:`~rubricate.calibration.baseline.run_dir.run_kind`). A run that fails to load ends the
app with return code 2 and the reason in :attr:`ReviewApp.error`. The expert's name, once
given, is kept for the session (:attr:`ReviewApp.expert`).

RUN_DIR may also be the folder of a comparison (``calibrate --compare``: the app opens on
:class:`~rubricate.tui.review.comparison_screen.ComparisonScreen`; ``enter`` opens an arm's
run with :meth:`ReviewApp.open_run`, ``escape`` on its list comes back) or of an invariance
probe (``calibrate --probe invariance``: the app opens the baseline run, the unchanged grader,
with the Invariance tab shown). A run under ``OUT/arms/`` of a probe gets that tab too
(:func:`~rubricate.tui.review.science.review_kind`, :func:`~rubricate.tui.review.science.
probe_of_run`). An arm that fails to load is a notification, not the end of the app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, LoadingIndicator, Static
from textual.worker import Worker, WorkerState, get_current_worker

from rubricate.calibration.baseline.run_dir import open_baseline_run, run_kind
from rubricate.calibration.run.directory import open_run
from rubricate.errors import RubricateError
from rubricate.tui.messages import RunLoaded
from rubricate.tui.review.baseline_data import BaselineData, build_baseline
from rubricate.tui.review.baseline_screen import BaselineScreen
from rubricate.tui.review.comparison_screen import ComparisonScreen
from rubricate.tui.review.data import ReviewData, build_review
from rubricate.tui.review.science import (
    ARMS,
    BASELINE,
    ComparisonView,
    InvarianceView,
    load_comparison_view,
    load_invariance_view,
    probe_of_run,
    review_kind,
)
from rubricate.tui.review.screen import ReviewScreen

_HERE = Path(__file__).parent


def _read_run(path: Path, cancelled: Callable[[], bool]) -> object:
    """The review data of the run in ``path`` (a baseline's, a calibration run's, or a
    calibration run's with the invariance probe it is an arm of)."""
    if run_kind(path) == "baseline":
        return build_baseline(open_baseline_run(path, cancelled=cancelled))
    probe = probe_of_run(path)
    if probe is not None:
        return _probe_run(path, load_invariance_view(probe), cancelled)
    return build_review(open_run(path, cancelled=cancelled))


@dataclass(frozen=True)
class ProbeRun:
    """A calibration run and the invariance probe it is an arm of."""

    review: ReviewData
    invariance: InvarianceView


def _probe_run(path: Path, invariance: InvarianceView, cancelled: Callable[[], bool]) -> ProbeRun:
    return ProbeRun(build_review(open_run(path, cancelled=cancelled)), invariance)


class LoadingScreen(Screen[None]):
    """Shown while the run is read (``back``: an arm's run, opened from a comparison)."""

    BINDINGS = [Binding("q,escape", "leave", "Quit")]

    def __init__(self, path: Path, *, back: bool = False) -> None:
        super().__init__()
        self._path = path
        self.back = back

    def action_leave(self) -> None:
        if self.back:
            self.workers.cancel_all()
            self.app.workers.cancel_group(self.app, "arm")
            self.dismiss()
        else:
            self.app.exit()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Reading the run in {self._path}…", id="loading-message")
        yield LoadingIndicator()
        yield Footer(compact=True, show_command_palette=False)


class ReviewApp(App[None]):
    """Review one calibration run (and grade its answers as an expert) or one baseline run."""

    CSS_PATH = [_HERE.parent / "common" / "common.tcss", _HERE / "review.tcss"]
    TITLE = "rubricate review"

    def __init__(self, path: Path, expert: str | None = None) -> None:
        super().__init__()
        self.path = path
        self.expert: str | None = expert
        self.error: str | None = None

    def get_default_screen(self) -> Screen:
        return LoadingScreen(self.path)

    def on_mount(self) -> None:
        self.sub_title = str(self.path)
        self.call_after_refresh(self._load)  # once the loading screen is up

    @work(exclusive=True, group="load", thread=True, exit_on_error=False)
    def _load(self) -> None:
        worker = get_current_worker()
        kind = review_kind(self.path)
        data: object
        if kind == "comparison":
            data = load_comparison_view(self.path)
        elif kind == "invariance":
            data = _probe_run(self.path / ARMS / BASELINE, load_invariance_view(self.path),
                              lambda: worker.is_cancelled)  # fmt: skip
        else:
            data = _read_run(self.path, lambda: worker.is_cancelled)
        if not worker.is_cancelled:
            self.post_message(RunLoaded(data))

    def open_run(self, path: Path) -> None:
        """Open the run in ``path`` (an arm of the comparison) above the current screen;
        ``escape`` on its list comes back."""
        self.push_screen(LoadingScreen(path, back=True))
        self._load_arm(path)

    @work(exclusive=True, group="arm", thread=True, exit_on_error=False)
    def _load_arm(self, path: Path) -> None:
        worker = get_current_worker()
        data = _read_run(path, lambda: worker.is_cancelled)
        if not worker.is_cancelled:
            self.post_message(RunLoaded(data))

    @on(RunLoaded)
    def _loaded(self, message: RunLoaded) -> None:
        review = message.review
        screen: Screen
        arm = isinstance(self.screen, LoadingScreen) and self.screen.back
        if isinstance(review, ComparisonView):
            screen = ComparisonScreen(review)
        elif isinstance(review, BaselineData):
            screen = BaselineScreen(review)
        elif isinstance(review, ProbeRun):
            screen = ReviewScreen(review.review, invariance=review.invariance, back=arm)
        else:
            screen = ReviewScreen(review, back=arm)
        if arm:
            self.switch_screen(screen)  # the arm's loading screen gives way to its run
        else:
            self.push_screen(screen)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        message = (
            error.msg if isinstance(error, RubricateError) else f"{type(error).__name__}: {error}"
        )
        if event.worker.group == "load":
            self.error = message
            self.call_after_refresh(self.exit, return_code=2)
        elif event.worker.group == "arm":
            if isinstance(self.screen, LoadingScreen) and self.screen.back:
                self.pop_screen()
            self.notify(message, title="cannot open the arm's run", severity="error",
                        timeout=10)  # fmt: skip
        else:
            self.notify(message, title="error", severity="error", timeout=10)
