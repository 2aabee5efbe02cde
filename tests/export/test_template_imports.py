"""The exported modules use rubricate's public API only (issue 17).

Every Python file that ``rubricate export trl|verl|verifiers|promptfoo`` writes, for every
shipped example, is parsed; each import of rubricate must name a public module
(``rubricate`` or ``rubricate.rewards``) and only names in its ``__all__``, and each
``rubricate.X`` attribute read must be in ``rubricate.__all__``. A template that reaches into
``rubricate.export...`` (as they all did before) fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import rubricate
import rubricate.rewards
from rubricate.cli import run

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.name for p in (ROOT / "examples").iterdir() if (p / "rubric.yaml").exists())
PUBLIC_MODULES = {
    "rubricate": set(rubricate.__all__),
    "rubricate.rewards": set(rubricate.rewards.__all__),
}


def non_public_uses(source: str) -> list[str]:
    """Each use of a rubricate name outside the public API in ``source`` (pure)."""
    tree = ast.parse(source)
    bad: list[str] = []
    aliases: set[str] = set()  # local names bound to the rubricate package
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] != "rubricate":
                    continue
                if alias.name not in PUBLIC_MODULES:
                    bad.append(f"line {node.lineno}: import {alias.name}")
                elif alias.name == "rubricate":
                    aliases.add(alias.asname or "rubricate")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "rubricate":
            public = PUBLIC_MODULES.get(node.module or "")
            for alias in node.names:
                if public is None or alias.name not in public:
                    bad.append(f"line {node.lineno}: from {node.module} import {alias.name}")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr not in PUBLIC_MODULES["rubricate"]
            and f"rubricate.{node.attr}" not in PUBLIC_MODULES
        ):
            bad.append(f"line {node.lineno}: rubricate.{node.attr}")
    return bad


def test_the_checker_sees_internal_names() -> None:
    source = (
        "import rubricate\nimport rubricate.export.rewards.trl\n"
        "from rubricate.export.rewards.verl import VerlReward\n"
        "from rubricate.rewards import TrlReward, open_runtime\n"
        "from rubricate import load_grader, api\n"
        "rubricate.load_grader('g.json')\nrubricate.judge.service\n"
    )
    assert non_public_uses(source) == [
        "line 2: import rubricate.export.rewards.trl",
        "line 3: from rubricate.export.rewards.verl import VerlReward",
        "line 4: from rubricate.rewards import open_runtime",
        "line 5: from rubricate import api",
        "line 7: rubricate.judge",
    ]


@pytest.mark.parametrize("example", EXAMPLES)
@pytest.mark.parametrize("kind", ["trl", "verl", "verifiers", "promptfoo"])
def test_exported_modules_import_only_public_names(tmp_path: Path, kind: str, example: str):
    out = tmp_path / f"{kind}-{example}"
    rubric = ROOT / "examples" / example / "rubric.yaml"
    assert run(["export", kind, str(rubric), "--out", str(out)]) == 0
    modules = sorted(out.rglob("*.py"))
    assert modules, f"rubricate export {kind} wrote no Python module"
    uses = 0
    for module in modules:
        source = module.read_text(encoding="utf-8")
        assert non_public_uses(source) == [], f"{module.relative_to(out)}"
        uses += source.count("rubricate.load_grader(")
    assert uses == 1  # the bundle's grader is loaded through the public API
