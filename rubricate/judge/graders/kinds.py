"""Which grader configs call a model (and so need the model client)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MODEL_TYPES = ("score_model", "label_model")
"""Grader types that ask a model for the verdict."""


def uses_models(grader: Mapping[str, Any]) -> bool:
    """True when ``grader`` (or one of a ``multi``'s sub-graders) calls a model.

    That is a model grader, or a ``text_similarity`` with ``cosine`` (it embeds both texts).
    """
    subs = grader.get("graders") if grader.get("type") == "multi" else None
    nodes = list(subs.values()) if isinstance(subs, dict) else [grader]
    return any(
        isinstance(node, dict)
        and (node.get("type") in MODEL_TYPES or node.get("evaluation_metric") == "cosine")
        for node in nodes
    )
