"""Deterministic checks that cannot run: a regex that does not compile, python that is wrong.

Python is read with :mod:`ast`, never executed. The platform's python grader calls
``grade(sample, item)`` and runs on a fixed image (DESIGN.md: image ``2025-05-08``, source
under 256 kB, standard library plus the packages in :data:`GRADER_IMAGE_PACKAGES`).

Rules:

- ``bad-regex`` (error): the pattern does not compile (Python ``re``), pointed at the column.
- ``python-syntax`` (error): the code does not parse, pointed at the line in the YAML block.
- ``python-no-grade`` (error): no top-level ``def grade(sample, item)`` taking two
  positional parameters (extra ones must have defaults); an ``async def`` is refused too.
- ``python-import`` (warning): imports a module the grader image lacks (runs locally, fails on
  the platform); relative imports too.
- ``python-too-large`` (error): source over 256 kB, the platform's limit.
"""

from __future__ import annotations

import ast
import re
import sys

from rubricate import pysource
from rubricate.rubrics.lint.context import LintContext
from rubricate.rubrics.model import PythonCheck, RegexCheck
from rubricate.rubrics.problems import NodePath, Problem

GRADER_IMAGE_PACKAGES = {
    "numpy": "numpy",
    "scipy": "scipy",
    "sympy": "sympy",
    "pandas": "pandas",
    "rapidfuzz": "rapidfuzz",
    "sklearn": "scikit-learn",
    "rouge_score": "rouge-score",
    "deepdiff": "deepdiff",
    "jsonschema": "jsonschema",
    "pydantic": "pydantic",
    "yaml": "pyyaml",
    "nltk": "nltk",
    "sqlparse": "sqlparse",
}
"""Import name -> package of what OpenAI's python grader image (2025-05-08) provides besides
the standard library."""

MAX_SOURCE_BYTES = 256 * 1024
"""The platform's limit on a python grader's source."""


def check_rules(ctx: LintContext) -> list[Problem]:
    """Regex and python rules on every criterion's check."""
    problems: list[Problem] = []
    for node, criterion in ctx.criteria():
        check = criterion.check
        if isinstance(check, RegexCheck):
            problems += _regex(ctx, (*node, "check", "regex"), check)
        elif isinstance(check, PythonCheck):
            problems += _python(ctx, (*node, "check", "python"), check.python)
    return problems


def _regex(ctx: LintContext, node: NodePath, check: RegexCheck) -> list[Problem]:
    try:
        re.compile(check.regex, re.IGNORECASE if check.ignore_case else 0)
    except re.error as error:
        position = (
            ctx.inner_position(node, 1, (error.pos or 0) + 1) if "\n" not in check.regex else None
        )
        return [
            ctx.at_position(
                node,
                position,
                f"regex does not compile: {error.msg} at position {error.pos}; it is Python "
                "`re` syntax (in YAML, single quotes keep backslashes as written)",
                "bad-regex",
            )
        ]
    except (OverflowError, RecursionError) as error:  # a repeat count past 2**32, deep groups
        reason = str(error) if isinstance(error, OverflowError) else "nested too deeply"
        return [
            ctx.at(
                node,
                f"regex does not compile: {reason}; simplify the pattern",
                "bad-regex",
            )
        ]
    return []


def _python(ctx: LintContext, node: NodePath, source: str) -> list[Problem]:
    size = len(source.encode("utf-8"))
    if size > MAX_SOURCE_BYTES:
        return [
            ctx.at(
                node,
                f"python source is {size:,} bytes; the platform takes at most 256 kB",
                "python-too-large",
            )
        ]
    try:
        tree = pysource.parse(source)
    except SyntaxError as error:
        line = error.lineno or 1
        col = error.offset or 1
        return [
            ctx.at_position(
                node,
                ctx.inner_position(node, line, col),
                f"python does not parse: {error.msg} (line {line} of the code)",
                "python-syntax",
            )
        ]
    except (RecursionError, MemoryError, ValueError):
        return [ctx.at(node, "python does not parse: nested too deeply", "python-syntax")]
    problems = _grade_signature(ctx, node, tree)
    problems += _imports(ctx, node, tree)
    return problems


def _grade_signature(ctx: LintContext, node: NodePath, tree: ast.Module) -> list[Problem]:
    grades = [
        stmt
        for stmt in tree.body
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == "grade"
    ]
    if not grades:
        return [
            ctx.at(
                node,
                "python check defines no top-level `def grade(sample, item)`; the grader "
                "calls grade(sample, item) and scores what it returns (a float in [0, 1])",
                "python-no-grade",
            )
        ]
    grade = grades[-1]
    where = ctx.inner_position(node, grade.lineno, grade.col_offset + 1)
    if isinstance(grade, ast.AsyncFunctionDef):
        return [
            ctx.at_position(
                node, where, "`grade` must be a plain `def`, not `async def`", "python-no-grade"
            )
        ]
    args = grade.args
    positional = [*args.posonlyargs, *args.args]
    required = len(positional) - len(args.defaults)
    required_kw = [a for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None]
    takes_two = (len(positional) >= 2 or args.vararg is not None) and required <= 2
    if not takes_two or required_kw:
        names = ", ".join(a.arg for a in positional) or "nothing"
        return [
            ctx.at_position(
                node,
                where,
                f"`grade` takes ({names}); the grader calls grade(sample, item) with two "
                "arguments: write `def grade(sample, item):`",
                "python-no-grade",
            )
        ]
    return []


def _imports(ctx: LintContext, node: NodePath, tree: ast.Module) -> list[Problem]:
    problems: list[Problem] = []
    available = ", ".join(sorted(GRADER_IMAGE_PACKAGES.values()))
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.Import):
            names = [alias.name for alias in stmt.names]
        elif isinstance(stmt, ast.ImportFrom):
            names = ["." * stmt.level + (stmt.module or "")] if stmt.level else [stmt.module or ""]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top and (top in sys.stdlib_module_names or top in GRADER_IMAGE_PACKAGES):
                continue
            what = "a relative import" if name.startswith(".") else f'"{top}"'
            problems.append(
                ctx.at_position(
                    node,
                    ctx.inner_position(node, stmt.lineno, stmt.col_offset + 1),
                    f"imports {what}, which OpenAI's python grader image does not have: it runs "
                    "here but fails on the platform; use the standard library or one of: "
                    f"{available}",
                    "python-import",
                    "warning",
                )
            )
    return problems
