"""Static validation of a grader config, without running it (``rubricate validate``).

:func:`validate_grader` returns one line per problem: ``"<path>: <what is wrong and how to fix
it>"`` for errors, ``"warning: <path>: ..."`` for warnings; ``<path>`` is a dotted path into
the JSON (``graders.ownership.input[1].content``). An empty list means no problem found.

Errors (the config would not run here, or the platform would reject it): a missing or unknown
``type``; a required field missing or of the wrong type; an unknown ``operation`` or
``evaluation_metric``; a malformed ``{{ }}`` template reference; a ``range`` that is not two
increasing numbers; ``passing_labels`` not among ``labels``; a nested ``multi``; a sub-grader
key that is not a formula identifier; a ``calculate_output`` that does not parse or reads an
undefined name; python ``source`` over 256 kB, not compiling, without a top-level
``def grade(sample, item)`` of two parameters, or holding a literal regex that does not compile.
:func:`duplicate_keys` finds keys repeated in one JSON object of a grader file (a sub-grader
that JSON silently dropped).

Warnings (legal, but likely not what you want): a ``calculate_output`` that reads one
sub-grader several times (counted several times); a missing ``name`` (the API reference requires
one; the graders guide's python example omits it); unknown keys; ``cosine`` (evals only, not
RFT); a python ``image_tag`` other than ``2025-05-08``; python imports the platform's image
lacks (its packages: numpy, scipy, sympy, pandas, rapidfuzz, scikit-learn, rouge-score,
deepdiff, jsonschema, pydantic, pyyaml, nltk, sqlparse, rdkit, scikit-bio, ast-grep-py, and
the standard library).

:func:`structural_problems` is the subset that stops the local runtime from running the config
at all; the runtime raises :class:`~rubricate.errors.GraderError` on those.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from rubricate.judge.formula import FormulaError, parse
from rubricate.judge.graders.python_grader import IMAGE_TAG, source_problems
from rubricate.judge.graders.string_check import OPERATIONS
from rubricate.judge.graders.text_similarity import METRICS
from rubricate.judge.template import TemplateError, parse_template

ROLES = ("system", "developer", "user", "assistant")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

KEYS: dict[str, set[str]] = {
    "string_check": {"type", "name", "input", "reference", "operation"},
    "text_similarity": {
        "type", "name", "input", "reference", "evaluation_metric", "pass_threshold",
    },
    "python": {"type", "name", "source", "image_tag", "pass_threshold"},
    "score_model": {
        "type", "name", "input", "model", "range", "sampling_params", "pass_threshold",
    },
    "label_model": {"type", "name", "input", "model", "labels", "passing_labels"},
    "multi": {"type", "name", "graders", "calculate_output"},
}  # fmt: skip
"""The keys each grader type takes (anything else is warned about)."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a grader config."""

    severity: Literal["error", "warning"]
    path: str
    message: str
    structural: bool = False
    """True when the local runtime cannot run the config at all because of it."""

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        return text if self.severity == "error" else f"warning: {text}"


class _Checker:
    def __init__(self, *, structural_only: bool = False) -> None:
        self.problems: list[Problem] = []
        self.structural_only = structural_only
        """Skip the checks that never find a structural problem (templates, python
        sources): the runtime checks each config before it runs it, and linting the
        shipped rubric's 13 python sources cost ~25 ms of every run."""

    def error(self, path: str, message: str, *, structural: bool = False) -> None:
        self.problems.append(Problem("error", path, message, structural))

    def warn(self, path: str, message: str) -> None:
        self.problems.append(Problem("warning", path, message))

    def text(self, grader: dict, key: str, path: str, *, template: bool = True) -> None:
        """A required string field (a template when ``template``)."""
        where = f"{path}.{key}" if path else key
        if key not in grader:
            self.error(
                where, f"missing; a {grader.get('type')} grader needs '{key}'", structural=True
            )
        elif not isinstance(grader[key], str):
            self.error(
                where, f"must be a string, not {type(grader[key]).__name__}", structural=True
            )
        elif template:
            self.template(grader[key], where)

    def template(self, text: str, where: str) -> None:
        if self.structural_only:
            return
        try:
            parse_template(text)
        except TemplateError as error:
            self.error(where, error.msg)

    def grader(self, grader: Any, path: str, *, nested: bool = False) -> None:
        if not isinstance(grader, dict):
            self.error(
                path,
                f"a grader must be a JSON object, not {type(grader).__name__}",
                structural=True,
            )
            return
        kind = grader.get("type")
        at = f"{path}.type" if path else "type"
        if kind not in KEYS:
            known = ", ".join(KEYS)
            self.error(at, f"unknown grader type {kind!r}; one of: {known}", structural=True)
            return
        if nested and kind == "multi":
            self.error(at, "a multi grader cannot contain another multi grader", structural=True)
            return
        if not isinstance(grader.get("name"), str):
            self.warn(f"{path}.name" if path else "name", "no name; the API requires one")
        for key in sorted(set(grader) - KEYS[kind]):
            self.warn(f"{path}.{key}" if path else key, f"unknown key for a {kind} grader")
        getattr(self, f"check_{kind}")(grader, path)

    def check_string_check(self, grader: dict, path: str) -> None:
        self.text(grader, "input", path)
        self.text(grader, "reference", path)
        if grader.get("operation") not in OPERATIONS:
            hint = " ('neq' is spelled 'ne')" if grader.get("operation") == "neq" else ""
            self.error(
                _join(path, "operation"),
                f"must be one of {', '.join(OPERATIONS)}{hint}",
                structural=True,
            )

    def check_text_similarity(self, grader: dict, path: str) -> None:
        self.text(grader, "input", path)
        self.text(grader, "reference", path)
        metric = grader.get("evaluation_metric")
        if metric not in METRICS:
            self.error(
                _join(path, "evaluation_metric"),
                f"must be one of {', '.join(METRICS)}",
                structural=True,
            )
        elif metric == "cosine":
            self.warn(_join(path, "evaluation_metric"), "cosine is for evals only, not RFT")

    def check_python(self, grader: dict, path: str) -> None:
        self.text(grader, "source", path, template=False)
        source = grader.get("source")
        if isinstance(source, str) and not self.structural_only:
            for severity, message in source_problems(source):
                if severity == "error":
                    self.error(_join(path, "source"), message)
                else:
                    self.warn(_join(path, "source"), message)
        tag = grader.get("image_tag")
        if tag is not None and tag != IMAGE_TAG:
            self.warn(_join(path, "image_tag"), f"runs here as image {IMAGE_TAG}, not {tag!r}")

    def messages(self, grader: dict, path: str) -> None:
        where = _join(path, "input")
        messages = grader.get("input")
        if not isinstance(messages, list) or not messages:
            self.error(where, "must be a non-empty list of messages", structural=True)
            return
        for i, message in enumerate(messages):
            at = f"{where}[{i}]"
            if not isinstance(message, dict) or "content" not in message:
                self.error(at, "a message needs 'role' and 'content'", structural=True)
                continue
            if message.get("role") not in ROLES:
                self.error(f"{at}.role", f"must be one of {', '.join(ROLES)}")
            content = message["content"]
            parts = content if isinstance(content, list) else [content]
            for j, part in enumerate(parts):
                spot = f"{at}.content" + (f"[{j}]" if isinstance(content, list) else "")
                if isinstance(part, str):
                    self.template(part, spot)
                elif isinstance(part, dict):
                    for field in ("text", "image_url"):
                        if isinstance(part.get(field), str):
                            self.template(part[field], f"{spot}.{field}")
                else:
                    self.error(spot, "content must be text or content parts", structural=True)
        self.text(grader, "model", path, template=False)

    def check_score_model(self, grader: dict, path: str) -> None:
        self.messages(grader, path)
        bounds = grader.get("range")
        if bounds is not None and not (
            isinstance(bounds, list)
            and len(bounds) == 2
            and all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds)
            and bounds[0] < bounds[1]
        ):
            self.error(
                _join(path, "range"), "must be two increasing numbers, e.g. [0, 1]", structural=True
            )
        params = grader.get("sampling_params")
        if params is not None and not isinstance(params, dict):
            self.error(_join(path, "sampling_params"), "must be an object", structural=True)

    def check_label_model(self, grader: dict, path: str) -> None:
        self.messages(grader, path)
        labels, passing = grader.get("labels"), grader.get("passing_labels")
        for key, value in (("labels", labels), ("passing_labels", passing)):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                self.error(_join(path, key), "must be a list of strings", structural=True)
                return
        assert isinstance(labels, list) and isinstance(passing, list)
        if not labels:
            self.error(_join(path, "labels"), "needs at least one label", structural=True)
        outside = [p for p in passing if p not in labels]
        if outside:
            self.error(_join(path, "passing_labels"), f"{outside} are not among labels {labels}")

    def check_multi(self, grader: dict, path: str) -> None:
        subs = grader.get("graders")
        if not isinstance(subs, dict) or not subs:
            self.error(
                _join(path, "graders"),
                "must be an object mapping names to graders",
                structural=True,
            )
            subs = {}
        for key, sub in subs.items():
            self.grader(sub, _join(_join(path, "graders"), key), nested=True)
            if not _IDENTIFIER.match(key):
                self.error(
                    _join(_join(path, "graders"), key),
                    "calculate_output cannot name this grader: use letters, digits "
                    "and _ only, not starting with a digit",
                )
        formula = grader.get("calculate_output")
        where = _join(path, "calculate_output")
        if not isinstance(formula, str):
            self.error(where, "missing; a multi grader needs a formula", structural=True)
            return
        try:
            names = parse(formula).names
        except FormulaError as error:
            self.error(where, error.msg)
            return
        unknown = sorted(names - set(subs))
        if unknown:
            self.error(where, f"reads {', '.join(unknown)}, which no sub-grader is named")
        for name, count in sorted(_name_counts(formula).items()):
            if count > 1 and name in subs:
                self.warn(
                    where,
                    f"reads {name} {count} times: that sub-grader counts {count} times in the "
                    "score (two criteria with one id compile to this); check the formula",
                )


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _name_counts(formula: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in _NAME.findall(formula):
        counts[name] = counts.get(name, 0) + 1
    return counts


def duplicate_keys(text: str) -> list[str]:
    """Every key that appears twice in one JSON object of ``text``, as a problem line
    ``"<path>: key "<k>" appears twice ..."`` (``json.loads`` silently keeps the last one, so
    one sub-grader would replace another). Empty when ``text`` is not JSON.
    """
    repeated: dict[int, list[str]] = {}

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                repeated.setdefault(id(out), []).append(key)
            out[key] = value
        return out

    try:
        root = json.loads(text, object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        return []
    found: list[str] = []
    stack: list[tuple[str, Any]] = [("", root)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            for key in repeated.get(id(node), []):
                found.append(
                    f'{path or "(top level)"}: key "{key}" appears twice in one object; JSON '
                    "keeps only the last, so the first is silently lost: rename one"
                )
            stack.extend((_join(path, str(k)), v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", v) for i, v in enumerate(node))
    return sorted(found)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def find_problems(grader: Any) -> list[Problem]:
    """Every problem in ``grader``, errors and warnings, in document order."""
    checker = _Checker()
    checker.grader(grader, "")
    return checker.problems


def validate_grader(grader: dict) -> list[str]:
    """Problems of ``grader`` as lines (errors plain, warnings prefixed ``warning:``)."""
    return [str(problem) for problem in find_problems(grader)]


def structural_problems(grader: Any) -> list[str]:
    """The problems that stop the local runtime from running ``grader`` at all."""
    checker = _Checker(structural_only=True)
    checker.grader(grader, "")
    return [str(p) for p in checker.problems if p.structural]
