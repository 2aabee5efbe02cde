"""``rubricate export rft --platform P``: the module that prepares (and submits) each bundle.

Every platform's preparer takes :class:`~rubricate.export.rft.prepare.RftOptions` and returns
a :class:`~rubricate.export.rft.prepare.Prepared` (its problems, files and manifest); nothing is
written while any problem is an error. Entries are ``"module:function"`` strings imported on
use, so a platform's optional dependencies (boto3 for Bedrock's ``--submit``) load only when
that platform is chosen.
"""

from __future__ import annotations

import importlib
from typing import Any

PLATFORMS: dict[str, str] = {
    "openai": "rubricate.export.rft.prepare:prepare_rft",
    "azure": "rubricate.export.rft.azure:prepare_azure",
    "bedrock": "rubricate.export.bedrock.prepare:prepare_bedrock",
    "gemini": "rubricate.export.gemini.prepare:prepare_gemini",
}

# Platforms whose --submit is not the OpenAI SDK's (the openai/azure path is
# rubricate.export.platforms.submit).
SUBMITTERS: dict[str, str] = {
    "bedrock": "rubricate.export.bedrock.submit:submit_bundle",
    "gemini": "rubricate.export.gemini.submit:submit_bundle",
}


def load(ref: str) -> Any:
    """The object a ``"module:function"`` entry names."""
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)
