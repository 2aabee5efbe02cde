"""Undo / redo, the three-way merge, table rows, and saving that never loses data."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from rubricate.rubrics import yamlio
from rubricate.rubrics.edit import (
    FileChangedError,
    History,
    criterion_rows,
    node_target,
    open_for_edit,
    positive_sum,
    save_text,
    set_field,
)
from rubricate.rubrics.edit.merge import merge3
from tests.rubrics.edit_fixtures import COMMENTED


def test_history_undo_redo_and_grouping() -> None:
    history = History("a")
    history.push("ab", "type", group=("text", (0,)))
    history.push("abc", "type", group=("text", (0,)))  # same group: one entry
    history.push("abcd", "add", selection=(1,))
    assert history.undo() == ("abc", "add", (1,))
    assert history.undo() == ("a", "type", None)
    assert history.undo() is None
    assert history.redo() == ("abc", "type", None)
    history.push("x", "other")
    assert not history.can_redo
    assert history.text == "x"


def test_history_ignores_no_change_and_seal_splits_groups() -> None:
    history = History("a")
    history.push("a", "nothing")
    assert not history.can_undo
    history.push("ab", "type", group="g")
    history.seal()
    history.push("abc", "type", group="g")
    assert history.undo()[0] == "ab"


def test_merge3_keeps_our_formatting_where_theirs_did_not_change() -> None:
    base = "a: 1\nb: {x: 1, y: 2}\nc: 3\n"
    ours = "a: 1\nb: {x: 1,\n    y: 2}\nc: 3\n"
    theirs = "a: 1\nb: {x: 1, y: 2}\nc: 4\n"
    assert merge3(base, ours, theirs) == "a: 1\nb: {x: 1,\n    y: 2}\nc: 4\n"


def test_merge3_conflict_takes_theirs() -> None:
    base, ours, theirs = "a: 1\nb: 2\n", "a: 1\nb:   2\n", "a: 1\nb: 3\n"
    assert merge3(base, ours, theirs) == "a: 1\nb: 3\n"


def test_multi_line_flow_mapping_survives_an_edit_elsewhere() -> None:
    text = COMMENTED.replace(
        'check: {numbers: ["$120"]}', 'check: {numbers: ["$120"],\n            match: all}'
    )
    edit = set_field(text, (2,), "text", "Courteous.")
    assert 'check: {numbers: ["$120"],\n            match: all}' in edit.text


def test_rows_show_kinds_depths_and_weights_even_with_schema_errors() -> None:
    doc = yamlio.parse_yaml(COMMENTED.replace("weight: 0.2", "weight: lots"))
    rows = criterion_rows(doc)
    assert [(r.id, r.kind, r.depth) for r in rows] == [
        ("amount", "both", 0),
        ("policy", "group", 0),
        ("window", "judged", 1),
        ("steps", "judged", 1),
        ("tone", "judged", 0),
        ("invents", "judged", 0),
    ]
    assert rows[4].weight is None and rows[4].weight_text == "lots"
    assert rows[5].is_penalty
    assert rows[3].levels == "0: absent\n1: partial\n2: complete" and rows[3].max_level == 2
    assert rows[0].check == '{numbers: ["$120"]}'
    assert positive_sum(rows) == pytest.approx(0.8)
    assert positive_sum(rows, (1,)) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("node", "target"),
    [
        (("criteria", 1, "children", 0, "weight"), ((1, 0), "weight")),
        (("criteria", 2), ((2,), None)),
        (("criteria", 0, "check", "numbers", 0), ((0,), "check")),
        (("examples", 0, "verdicts"), (None, None)),
        ((), (None, None)),
    ],
)
def test_node_target(node: tuple, target: tuple) -> None:
    assert node_target(node) == target


def test_save_is_atomic_keeps_mode_and_refuses_a_changed_file(tmp_path: Path) -> None:
    path = tmp_path / "rubric.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    path.chmod(0o640)
    text, print_ = open_for_edit(path)
    new = save_text(path, text + "# more\n", print_)
    assert path.read_text(encoding="utf-8").endswith("# more\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["rubric.yaml"]  # no temporary file left
    path.write_text("someone else\n", encoding="utf-8")
    with pytest.raises(FileChangedError, match="changed on disk"):
        save_text(path, "mine\n", new)
    assert path.read_text(encoding="utf-8") == "someone else\n"


def test_touch_without_change_is_not_a_conflict(tmp_path: Path) -> None:
    path = tmp_path / "rubric.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    _, print_ = open_for_edit(path)
    os.utime(path, ns=(print_.mtime_ns + 10**9, print_.mtime_ns + 10**9))
    save_text(path, "new\n", print_)
    assert path.read_text(encoding="utf-8") == "new\n"


def test_a_deleted_file_is_written_anew_and_save_as_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "rubric.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    _, print_ = open_for_edit(path)
    path.unlink()
    save_text(path, "back\n", print_)
    assert path.read_text(encoding="utf-8") == "back\n"
    with pytest.raises(FileChangedError):
        save_text(path, "other\n", None)


def test_save_follows_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text("a: 1\n", encoding="utf-8")
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    _, print_ = open_for_edit(link)
    save_text(link, "a: 2\n", print_)
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "a: 2\n"


def test_same_size_and_restored_mtime_is_still_a_change(tmp_path: Path) -> None:
    """Someone else's edit that keeps the size and puts the modification time back (an
    editor or a sync tool may) is still seen: the check compares the bytes' hash."""
    path = tmp_path / "rubric.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    _, print_ = open_for_edit(path)
    theirs = COMMENTED.replace("weight: 0.3", "weight: 0.4")
    assert len(theirs) == len(COMMENTED)
    path.write_text(theirs, encoding="utf-8")
    os.utime(path, ns=(print_.mtime_ns, print_.mtime_ns))
    assert (path.stat().st_mtime_ns, path.stat().st_size) == (print_.mtime_ns, print_.size)
    with pytest.raises(FileChangedError, match="changed on disk"):
        save_text(path, "mine\n", print_)
    assert path.read_text(encoding="utf-8") == theirs
