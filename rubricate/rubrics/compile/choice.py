"""What to compile a rubric into, chosen once and compiled the same way everywhere.

A :class:`CompileChoice` is the answer to "which grader?": the ``--target``, a ``--judge-model``
override, or a ``--panel`` of judges pooled by ``--panel-rule``. :func:`compile_choice` is the
one function that turns a rubric and a choice into grader bytes; ``rubricate compile``, every
``rubricate export`` bundle (its ``grader.json``, its platform lint, its ``--verify`` and its
manifest) and the trainer exports call it, so they cannot compile different bytes from the same
options. The bytes are :func:`~rubricate.rubrics.compile.grader_json` of:

- no panel: :func:`~rubricate.rubrics.compile.compile_rubric` of the rubric with
  ``judge.model`` replaced by ``judge_model`` when given: exactly what ``rubricate calibrate
  --judge-model`` and a ``--compare judge=`` arm grade (the override is applied the same way,
  :func:`with_judge_model`);
- a panel: :func:`~rubricate.rubrics.compile.panel.compile_panel` (always a ``multi``), what
  ``rubricate calibrate --panel`` grades.

Every grader is validated against the ``openai`` models (:mod:`.validate`) before its bytes are
returned, as ``rubricate compile`` always did. Conflicting options are refused with one line
naming them (:meth:`CompileChoice.check`): ``--panel`` with ``--judge-model`` (both choose the
judge) and ``--panel`` with a ``--target`` other than ``multi``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from rubricate.errors import InputError
from rubricate.rubrics.compile import TARGETS, Target
from rubricate.rubrics.compile.panel import PanelRule, check_panel, parse_panel
from rubricate.rubrics.model import Rubric


@dataclass(frozen=True)
class CompileChoice:
    """Which grader to compile (the command line's ``--target``, ``--judge-model``,
    ``--panel`` and ``--panel-rule``).

    Attributes:
        target: the compile target (None: the rubric's own choice, as ``rubricate compile``).
        judge_model: replaces the rubric's ``judge.model`` (None: the rubric's model).
        panel: the judge models of a panel (empty: no panel).
        rule: how the panel pools its judges' verdicts.
    """

    target: Target | None = None
    judge_model: str | None = None
    panel: tuple[str, ...] = ()
    rule: PanelRule = "majority"

    @classmethod
    def from_options(
        cls,
        target: Target | None = None,
        judge_model: str | None = None,
        panel: str | None = None,
        rule: str = "majority",
    ) -> CompileChoice:
        """The choice of a command's options (``panel`` as typed: ``A,B,C``), checked.

        Raises:
            InputError: one line naming the conflicting or malformed option.
        """
        if judge_model is not None and not judge_model.strip():
            raise InputError("--judge-model: give a model name, e.g. o3-mini-2025-01-31")
        models = parse_panel(panel) if panel is not None else ()
        if panel is not None:
            check_panel(models, rule)
        choice = cls(
            target=target,
            judge_model=judge_model.strip() if judge_model else None,
            panel=models,
            rule="mean" if rule == "mean" else "majority",
        )
        choice.check()
        return choice

    def check(self) -> None:
        """Refuse options that contradict each other (one line naming them)."""
        if self.panel and self.judge_model:
            raise InputError("--panel and --judge-model both choose the judge; drop one")
        if self.panel and self.target not in (None, "multi"):
            raise InputError(f"--panel compiles a multi grader; drop --target {self.target}")

    def record(self) -> dict[str, Any]:
        """The choice as the manifest records it (``manifest.json`` ``"compile"``)."""
        return {
            "target": self.target,
            "judge_model": self.judge_model,
            "panel": list(self.panel),
            "panel_rule": self.rule if self.panel else None,
        }

    @classmethod
    def from_record(cls, record: Any) -> CompileChoice:
        """The choice a manifest recorded (an absent or malformed record: the default)."""
        if not isinstance(record, dict):
            return cls()
        target = record.get("target")
        panel = record.get("panel") or []
        return cls(
            target=target if target in TARGETS else None,
            judge_model=record.get("judge_model") or None,
            panel=tuple(str(m) for m in panel) if isinstance(panel, list) else (),
            rule="mean" if record.get("panel_rule") == "mean" else "majority",
        )

    def options(self) -> str:
        """The command-line options that make this choice (``""`` for the default)."""
        parts = [f"--target {self.target}"] if self.target else []
        if self.judge_model:
            parts.append(f"--judge-model {self.judge_model}")
        if self.panel:
            parts.append(f"--panel {','.join(self.panel)}")
            if self.rule != "majority":
                parts.append(f"--panel-rule {self.rule}")
        return " ".join(parts)


@dataclass(frozen=True)
class CompiledGrader:
    """A rubric's grader as every bundle ships it.

    Attributes:
        rubric: the rubric the grader was compiled from, with the ``--judge-model`` override
            applied (its ``judge.model`` is the model that grades).
        target: the grader's type (``multi`` for a panel).
        grader: the grader, parsed back from ``text``.
        text: the canonical JSON text (the bytes of ``grader.json``).
        sha256: SHA-256 of ``text``'s UTF-8 bytes.
    """

    rubric: Rubric
    target: Target
    grader: dict[str, Any]
    text: str
    sha256: str

    @property
    def name(self) -> str:
        return str(self.grader.get("name") or self.grader["type"])


def with_judge_model(rubric: Rubric, model: str | None) -> Rubric:
    """``rubric`` judged by ``model`` (unchanged when None): what ``--judge-model`` does."""
    if not model:
        return rubric
    return rubric.model_copy(update={"judge": rubric.judge.model_copy(update={"model": model})})


def compile_choice(
    rubric: Rubric, choice: CompileChoice | None = None, *, validate: bool = True
) -> CompiledGrader:
    """Compile ``rubric`` as ``choice`` says and validate it (see the module docstring).

    ``validate=False`` skips the ``openai`` models' check (calibration grades locally what the
    rubric compiles to; export and ``compile`` always validate). The bytes are the same.

    Raises:
        InputError: conflicting options, a bad panel.
        GraderError: the rubric cannot be compiled to the target, or the grader is not one the
            platform accepts.
    """
    import json

    from rubricate.rubrics.compile import compile_rubric, default_target, grader_json
    from rubricate.rubrics.compile.panel import compile_panel
    from rubricate.rubrics.compile.validate import validate_grader

    choice = choice or CompileChoice()
    choice.check()
    judged = with_judge_model(rubric, choice.judge_model)
    if choice.panel:
        target: Target = "multi"
        grader = compile_panel(judged, choice.panel, choice.rule)
    else:
        target = choice.target or default_target(judged)
        grader = compile_rubric(judged, target)
    if validate:
        validate_grader(grader)
    text = grader_json(grader)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return CompiledGrader(judged, target, json.loads(text), text, digest)
