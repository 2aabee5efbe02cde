"""``rubricate review RUN_DIR``: the review app, for calibration and baseline runs.

The command checks that RUN_DIR is a run directory before the app starts (one line and exit 2
otherwise). The app opens with a loading screen while a thread worker reads the run (the
grades, the set, the rubric, and an index of ``records.jsonl``, which can be large); then the
review screen: :class:`ReviewScreen` for a calibration run, :class:`BaselineScreen` for a
baseline run (``run.json`` says ``"kind": "baseline"``;
:func:`~rubricate.calibration.baseline.run_dir.run_kind`). A run that fails to load ends the
app with return code 2 and the reason in :attr:`ReviewApp.error`. The expert's name, once
given, is kept for the session (:attr:`ReviewApp.expert`).
"""

from __future__ import annotations

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
from rubricate.tui.review.data import build_review
from rubricate.tui.review.screen import ReviewScreen

_HERE = Path(__file__).parent


class LoadingScreen(Screen[None]):
    """Shown while the run is read."""

    BINDINGS = [Binding("q,escape", "app.quit", "Quit")]

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._path = path

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
        cancelled = lambda: worker.is_cancelled  # noqa: E731
        data: object
        if run_kind(self.path) == "baseline":
            data = build_baseline(open_baseline_run(self.path, cancelled=cancelled))
        else:
            data = build_review(open_run(self.path, cancelled=cancelled))
        if not worker.is_cancelled:
            self.post_message(RunLoaded(data))

    @on(RunLoaded)
    def _loaded(self, message: RunLoaded) -> None:
        if isinstance(message.review, BaselineData):
            self.push_screen(BaselineScreen(message.review))
        else:
            self.push_screen(ReviewScreen(message.review))

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
        else:
            self.notify(message, title="error", severity="error", timeout=10)
