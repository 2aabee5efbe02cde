"""``rubricate schema [-o FILE]``: the JSON Schema of the rubric format, for editors.

Without ``-o`` the schema goes to stdout (it is JSON already, so there is no ``--json``);
with ``-o`` it is written to FILE and the path is noted on stderr. Point an editor at it with
a first line ``# yaml-language-server: $schema=FILE`` in the rubric (``rubricate init``
writes both).
"""

from __future__ import annotations

from pathlib import Path

import click

from rubricate.commands._common import note
from rubricate.errors import InputError


@click.command("schema")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the schema to this file instead of stdout.",
)
def schema(output: Path | None) -> None:
    """Print the JSON Schema of the rubric format (editors use it for completion)."""
    from rubricate.rubrics.schema import MODELINE, schema_text

    text = schema_text()
    if output is None:
        click.echo(text, nl=False)
        return
    if not output.parent.is_dir():
        raise InputError(f"{output}: folder {output.parent} does not exist; create it first")
    from rubricate.files import write_text

    write_text(output, text)
    note(f"wrote {output}; first line of a rubric: {MODELINE.format(path=output.name)}")
