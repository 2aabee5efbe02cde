"""Where the ``openai`` SDK's types disagree with the API: named once, worked around here only.

rubricate validates every grader and RFT job payload with the ``openai`` package's own types
(:mod:`rubricate.rubrics.compile.validate`, :mod:`rubricate.export.rft.payload`). In two places
those types are wrong about what the API takes, so the checks look at an *SDK view* of the
JSON, built by :func:`sdk_view_of_grader` and :func:`sdk_view_of_reinforcement`; the JSON sent
is never changed:

- :data:`MULTI_GRADERS_MAP`: a ``multi`` grader's ``graders`` is a map from sub-grader name to
  grader (API reference, "Multi grader"; OpenAI cookbook's RFT examples), which
  ``calculate_output`` reads by name; the SDK's ``MultiGrader.graders`` annotates one grader.
  The map's entries are validated one by one; the SDK view holds the first entry.
- :data:`REINFORCEMENT_RESPONSE_FORMAT`: OpenAI's RFT guide creates its job with
  ``method.reinforcement.response_format`` (a Chat Completions ``json_schema``); the SDK's
  ``ReinforcementMethod`` declares no such field. It is validated on its own against
  ``ResponseFormatJSONSchema`` (:mod:`rubricate.datasets.response_format`); the SDK view omits it.

:func:`gaps_in_installed_sdk` tells whether the installed ``openai`` still has each gap (the
conformance suite runs it against the newest release: when the SDK is fixed, the workaround
goes).
"""

from __future__ import annotations

import copy
from typing import Any

MULTI_GRADERS_MAP = "multi.graders is a map of name -> grader (the SDK annotates one grader)"
REINFORCEMENT_RESPONSE_FORMAT = (
    "method.reinforcement.response_format (the SDK's ReinforcementMethod omits it)"
)
UNDECLARED_REINFORCEMENT_KEYS = frozenset({"response_format"})
"""Keys of ``method.reinforcement`` the API takes and the SDK's type does not declare."""


def sdk_view_of_grader(grader: dict[str, Any]) -> dict[str, Any]:
    """``grader`` as the SDK's types expect it: a ``multi``'s map replaced by its first entry
    (validate the entries one by one yourself)."""
    if grader.get("type") != "multi" or not isinstance(grader.get("graders"), dict):
        return grader
    subs = grader["graders"]
    return {**grader, "graders": next(iter(subs.values()))} if subs else grader


def sdk_view_of_reinforcement(config: dict[str, Any]) -> dict[str, Any]:
    """``method.reinforcement`` as the SDK's types expect it: without ``response_format``
    (validated on its own) and with :func:`sdk_view_of_grader`'s grader."""
    view = {
        k: copy.deepcopy(v) for k, v in config.items() if k not in UNDECLARED_REINFORCEMENT_KEYS
    }
    if isinstance(view.get("grader"), dict):
        view["grader"] = sdk_view_of_grader(view["grader"])
    return view


def gaps_in_installed_sdk() -> dict[str, bool]:
    """Each gap above, and whether the installed ``openai`` still has it."""
    import typing

    from openai.types.fine_tuning.reinforcement_method_param import ReinforcementMethodParam
    from openai.types.graders.multi_grader_param import MultiGraderParam

    graders_type = typing.get_type_hints(MultiGraderParam)["graders"]
    takes_map = typing.get_origin(graders_type) in (dict, typing.Dict) or any(  # noqa: UP006
        typing.get_origin(arg) in (dict, typing.Dict)  # noqa: UP006
        for arg in typing.get_args(graders_type)
    )
    declared = set(ReinforcementMethodParam.__required_keys__) | set(
        ReinforcementMethodParam.__optional_keys__
    )
    return {
        MULTI_GRADERS_MAP: not takes_map,
        REINFORCEMENT_RESPONSE_FORMAT: not UNDECLARED_REINFORCEMENT_KEYS <= declared,
    }
