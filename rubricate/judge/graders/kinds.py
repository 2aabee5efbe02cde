"""Which grader configs call a model (and so need the model client)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MODEL_TYPES = ("score_model", "label_model")
"""Grader types that ask a model for the verdict."""


def _calls_a_model(node: Any) -> bool:
    return isinstance(node, dict) and (
        node.get("type") in MODEL_TYPES or node.get("evaluation_metric") == "cosine"
    )


def model_calls(grader: Mapping[str, Any]) -> int:
    """Model calls one grade of ``grader`` makes: one per model grader or ``text_similarity``
    with ``cosine`` (it embeds both texts), a ``multi``'s sub-graders summed."""
    subs = grader.get("graders") if grader.get("type") == "multi" else None
    nodes = list(subs.values()) if isinstance(subs, dict) else [grader]
    return sum(1 for node in nodes if _calls_a_model(node))


def uses_models(grader: Mapping[str, Any]) -> bool:
    """True when ``grader`` (or one of a ``multi``'s sub-graders) calls a model."""
    return model_calls(grader) > 0
