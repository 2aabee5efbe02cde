"""Field edits: a criterion's id, text, weight, levels or check; normalising weights.

Values arrive as the expert typed them (see :mod:`.values`). A changed one-line scalar is
replaced in place in the text (a weight typed ``0.10`` is written ``0.10``); a key that is
added goes in the usual order (id, text, weight, levels, check, children) right after the
key before it; a key that is removed takes its lines with it. Anything else goes through the
merge (:mod:`.base`). An edit that changes nothing returns the text unchanged.

Renaming a criterion also renames it in the examples' ``verdicts``, so the few-shot anchors
keep pointing at it.

Normalising weights divides every weight of a list (``criteria``, and each group's
``children``) by the sum of that list's positive weights, penalties included, so the sum is 1
and every score is unchanged (scores are normalised by that same sum). Exactly when the
shares have short decimals; otherwise rounded so that equal weights stay equal, and the edit
says how far scores can move (:mod:`.normalise`).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Literal

from ruamel.yaml.comments import CommentedMap

from rubricate.rubrics import yamlio
from rubricate.rubrics.edit import layout as lay
from rubricate.rubrics.edit.base import (
    Edit,
    EditError,
    IndexPath,
    NotApplicable,
    criterion_label,
    criterion_node,
    finish,
    get_criterion,
    parse,
)
from rubricate.rubrics.edit.normalise import (
    DECIMALS,
    as_fraction,
    at_most,
    decimal_text,
    list_shift,
    scale_list,
)
from rubricate.rubrics.edit.values import (
    parse_check,
    parse_levels,
    parse_number,
    text_value,
)
from rubricate.rubrics.model import SLUG_PATTERN

Field = Literal["id", "text", "weight", "levels", "check"]
FIELDS: tuple[Field, ...] = ("id", "text", "weight", "levels", "check")
"""The fields the editor edits."""

KEY_ORDER = ("id", "text", "weight", "levels", "check", "children")
"""Where an added key goes: after the last present key that comes before it here."""

def _key_col(text: str, path: IndexPath) -> int:
    try:
        return lay.node_at(lay.compose(text), criterion_node(path)).start_mark.column
    except NotApplicable:
        return 4


def _plain_slug(value: str) -> bool:
    import re

    return re.fullmatch(SLUG_PATTERN, value) is not None and value not in ("null", "true")


def _new_value(text: str, path: IndexPath, crit: CommentedMap, field: Field, typed: str) -> Any:
    if field == "weight":
        return parse_number(typed)
    if field == "id":
        value = typed.strip()
        if not value:
            raise EditError("id cannot be empty; ids are slugs such as `ownership`")
        return value
    if field == "text":
        if not typed.strip():
            return None
        return text_value(typed, crit.get("text"), _key_col(text, path))
    if field == "levels":
        return parse_levels(typed)
    if field == "check":
        return parse_check(typed)
    raise ValueError(f"unknown field {field!r}")


def _insert_position(crit: CommentedMap, field: str) -> int:
    before = KEY_ORDER[: KEY_ORDER.index(field)]
    keys = list(crit.keys())
    position = 0
    for index, key in enumerate(keys):
        if key in before:
            position = index + 1
    return position


def _rename_in_examples(doc: Any, old: str, new: str) -> None:
    for example in doc.get("examples") or []:
        verdicts = example.get("verdicts") if isinstance(example, dict) else None
        if isinstance(verdicts, CommentedMap) and old in verdicts:
            position = list(verdicts.keys()).index(old)
            value = verdicts.pop(old)
            verdicts.insert(position, new, value)


def set_field(text: str, path: IndexPath, field: Field, typed: str) -> Edit:
    """Set ``field`` of the criterion at ``path`` to what was typed (blank: remove it).

    Raises:
        EditError: no such criterion, or the typed value cannot be read (a weight that is
            not a number, levels that are not ``N: text`` lines, a check that is not YAML).
    """
    doc = parse(text)
    crit = get_criterion(doc, path)
    label = criterion_label(doc, path)
    value = _new_value(text, path, crit, field, typed)
    old = crit.get(field)
    if yamlio.to_plain(old) == yamlio.to_plain(value) and (field in crit) == (value is not None):
        return Edit(text, path, "", True)
    present = field in crit
    if value is None:
        if not present:
            return Edit(text, path, "", True)
        if field in ("id", "weight"):
            raise EditError(f"every criterion needs `{field}`")
        del crit[field]
    elif present:
        crit[field] = value
    else:
        crit.insert(_insert_position(crit, field), field, value)
    if field == "id" and old is not None:
        _rename_in_examples(doc, str(old), str(value))
    splices = []
    if value is not None and present and field in ("weight", "id"):
        literal = typed.strip()
        if field == "weight" or _plain_slug(literal):
            splices.append(lambda: _replace_scalars(text, [(path, field, literal)]))
    elif value is None:
        splices.append(lambda: _remove_key(text, path, field))
    elif not present:
        position = _insert_position(crit, field)
        splices.append(lambda: _insert_key(text, path, field, value, position))
    new_text, exact = finish(text, doc, splices)
    verb = "clear" if value is None else "set"
    return Edit(new_text, path, f"{verb} {field} of {label}", exact)


def _replace_scalars(text: str, changes: list[tuple[IndexPath, str, str]]) -> str:
    """``text`` with one-line plain scalars replaced: ``(criterion, key, literal)`` each."""
    lines = lay.split_lines(text)
    root = lay.compose(text)
    spans = []
    for path, field, literal in changes:
        _, value = lay.key_node(lay.node_at(root, criterion_node(path)), field)
        if getattr(value, "style", None) not in (None, ""):
            raise NotApplicable("quoted or block scalar")
        spans.append((*lay.scalar_span(lines, value), literal))
    for line, start, end, literal in sorted(spans, reverse=True):
        lines[line] = lines[line][:start] + literal + lines[line][end:]
    return lay.join_lines(lines, text)


def _remove_key(text: str, path: IndexPath, field: str) -> str:
    lines = lay.split_lines(text)
    mapping = lay.node_at(lay.compose(text), criterion_node(path))
    first, last = lay.value_lines(lines, mapping, field)
    if lines[first].lstrip().startswith("-"):
        raise NotApplicable("key on the dash line")
    return lay.join_lines(lines[:first] + lines[last + 1 :], text)


def _insert_key(text: str, path: IndexPath, field: str, value: Any, position: int) -> str:
    if position == 0:
        raise NotApplicable("would go on the dash line")
    lines = lay.split_lines(text)
    mapping = lay.node_at(lay.compose(text), criterion_node(path))
    previous = str(mapping.value[position - 1][0].value)
    _, last = lay.value_lines(lines, mapping, previous)
    key_col = mapping.start_mark.column
    rendered = yamlio.dump_yaml(CommentedMap([(field, value)]), like=text)
    block = lay.shift(lay.split_lines(rendered), key_col)
    return lay.join_lines(lines[: last + 1] + block + lines[last + 1 :], text)


def normalise_weights(text: str) -> Edit:
    """Scale the weights of every list of criteria so that its positive weights sum to 1
    (the arithmetic, and when scores move, in :mod:`.normalise`).

    Returns:
        The edit (the text unchanged when every list is already normalised); its ``note``
        says whether scores are unchanged or by how much at most they can move, and names a
        list that sums to 1 only within rounding to keep its equal weights equal.

    Raises:
        EditError: a weight in a list that needs scaling is not a number.
    """
    doc = parse(text)
    changes: dict[IndexPath, str] = {}
    near: list[str] = []

    def visit(nodes: Any, prefix: IndexPath) -> float:
        """Normalise one list (and the lists under it); the most its score can move."""
        if not isinstance(nodes, list):
            return 0.0
        paths, old, inner, bad = [], [], [], []
        for i, node in enumerate(nodes):
            if not isinstance(node, dict):
                continue
            shift = visit(node.get("children"), (*prefix, i))
            weight = node.get("weight")
            if not isinstance(weight, int | float) or isinstance(weight, bool):
                bad.append((*prefix, i))
                continue
            paths.append((*prefix, i))
            old.append(as_fraction(weight))
            inner.append(shift)
        new = scale_list(old)
        if new is not None and bad:
            name = criterion_label(doc, bad[0])
            raise EditError(f"the weight of '{name}' is not a number; fix it, then normalise")
        new = new if new is not None else old
        for path, before, after in zip(paths, old, new, strict=True):
            if after != before:
                changes[path] = decimal_text(after)
        total = sum((w for w in new if w > 0), Fraction(0))
        if total > 0 and total != 1:
            owner = criterion_label(doc, prefix) if prefix else "the top level"
            near.append(f"{owner} sums to {decimal_text(total)} to keep its equal weights equal")
        return list_shift(old, new, inner)

    shift = visit(doc.get("criteria"), ()) * _range_width(doc)
    truth = (
        "scores are unchanged"
        if shift == 0
        else f"scores can move by at most {at_most(shift)} "
        f"(exact weights would need endless decimals; they are rounded to {DECIMALS})"
    )
    note = "; ".join([truth, *near])
    if not changes:
        already = f"every list of weights is already normalised ({note})"
        return Edit(text, None, "", True, note=already)
    for path, literal in changes.items():
        get_criterion(doc, path)["weight"] = parse_number(literal)

    def splice() -> str:
        return _replace_scalars(text, [(p, "weight", lit) for p, lit in changes.items()])

    new_text, exact = finish(text, doc, [splice])
    return Edit(new_text, None, f"normalise {len(changes)} weights", exact, note=note)


def _range_width(doc: Any) -> float:
    """The width of the rubric's score range (1 when it is not two numbers)."""
    score = doc.get("score")
    bounds = score.get("range") if isinstance(score, dict) else None
    if isinstance(bounds, list) and len(bounds) == 2:
        try:
            return abs(float(bounds[1]) - float(bounds[0]))
        except (TypeError, ValueError):
            pass
    return 1.0
