"""YAML in and out with ruamel.yaml's round trip: positions on load, comments kept on save.

Loading keeps the line and column of every node (ruamel's ``.lc``), which is how every
problem points at ``rubric.yaml:14:7``; saving a loaded document writes it back with its
comments, key order and quoting (the TUI editor saves this way). This module knows nothing
about rubrics.

Choices (YAML 1.2, as ruamel reads it):

- ``yes``/``no``/``on``/``off`` are text, not booleans; dates stay ``datetime.date`` (so a
  schema error can say "got a date").
- Duplicate keys are reported by :func:`duplicate_keys` (every one of them, with both
  positions); loading itself keeps the first value so that other problems can still be found.
- A tag such as ``!foo bar`` is read as its plain value.
- :func:`to_plain` turns the loaded tree into plain ``dict``/``list``/``str``/``int``/
  ``float``/``bool``/``None`` values for validation.
- Loading is bounded (:func:`parse_document`): collections nest at most :data:`MAX_DEPTH`
  deep and the document, with every alias (``*name``) expanded, holds at most
  :data:`MAX_NODES` values; an alias that refers to a collection containing it is refused. A
  few lines of anchors and aliases can otherwise stand for billions of values (the "billion
  laughs"), which plain-data conversion and validation would expand. Each is a
  :class:`YamlLimitError` with the line it concerns.
- Saving (:func:`dump_yaml`) keeps comments, key order, quotes, block scalars and the
  document's own indentation (:func:`guess_indent`). One thing ruamel cannot keep: a flow
  collection written over several lines (``{a: 1,\n b: 2}``) comes back on one line.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import (
    CommentedKeyMap,
    CommentedKeySeq,
    CommentedMap,
    CommentedSeq,
    TaggedScalar,
)
from ruamel.yaml.composer import MaxDepthExceededError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.scalarbool import ScalarBoolean

from rubricate.rubrics.problems import NodePath

Position = tuple[int, int]
"""A 1-based (line, column)."""


MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences read (a rubric's groups of groups need ~2 a level)."""
MAX_NODES = 200_000
"""Most values (keys, scalars, collections) a document may hold once its aliases are expanded;
a rubric with 10,000 criteria holds about 70,000."""


class YamlSyntaxError(ValueError):
    """Text that is not valid YAML.

    Attributes:
        message: what the parser found, in plain words.
        line: 1-based line of the problem, or None.
        col: 1-based column, or None.
    """

    def __init__(self, message: str, line: int | None, col: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


class YamlLimitError(YamlSyntaxError):
    """YAML that parses but is too deep, or whose aliases expand too far, to be read."""


@dataclass(frozen=True)
class DuplicateKey:
    """A key that appears twice in one mapping."""

    key: str
    """The repeated key."""
    line: int
    """1-based line of the repeat."""
    col: int
    """1-based column of the repeat."""
    first_line: int
    """1-based line where the key first appears (its value is the one kept)."""


DEFAULT_INDENT = (2, 4, 2)
"""(mapping, sequence, offset): keys indent by 2, sequences are written ``  - item``."""


def new_yaml(indent: tuple[int, int, int] = DEFAULT_INDENT) -> YAML:
    """A round-trip YAML instance set up the way rubricate writes rubrics.

    Keeps quotes, never re-wraps long lines (an expert's line breaks are theirs), indents as
    ``indent`` (mapping, sequence, offset; see :func:`guess_indent`).
    """
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.allow_duplicate_keys = True
    yaml.width = 4096
    mapping, sequence, offset = indent
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _nested_steps(doc: Any) -> Iterator[tuple[str, int]]:
    """("mapping" | "sequence", columns from a key to the block nested under it)."""
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, CommentedSeq):
            stack.extend(node)
            continue
        if not isinstance(node, CommentedMap):
            continue
        for key, value in node.items():
            stack.append(value)
            if not isinstance(value, CommentedMap | CommentedSeq) or value.fa.flow_style():
                continue
            key_line, key_col = node.lc.key(key)
            if value.lc.line is None or value.lc.line == key_line:
                continue
            kind = "mapping" if isinstance(value, CommentedMap) else "sequence"
            yield kind, value.lc.col - key_col


def guess_indent(text: str) -> tuple[int, int, int]:
    """How ``text`` indents: (mapping, sequence, offset) for :func:`new_yaml`.

    ``mapping``: how far a nested block mapping's keys sit right of its parent key;
    ``offset``: how far a nested block sequence's ``-`` sits right of its parent key;
    ``sequence``: ``offset + 2``, the item's content after ``- ``. The first of each found in
    the document wins; what is not found (or text that does not parse) keeps
    :data:`DEFAULT_INDENT`.
    """
    try:
        doc = parse_yaml(text)
    except YamlSyntaxError:
        return DEFAULT_INDENT
    found: dict[str, int] = {}
    for kind, step in _nested_steps(doc):
        if step >= (1 if kind == "mapping" else 0):
            found.setdefault(kind, step)
    mapping = found.get("mapping", DEFAULT_INDENT[0])
    offset = found.get("sequence", DEFAULT_INDENT[2])
    return mapping, offset + 2, offset


def _syntax_error(error: YAMLError) -> YamlSyntaxError:
    if not isinstance(error, MarkedYAMLError):
        return YamlSyntaxError(f"not valid YAML: {error}", None, None)
    mark = error.problem_mark or error.context_mark
    problem = error.problem or error.context or "not valid YAML"
    if "'\\t'" in problem or "\t" in problem:
        message = "a tab character; YAML indents with spaces only: replace tabs with spaces"
    else:
        message = f"YAML syntax error: {problem}"
        if error.context and error.problem and error.context_mark is not None:
            context_line = error.context_mark.line + 1
            message += f" ({error.context} started at line {context_line})"
    if mark is None:
        return YamlSyntaxError(message, None, None)
    return YamlSyntaxError(message, mark.line + 1, mark.column + 1)


def parse_yaml(text: str) -> Any:
    """Parse one YAML document with positions kept (bounded: see :func:`parse_document`).

    Returns:
        The document (a ``CommentedMap`` for a mapping), or None for an empty document.

    Raises:
        YamlSyntaxError: the text is not YAML (bad indentation, a tab, an unclosed bracket,
            several documents), or exceeds a limit (:class:`YamlLimitError`).
    """
    return parse_document(text)[0]


def _depth_error(line: int | None, col: int | None) -> YamlLimitError:
    where = f" (at line {line})" if line is not None else ""
    return YamlLimitError(
        f"nested more than {MAX_DEPTH} levels deep{where}; rubricate reads at most that many: "
        "flatten the groups or the value",
        line,
        col,
    )


def parse_document(text: str) -> tuple[Any, list[DuplicateKey]]:
    """Parse one YAML document once: the loaded document and its duplicate keys.

    Bounded: nesting deeper than :data:`MAX_DEPTH`, more than :data:`MAX_NODES` values with
    aliases expanded, or an alias inside the collection it names, raise
    :class:`YamlLimitError` before anything is built from the document.

    Raises:
        YamlSyntaxError: as :func:`parse_yaml`.
    """
    yaml = new_yaml()
    yaml.max_depth = MAX_DEPTH + 1  # ruamel counts the scalar at the bottom as a level
    try:
        node = yaml.compose(io.StringIO(text))
    except MaxDepthExceededError as error:
        mark = error.problem_mark
        if mark is None:
            raise _depth_error(None, None) from None
        raise _depth_error(mark.line + 1, mark.column + 1) from None
    except YAMLError as error:
        raise _syntax_error(error) from None
    except RecursionError:
        raise _depth_error(None, None) from None
    if node is None:
        return None, []
    check_expansion(node)
    duplicates = _duplicates(node)
    try:  # built from the node already composed: the text is parsed once
        return yaml.constructor.construct_document(node), duplicates
    except YAMLError as error:
        raise _syntax_error(error) from None


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _at(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _self_alias(node: Node) -> YamlLimitError:
    line, col = _at(node)
    return YamlLimitError(
        f"an alias refers to itself: the collection at line {line} contains an alias of "
        "itself, which would be infinite; remove that alias",
        line,
        col,
    )


def check_expansion(root: Node) -> int:
    """How many values ``root`` holds with every alias expanded (a node reached twice counts
    twice).

    Raises:
        YamlLimitError: more than :data:`MAX_NODES`, or a collection that contains an alias
            of itself (it would be infinite).
    """
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            on_path.discard(key)
            total = 1 + sum(size[id(child)] for child in _children(node))
            size[key] = min(total, MAX_NODES + 1)
            if total > MAX_NODES:
                line, col = _biggest_anchor(root, size)
                raise YamlLimitError(
                    f"its aliases (*name) expand to more than {MAX_NODES:,} values (the "
                    f"largest repeats the anchor at line {line}); a rubric needs far fewer: "
                    "write the values out instead of repeating aliases",
                    line,
                    col,
                )
            continue
        if key in size:
            continue
        if key in on_path:
            raise _self_alias(node)
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                raise _self_alias(child)
            if id(child) not in size:
                stack.append((child, False))
    return size[id(root)]


def _biggest_anchor(root: Node, size: dict[int, int]) -> tuple[int, int]:
    """Where the anchored collection with the largest expansion is."""
    anchored = [n for n in _walk_nodes(root) if getattr(n, "anchor", None) and id(n) in size]
    if not anchored:
        return _at(root)
    return _at(max(anchored, key=lambda n: size[id(n)]))


def _walk_nodes(node: Node) -> Iterator[Node]:
    stack = [node]
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        if id(current) in seen:  # aliases share nodes
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, MappingNode):
            for key, value in current.value:
                stack.extend((key, value))
        elif isinstance(current, SequenceNode):
            stack.extend(current.value)


def duplicate_keys(text: str) -> list[DuplicateKey]:
    """Every key that repeats within one mapping, in document order.

    Raises:
        YamlSyntaxError: the text is not YAML (or exceeds a limit, see :func:`parse_document`).
    """
    return parse_document(text)[1]


def _duplicates(root: Node) -> list[DuplicateKey]:
    found: list[DuplicateKey] = []
    for node in _walk_nodes(root):
        if not isinstance(node, MappingNode):
            continue
        first: dict[str, int] = {}
        for key, _ in node.value:
            if not isinstance(key, ScalarNode) or key.value == "<<":
                continue
            line = key.start_mark.line + 1
            if key.value in first:
                found.append(
                    DuplicateKey(key.value, line, key.start_mark.column + 1, first[key.value])
                )
            else:
                first[key.value] = line
    return sorted(found, key=lambda d: (d.line, d.col))


def _plain_key(key: Any) -> Any:
    """A mapping key as a plain value; a key that is itself a mapping or a sequence (YAML
    allows ``? {a: 1}``, and ``{{ x }}`` unquoted in a flow mapping is one) becomes its JSON
    text, so that it can be named in a problem."""
    if isinstance(key, CommentedKeyMap | CommentedKeySeq):
        return json.dumps(to_plain(dict(key) if isinstance(key, CommentedKeyMap) else list(key)),
                          ensure_ascii=False, default=str)  # fmt: skip
    return to_plain(key)


def to_plain(value: Any) -> Any:
    """The loaded tree as plain Python values (ruamel's subclasses and tags removed)."""
    if isinstance(value, dict):
        return {_plain_key(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, TaggedScalar):
        return value.value
    if isinstance(value, ScalarBoolean):
        return bool(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


def dump_yaml(doc: Any, like: str | None = None) -> str:
    """Write a (possibly edited) loaded document back to text, comments and order kept.

    Args:
        doc: the document (from :func:`parse_yaml`).
        like: the text it was loaded from, whose indentation is kept (see
            :func:`guess_indent`); None writes rubricate's default style.
    """
    out = io.StringIO()
    new_yaml(guess_indent(like) if like is not None else DEFAULT_INDENT).dump(doc, out)
    return out.getvalue()


def _lc_key(parent: Any, key: str | int) -> Position | None:
    try:
        if isinstance(parent, CommentedMap):
            line, col = parent.lc.key(key)
        elif isinstance(parent, CommentedSeq):
            line, col = parent.lc.item(key)
        else:
            return None
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    return line + 1, col + 1


def _lc_value(parent: Any, key: str | int) -> Position | None:
    if isinstance(parent, CommentedMap):
        try:
            line, col = parent.lc.value(key)
        except (KeyError, TypeError, AttributeError):
            return None
        return line + 1, col + 1
    return _lc_key(parent, key)


def child_of(parent: Any, key: str | int) -> tuple[bool, Any]:
    """``(True, parent[key])`` when that child exists, else ``(False, None)``.

    A mapping key written as text matches an integer part with the same digits (a level
    written ``"2":`` validates as the integer 2) and vice versa.
    """
    if isinstance(parent, dict):
        if key in parent:
            return True, parent[key]
        # A level key written as text ("2": ...) validates as the integer 2.
        for candidate in parent:
            if str(candidate) == str(key):
                return True, parent[candidate]
        return False, None
    if isinstance(parent, list) and isinstance(key, int) and 0 <= key < len(parent):
        return True, parent[key]
    return False, None


def real_key(parent: Any, key: str | int) -> str | int:
    """The key as it is stored in ``parent`` (see :func:`child_of` on text vs integer keys)."""
    if isinstance(parent, dict) and key not in parent:
        for candidate in parent:
            if str(candidate) == str(key):
                return candidate
    return key


def resolve(doc: Any, node: NodePath) -> tuple[Any, Any, str | int | None, int]:
    """Follow ``node`` down the tree as far as it goes.

    Returns:
        ``(parent, value, key, depth)`` of the deepest node reached: ``value`` is that node,
        ``parent`` the collection holding it, ``key`` its key or index there (both None for
        the root) and ``depth`` how many parts of ``node`` were followed.
    """
    parent, current, last, depth = None, doc, None, 0
    for part in node:
        found, child = child_of(current, part)
        if not found:
            break
        parent, last, current = current, real_key(current, part), child
        depth += 1
    return parent, current, last, depth


def locate(
    doc: Any, node: NodePath, *, value: bool = False, exact: bool = False
) -> Position | None:
    """Where a node is: the key of a mapping entry, the start of a sequence item.

    Args:
        doc: the loaded document.
        node: the path (``("criteria", 2, "weight")``); a path that goes past the tree points
            at the deepest node that exists.
        value: point at the value of a mapping entry rather than its key (where a wrong
            value starts; for a block scalar ``|`` that is the indicator) when that value is
            a scalar.
        exact: return None for a path that does not exist, instead of its deepest ancestor.

    Returns:
        1-based (line, column), or None when the document has no positions (not a mapping
        or sequence) and the path is empty.
    """
    parent, current, key, depth = resolve(doc, node)
    if exact and depth < len(node):
        return None
    if parent is None or key is None:
        lc = getattr(doc, "lc", None)
        if lc is None or lc.line is None:
            return None
        return lc.line + 1, lc.col + 1
    if value and not isinstance(current, dict | list):
        return _lc_value(parent, key) or _lc_key(parent, key)
    return _lc_key(parent, key)
