"""The grammar of ``calculate_output``: tokens, the expression tree, a depth-limited parser.

See :mod:`rubricate.judge.formula` for the grammar in words and the evaluator. Nothing here
evaluates anything, and nothing calls Python's ``eval``: the text is tokenised with one regular
expression and parsed by recursive descent into frozen dataclasses.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from rubricate.errors import GraderError

MAX_LENGTH = 1_000_000
"""Longest formula accepted, in characters (a rubric of 10,000 weighted criteria compiles to
~200,000; sums are parsed flat, so length costs linear time, never depth)."""
MAX_DEPTH = 50
"""Deepest nesting accepted (parentheses, signs, powers and calls each add a level)."""

ARITY: dict[str, int | None] = {
    "min": None,
    "max": None,
    "abs": 1,
    "floor": 1,
    "ceil": 1,
    "exp": 1,
    "sqrt": 1,
    "log": 1,
}
"""The platform's functions and how many arguments each takes (None: one or more)."""


class FormulaError(GraderError):
    """A formula that cannot be parsed or evaluated (maps to ``formula_parse_error``)."""

    def __init__(self, msg: str) -> None:
        super().__init__(msg, title="calculate_output")


# --------------------------------------------------------------------------- tree


@dataclass(frozen=True, slots=True)
class Num:
    value: float


@dataclass(frozen=True, slots=True)
class Name:
    id: str


@dataclass(frozen=True, slots=True)
class Unary:
    op: str
    operand: Node


@dataclass(frozen=True, slots=True)
class Power:
    base: Node
    exponent: Node


@dataclass(frozen=True, slots=True)
class Chain:
    """``first op1 n1 op2 n2 ...`` for one precedence level of ``+ -`` or ``* /``, left to right.

    Kept flat (not a left-deep tree) so a long sum never recurses deeply.
    """

    first: Node
    rest: tuple[tuple[str, Node], ...]


@dataclass(frozen=True, slots=True)
class Call:
    func: str
    args: tuple[Node, ...]


Node = Num | Name | Unary | Power | Chain | Call


# --------------------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|[-+*/^(),])"
    r")"
)


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, position) for every token, then ("end", "", len)."""
    out: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            bad = text[pos:].lstrip()[:1]
            where = len(text) - len(text[pos:].lstrip())
            hint = " (attribute access is not allowed)" if bad == "." else ""
            raise FormulaError(
                f"calculate_output {text!r}: unexpected {bad!r} at position {where}{hint}; "
                "allowed: numbers, sub-grader names, + - * / ^, parentheses, "
                "min max abs floor ceil exp sqrt log"
            )
        kind = match.lastgroup or "op"
        value = match.group(kind)
        start = match.start(kind)
        if kind == "op" and value == "**":
            raise FormulaError(
                f"calculate_output {text!r}: '**' at position {start} is not an operator "
                "here; the platform's power operator is '^'"
            )
        if kind == "num" and match.end() < len(text) and re.match(r"[A-Za-z_.]", text[match.end()]):
            raise FormulaError(f"calculate_output {text!r}: malformed number at position {start}")
        out.append((kind, value, start))
        pos = match.end()
    out.append(("end", "", len(text)))
    return out


# --------------------------------------------------------------------------- parser


class Parser:
    """Recursive descent over the token list; depth-limited."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0
        self.depth = 0
        self.names: set[str] = set()

    def fail(self, what: str) -> FormulaError:
        _, value, pos = self.toks[self.i]
        found = f"{value!r}" if value else "the end"
        return FormulaError(
            f"calculate_output {self.text!r}: expected {what} at position {pos}, found {found}"
        )

    def peek(self) -> tuple[str, str]:
        kind, value, _ = self.toks[self.i]
        return kind, value

    def take(self) -> tuple[str, str]:
        kind, value, _ = self.toks[self.i]
        self.i += 1
        return kind, value

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError(
                f"calculate_output is nested more than {MAX_DEPTH} levels deep; simplify it"
            )

    def parse(self) -> Node:
        node = self.expr()
        if self.peek()[0] != "end":
            raise self.fail("an operator or the end")
        return node

    def expr(self) -> Node:
        first = self.term()
        rest: list[tuple[str, Node]] = []
        while self.peek() in (("op", "+"), ("op", "-")):
            op = self.take()[1]
            rest.append((op, self.term()))
        return Chain(first, tuple(rest)) if rest else first

    def term(self) -> Node:
        first = self.unary()
        rest: list[tuple[str, Node]] = []
        while self.peek() in (("op", "*"), ("op", "/")):
            op = self.take()[1]
            rest.append((op, self.unary()))
        return Chain(first, tuple(rest)) if rest else first

    def unary(self) -> Node:
        if self.peek() in (("op", "-"), ("op", "+")):
            op = self.take()[1]
            self.enter()
            node: Node = Unary(op, self.unary())
            self.depth -= 1
            return node
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        if self.peek() == ("op", "^"):
            self.take()
            self.enter()
            node = Power(base, self.unary())
            self.depth -= 1
            return node
        return base

    def atom(self) -> Node:
        kind, value = self.peek()
        if kind == "num":
            self.take()
            number = float(value)
            if not math.isfinite(number):
                raise FormulaError(f"calculate_output {self.text!r}: number {value} is too large")
            return Num(number)
        if kind == "name":
            self.take()
            if self.peek() == ("op", "("):
                return self.call(value)
            self.names.add(value)
            return Name(value)
        if (kind, value) == ("op", "("):
            self.take()
            self.enter()
            node = self.expr()
            self.depth -= 1
            if self.take() != ("op", ")"):
                self.i -= 1
                raise self.fail("')'")
            return node
        raise self.fail("a number, a name, a function or '('")

    def call(self, func: str) -> Node:
        if func not in ARITY:
            raise FormulaError(
                f"calculate_output {self.text!r}: unknown function {func!r}; the functions are "
                + ", ".join(ARITY)
            )
        self.take()  # "("
        self.enter()
        args = [self.expr()]
        while self.peek() == ("op", ","):
            self.take()
            args.append(self.expr())
        if self.take() != ("op", ")"):
            self.i -= 1
            raise self.fail("',' or ')'")
        self.depth -= 1
        arity = ARITY[func]
        if arity is not None and len(args) != arity:
            raise FormulaError(
                f"calculate_output {self.text!r}: {func}() takes {arity} argument, got {len(args)}"
            )
        return Call(func, tuple(args))


def parse_tree(expr: str) -> tuple[Node, frozenset[str]]:
    """The expression tree of ``expr`` and the variable names it reads.

    Raises:
        FormulaError: not a formula of the grammar, or too long or too deep.
    """
    if not isinstance(expr, str):
        raise FormulaError(f"calculate_output must be a string, not {type(expr).__name__}")
    if len(expr) > MAX_LENGTH:
        raise FormulaError(f"calculate_output is longer than {MAX_LENGTH} characters")
    if not expr.strip():
        raise FormulaError("calculate_output is empty")
    parser = Parser(expr)
    try:
        root = parser.parse()
    except RecursionError:  # a safety net; MAX_DEPTH stops real inputs well before this
        raise FormulaError("calculate_output is nested too deeply; simplify it") from None
    return root, frozenset(parser.names)
