"""Build a ``multi`` grader's ``calculate_output``: the rubric's scoring as a formula.

The formula computes exactly what :func:`rubricate.rubrics.scoring.score` computes, over the
sub-graders' results (tests evaluate both on hand-worked cases):

- a judged binary criterion is its sub-grader (0 or 1); a levelled one is ``(name / max)``;
- a check is its sub-grader's score (checks apply their own thresholds);
- a criterion with a check and text is ``gate * judge``: a failed check zeroes it;
- a list of criteria is ``(w1 * a + w2 * b - w3 * c) / P`` with ``P`` the sum of positive
  weights (omitted when 1); a list of more than :data:`SUM_CHUNK` criteria is summed in
  parenthesised chunks of that many; weight-0 (tracked) criteria are left out: their
  sub-graders stay in ``graders`` and are reported as sub-rewards, but do not count;
- a group is ``min(1, max(0, <its list>))``;
- the whole is mapped onto ``score.range`` and clipped: ``min(hi, max(lo, lo + (hi - lo) *
  <top list>))``, which for the default [0, 1] reads ``min(1, max(0, <top list>))``.

Only numbers, sub-grader names, ``+ - * /``, parentheses and ``min max`` appear; numbers
are written in plain decimal (never ``1e-05``), so any reading of the platform's grammar
accepts them. :func:`check_formula` validates a formula against the platform's grammar.
"""

from __future__ import annotations

import ast
import math
from decimal import Decimal

from rubricate import pysource
from rubricate.errors import GraderError, InputError
from rubricate.rubrics.compile.names import FORMULA_FUNCTIONS, gate_name, subgrader_names
from rubricate.rubrics.model import Criterion, Rubric
from rubricate.rubrics.scoring import weighted_mean

MAX_GROUP_DEPTH = 10
"""Deepest nesting of groups compiled. Each group adds three levels to the formula
(``min(1, max(0, (...)))``), a list of more than :data:`SUM_CHUNK` criteria one or two more
(its chunks), and the runtime parses at most 50 (:data:`rubricate.judge.formula.MAX_DEPTH`,
as a parser of the platform's grammar must stop somewhere): 10 groups of long lists, the clip
to ``score.range`` and a levelled leaf stay within it."""


def group_depth(nodes: list[Criterion]) -> int:
    """How many groups deep the deepest criterion under ``nodes`` sits (0: no groups)."""
    deepest = 0
    stack = [(node, 0) for node in nodes]
    while stack:
        node, depth = stack.pop()
        if node.children is not None:
            stack.extend((child, depth + 1) for child in node.children)
        deepest = max(deepest, depth)
    return deepest


def number(value: float) -> str:
    """``value`` as a plain decimal literal: ``1``, ``0.05``, ``0.00001`` (no exponent)."""
    if float(value).is_integer():
        return str(int(value))
    text = repr(float(value))
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text


def _leaf_term(criterion: Criterion, name: str) -> str:
    if criterion.kind == "check":
        return name
    judge = f"({name} / {criterion.max_level})" if criterion.levels else name
    if criterion.kind == "both":
        return f"{gate_name(name)} * {judge}"
    return judge


SUM_CHUNK = 64
"""Terms per parenthesised sum: a list of more criteria is summed in chunks of sums (of
chunks ...), so a formula's syntax tree stays shallow (Python's parser, which checks it, and
other parsers of the grammar recurse on a flat 3,000-term sum)."""


def _signed_sum(parts: list[tuple[bool, str]]) -> str:
    """``a + b - c`` from ``(positive, term)`` parts; a leading negative is ``0 - c``."""
    text = ""
    for positive, piece in parts:
        if not text:
            text = piece if positive else f"0 - {piece}"
        else:
            text += (" + " if positive else " - ") + piece
    return text


def _chunked_sum(parts: list[tuple[bool, str]]) -> str:
    """The sum of ``parts``, grouped ``SUM_CHUNK`` at a time when there are more."""
    while len(parts) > SUM_CHUNK:
        parts = [
            (True, f"({_signed_sum(parts[i : i + SUM_CHUNK])})")
            for i in range(0, len(parts), SUM_CHUNK)
        ]
    return _signed_sum(parts)


def _mean(nodes: list[Criterion], terms: dict[str, str], where: str) -> str:
    # Validates the denominator exactly as scoring does (same error for the same rubric).
    weighted_mean([(n.weight, 0.0) for n in nodes], where)
    positive = math.fsum(n.weight for n in nodes if n.weight > 0)
    parts: list[tuple[bool, str]] = []
    for node in nodes:
        if node.weight == 0:
            continue
        term = terms[node.id]
        size = abs(node.weight)
        parts.append((node.weight > 0, term if size == 1 else f"{number(size)} * {term}"))
    body = _chunked_sum(parts)
    return f"({body})" if positive == 1 else f"({body}) / {number(positive)}"


def build_formula(rubric: Rubric) -> str:
    """The ``calculate_output`` formula of ``rubric``'s ``multi`` grader.

    Raises:
        InputError: a list of criteria has no positive weight, sub-grader names collide, or
            groups nest deeper than :data:`MAX_GROUP_DEPTH`.
    """
    depth = group_depth(rubric.criteria)
    if depth > MAX_GROUP_DEPTH:
        raise InputError(
            f"rubric {rubric.id!r}: criteria nested {depth} groups deep; a formula holds at "
            f"most {MAX_GROUP_DEPTH}: flatten the groups"
        )
    names = subgrader_names(rubric)
    terms: dict[str, str] = {}

    def visit(node: Criterion) -> None:
        if node.children is None:
            terms[node.id] = _leaf_term(node, names[node.id])
            return
        for child in node.children:
            visit(child)
        terms[node.id] = f"min(1, max(0, {_mean(node.children, terms, f'group {node.id!r}')}))"

    for top in rubric.criteria:
        visit(top)
    raw = _mean(rubric.criteria, terms, f"rubric {rubric.id!r}")
    lo, hi = rubric.score.range
    if (lo, hi) == (0, 1):
        return f"min(1, max(0, {raw}))"
    mapped = f"{number(lo)} + {number(hi - lo)} * {raw}"
    return f"min({number(hi)}, max({number(lo)}, {mapped}))"


_ALLOWED_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)


def _show(node: ast.AST) -> str:
    try:
        return ast.unparse(node)[:80]
    except RecursionError:
        return type(node).__name__


def check_formula(formula: str, names: set[str] | frozenset[str]) -> None:
    """Check that ``formula`` uses only the platform's grammar and known sub-grader names.

    Allowed: numbers, names in ``names``, ``+ - * / ^``, unary signs, parentheses and calls
    of ``min max abs floor ceil exp sqrt log``. ``**`` is refused (the platform's power is
    ``^``).

    Raises:
        GraderError: with what is wrong (a syntax error, an unknown name or function, ...).
    """
    where = f"calculate_output {formula!r}"
    if "**" in formula:
        raise GraderError(f"{where}: `**` is not an operator here; the power operator is `^`")
    try:
        tree = pysource.parse(formula.replace("^", "**"), mode="eval")
    except SyntaxError as error:
        raise GraderError(f"{where}: not a valid formula ({error.msg})") from None
    except (RecursionError, MemoryError):
        raise GraderError(f"{where}: nested too deeply to parse") from None

    stack: list[ast.AST] = [tree]  # a loop, not recursion: a 1,000-term sum is 1,000 deep
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Expression):
            stack.append(node.body)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, _ALLOWED_OPS):
            stack += [node.right, node.left]
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            stack.append(node.operand)
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            continue
        elif isinstance(node, ast.Name):
            if node.id not in names:
                known = ", ".join(sorted(names)) or "none"
                raise GraderError(f"{where}: unknown name '{node.id}' (sub-graders: {known})")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id not in FORMULA_FUNCTIONS or node.keywords or not node.args:
                raise GraderError(
                    f"{where}: '{node.func.id}(...)' is not allowed; functions are "
                    + ", ".join(FORMULA_FUNCTIONS)
                )
            stack += reversed(node.args)
        else:
            raise GraderError(f"{where}: '{_show(node)}' is not allowed in a formula")
