"""Platform name -> its verifier (``rubricate export rft --platform P --verify``).

A verifier takes the written bundle folder, the calibration set and the client settings, runs
the bundle's form locally on every answer and returns a
:class:`~rubricate.export.verify.model.Verification`. Each platform module registers its own
entry here (one line each, so platforms can be added independently).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rubricate.export.verify.model import Verification

Verifier = Callable[..., Verification]

# name -> "module:function", imported on use (a platform's dependencies load only when used).
VERIFIERS: dict[str, str] = {
    "openai": "rubricate.export.verify.openai_form:verify_openai",
    "azure": "rubricate.export.verify.openai_form:verify_azure",
    "bedrock": "rubricate.export.bedrock.verify:verify_bedrock",
    "gemini": "rubricate.export.gemini.verify:verify_gemini",
}


def verifier(platform: str) -> Verifier:
    """The verifier registered for *platform* (KeyError names the registered ones)."""
    import importlib

    if platform not in VERIFIERS:
        raise KeyError(f"no verifier for {platform!r}; registered: {sorted(VERIFIERS)}")
    module, _, name = VERIFIERS[platform].partition(":")
    fn: Any = getattr(importlib.import_module(module), name)
    return fn


def run_verifier(platform: str, bundle: Path, **kwargs: Any) -> Verification:
    return verifier(platform)(bundle, **kwargs)
