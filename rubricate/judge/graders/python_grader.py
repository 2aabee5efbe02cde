"""``python``: run the config's ``source`` (``def grade(sample, item) -> float``) in a sandbox.

Platform semantics (OpenAI graders guide, "Python graders"): the source must define ``grade``
taking two arguments and returning a float; "any other result (exceptions, invalid float
values, etc.) will be flagged invalid and return 0". Limits: source under 256 kB, 2 minutes,
2 GB of memory, no network. ``sample`` is the sample namespace (``output_text``,
``output_json`` when the output is JSON, ``output_tools``), ``item`` the dataset row.

Records:

- a number (``int``, ``float``, ``bool``, numpy scalars: anything ``numbers.Real``) that is
  finite -> the reward;
- the grader raised, returned something else (a string, None, NaN, infinity), called
  ``exit()``, does not compile, defines no ``grade``, or its source is over 256 kB ->
  ``python_grader_runtime_error`` with the traceback or reason in ``..._details``;
- the grader tried what the sandbox forbids: reading another process's ``/proc`` entries,
  a socket, a DNS look-up, starting a process or running a program (refused with a
  ``PermissionError``, or stopped by the seccomp filter), or writing its own "reply" to the
  sandbox's reply channel -> ``python_grader_runtime_error`` with the reason in
  ``..._details``;
- the call ran past the time limit, hit the memory limit, or killed its process ->
  ``python_grader_server_error`` with ``..._type`` ``"timeout"``, ``"memory"`` or
  ``"crashed"`` (``"sandbox_error"`` when the sandbox itself could not be set up).

Everything the call printed (stdout and stderr, the first 64 kB) is in ``record.stdout``;
the isolation it ran under in ``record.sandbox`` (see :mod:`rubricate.judge.sandbox`).
"""

from __future__ import annotations

import ast
import re
import sys

from rubricate import pysource
from rubricate.judge.graders.base import GradeContext, fail, new_record, one_line
from rubricate.judge.records import GradeRecord

MAX_SOURCE_BYTES = 256 * 1024
"""The platform's limit on a python grader's source."""
IMAGE_TAG = "2025-05-08"
"""The platform's python grader image this runtime mirrors."""
PLATFORM_PACKAGES = frozenset(
    {
        "numpy", "scipy", "sympy", "pandas", "rapidfuzz", "sklearn", "rouge_score", "deepdiff",
        "jsonschema", "pydantic", "yaml", "nltk", "sqlparse", "rdkit", "skbio", "ast_grep_py",
    }
)  # fmt: skip
"""Import names of the third-party packages in the platform's image ``2025-05-08``."""


async def grade(
    grader: dict, item: dict, sample: dict, ctx: GradeContext, path: str
) -> GradeRecord:
    """Run a ``python`` grader on one pair."""
    record = new_record(grader)
    source = grader["source"]
    size = len(source.encode("utf-8"))
    if size > MAX_SOURCE_BYTES:
        return fail(
            record,
            "python_grader_runtime_error",
            f"python grader source is {size / 1024:.0f} kB; the platform's limit is 256 kB",
            details="source over 256 kB",
        )
    if ctx.python is None:
        raise RuntimeError("python graders need a worker pool (use rubricate.judge.Runtime)")
    pool = await ctx.python()
    result = await pool.run(source, sample, item)
    record.stdout = result.stdout
    record.sandbox = result.sandbox or None
    if result.ok:
        record.reward = float(result.value)
        return record
    if result.kind in ("runtime_error", "bad_input", "forbidden"):
        return fail(
            record,
            "python_grader_runtime_error",
            f"python grader failed: {one_line(result.details.strip().splitlines()[-1])}"
            if result.details.strip()
            else "python grader failed",
            details=result.details,
        )
    reasons = {
        "timeout": f"python grader timed out ({one_line(result.details)})",
        "memory": "python grader hit the memory limit",
        "crashed": f"python grader's process died ({one_line(result.details)})",
        "sandbox_error": f"python grader's sandbox failed ({one_line(result.details)})",
    }
    return fail(
        record,
        "python_grader_server_error",
        reasons.get(result.kind or "", f"python grader failed: {result.kind}"),
        details=result.kind,
    )


def _grade_function_problem(tree: ast.Module) -> str | None:
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "grade":
            if isinstance(node, ast.AsyncFunctionDef):
                return "grade must be a plain function, not async"
            args = node.args
            positional = len(args.posonlyargs) + len(args.args)
            required_kw = [
                a for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None
            ]
            if (positional >= 2 or args.vararg) and not required_kw:
                optional = positional - len(args.defaults)
                if optional <= 2:
                    return None
            return "grade must take exactly two arguments: def grade(sample, item)"
    return "no top-level def grade(sample, item)"


_RE_FUNCTIONS = frozenset(
    {"compile", "search", "match", "fullmatch", "findall", "finditer", "sub", "subn", "split"}
)


def _literal_patterns(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, pattern)`` of every regex written as a literal: the first argument of a
    ``re.<function>(...)`` call, and the ``"regex"`` value of a dict literal (the config of a
    rubric's regex check, as compile embeds it)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "re"
            and node.func.attr in _RE_FUNCTIONS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and key.value == "regex"
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                ):
                    found.append((value.lineno, value.value))
    return found


def regex_problems(tree: ast.AST) -> list[str]:
    """A message for every literal regex in ``tree`` that does not compile (it would fail on
    every sample)."""
    problems = []
    for line, pattern in _literal_patterns(tree):
        try:
            re.compile(pattern)
        except (re.error, RecursionError, OverflowError) as error:
            problems.append(
                f"regex {pattern!r} (line {line}) does not compile: {error}; fix the pattern"
            )
    return problems


def source_problems(source: str) -> list[tuple[str, str]]:
    """Static problems of a python grader's source, as ``(severity, message)``.

    Errors: over 256 kB, does not compile, no top-level ``def grade(sample, item)`` taking
    two arguments (extra ones must have defaults), an ``async def grade``, a literal regex
    that does not compile (:func:`regex_problems`). Warning: imports
    of modules neither in the standard library nor in :data:`PLATFORM_PACKAGES`.
    """
    problems: list[tuple[str, str]] = []
    size = len(source.encode("utf-8"))
    if size > MAX_SOURCE_BYTES:
        problems.append(("error", f"is {size / 1024:.0f} kB; the platform's limit is 256 kB"))
    try:
        tree = pysource.parse(source)
    except SyntaxError as error:
        problems.append(("error", f"does not compile: line {error.lineno}: {error.msg}"))
        return problems
    except (RecursionError, MemoryError, ValueError):
        problems.append(("error", "does not compile: nested too deeply for the Python parser"))
        return problems
    problem = _grade_function_problem(tree)
    if problem:
        problems.append(("error", problem))
    problems += [("error", message) for message in regex_problems(tree)]
    missing: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            if top not in sys.stdlib_module_names and top not in PLATFORM_PACKAGES:
                missing.add(top)
    if missing:
        problems.append(
            (
                "warning",
                f"imports {', '.join(sorted(missing))}, which the platform's python "
                f"image ({IMAGE_TAG}) does not have",
            )
        )
    return problems
