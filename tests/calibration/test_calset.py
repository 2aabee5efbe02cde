"""Calibration sets: parsing, the item namespace, inline expert grades, errors with file:line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricate.calibration.inputs.calset import (
    calibration_set_schema,
    parse_calibration_set,
    read_calibration_set,
)
from rubricate.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


def _line(**item) -> str:  # noqa: ANN003
    item.setdefault("id", "q1")
    item.setdefault("answers", [{"id": "a", "tier": "great", "text": "Paris"}])
    return json.dumps(item)


def test_items_keep_their_fields_and_answers_become_entries() -> None:
    text = _line(id=7, labels=["x", "y"], answers=[
        {"id": "g", "tier": "great", "text": "{\"labels\": [\"x\"]}"},
        {"id": 2, "tier": "adversarial", "kind": "empty", "text": ""},
    ]) + "\n\n" + _line(id="q2")  # fmt: skip
    calset = parse_calibration_set(text, source="set.jsonl")
    entries = calset.entries()
    assert [(e.item_id, e.answer_id, e.tier, e.kind, e.line) for e in entries] == [
        ("7", "g", "great", None, 1), ("7", "2", "adversarial", "empty", 1),
        ("q2", "a", "great", None, 3),
    ]  # fmt: skip
    # the item namespace is the line without its answers, id included as written
    assert entries[0].item == {"id": 7, "labels": ["x", "y"]}
    assert calset.line_of("q2") == 3


def test_inline_expert_grades_become_rows() -> None:
    answers = [{"id": "a", "tier": "fair", "text": "t",
                "experts": {"ann": {"__total__": 0.5, "c1": True}, "bo": {"c1": 0}}}]  # fmt: skip
    rows = parse_calibration_set(_line(answers=answers)).inline_expert_grades()
    assert [(r["expert"], r["criterion"], r["score"]) for r in rows] == [
        ("ann", "__total__", 0.5), ("ann", "c1", 1.0), ("bo", "c1", 0.0),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("{not json", ["set.jsonl:2:2", "not valid JSON"]),
        ("[1, 2]", ["set.jsonl:2", "a list"]),
        (_line(answers=[{"id": "a", "tier": "grate", "text": "x"}]),
         ["set.jsonl:2", "answers[0].tier", "did you mean 'great'", "adversarial"]),
        (_line(answers=[{"id": "a", "tier": "great", "kind": "empty", "text": "x"}]),
         ["answers[0].kind", "only for adversarial"]),
        (_line(answers=[{"id": "a", "tier": "adversarial", "kind": "padding", "text": "x"}]),
         ["answers[0].kind", "not a kind", "verbose_padding"]),
        (_line(answers=[{"id": "a", "teir": "great", "text": "x"}]),
         ["answers[0].teir", "unknown key", "did you mean 'tier'", "and 1 more"]),
        (_line(answers=[{"id": "a", "tier": "great"}]), ["answers[0].text", "missing"]),
        (_line(answers=[]), ["answers", "at least 1"]),
        (_line(answers=[{"id": "a", "tier": "great", "text": "x"},
                        {"id": "a", "tier": "poor", "text": "y"}]),
         ["answers[1].id", "appears twice"]),
        (_line(id="q0"), ["set.jsonl:2", "item id 'q0' appears twice", "line 1"]),
        (_line(answers=[{"id": "a", "tier": "great", "text": "x", "experts": {"ann": {"": 1}}}]),
         ["experts.ann", "empty criterion id", "__total__"]),
        (json.dumps({"answers": []}), ["set.jsonl:2", "id: missing"]),
    ],
)  # fmt: skip
def test_bad_lines_name_file_line_and_field(line: str, words: list[str]) -> None:
    with pytest.raises(InputError) as caught:
        parse_calibration_set(_line(id="q0") + "\n" + line, source="set.jsonl")
    for word in words:
        assert word in str(caught.value), (word, str(caught.value))


def test_empty_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="has no items"):
        parse_calibration_set("\n  \n", source="s.jsonl")
    with pytest.raises(InputError, match="no such calibration set"):
        read_calibration_set(tmp_path / "nope.jsonl")
    (tmp_path / "bin.jsonl").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputError, match="is UTF-16 text; save it as UTF-8"):
        read_calibration_set(tmp_path / "bin.jsonl")
    (tmp_path / "latin.jsonl").write_bytes(b'{"id": "caf\xe9"}\n')
    with pytest.raises(InputError, match=r"latin.jsonl:1:12: is not UTF-8 text \(byte 0xe9\)"):
        read_calibration_set(tmp_path / "latin.jsonl")


@pytest.mark.parametrize("example", ["accordance_tax", "eurovoc", "citations"])
def test_example_sets_follow_the_schema(example: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = calibration_set_schema()
    validator = jsonschema.Draft202012Validator(schema)
    path = ROOT / "examples" / example / "calibration.jsonl"
    calset = read_calibration_set(path)
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.strip():
            validator.validate(json.loads(raw))
    tiers = {e.tier for e in calset.entries()}
    assert {"great", "fair", "poor", "adversarial"} <= tiers
    assert len(calset.items) >= 6


def test_schema_refuses_a_bad_tier() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    bad = json.loads(_line(answers=[{"id": "a", "tier": "best", "text": "x"}]))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, calibration_set_schema())
