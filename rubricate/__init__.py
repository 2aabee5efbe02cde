"""rubricate: author, check, compile, calibrate and export LLM-as-judge rubrics.

The public Python API (documented in ``docs/api.md``; everything else is internal)::

    import rubricate

    rubric = rubricate.load_rubric("examples/eurovoc/rubric.yaml")
    grader = rubricate.load_grader(rubricate.compile_rubric(rubric))
    record = grader.score(item, {"output_text": "..."})   # or: await grader.ascore(...)
    result = rubricate.calibrate("rubric.yaml", "calibration.jsonl", "runs/first")

The trainer adapters behind the exported reward modules (TRL, verl, verifiers, promptfoo) are
public too, in :mod:`rubricate.rewards`. The names load lazily (``import rubricate`` stays cheap
for the command line). The packages
(see the README's layout): ``rubrics`` (format, lint, compile), ``judge`` (the local runtime
and the model client), ``datasets``, ``calibration``, ``export``, with ``cli`` and ``tui`` on top.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rubricate._version import __version__

__all__ = [
    "CalibrationResult",
    "ClientSettings",
    "GradeRecord",
    "GradeStats",
    "Grader",
    "LoadedRubric",
    "ReadinessCheck",
    "__version__",
    "acalibrate",
    "calibrate",
    "compile_rubric",
    "load_grader",
    "load_rubric",
    "settings_from_env",
]

if TYPE_CHECKING:
    from rubricate.api import (
        CalibrationResult,
        ClientSettings,
        Grader,
        GradeRecord,
        GradeStats,
        LoadedRubric,
        ReadinessCheck,
        acalibrate,
        calibrate,
        compile_rubric,
        load_grader,
        load_rubric,
        settings_from_env,
    )


def __getattr__(name: str) -> Any:
    if name in __all__ and name != "__version__":
        from rubricate import api

        return getattr(api, name)
    raise AttributeError(f"module 'rubricate' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
