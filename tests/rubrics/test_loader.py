"""The loader: text -> YAML with positions -> model, and every problem in YAML's words."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricate.errors import InputError, RubricFormatError
from rubricate.rubrics import yamlio
from rubricate.rubrics.items import read_items
from rubricate.rubrics.loader import (
    LoadedRubric,
    UnreadableRubricError,
    is_unreadable,
    load_rubric,
    parse_rubric,
)
from rubricate.rubrics.problems import Problem
from tests.strategies import FULL_RUBRIC

MINIMAL = "rubric: 1\nid: r\ntitle: T\ncriteria:\n  - id: a\n    text: A\n    weight: 1\n"


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(RubricFormatError) as caught:
        parse_rubric(text, "r.yaml")
    return caught.value.problems


def test_full_rubric_loads_every_kind() -> None:
    loaded = parse_rubric(FULL_RUBRIC, "full.yaml")
    kinds = [c.kind for _, c in loaded.rubric.walk()]
    assert kinds == [
        "judged",
        "check",
        "judged",
        "both",
        "judged",
        "group",
        "judged",
        "judged",
        "check",
    ]
    assert loaded.path == "full.yaml"
    assert loaded.rubric.criteria[2].levels == {
        0: "no explanation",
        1: "names the policy",
        2: "names the policy and applies it to the order date",
    }
    assert loaded.rubric.criteria[3].check.regex == r"\b\d+\s+(business\s+)?days?\b"


def test_locate_points_at_keys_and_items() -> None:
    loaded = parse_rubric(FULL_RUBRIC)
    lines = FULL_RUBRIC.splitlines()
    line, col = loaded.locate(("criteria", 4, "weight"))
    assert lines[line - 1][col - 1 :] == "weight: -0.2"
    line, col = loaded.locate_value(("criteria", 4, "weight"))
    assert lines[line - 1][col - 1 :] == "-0.2"
    line, col = loaded.locate(("criteria", 5, "children", 1))
    assert lines[line - 1][col - 1 :] == "id: polite"
    line, col = loaded.locate(("criteria", 2, "levels", 2))
    assert lines[line - 1][col - 1 :].startswith("2: names the policy and")
    assert loaded.locate(("criteria", 99)) is None
    assert loaded.locate(()) == (2, 1)  # the first key, after the schema comment


def test_locate_in_flow_mapping() -> None:
    loaded = parse_rubric(FULL_RUBRIC)
    line, col = loaded.locate(("criteria", 3, "check", "ignore_case"))
    assert FULL_RUBRIC.splitlines()[line - 1][col - 1 :].startswith("ignore_case: true}")


def test_criterion_node_and_value() -> None:
    loaded = parse_rubric(FULL_RUBRIC)
    assert LoadedRubric.criterion_node((5, 1)) == ("criteria", 5, "children", 1)
    assert loaded.value(("criteria", 5, "children", 1, "id")) == "polite"
    assert loaded.value(("nope",)) is None


def test_issue_example_wrong_type_message() -> None:
    text = MINIMAL + "  - id: b\n    text: B\n    weight: high\n"
    [problem] = problems_of(text)
    assert problem.format() == 'r.yaml:10:13: criteria[1].weight: must be a number, got "high"'
    assert problem.rule == "wrong-type"
    assert problem.node == ("criteria", 1, "weight")


def test_unknown_key_suggests_the_nearest() -> None:
    text = MINIMAL.replace("    weight: 1\n", "    weight: 1\n    chek: {regex: x}\n")
    [problem] = problems_of(text)
    assert (
        problem.format()
        == 'r.yaml:8:5: criteria[0].chek: unknown key "chek"; did you mean "check"?'
    )


def test_unknown_key_without_a_near_one_lists_allowed_keys() -> None:
    [problem] = problems_of(MINIMAL + "zzz: 1\n")
    assert 'unknown key "zzz"; allowed keys: rubric, id, title' in problem.message
    assert (problem.line, problem.col) == (8, 1)


def test_missing_key_points_at_the_mapping() -> None:
    text = MINIMAL.replace("    weight: 1\n", "")
    [problem] = problems_of(text)
    assert problem.format() == 'r.yaml:5:5: criteria[0]: missing required key "weight"'
    assert problem.rule == "missing-key"


def test_missing_top_level_keys_are_all_reported() -> None:
    problems = problems_of("rubric: 1\ncriteria: []\n")
    messages = [p.message for p in problems]
    assert 'missing required key "id"' in messages
    assert 'missing required key "title"' in messages
    assert all(p.path == "" and p.line == 1 for p in problems)


def test_every_problem_is_reported_not_just_the_first() -> None:
    text = (
        "rubric: 1\nid: Bad Id\ntitle: 3\ncriteria:\n"
        "  - id: a\n    text: A\n    weight: high\n"
        "  - id: b\n    weight: 1\n"
        "  - id: c\n    weight: 1\n    check: {regx: a}\n"
    )
    problems = problems_of(text)
    paths = [p.path for p in problems]
    assert paths == ["id", "title", "criteria[0].weight", "criteria[1]", "criteria[2].check.regx"]
    assert 'e.g. "bad-id"' in problems[0].message
    assert 'put it in quotes ("3")' in problems[1].message
    assert "needs `text`" in problems[3].message
    assert 'unknown check kind "regx"; did you mean "regex"?' in problems[4].message


def test_error_summarises_the_rest() -> None:
    with pytest.raises(RubricFormatError) as caught:
        parse_rubric("rubric: 1\ncriteria: []\n", "r.yaml")
    assert caught.value.msg.startswith("r.yaml:1:1: missing required key")
    assert "(and 1 more problem" in caught.value.msg
    assert not is_unreadable(caught.value)


@pytest.mark.parametrize(
    ("snippet", "path", "words"),
    [
        (
            "    check: {contains: 5}\n",
            "criteria[0].check.contains",
            "must be text or a list, got 5",
        ),
        ("    check: {contains: [a, 5]}\n", "criteria[0].check.contains[1]", "must be text, got 5"),
        ("    check: {numbers: [[1]]}\n", "criteria[0].check.numbers[0]", "text or a number"),
        ("    check: {regex: a, contains: b}\n", "criteria[0].check.contains", "exactly one kind"),
        (
            "    check: {regex: a, ignorcase: true}\n",
            "criteria[0].check.ignorcase",
            '"ignore_case"',
        ),
        (
            "    check: {numbers: ['1'], tolerance: -1}\n",
            "criteria[0].check.tolerance",
            "must be at least 0, got -1",
        ),
        ("    check: nope\n", "criteria[0].check", "must be a mapping with one kind key"),
        ("    levels: {x: a, 1: b}\n", "criteria[0].levels.x", 'key "x" must be a whole number'),
        ("    levels: {0: a, 1: 2}\n", "criteria[0].levels.1", "must be text, got 2"),
        ("    children: []\n", "criteria[0]", "at least one child"),
    ],
)
def test_criterion_schema_messages(snippet: str, path: str, words: str) -> None:
    [problem] = problems_of(MINIMAL + snippet)
    assert problem.path == path
    assert words in problem.message


@pytest.mark.parametrize(
    ("extra", "path", "words"),
    [
        ("judge: {mode: holist}\n", "judge.mode", 'did you mean "holistic"?'),
        ("judge: {temperature: 5}\n", "judge.temperature", "must be at most 2"),
        ("score: {range: [1]}\n", "score.range", "needs 2 items, got 1"),
        ("score: {range: [1, 0]}\n", "score.range", "min < max"),
        (
            "examples: [{tier: good, answer: a, score: 1}]\n",
            "examples[0].tier",
            'must be one of "great", "fair", "poor", got "good"',
        ),
        ("examples: [{tier: great, answer: a}]\n", "examples[0]", "needs `verdicts`"),
        ("pass_threshold: high\n", "pass_threshold", 'must be a number, got "high"'),
        ("title2: x\n", "title2", 'did you mean "title"?'),
    ],
)
def test_settings_schema_messages(extra: str, path: str, words: str) -> None:
    [problem] = problems_of(MINIMAL + extra)
    assert problem.path == path
    assert words in problem.message


def test_version_must_be_one() -> None:
    [problem] = problems_of(MINIMAL.replace("rubric: 1", "rubric: 2"))
    assert problem.format() == "r.yaml:1:9: rubric: must be 1, got 2"


def test_wrong_value_points_at_the_value() -> None:
    [problem] = problems_of(MINIMAL.replace("title: T", "title: [a, b]"))
    assert (problem.line, problem.col) == (3, 1)  # a collection: its key
    [problem] = problems_of(MINIMAL.replace("id: r", "id: R R"))
    assert (problem.line, problem.col) == (2, 5)


def test_duplicate_keys_are_found_with_other_problems() -> None:
    text = MINIMAL + "id: again\n" + "pass_threshold: x\n"
    problems = problems_of(text)
    assert [p.rule for p in problems] == ["duplicate-key", "wrong-type"]
    assert problems[0].format() == (
        'r.yaml:8:1: duplicate key "id" (first at line 2); a key may appear once per mapping: '
        "remove or rename one"
    )


def test_top_level_list_is_a_schema_problem() -> None:
    with pytest.raises(RubricFormatError) as caught:
        parse_rubric("- a\n- b\n", "r.yaml")
    assert not is_unreadable(caught.value)
    assert "the top level must be a mapping" in caught.value.msg


@pytest.mark.parametrize(
    ("text", "words", "position"),
    [
        ("", "is empty", None),
        ("  \n\n", "is empty", None),
        ("# only a comment\n", "only comments", None),
        ("rubric: 1\ncriteria:\n\t- id: a\n", "tab character", (3, 1)),
        ("rubric: [1, 2\nid: x\n", "YAML syntax error", (2, 3)),
        ("a: 1\n b: 2\n", "YAML syntax error", (2, 3)),
        ("a: 1\n---\nb: 2\n", "YAML syntax error", (2, 1)),
    ],
)
def test_unreadable_text(text: str, words: str, position: tuple[int, int] | None) -> None:
    with pytest.raises(UnreadableRubricError) as caught:
        parse_rubric(text, "r.yaml")
    [problem] = caught.value.problems
    assert words in problem.message
    assert is_unreadable(caught.value)
    if position is not None:
        assert (problem.line, problem.col) == position
    assert caught.value.msg == problem.format()


def test_unreadable_files(tmp_path: Path) -> None:
    cases = {
        "binary.yaml": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "latin1.yaml": "rubric: 1\ntitle: caf\xe9\n".encode("latin-1"),
        "utf16.yaml": "rubric: 1\n".encode("utf-16"),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    expected = {
        "binary.yaml": "binary file",
        "latin1.yaml": "not UTF-8 text (byte 0xe9)",
        "utf16.yaml": "UTF-16",
        "missing.yaml": "no such rubric file",
        ".": "is a directory",
    }
    for name, words in expected.items():
        with pytest.raises(UnreadableRubricError) as caught:
            load_rubric(tmp_path / name)
        assert words in caught.value.msg, name
    with pytest.raises(UnreadableRubricError) as caught:
        load_rubric(tmp_path / "latin1.yaml")
    assert (caught.value.problems[0].line, caught.value.problems[0].col) == (2, 11)


def test_load_rubric_reads_utf8_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_rubric(path).rubric.id == "r"


def test_yes_is_text_and_tags_are_values() -> None:
    loaded = parse_rubric(MINIMAL.replace("title: T", "title: yes") + "reference: !md x\n")
    assert loaded.rubric.title == "yes"
    assert loaded.rubric.reference == "x"


def test_round_trip_save_keeps_comments() -> None:
    loaded = parse_rubric(FULL_RUBRIC)
    loaded.doc["criteria"][0]["weight"] = 0.35
    saved = yamlio.dump_yaml(loaded.doc)
    assert "# judged, binary" in saved
    assert "# yaml-language-server: $schema=rubric.schema.json" in saved
    assert "weight: 0.35" in saved
    assert saved.replace("weight: 0.35", "weight: 0.3") == FULL_RUBRIC


def test_read_items(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2}\n', encoding="utf-8")
    items = read_items(path)
    assert items.items == [{"a": 1}, {"a": 2}]
    assert items.lines == [1, 3]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('{"a": 1}\n{"a": \n', "items.jsonl:2:7: not valid JSON"),
        ('{"a": 1}\n[1, 2]\n', "items.jsonl:2: must be a JSON object"),
        ("\n\n", "has no items"),
    ],
)
def test_read_items_errors_name_file_and_line(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_items(path)
    assert words in caught.value.msg


def test_read_items_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such items file"):
        read_items(tmp_path / "nope.jsonl")


@pytest.mark.parametrize(
    ("text", "indent"),
    [
        ("a:\n  b: 1\nc:\n  - x: 1\n    y: 2\n", (2, 4, 2)),
        ("a:\n  b: 1\nc:\n- x: 1\n  y: 2\n- 3\n", (2, 2, 0)),
        ("a:\n    b: 1\nc:\n    - x: 1\n      y: 2\n", (4, 6, 4)),
        ("a:\n    b: 1\nc:\n  - x: 1\n    y: 2\n", (4, 4, 2)),
        ("task: |\n  Results:\n  - one\nc:\n- x: 1\n", (2, 2, 0)),  # block text is not YAML
        ("a: 1\n", (2, 4, 2)),
        ("a: [1\n", (2, 4, 2)),
    ],
)
def test_guess_indent_and_save_in_the_same_style(text: str, indent: tuple[int, int, int]) -> None:
    assert yamlio.guess_indent(text) == indent
    if not text.startswith("a: [1"):
        assert yamlio.dump_yaml(yamlio.parse_yaml(text), like=text) == text


def test_dumps_keeps_the_document_style() -> None:
    text = (
        "rubric: 1  # compact style\nid: r\ntitle: T\njudge:\n    mode: holistic\n"
        "criteria:\n- id: g\n  weight: 1\n  children:\n  - id: a\n    text: 'A'\n"
        "    weight: 1\n    levels:\n        0: no\n        1: yes\n"
    )
    loaded = parse_rubric(text)
    assert loaded.dumps() == text
    loaded.doc["criteria"][0]["children"][0]["weight"] = 2
    assert loaded.dumps() == text.replace("    weight: 1\n    levels", "    weight: 2\n    levels")
    long_line = "x" * 150
    loaded = parse_rubric(MINIMAL.replace("text: A", f"text: A {long_line}"))
    assert loaded.dumps() == loaded.text  # long lines are never re-wrapped


def test_text_given_a_boolean_suggests_quotes() -> None:
    [problem] = problems_of(MINIMAL.replace("title: T", "title: true"))
    assert problem.message == 'must be text, got true; put it in quotes ("true")'
