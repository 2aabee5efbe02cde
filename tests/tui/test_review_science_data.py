"""What the review shows of a comparison and of an invariance probe, read from the JSON the
real ``rubricate calibrate --compare`` / ``--probe invariance:paraphrase`` wrote (Textual-free:
:mod:`rubricate.tui.review.science` and the typed readers). A missing or broken file is one
line, never an exception."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricate.calibration.compare.load import read_comparison
from rubricate.calibration.invariance.load import read_invariance
from rubricate.errors import InputError
from rubricate.tui.review.science import (
    INVARIANCE_HEADERS,
    TABLE_KEYS,
    arm_cells,
    arm_details,
    check_review_dir,
    describe,
    load_comparison_view,
    load_invariance_view,
    probe_of_run,
    recommendation_line,
    review_kind,
)
from tests.calibration.run_fixture import make_run


def test_each_folder_is_told_apart(science: Path, tmp_path: Path) -> None:
    assert review_kind(Path("cmp")) == "comparison"
    assert review_kind(Path("inv")) == "invariance"
    assert review_kind(Path("cmp/arms/holistic")) == "calibration"
    assert review_kind(Path("inv/arms/baseline")) == "calibration"
    for folder in ("cmp", "inv", "cmp/arms/holistic"):
        check_review_dir(Path(folder))
    # the report file missing (the command stopped before it): the arms decide
    (science / "cmp" / "comparison.json").unlink()
    (science / "inv" / "invariance.json").unlink()
    assert review_kind(Path("cmp")) == "comparison"
    assert review_kind(Path("inv")) == "invariance"
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="not a calibration run directory"):
        check_review_dir(empty)
    with pytest.raises(InputError, match="no such directory"):
        check_review_dir(tmp_path / "nowhere")


def test_a_probe_without_its_baseline_run_is_refused_in_one_line(science: Path) -> None:
    import shutil

    shutil.rmtree(science / "inv" / "arms" / "baseline")
    with pytest.raises(InputError) as caught:
        check_review_dir(Path("inv"))
    assert "arms/baseline/" in str(caught.value) and "\n" not in str(caught.value)


def test_the_comparison_view_is_what_the_report_wrote(science: Path) -> None:
    written = json.loads((science / "cmp" / "comparison.json").read_text())
    view = load_comparison_view(Path("cmp"))
    assert view.problem is None and view.file is not None
    assert [a.name for a in view.arms] == [r["arm"] for r in written["arms"]]
    best = written["recommendation"]["arm"]
    assert [a.name for a in view.arms if a.recommended] == [best]
    assert all(a.runnable and a.path == Path("cmp/arms") / a.name for a in view.arms)
    for entry, row in zip(view.arms, written["arms"], strict=True):
        assert entry.row is not None and entry.row.model_dump() == {
            k: row[k] for k in entry.row.model_dump()}  # fmt: skip
        cells = arm_cells(entry)
        assert len(cells) == len(TABLE_KEYS) and cells[0] == entry.name
        assert cells[TABLE_KEYS.index("grader_sha256")] == row["grader_sha256"][:12]
        # a figure the arm could not measure reads n/a (not assessed), never 0
        assert row["expert_mae"] is None and cells[TABLE_KEYS.index("expert_mae")] == "n/a"
    line = recommendation_line(view)
    assert line.startswith(f"Export {best} (grader SHA-256 ")
    assert written["recommendation"]["reason"] in line
    details = arm_details(view, view.arms[0])
    assert f"grader SHA-256: {written['arms'][0]['grader_sha256']}" in details
    assert "recommended: export this one" in details and "Rule: prefer arms" in details
    assert "MAE vs experts: not assessed" in details and "enter: review this arm's run" in details


@pytest.mark.parametrize("damage", ["missing", "not json", "wrong shape"])
def test_a_missing_or_broken_comparison_is_one_line_and_the_arms_still_open(
    science: Path, damage: str
) -> None:
    path = science / "cmp" / "comparison.json"
    if damage == "missing":
        path.unlink()
    elif damage == "not json":
        path.write_text("{ nope", encoding="utf-8")
    else:
        path.write_text(json.dumps({"comparison_version": 1, "arms": "x"}), encoding="utf-8")
    view = load_comparison_view(Path("cmp"))
    assert view.file is None and view.problem is not None and "\n" not in view.problem
    assert ("not run" if damage == "missing" else "cannot read it") in view.problem
    assert sorted(a.name for a in view.arms) == ["holistic", "per_criterion"]
    assert all(a.runnable and a.row is None and not a.recommended for a in view.arms)
    assert recommendation_line(view).startswith("comparison.json: ")
    assert arm_cells(view.arms[0])[1] == "no figures"
    assert "comparison.json: " in arm_details(view, view.arms[0])


def test_the_readers_say_what_is_wrong_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "comparison.json"
    bad.write_text(json.dumps({"comparison_version": 1, "compare": "x", "rubric": {},
                               "repeats": 2, "arms": [{"arm": 3}]}), encoding="utf-8")  # fmt: skip
    with pytest.raises(InputError) as caught:
        read_comparison(bad)
    assert "arms.0.arm" in str(caught.value) and "\n" not in str(caught.value)
    bad = tmp_path / "invariance.json"
    bad.write_text("[]", encoding="utf-8")
    with pytest.raises(InputError, match="not an invariance.json"):
        read_invariance(bad)


def test_the_invariance_lines_are_the_report_rows(science: Path) -> None:
    written = json.loads((science / "inv" / "invariance.json").read_text())
    view = load_invariance_view(Path("inv"))
    assert view.problem is None and view.file is not None
    texts = describe(view)
    # one line per row of the report, grouped by criterion, the changes in the probe's order
    assert sorted(x.key for x in texts.lines) == sorted(
        f"{r['change']}/{r['criterion']}" for r in written["rows"])  # fmt: skip
    assert all(len(x.cells) == len(INVARIANCE_HEADERS) - 2 for x in texts.lines)
    flagged = {f"{f['change']}/{f['criterion']}" for f in written["flagged"]}
    assert flagged  # the scripted judge makes the probe flag rows (science_fixture)
    assert {x.key for x in texts.lines if x.flagged} == flagged
    assert texts.headline.startswith(f"{len(flagged)} flagged: ")
    order = [c["change"] for c in written["changes"]]
    for criterion in dict.fromkeys(r["criterion"] for r in written["rows"]):
        group = [x for x in texts.lines if x.key.endswith(f"/{criterion}")]
        assert [x.first for x in group] == [True] + [False] * (len(group) - 1)
        assert [x.change for x in group] == sorted((x.change for x in group), key=order.index)
    assert flagged == {"rename/facts", "rename/__total__"}  # the judge reads ids
    total = next(x for x in texts.lines if x.key == "rename/__total__")
    assert total.criterion == "the reward" and total.cells[4] == "FLAGGED"
    assert "flips beyond rerun noise" in total.sentence and "Holm-adjusted" in total.sentence
    # changes that did not run are named with their reason
    for change in written["changes"]:
        if change["status"] != "run":
            assert f"{change['change']} not run: {change['reason']}" in texts.notes
    # the paraphrases beside the originals, for an expert to read
    assert texts.paraphrases is not None
    para = next(c for c in written["changes"] if c["change"] == "paraphrase")
    for entry in para["paraphrases"]:
        assert f"original:   {entry['original']}" in texts.paraphrases
        assert f"paraphrase: {entry['paraphrase']}" in texts.paraphrases


@pytest.mark.parametrize("damage", ["missing", "not json"])
def test_a_missing_or_broken_invariance_file_is_one_line(science: Path, damage: str) -> None:
    path = science / "inv" / "invariance.json"
    if damage == "missing":
        path.unlink()
    else:
        path.write_bytes(b"\xff\xfe\x00garbage")
    texts = describe(load_invariance_view(Path("inv")))
    assert texts.headline.startswith("invariance.json: ") and "\n" not in texts.headline
    assert ("not run" if damage == "missing" else "cannot read it") in texts.headline
    assert texts.lines == [] and texts.notes == [] and texts.paraphrases is None


def test_a_run_knows_the_probe_it_belongs_to(science: Path, tmp_path: Path) -> None:
    assert probe_of_run(Path("inv/arms/rename")) == (science / "inv").resolve()
    assert probe_of_run(Path("inv/arms/baseline")) == (science / "inv").resolve()
    assert probe_of_run(Path("cmp/arms/holistic")) is None
    assert probe_of_run(make_run(tmp_path / "run")) is None


def test_the_review_command_accepts_both_folders(
    science: Path, capsys: pytest.CaptureFixture
) -> None:
    import shutil

    from rubricate.cli import run as cli

    for folder in ("cmp", "inv"):  # past the folder check: only the terminal is missing here
        assert cli(["review", folder]) == 2
        assert "is interactive and needs a terminal" in capsys.readouterr().err
    shutil.rmtree(science / "inv" / "arms" / "baseline")
    assert cli(["review", "inv"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rubricate: error: inv: no run in arms/baseline/")
    assert err.count("\n") == 1
