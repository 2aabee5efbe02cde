"""Finding the calibration run that ran the same grader bytes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from rubricate.export.rft.calibration_link import find_calibration

GRADER = b'{\n  "type": "python",\n  "name": "g"\n}\n'
SHA = hashlib.sha256(GRADER).hexdigest()


def _run(folder: Path, grader: bytes = GRADER, **fields) -> Path:
    folder.mkdir(parents=True)
    (folder / "grader.json").write_bytes(grader)
    run = {
        "grader_sha256": hashlib.sha256(grader).hexdigest(),
        "status": "complete",
        "judged_run": True,
        "repeats": 5,
        "judge_model": "o4-mini-2025-04-16",
        "finished_at": "2026-11-20T10:00:00+00:00",
        **fields,
    }
    (folder / "run.json").write_text(json.dumps(run), encoding="utf-8")
    return folder


def test_no_run_warns(tmp_path: Path) -> None:
    link = find_calibration(SHA, root=tmp_path)
    assert link.run is None
    assert link.warnings == [
        f"no calibration run has vetted this grader (no run.json with its sha256 {SHA[:12]}...); "
        "run `rubricate calibrate` on it before training, or name a run with --calibration"
    ]


def test_runs_folder_is_searched_and_the_best_run_wins(tmp_path: Path) -> None:
    _run(tmp_path / "runs" / "old-partial", status="partial", finished_at="2026-11-21T00:00:00")
    _run(tmp_path / "runs" / "good")
    _run(tmp_path / "runs" / "other", grader=b"{}\n")
    link = find_calibration(SHA, root=tmp_path)
    assert link.run is not None and link.run["path"] == str(tmp_path / "runs" / "good")
    assert link.run["repeats"] == 5 and link.run["status"] == "complete"
    assert link.warnings == []
    assert len(link.searched) == 3


def test_edited_grader_bytes_do_not_count(tmp_path: Path) -> None:
    folder = _run(tmp_path / "runs" / "edited")
    (folder / "grader.json").write_bytes(GRADER.replace(b"g", b"h"))
    assert find_calibration(SHA, root=tmp_path).run is None


def test_explicit_run_of_other_bytes_warns(tmp_path: Path) -> None:
    other = _run(tmp_path / "elsewhere", grader=b'{"type": "x"}\n')
    link = find_calibration(SHA, [other], root=tmp_path)
    assert link.run is None
    assert link.warnings[0].startswith(
        f"--calibration {other}: that run calibrated other grader bytes"
    )


def test_partial_and_unjudged_runs_are_used_with_warnings(tmp_path: Path) -> None:
    folder = _run(tmp_path / "mine", status="partial", judged_run=False)
    broken = tmp_path / "runs" / "broken"
    broken.mkdir(parents=True)
    (broken / "run.json").write_text("{not json", encoding="utf-8")
    link = find_calibration(SHA, [folder], root=tmp_path)
    assert link.run is not None and link.run["path"] == str(folder)
    text = "\n".join(link.warnings)
    assert "run.json: unreadable" in text
    assert f"calibration run {folder} is partial, not complete" in text
    assert "ran without a judge (judged_run false)" in text


def test_a_run_json_with_a_wrongly_typed_field_is_skipped_with_a_warning(tmp_path: Path) -> None:
    _run(tmp_path / "runs" / "edited", repeats="many")
    good = _run(tmp_path / "runs" / "good")
    link = find_calibration(SHA, root=tmp_path)
    assert link.run is not None and link.run["path"] == str(good)
    assert link.warnings == [
        f"{tmp_path / 'runs' / 'edited'}/run.json: repeats: Input should be a valid integer, "
        "unable to parse string as an integer; skipped"
    ]
