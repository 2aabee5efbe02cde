"""Building blocks of the typed report data (:mod:`.schema`): closed and open models, and the
number type that keeps a JSON integer an integer.

``Num`` is ``int | float``: pydantic turns an ``int`` given to a ``float`` field into a float,
which would print ``1`` as ``1.0`` in ``report.json``; the union keeps what the statistics
gave, so the file is the same bytes whether or not it went through the models.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Closed", "Num", "Open"]

Num = int | float


class Open(BaseModel):
    """A section with named fields and room for more (kept, after the named ones)."""

    model_config = ConfigDict(extra="allow")


class Closed(BaseModel):
    """A section whose shape is fixed: an unknown field is an error."""

    model_config = ConfigDict(extra="forbid")
