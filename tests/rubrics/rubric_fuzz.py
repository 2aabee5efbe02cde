"""A seeded mutation corpus of rubric files, and the runner the fuzz test uses.

Seeds: the shipped examples' rubrics and the bad-rubric corpus (``tests/data/bad_rubrics``).
Each corpus file is one seed with one to three mutations, chosen by ``random.Random(seed)``
from the file's index, so the corpus is the same on every machine and a failing file can be
rebuilt by its number (``python -m tests.rubrics.rubric_fuzz OUT_DIR`` writes them all).

Mutations work on the text (delete, repeat or swap lines; truncate; re-indent; splice in
YAML punctuation, anchors and aliases, tabs, template braces) and on the parsed tree (replace
any node by a value of another type, drop a key, repeat a criterion under the same id, add a
known key with a random value, give a criterion a random check, nest criteria deeply, make a
thousand of them, anchor-and-alias bombs), then dump the tree back as YAML.

:func:`run_file` runs ``rubricate check --json`` and ``rubricate compile`` on one file in this
process through the command line's own entry point (:func:`rubricate.cli.run`), and returns
their exit codes, wall times and any exception that escaped (a traceback).
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
SEEDS = sorted(ROOT.glob("examples/*/rubric.yaml")) + sorted(
    (ROOT / "tests" / "data" / "bad_rubrics").glob("*.yaml")
)

_TOKENS = (
    ":", ": ", "- ", "-", "{", "}", "[", "]", ",", "&a ", "*a", "<<: *a", "!!python/object ",
    "!foo ", "\t", "'", '"', "|", ">", "#", "{{", "}}", "{{ item.x }}", "{{ sample.output_text }}",
    "{% if %}", "? ", "%YAML 1.2\n", "---\n", "...\n", "~", "null", "0x1F", ".inf", "-.nan",
    "1e999", "99999999999999999999999999", "é", "\u202e", "\\", "\n", "  ", "weight: ",
    "criteria: ", "children: ", "check: ", "levels: ", "regex: '('", "python: 'def grade(",
)  # fmt: skip
_KEYS = (
    "rubric", "id", "title", "task", "reference", "judge", "score", "pass_threshold",
    "criteria", "examples", "item_criteria", "text", "weight", "check", "levels", "children",
    "model", "mode", "range", "tier", "answer", "verdicts", "contains", "regex", "numbers",
    "equals", "set_f1", "fuzzy", "python", "path", "metric", "threshold", "tolerance", "match",
    "reasoning_effort", "case_sensitive", "ignore_case", "fuzzy_threshold",
)  # fmt: skip
_PYTHON = (
    "def grade(sample, item):\n    return 1.0\n",
    "def grade(sample, item):\n    return 0.5 +\n",
    "import torch\ndef grade(sample, item):\n    return 1\n",
    "def grade(a):\n    return 1\n",
    "grade = 1\n",
    "",
    "def grade(sample, item):\n" + "    x = 1\n" * 3000 + "    return x\n",
)


def _random_scalar(rng: random.Random) -> Any:
    return rng.choice(
        [
            None, True, False, 0, 1, -1, 0.5, -0.25, 1e308, -1e308, 10**30, float("inf"),
            float("nan"), "", " ", "x", "high", "ownership", "0.4", "a" * rng.randint(65, 5000),
            "{{ item.answer }}", "{{ sample.output_json.x }}", "{{", "(", "[a-", "\x07",
            "per_criterion", "holistic", "great", "fair", "poor", "f1", "all", "any",
        ]
    )  # fmt: skip


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 2 or roll < 0.6:
        return _random_scalar(rng)
    if roll < 0.8:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(_KEYS): _random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def _random_check(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(["contains", "regex", "numbers", "equals", "set_f1", "fuzzy", "python"])
    value: Any = {
        "contains": rng.choice(["x", ["a", "b"], [], "{{ item.answer }}"]),
        "regex": rng.choice(["a+", "(", "[z-a]", "(?P<x>a)(?P<x>b)", "a{99999999999}", "\\"]),
        "numbers": rng.choice([["1"], ["$1,234.50", "26.67%"], [], ["not a number"], [1e308]]),
        "equals": rng.choice(["x", 1, True, "{{ item.answer }}"]),
        "set_f1": rng.choice([["a"], "{{ item.labels }}", [], "labels"]),
        "fuzzy": rng.choice(["ref", "{{ item.passage }}", ""]),
        "python": rng.choice(_PYTHON),
    }[kind]
    check: dict[str, Any] = {kind: value}
    if rng.random() < 0.3:
        extra = rng.choice(["path", "metric", "threshold", "tolerance", "match", "case_sensitive",
                            "ignore_case", "fuzzy_threshold"])  # fmt: skip
        check[extra] = _random_scalar(rng)
    return check


# ----------------------------------------------------------------------- text mutations


def _lines(text: str) -> list[str]:
    return text.split("\n")


def delete_line(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    del lines[rng.randrange(len(lines))]
    return "\n".join(lines)


def repeat_line(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    lines.insert(i, lines[i])
    return "\n".join(lines)


def swap_lines(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def truncate(text: str, rng: random.Random) -> str:
    return text[: rng.randrange(len(text) + 1)]


def reindent(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    shift = rng.choice([-4, -2, -1, 1, 2, 3, 4])
    lines[i] = " " * shift + lines[i] if shift > 0 else lines[i][-shift:]
    return "\n".join(lines)


def splice_token(text: str, rng: random.Random) -> str:
    at = rng.randrange(len(text) + 1)
    return text[:at] + rng.choice(_TOKENS) + text[at:]


def replace_value(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    candidates = [i for i, line in enumerate(lines) if ": " in line]
    if not candidates:
        return splice_token(text, rng)
    i = rng.choice(candidates)
    head = lines[i].split(": ", 1)[0]
    lines[i] = f"{head}: {rng.choice(_TOKENS + ('0', '-1', 'true', '[]', '{}', 'x'))}"
    return "\n".join(lines)


def alias_bomb(text: str, rng: random.Random) -> str:
    """Billion-laughs: each level is a list of ten aliases of the level below."""
    depth = rng.randint(3, 9)
    lines = ["bomb0: &b0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, depth + 1):
        refs = ", ".join([f"*b{level - 1}"] * 10)
        lines.append(f"bomb{level}: &b{level} [{refs}]")
    where = rng.choice(["top", "task"])
    if where == "task":
        return text + "\n" + "\n".join(lines) + f"\nreference: *b{depth}\n"
    return "\n".join(lines) + "\n" + text


TEXT_MUTATIONS = (
    delete_line, repeat_line, swap_lines, truncate, reindent, splice_token, replace_value,
)  # fmt: skip


# ----------------------------------------------------------------------- tree mutations


def _nodes(tree: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    """Every node once (aliased nodes are shared: visiting them once keeps this linear)."""
    found = [(path, tree)]
    stack = [(path, tree)]
    seen = {id(tree)}
    while stack:
        where, node = stack.pop()
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(
            node, list) else ()  # fmt: skip
        for key, child in children:
            if isinstance(child, dict | list):
                if id(child) in seen:
                    continue
                seen.add(id(child))
            found.append((where + (key,), child))
            stack.append((where + (key,), child))
    return found


def _criteria_lists(tree: Any) -> list[list[Any]]:
    out = []
    for path, node in _nodes(tree):
        if path and path[-1] in ("criteria", "children") and isinstance(node, list):
            out.append(node)
    return out


def _set(tree: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    node = tree
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return tree


def replace_node(tree: Any, rng: random.Random) -> Any:
    path, _ = rng.choice(_nodes(tree))
    return _set(tree, path, _random_value(rng))


def drop_key(tree: Any, rng: random.Random) -> Any:
    maps = [(p, n) for p, n in _nodes(tree) if isinstance(n, dict) and n]
    if not maps:
        return tree
    _, node = rng.choice(maps)
    del node[rng.choice(list(node))]
    return tree


def add_key(tree: Any, rng: random.Random) -> Any:
    maps = [n for _, n in _nodes(tree) if isinstance(n, dict)]
    if not maps:
        return tree
    rng.choice(maps)[rng.choice(_KEYS)] = _random_value(rng)
    return tree


def repeat_criterion(tree: Any, rng: random.Random) -> Any:
    lists = [c for c in _criteria_lists(tree) if c]
    if lists:
        chosen = rng.choice(lists)
        chosen.append(dict(rng.choice(chosen)) if isinstance(chosen[0], dict) else chosen[0])
    return tree


def random_check(tree: Any, rng: random.Random) -> Any:
    criteria = [c for lst in _criteria_lists(tree) for c in lst if isinstance(c, dict)]
    if criteria:
        criterion = rng.choice(criteria)
        criterion["check"] = _random_check(rng)
        if rng.random() < 0.5:
            criterion.pop("text", None)
    return tree


def random_weight(tree: Any, rng: random.Random) -> Any:
    criteria = [c for lst in _criteria_lists(tree) for c in lst if isinstance(c, dict)]
    if criteria:
        rng.choice(criteria)["weight"] = rng.choice(
            [0, -0.5, 1e-300, 1e308, -1e308, float("inf"), float("nan"), 10**40, "0.1", True]
        )
    return tree


def deep_nesting(tree: Any, rng: random.Random) -> Any:
    if not isinstance(tree, dict):
        return tree
    depth = rng.choice([5, 40, 150, 400])
    leaf: dict[str, Any] = {"id": "leaf", "text": "Says the thing", "weight": 1}
    for level in range(depth):
        leaf = {"id": f"g{level}", "weight": 1, "children": [leaf]}
    tree["criteria"] = [leaf]
    return tree


def many_criteria(tree: Any, rng: random.Random) -> Any:
    if not isinstance(tree, dict):
        return tree
    count = rng.choice([200, 1000, 3000])
    tree["criteria"] = [
        {"id": f"c{i}", "text": f"Mentions fact {i}", "weight": 1} for i in range(count)
    ]
    return tree


def deep_value(tree: Any, rng: random.Random) -> Any:
    value: Any = "x"
    for _ in range(rng.choice([50, 200, 1000])):
        value = [value] if rng.random() < 0.5 else {"k": value}
    path, _ = rng.choice(_nodes(tree))
    return _set(tree, path, value)


TREE_MUTATIONS = (
    replace_node, drop_key, add_key, repeat_criterion, random_check, random_weight,
    replace_node, random_check, repeat_criterion,
)  # fmt: skip
RARE_MUTATIONS = (deep_nesting, many_criteria, deep_value)


def _load(text: str) -> Any:
    return YAML(typ="safe").load(text)


def _dump(tree: Any) -> str:
    """Block YAML for a small tree; JSON (which is YAML too) for a big one: far faster."""
    if len(_nodes(tree)) > 400:
        return json.dumps(tree, indent=_json_indent(tree), allow_nan=True)
    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    out = io.StringIO()
    yaml.dump(tree, out)
    return out.getvalue()


def _json_indent(tree: Any) -> int | None:
    """JSON indentation: one line per value, except for very deep trees (one line)."""
    return None if len(_nodes(tree)) > 5000 else 1


def mutate(seed_text: str, rng: random.Random) -> str:
    """One corpus file: ``seed_text`` with one to three mutations."""
    text = seed_text
    steps = rng.choice([1, 1, 2, 3])
    bomb = rng.random() < 0.02
    for _ in range(steps):
        roll = rng.random()
        if roll < 0.5 or not text.strip():
            text = rng.choice(TEXT_MUTATIONS)(text or " ", rng)
            continue
        if len(text) > 50_000:  # already huge: keep mutating the text
            text = rng.choice(TEXT_MUTATIONS)(text, rng)
            continue
        try:
            tree = _load(text)
        except Exception:  # the text is no longer YAML: mutate it as text
            text = rng.choice(TEXT_MUTATIONS)(text or " ", rng)
            continue
        if tree is None:
            continue
        mutation = rng.choice(RARE_MUTATIONS) if roll > 0.96 else rng.choice(TREE_MUTATIONS)
        try:
            text = _dump(mutation(tree, rng))
        except Exception:  # a value the dumper cannot write: keep the text
            continue
    return alias_bomb(text, rng) if bomb else text


SEED = 15
"""The corpus seed (the issue's number)."""


def corpus_file(i: int, seed: int = SEED) -> tuple[str, bytes]:
    """File ``i`` of the corpus, ``(name, bytes)``: seed file ``i % len(SEEDS)`` mutated with
    ``random.Random(seed * 1_000_003 + i)``."""
    path = SEEDS[i % len(SEEDS)]
    data = path.read_bytes()
    rng = random.Random(seed * 1_000_003 + i)
    name = f"{i:05d}-{path.stem}.yaml"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:  # the binary and non-UTF-8 seeds: mutate the bytes
        cut = rng.randrange(len(data) + 1)
        return name, data[:cut] + rng.randbytes(8) + data[cut:]
    return name, mutate(text, rng).encode("utf-8", "replace")


def fuzz_one(task: tuple[int, str]) -> Outcome:
    """Write corpus file ``i`` into ``folder`` and run it (:func:`run_file`)."""
    i, folder = task
    name, data = corpus_file(i)
    path = Path(folder) / name
    path.write_bytes(data)
    return run_file(path)


@dataclass
class Outcome:
    """What ``check`` and ``compile`` did with one file."""

    name: str
    check_code: int | None
    compile_code: int | None
    check_s: float
    """CPU seconds of ``check`` (this process's own time: other load on the machine does not
    count)."""
    compile_s: float
    """CPU seconds of ``compile``."""
    wall_s: float
    """Wall seconds of both together."""
    traceback: str | None
    """The first exception that escaped the command line, formatted; None when none did."""
    check_errors: bool
    """``check --json`` listed an error-severity problem."""


def _run(argv: list[str]) -> tuple[int | None, float, str | None, str]:
    from rubricate.cli import run

    out, err = io.StringIO(), io.StringIO()
    started = time.process_time()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run(argv)
    except BaseException:  # noqa: BLE001 - the point is to catch what escaped
        spent = time.process_time() - started
        return None, spent, traceback.format_exc(limit=-8), out.getvalue()
    return code, time.process_time() - started, None, out.getvalue()


def run_file(path: Path) -> Outcome:
    """``rubricate check --json`` then ``rubricate compile`` on ``path``, in this process."""
    began = time.perf_counter()
    check_code, check_s, check_tb, out = _run(["check", str(path), "--json"])
    errors = False
    if check_tb is None:
        try:
            errors = any(p["severity"] == "error" for p in json.loads(out))
        except (ValueError, TypeError, KeyError):
            errors = True
    compile_code, compile_s, compile_tb, _ = _run(["compile", str(path)])
    return Outcome(path.name, check_code, compile_code, check_s, compile_s,
                   time.perf_counter() - began, check_tb or compile_tb, errors)  # fmt: skip


def main(argv: list[str]) -> int:
    """``python -m tests.rubrics.rubric_fuzz OUT_DIR [COUNT]``: write the corpus to OUT_DIR."""
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for i in range(int(argv[1]) if len(argv) > 1 else 2000):
        name, data = corpus_file(i)
        (out / name).write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
