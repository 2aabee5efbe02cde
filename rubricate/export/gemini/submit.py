"""``--submit`` with ``--platform gemini``: refused with the commands to run instead.

Submitting needs Google Cloud credentials and the Cloud Storage upload, which rubricate does not
depend on (no ``google-cloud-*`` package); the bundle's README gives the two ``gcloud storage
cp`` lines and the ``curl`` request to ``tuningJobs.create``. Refusing here keeps the OpenAI
submitter from ever receiving a Gemini bundle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rubricate.errors import ExportError


def submit_bundle(out: Path) -> dict[str, Any]:
    """Always raises: see the module docstring.

    Raises:
        ExportError: with where the submission commands are.
    """
    raise ExportError(
        f"--submit is not available for --platform gemini (no Google Cloud client); the bundle "
        f"is written: upload and create the job with the commands in {out / 'README.md'}"
    )
