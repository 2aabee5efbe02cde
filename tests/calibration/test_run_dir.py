"""Reading a run directory for review; appending expert grades durably."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rubricate.calibration.inputs.experts import read_grades_csv
from rubricate.calibration.run.directory import (
    append_expert_grade,
    check_run_dir,
    index_records,
    open_run,
)
from rubricate.errors import InputError
from tests.calibration.run_fixture import VERDICTS, make_run


@pytest.fixture
def run_path(tmp_path: Path) -> Path:
    return make_run(tmp_path / "run")


def test_open_run_reads_everything(run_path: Path) -> None:
    run = open_run(run_path)
    assert run.notes == []
    assert run.manifest.rubric_id == "refund"
    assert list(run.answers)[:4] == [
        ("refund-1", "great"),
        ("refund-1", "fair"),
        ("refund-1", "poor"),
        ("refund-1", "adv"),
    ]
    assert run.answers[("refund-1", "adv")].kind == "judge_instructions"
    assert run.answers[("refund-2", "fair")].text == "A refund may be possible."
    assert [c.id for c in run.rubric.leaves()] == ["facts", "steps", "amount", "blames"]
    assert len(run.records.offsets) == sum(len(v) for v in VERDICTS.values()) == 21


def test_records_are_read_from_their_offsets(run_path: Path) -> None:
    run = open_run(run_path)
    records = run.records.answer_records("refund-1", "fair")
    assert [repeat for repeat, _ in records] == [0, 1, 2]
    _, second = records[1]
    assert [c.grader for c in second.calls] == ["refund.facts", "refund.steps", "refund.blames"]
    assert second.calls[0].result == 1.0 and second.calls[0].steps[0]["conclusion"] == "met"
    assert run.records.answer_records("refund-9", "x") == []


def test_a_half_written_last_record_is_skipped(run_path: Path) -> None:
    path = run_path / "records.jsonl"
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"item_id": "refund-2", "answer_id": "poor", "repeat": 3, "rec')
    index = index_records(path)
    assert ("refund-2", "poor", 3) in index.offsets  # its head is readable ...
    assert [r for r, _ in index.answer_records("refund-2", "poor")] == [0, 1, 2]  # ... not it


def test_missing_optional_files_become_notes(run_path: Path) -> None:
    (run_path / "records.jsonl").unlink()
    (run_path / "rubric.yaml").unlink()
    run = open_run(run_path)
    assert any("records.jsonl" in note for note in run.notes)
    assert any("rubric" in note for note in run.notes)
    assert run.rubric is None
    assert run.expert_grades()[0].empty


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        (lambda p: None, "no such directory"),
        (lambda p: p.write_text("x", encoding="utf-8"), "not a directory"),
        (lambda p: p.mkdir(), "not a calibration run directory"),
    ],
)
def test_check_run_dir_refuses_what_is_not_a_run(tmp_path: Path, setup, words: str) -> None:  # noqa: ANN001
    path = tmp_path / "x"
    setup(path)
    with pytest.raises(InputError, match=words):
        check_run_dir(path)


def test_append_creates_the_file_with_its_header_and_fsyncs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    path = tmp_path / "experts.csv"
    append_expert_grade(path, "refund-1", "great", "cy", "facts", 1.0)
    append_expert_grade(path, "refund-1", "great", "cy", "steps", 2.0)
    append_expert_grade(path, "refund-1", "great", "cy", "__total__", 0.85)
    assert path.read_text(encoding="utf-8").splitlines() == [
        "item_id,answer_id,expert,criterion_id,score",
        "refund-1,great,cy,facts,1",
        "refund-1,great,cy,steps,2",
        "refund-1,great,cy,,0.85",
    ]
    assert len(synced) >= 3  # every grade, before the call returns


def test_append_keeps_the_existing_header_and_a_missing_final_newline(tmp_path: Path) -> None:
    path = tmp_path / "experts.csv"
    path.write_text("expert,item_id,answer_id,criterion_id,score,note\nann,a,b,,1,x", "utf-8")
    append_expert_grade(path, "a, with comma", "b", "cy", "facts", 0.0)
    assert path.read_text(encoding="utf-8").splitlines()[1:] == [
        "ann,a,b,,1,x",
        'cy,"a, with comma",b,facts,0,',
    ]


def test_a_corrected_grade_is_appended_and_wins(run_path: Path) -> None:
    path = run_path / "experts.csv"
    before = path.read_text(encoding="utf-8")
    append_expert_grade(path, "refund-1", "great", "ann", "facts", 0.0)
    assert path.read_text(encoding="utf-8").startswith(before)  # append-only
    grades = read_grades_csv(path, last_wins=True)
    mine = [g for g in grades if g["expert"] == "ann" and g["criterion"] == "facts"]
    assert [(g["answer_id"], g["score"]) for g in mine] == [("fair", 1.0), ("great", 0.0)]
    table, problems = open_run(run_path).expert_grades()
    assert problems == []
    row = table[(table["answer_id"] == "great") & (table["criterion"] == "steps")]
    assert row["score"].tolist() == [1.0]  # level 2 of 2, on the judge's scale


def test_off_scale_grades_are_left_out_with_a_reason(run_path: Path) -> None:
    append_expert_grade(run_path / "experts.csv", "refund-1", "great", "cy", "steps", 7.0)
    table, problems = open_run(run_path).expert_grades()
    assert len(problems) == 1 and "levels" in problems[0]
    assert "cy" not in set(table["expert"])


def test_append_needs_a_name(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="name"):
        append_expert_grade(tmp_path / "e.csv", "a", "b", "  ", "facts", 1.0)


def test_an_unreadable_experts_file_gives_no_grades_and_its_reason(run_path: Path) -> None:
    (run_path / "experts.csv").write_text("who,what\nann,1\n", encoding="utf-8")
    table, problems = open_run(run_path).expert_grades()
    assert table.empty and "missing column" in problems[0]
    with pytest.raises(InputError, match="header lacks"):
        append_expert_grade(run_path / "experts.csv", "refund-1", "great", "cy", "facts", 1.0)


def test_concurrent_first_appends_write_one_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two reviews grading at once into a run without experts.csv: the header is written
    once. Reading the header is slowed down so that both writers would see no file without a
    lock held from the check to the write (the race, made certain)."""
    import threading
    import time

    import rubricate.calibration.run.directory as run_dir

    real = run_dir._existing_header

    def slow(*args: object, **kwargs: object) -> object:
        found = real(*args, **kwargs)  # type: ignore[arg-type]
        time.sleep(0.2)
        return found

    monkeypatch.setattr(run_dir, "_existing_header", slow)
    path = tmp_path / "experts.csv"
    start = threading.Barrier(3)

    def grade(expert: str) -> None:
        start.wait()
        append_expert_grade(path, "refund-1", "great", expert, "facts", 1.0)

    threads = [threading.Thread(target=grade, args=(name,)) for name in ("ann", "bob", "cy")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines.count("item_id,answer_id,expert,criterion_id,score") == 1
    assert lines[0] == "item_id,answer_id,expert,criterion_id,score"
    assert sorted(lines[1:]) == [f"refund-1,great,{e},facts,1" for e in ("ann", "bob", "cy")]


HEADER = "item_id,answer_id,expert,criterion_id,score\n"


@pytest.mark.parametrize(
    ("data", "line"),
    [
        ((HEADER + "refund-1,great,J\xf6rg,,1\n").encode("latin-1"), 2),  # one Latin-1 name
        ((HEADER + "refund-1,great,ann,,1\n").encode("utf-16"), 1),  # saved as UTF-16
    ],
    ids=["latin-1", "utf-16"],
)
def test_appending_to_an_experts_file_that_is_not_utf8_is_refused(
    run_path: Path, data: bytes, line: int
) -> None:
    path = run_path / "experts.csv"
    path.write_bytes(data)
    with pytest.raises(InputError, match=rf"experts\.csv:{line}: not UTF-8 text.*save it as UTF-8"):
        append_expert_grade(path, "refund-1", "great", "cy", "facts", 1.0)
    assert path.read_bytes() == data  # nothing appended to a file in another encoding
    table, problems = open_run(run_path).expert_grades()
    assert table.empty and "not UTF-8" in problems[0]


@pytest.mark.parametrize("column", ["score", "repeat", "criterion"])
def test_a_grades_table_without_a_column_is_one_line_naming_it(
    run_path: Path, column: str
) -> None:
    """Reproduces a defect: a grades.csv without its score column raised a bare KeyError."""
    import pandas as pd

    path = run_path / "grades.csv"
    pd.read_csv(path, dtype=str, keep_default_na=False).drop(columns=[column]).to_csv(
        path, index=False
    )
    with pytest.raises(InputError) as raised:
        open_run(run_path)
    message = str(raised.value)
    assert str(path) in message and repr(column) in message and "\n" not in message
