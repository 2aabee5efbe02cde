"""What every edit shares: the error, the result, criterion lookup and the safe finish.

The editing model's state is the rubric *text*. An edit parses it, changes the ruamel tree
(which also gives the data the result must have), and then produces the new text by the
most conservative means that reproduces that data exactly, checked by parsing it again
(:func:`finish`):

1. a text-level splice when the operation provides one (lines moved, inserted or removed;
   every other byte kept);
2. else a three-way merge of ruamel's output into the original text (:mod:`.merge`);
3. else ruamel's output as is (data right, some formatting of untouched parts normalised).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from rubricate.errors import InputError
from rubricate.rubrics import yamlio
from rubricate.rubrics.edit.merge import merge3
from rubricate.rubrics.problems import NodePath

IndexPath = tuple[int, ...]
"""A criterion's position as :meth:`~rubricate.rubrics.model.Rubric.walk` gives it:
``(2, 0)`` is ``criteria[2].children[0]``."""


class EditError(InputError):
    """An edit that cannot be made as asked (the message says why and what to do instead)."""

    def __init__(self, msg: str) -> None:
        super().__init__(msg, title="cannot edit")


class NotApplicable(Exception):
    """A text-level splice does not apply to this layout (flow style, odd indentation)."""


@dataclass(frozen=True)
class Edit:
    """The result of one edit.

    Attributes:
        text: the new rubric text.
        selection: the criterion to select afterwards (None: nothing to select).
        label: what the edit did, for the undo history ("set weight of ownership").
        exact: True when every untouched line kept its bytes; False when the document had
            to be re-written by ruamel (data right, some formatting normalised).
        note: what the user should know about the result, beyond the label (normalising
            weights says whether scores moved).
    """

    text: str
    selection: IndexPath | None
    label: str
    exact: bool = True
    note: str = ""


def parse(text: str) -> Any:
    """The round-trip tree of ``text``.

    Raises:
        EditError: the text is not YAML, or its top level is not a mapping.
    """
    try:
        doc = yamlio.parse_yaml(text)
    except yamlio.YamlSyntaxError as error:
        where = f"line {error.line}: " if error.line else ""
        raise EditError(f"the rubric is not valid YAML ({where}{error.message})") from None
    if not isinstance(doc, CommentedMap):
        raise EditError("the rubric's top level is not a mapping (key: value)")
    return doc


def criterion_node(path: IndexPath) -> NodePath:
    """``(2, 0)`` -> ``("criteria", 2, "children", 0)``."""
    node: list[str | int] = ["criteria", path[0]]
    for index in path[1:]:
        node += ["children", index]
    return tuple(node)


def sibling_list(doc: Any, path: IndexPath) -> CommentedSeq:
    """The list holding the criterion at ``path`` (``criteria`` or a group's ``children``).

    Raises:
        EditError: the path does not lead to a list of criteria.
    """
    if not path:
        raise EditError("no criterion selected")
    current = doc.get("criteria") if isinstance(doc, dict) else None
    for index in path[:-1]:
        if not isinstance(current, list) or not 0 <= index < len(current):
            break
        item = current[index]
        current = item.get("children") if isinstance(item, dict) else None
    else:
        if isinstance(current, CommentedSeq) and 0 <= path[-1] < len(current):
            return current
        if isinstance(current, CommentedSeq) and path[-1] == len(current):
            return current
    raise EditError(f"no criterion at {format_index(path)}; the document changed, reselect one")


def get_criterion(doc: Any, path: IndexPath) -> CommentedMap:
    """The criterion mapping at ``path``.

    Raises:
        EditError: no criterion mapping there.
    """
    seq = sibling_list(doc, path)
    if path[-1] >= len(seq) or not isinstance(seq[path[-1]], CommentedMap):
        raise EditError(f"{format_index(path)} is not a criterion (key: value mapping)")
    return seq[path[-1]]


def format_index(path: IndexPath) -> str:
    """``(2, 0)`` -> ``criteria[2].children[0]``."""
    out = f"criteria[{path[0]}]" if path else "criteria"
    for index in path[1:]:
        out += f".children[{index}]"
    return out


def criterion_label(doc: Any, path: IndexPath) -> str:
    """The criterion's id for messages, or its position when it has none."""
    try:
        value = get_criterion(doc, path).get("id")
    except EditError:
        return format_index(path)
    return str(value) if value is not None else format_index(path)


def all_ids(doc: Any) -> set[str]:
    """Every criterion id in the document (any depth)."""
    found: set[str] = set()

    def visit(nodes: Any) -> None:
        if not isinstance(nodes, list):
            return
        for node in nodes:
            if isinstance(node, dict):
                if node.get("id") is not None:
                    found.add(str(node.get("id")))
                visit(node.get("children"))

    visit(doc.get("criteria"))
    return found


def unique_id(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3`` ... whichever is not in ``taken`` (then taken)."""
    candidate, n = base, 2
    while candidate in taken:
        candidate = f"{base}-{n}"
        n += 1
    taken.add(candidate)
    return candidate


def _same_data(text: str, expected: Any) -> bool:
    try:
        return yamlio.to_plain(yamlio.parse_yaml(text)) == expected
    except yamlio.YamlSyntaxError:
        return False


def finish(
    old_text: str, doc_after: Any, splices: Iterable[Callable[[], str]] = ()
) -> tuple[str, bool]:
    """The new text for ``doc_after`` (an edited parse of ``old_text``), and whether it is exact.

    Args:
        old_text: the text before the edit.
        doc_after: the edited tree; its plain data is what the result must parse to.
        splices: text-level implementations to try first; each returns the new text or
            raises :class:`NotApplicable`.

    Returns:
        ``(text, exact)``; see the module docstring for the order tried.
    """
    expected = yamlio.to_plain(doc_after)
    for splice in splices:
        try:
            candidate = splice()
        except NotApplicable:
            continue
        if _same_data(candidate, expected):
            return candidate, True
    theirs = yamlio.dump_yaml(doc_after, like=old_text)
    base = yamlio.dump_yaml(yamlio.parse_yaml(old_text), like=old_text)
    merged = merge3(base, old_text, theirs)
    if _same_data(merged, expected):
        return merged, True
    return theirs, False
