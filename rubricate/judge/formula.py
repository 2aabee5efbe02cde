"""A small, safe evaluator for a ``multi`` grader's ``calculate_output``.

What the platform documents (OpenAI graders guide, "Multigraders"; Azure OpenAI RFT docs say
the same): the formula's variables are the keys of ``graders``; operators ``+ - * /`` and
``^`` (power); functions ``min max abs floor ceil exp sqrt log``. This module accepts exactly
that, plus parentheses, unary ``-``/``+`` and numeric literals (``2``, ``0.5``, ``.5``,
``1e-3``), with Python's precedence and associativity:

======================  ===============================================================
``^``                   binds tightest, right-associative: ``2^3^2 == 2^9``; its right
                        operand may be signed (``2^-1``), its left may not: ``-2^2 == -4``
unary ``-`` ``+``       ``-a * b == (-a) * b``
``*`` ``/``             left-associative
``+`` ``-``             left-associative
======================  ===============================================================

Functions: ``min(a, b, ...)`` and ``max(a, b, ...)`` take one or more arguments; ``abs``,
``floor``, ``ceil``, ``exp``, ``sqrt`` and ``log`` (natural logarithm) take exactly one.
A name followed by ``(`` is a function call; any other name is a variable.

It never calls Python's ``eval``: the text is tokenised and parsed by hand into a tree of
frozen dataclasses, and evaluated over floats. Everything else is a :class:`FormulaError`
(which the runtime reports as ``formula_parse_error``): attribute access (``a.b``), indexing,
``**`` (the platform's power is ``^``), unknown functions (``__import__``), unknown names,
division by zero, ``sqrt``/``log`` outside their domain, a negative number to a fractional
power, any result that is not a finite float (overflow past ~1.8e308, e.g. ``10^400`` or
``exp(1000)``), formulas longer than :data:`MAX_LENGTH` characters or nested deeper than
:data:`MAX_DEPTH` levels.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from rubricate.judge.formula_parser import (
    MAX_DEPTH,
    MAX_LENGTH,
    Chain,
    FormulaError,
    Name,
    Node,
    Num,
    Power,
    Unary,
    parse_tree,
)

__all__ = ["MAX_DEPTH", "MAX_LENGTH", "Formula", "FormulaError", "evaluate", "parse"]

FUNCTIONS: dict[str, Callable[..., float]] = {
    "min": lambda *xs: min(xs),
    "max": lambda *xs: max(xs),
    "abs": abs,
    "floor": lambda x: float(math.floor(x)),
    "ceil": lambda x: float(math.ceil(x)),
    "exp": math.exp,
    "sqrt": math.sqrt,
    "log": math.log,
}
"""The platform's functions (their argument counts: :data:`formula_parser.ARITY`)."""


@dataclass(frozen=True)
class Formula:
    """A parsed formula.

    Attributes:
        text: the formula as written.
        root: the expression tree.
        names: every variable the formula reads.
    """

    text: str
    root: Node
    names: frozenset[str]

    def evaluate(self, names: Mapping[str, float]) -> float:
        """The formula's value with ``names`` bound; see :func:`evaluate`."""
        for name in self.names:
            if name not in names:
                known = ", ".join(sorted(names)) or "none"
                raise FormulaError(
                    f"calculate_output {self.text!r}: unknown name {name!r} "
                    f"(the sub-graders are: {known})"
                )
        return _eval(self.root, names, self.text)


@lru_cache(maxsize=1024)
def parse(expr: str) -> Formula:
    """Parse ``expr`` (cached: a grader's formula is parsed once per process).

    Raises:
        FormulaError: the text is not a formula of the grammar above, or too long or deep.
    """
    root, names = parse_tree(expr)
    return Formula(expr, root, names)


# --------------------------------------------------------------------------- evaluation


def _finite(value: float, text: str, what: str) -> float:
    if isinstance(value, complex) or not math.isfinite(value):
        raise FormulaError(f"calculate_output {text!r}: {what} is not a finite real number")
    return value


def _binary(op: str, left: float, right: float, text: str) -> float:
    try:
        if op == "+":
            result = left + right
        elif op == "-":
            result = left - right
        elif op == "*":
            result = left * right
        elif op == "/":
            if right == 0:
                raise FormulaError(f"calculate_output {text!r}: division by zero")
            result = left / right
        else:
            result = left**right
    except ZeroDivisionError:
        raise FormulaError(f"calculate_output {text!r}: 0 to a negative power") from None
    except OverflowError:
        raise FormulaError(f"calculate_output {text!r}: {op} overflowed") from None
    return _finite(result, text, f"the result of {op}")


def _eval(node: Node, names: Mapping[str, float], text: str) -> float:
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Name):
        value = names[node.id]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FormulaError(f"calculate_output {text!r}: {node.id} is not a number")
        return _finite(float(value), text, node.id)
    if isinstance(node, Unary):
        operand = _eval(node.operand, names, text)
        return -operand if node.op == "-" else operand
    if isinstance(node, Chain):
        acc = _eval(node.first, names, text)
        for op, term in node.rest:
            acc = _binary(op, acc, _eval(term, names, text), text)
        return acc
    if isinstance(node, Power):
        base = _eval(node.base, names, text)
        return _binary("^", base, _eval(node.exponent, names, text), text)
    impl = FUNCTIONS[node.func]
    args = [_eval(arg, names, text) for arg in node.args]
    try:
        result = impl(*args)
    except (ValueError, OverflowError):
        raise FormulaError(
            f"calculate_output {text!r}: {node.func}({', '.join(map(repr, args))}) "
            "is undefined or overflows"
        ) from None
    return _finite(float(result), text, f"{node.func}()")


def evaluate(expr: str, names: Mapping[str, float]) -> float:
    """Evaluate ``expr`` with the variables in ``names``.

    Args:
        expr: a ``calculate_output`` formula.
        names: sub-grader name -> reward. Values must be finite numbers.

    Returns:
        The formula's value, a finite float (never clipped: the platform documents no clipping
        of a multi grader's output).

    Raises:
        FormulaError: a parse error, an unknown name, a non-finite or undefined result.
    """
    return parse(expr).evaluate(names)
