"""Comparison and invariance folders written by the real ``rubricate calibrate`` (``--compare``
and ``--probe invariance:paraphrase``) against the loopback judge, small: three items of
great, fair and poor answers, two repeats.

The invariance judge is scripted to read the ``<criterion id=...>`` tag of its prompt (a
criterion is met when the answer holds ``[[MET:<that id>]]``), so renaming the ids (``c01``
...) flips the verdicts of the answers that met ``facts``: the probe flags ``facts`` and the
reward under ``rename``, and the review has flagged rows to show. The loopback judge
paraphrases every criterion (a canned reply), so the paraphrase change runs too. The two
commands keep separate call stores: the probe's baseline grader is the comparison's
``per_criterion`` grader byte for byte, and must not replay calls another judge answered.

:func:`generate` writes both into one folder once per session (``science_source`` in
``conftest.py``); each test gets its own copy.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from rubricate.cli import run as cli
from rubricate.testing import FakeOpenAI
from rubricate.testing.pytest_plugin import FAKE_API_KEY
from rubricate.testing.replies import last_user_text, prompt_text
from tests.tui.refund import refund_rubric

_ID = re.compile(r'<criterion(?:-[0-9a-f]+)? id="([^"]+)"')

TEXTS = {
    "great": "[[PASS]] [[MET:facts]] Your refund of $120 is due; the order is 12 days old.",
    "fair": "[[MET:facts]] A refund may be due, the order is recent.",
    "poor": "No.",
}


def _write_inputs(folder: Path) -> None:
    (folder / "rubric.yaml").write_text(refund_rubric(), encoding="utf-8")
    lines = [
        json.dumps({"id": f"r{i}", "task": "Reply to the refund request.",
                    "answers": [{"id": t, "tier": t, "text": f"{x} ({i})"}
                                for t, x in TEXTS.items()]})
        for i in range(3)
    ]  # fmt: skip
    (folder / "set.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def id_reading_judge(request) -> bool:  # noqa: ANN001
    """Met when the answer holds ``[[MET:<the criterion's id>]]``."""
    found = _ID.search(prompt_text(request.body or {}))
    return bool(found) and f"[[MET:{found.group(1)}]]" in last_user_text(request.body)


def calibrate(folder: Path, out: str, *options: str) -> int:
    """``rubricate calibrate`` of the fixture's rubric and set into ``folder/out`` (relative
    paths: run it with ``folder`` as the working directory)."""
    _write_inputs(folder)
    return cli(["calibrate", "rubric.yaml", "--set", "set.jsonl", "--repeats", "2",
                "--out", out, "--no-figures", *options])  # fmt: skip


def comparison(folder: Path, fake: FakeOpenAI) -> Path:
    """``--compare mode=per_criterion,holistic`` into ``folder/cmp``."""
    assert calibrate(folder, "cmp", "--compare", "mode=per_criterion,holistic",
                     "--store", ".rubricate/cmp.sqlite") in (0, 1)  # fmt: skip
    return folder / "cmp"


def generate(folder: Path) -> Path:
    """``cmp/`` and ``inv/`` written into ``folder`` (its working directory meanwhile, so the
    call store and every path in the reports are relative), each against a fresh loopback
    server."""
    import pytest

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        for make in (comparison, invariance):
            with FakeOpenAI() as fake:
                patch.setenv("OPENAI_BASE_URL", fake.base_url)
                patch.setenv("OPENAI_API_KEY", FAKE_API_KEY)
                make(folder, fake)
    return folder


def invariance(folder: Path, fake: FakeOpenAI) -> Path:
    """``--probe invariance:paraphrase`` into ``folder/inv`` (``rename`` flagged)."""
    fake.policy.score = id_reading_judge
    # its own call store: its judge must not replay the comparison's calls
    assert calibrate(folder, "inv", "--probe", "invariance:paraphrase",
                     "--store", ".rubricate/inv.sqlite") in (0, 1)  # fmt: skip
    return folder / "inv"
