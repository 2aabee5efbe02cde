"""``rubricate init DIR``: a rubric directory to start from, that passes ``check`` as created.

Writes, from the package's ``scaffold_files/``:

- ``rubric.yaml``: a commented rubric that teaches the format with a small realistic domain
  (a refund reply under a 30-day policy) and every kind of criterion: judged, graded levels,
  check only, check gating a judge, penalty, group. Its first line points editors at
- ``rubric.schema.json``: the format's JSON Schema (generated, so it matches this version);
- ``items.jsonl``: three dataset items providing every ``{{ item.* }}`` the rubric uses;
- ``calibration.jsonl``: an empty calibration set, and
- ``README.md``: what each file is and how to fill the calibration set.

Existing files are never overwritten unless ``force`` is set; without it, nothing at all is
written when any target exists (no half-made directory).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from rubricate.errors import InputError
from rubricate.files import write_text
from rubricate.rubrics.schema import schema_text

SCAFFOLD_FILES = ("rubric.yaml", "items.jsonl", "calibration.jsonl", "README.md")
"""Files copied verbatim from ``rubricate/rubrics/scaffold_files/``."""
SCHEMA_FILE = "rubric.schema.json"
"""The generated schema's file name, as the rubric's modeline names it."""


def scaffold_contents() -> dict[str, str]:
    """Every file ``init`` writes: name -> text."""
    package = resources.files("rubricate.rubrics") / "scaffold_files"
    contents = {name: (package / name).read_text(encoding="utf-8") for name in SCAFFOLD_FILES}
    contents[SCHEMA_FILE] = schema_text()
    return contents


def scaffold(directory: str | Path, *, force: bool = False) -> list[Path]:
    """Write a new rubric directory.

    Args:
        directory: where to write (created with its parents when missing).
        force: overwrite files that already exist.

    Returns:
        The files written, in a fixed order.

    Raises:
        InputError: ``directory`` is a file, or some target files exist and ``force`` is
            not set (nothing is written then).
    """
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise InputError(f"{root}: is a file, not a directory; give a directory to scaffold into")
    contents = scaffold_contents()
    existing = [name for name in contents if (root / name).exists()]
    if existing and not force:
        names = ", ".join(existing)
        raise InputError(
            f"{root}: {names} already exist{'s' if len(existing) == 1 else ''}; "
            "pass --force to overwrite, or choose another directory"
        )
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"{root}: cannot create it: {error.strerror or error}") from None
    written: list[Path] = []
    for name, text in contents.items():
        path = root / name
        write_text(path, text)
        written.append(path)
    return written
