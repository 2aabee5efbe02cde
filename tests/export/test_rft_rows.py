"""RFT rows: messages built from the rubric's task or kept from the item, grader fields."""

from __future__ import annotations

from rubricate.datasets.rft_rows import (
    TASK_MISMATCH,
    build_row,
    build_rows,
    content_hash,
    grader_item_fields,
    row_json,
)
from rubricate.rubrics.items import ItemsFile

TASK = "Classify: {{ item.review }}\nLabels: {{ item.choices }}"


def test_prompt_is_the_task_rendered_with_platform_semantics() -> None:
    item = {"id": "a", "review": "great", "choices": ["pos", "neg"], "unused": 1, "label": "pos"}
    row, problem, mismatch = build_row(item, task=TASK, developer=None, fields={"label"})
    assert problem is None and not mismatch
    # a list is substituted as JSON text, as the platform does; unread fields are not copied
    assert row == {
        "messages": [{"role": "user", "content": 'Classify: great\nLabels: ["pos", "neg"]'}],
        "id": "a",
        "label": "pos",
    }


def test_tools_are_kept() -> None:
    tools = [{"type": "function", "function": {"name": "lookup"}}]
    row, _, _ = build_row({"task": "Q", "tools": tools}, task=None, developer=None, fields=set())
    assert row["tools"] == tools


def test_developer_message_goes_first() -> None:
    row, _, _ = build_row(
        {"review": "x", "choices": []}, task=TASK, developer="Be brief.", fields=set()
    )
    assert [m["role"] for m in row["messages"]] == ["developer", "user"]
    assert row["messages"][0]["content"] == "Be brief."


def test_without_a_rubric_task_the_item_task_is_the_prompt() -> None:
    row, problem, _ = build_row(
        {"task": "  Answer me. "}, task=None, developer=None, fields={"task"}
    )
    assert problem is None
    assert row["messages"] == [{"role": "user", "content": "Answer me."}]
    assert row["task"] == "  Answer me. "  # the grader reads it verbatim


def test_item_messages_are_kept_verbatim_and_checked_against_the_task() -> None:
    messages = [
        {"role": "developer", "content": "You are terse."},
        {"role": "user", "content": "Classify: good\nLabels: []\n\nOne word."},
    ]
    item = {"messages": messages, "review": "good", "choices": []}
    row, problem, mismatch = build_row(item, task=TASK, developer="ignored", fields=set())
    assert problem is None and not mismatch
    assert row["messages"] == messages
    other = {
        "messages": [{"role": "user", "content": "Something else"}],
        "review": "good",
        "choices": [],
    }
    assert build_row(other, task=TASK, developer=None, fields=set())[2] is True


def test_system_role_and_a_final_assistant_message_are_refused() -> None:
    system = {"messages": [{"role": "system", "content": "x"}, {"role": "user", "content": "y"}]}
    row, problem, _ = build_row(system, task=None, developer=None, fields=set())
    assert row is None
    assert problem == (
        'messages[0]: RFT takes no system message; give the instructions the role "developer" '
        "instead"
    )
    last = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    problem = build_row(last, task=None, developer=None, fields=set())[1]
    assert problem is not None and "end the prompt with a user message" in problem


def test_missing_template_variables_are_left_to_the_dataset_checks() -> None:
    row, problem, _ = build_row({"choices": []}, task=TASK, developer=None, fields=set())
    assert row is None and problem is None


def test_build_rows_reports_file_and_line_and_one_mismatch_warning() -> None:
    items = ItemsFile(
        "t.jsonl",
        [
            {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]},
            {"messages": [{"role": "user", "content": "other"}], "review": "r", "choices": []},
            {"messages": [{"role": "user", "content": "other"}], "review": "r", "choices": []},
        ],
        [2, 5, 9],
    )
    rows = build_rows(items, task=TASK, developer=None, fields=set())
    assert rows.lines == [5, 9]
    assert [(p.line, p.severity, p.rule) for p in rows.problems] == [
        (2, "error", "rft-row"),
        (5, "warning", "rft-task-mismatch"),
    ]
    assert rows.problems[1].message == f"lines 5, 9: {TASK_MISMATCH}"


def test_grader_fields_come_from_template_strings_not_python_source() -> None:
    grader = {
        "type": "multi",
        "graders": {
            "a": {
                "type": "string_check",
                "input": "{{ sample.output_text }}",
                "reference": "{{ item.gold }}",
            },
            "b": {
                "type": "score_model",
                "input": [{"role": "user", "content": "{{ item.doc.title }} {{ item.xs[0] }}"}],
            },
            "c": {
                "type": "python",
                "source": "def grade(sample, item):\n    return item['secret']  # {{ item.no }}",
            },
        },
    }
    assert grader_item_fields(grader) == {"gold", "doc", "xs"}


def test_content_hash_ignores_the_id_and_key_order() -> None:
    a = {"id": "1", "messages": [{"role": "user", "content": "q"}], "label": "x"}
    b = {"label": "x", "messages": [{"content": "q", "role": "user"}], "id": "2"}
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash({**a, "label": "y"})
    assert row_json({"a": "é"}) == '{"a":"é"}'
