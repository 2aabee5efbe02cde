"""``--gemini KEY=VALUE`` (repeatable): what a Gemini tuning job needs beyond the common options.

=============  ==============================================================================
key            meaning
=============  ==============================================================================
``project``    Google Cloud project id (required): the request URL and the autorater's full
               model name ``projects/P/locations/L/publishers/google/models/M``.
``location``   Vertex AI region (default ``us-central1``).
``gcs``        ``gs://bucket/folder`` where ``train.jsonl`` and ``valid.jsonl`` are uploaded
               (required): ``trainingDatasetUri`` / ``validationDatasetUri`` of ``job.json``.
``autorater``  the Vertex AI model that judges (e.g. ``gemini-2.5-flash``); default the
               rubric's judge model when it is a ``gemini-`` model. Required when autorater
               scorers are written and the rubric's judge is not a Gemini model.
``reward``     ``auto`` (default): the composite when it is the rubric's reward exactly, else
               the Cloud Run fallback when ``serve_url`` is given, else an error naming what is
               not exact; ``composite``: the composite even when not exact (every difference a
               warning and in the manifest); ``cloudrun``: one ``cloudRunRewardScorer``.
``serve_url``  the HTTPS URL of ``rubricate serve`` on Cloud Run; the scorer calls
               ``<serve_url>/gemini``.
=============  ==============================================================================

Pure: parsing only; an unknown key gets a did-you-mean.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

KEYS = ("project", "location", "gcs", "autorater", "reward", "serve_url")
REWARDS = ("auto", "composite", "cloudrun")


@dataclass(frozen=True)
class GeminiOptions:
    project: str | None = None
    location: str = "us-central1"
    gcs: str | None = None
    autorater: str | None = None
    reward: str = "auto"
    serve_url: str | None = None


def parse_gemini_options(pairs: list[str]) -> tuple[GeminiOptions, list[str]]:
    """``KEY=VALUE`` strings as options, and one line per problem."""
    values: dict[str, str] = {}
    problems: list[str] = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not value.strip():
            problems.append(f"{pair!r}: write KEY=VALUE (keys: {', '.join(KEYS)})")
            continue
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f"; did you mean {close[0]}?" if close else f" (keys: {', '.join(KEYS)})"
            problems.append(f"unknown key {key!r}{hint}")
            continue
        values[key] = value.strip()
    if values.get("reward", "auto") not in REWARDS:
        problems.append(f"reward={values['reward']}: choose one of {', '.join(REWARDS)}")
    if "gcs" in values and not values["gcs"].startswith("gs://"):
        problems.append(f"gcs={values['gcs']}: must be a Cloud Storage path, gs://bucket/folder")
    if "serve_url" in values and not values["serve_url"].startswith("https://"):
        problems.append(
            f"serve_url={values['serve_url']}: must be the https:// URL of the Cloud Run service"
        )
    return GeminiOptions(**values), problems
