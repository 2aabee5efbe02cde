"""Does the judge model follow the judge format? The share of its replies that do not parse.

A small local model (or a server that does not hold replies to the schema) writes replies the
graders cannot read; every such reply is an unscored record (``model_grader_parse_error``),
never a score. :class:`FormatTally` counts the judge replies of a run and those that did not
parse, keeps a few of them as examples, and says so in one line when any did not. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rubricate.judge.records import GradeRecord

EXAMPLES = 3
"""Unparsed replies kept as examples."""
EXAMPLE_CHARS = 160


@dataclass
class FormatTally:
    """Judge replies seen and how many did not parse (see the module docstring)."""

    replies: int = 0
    """Judge calls that came back with a reply text."""
    unparsed: int = 0
    """Of those, the replies the grader could not read (malformed, off-schema or cut off)."""
    examples: list[str] = field(default_factory=list)

    def add(self, record: GradeRecord) -> None:
        """Count the judge calls of one grade record."""
        for call in record.calls:
            if call.raw is None or call.grader == "generation":
                continue
            self.replies += 1
            if call.error is not None and call.result is None and call.label is None:
                self.unparsed += 1
                if len(self.examples) < EXAMPLES:
                    text = " ".join(call.raw.split())
                    cut = text[:EXAMPLE_CHARS] + ("..." if len(text) > EXAMPLE_CHARS else "")
                    self.examples.append(cut)

    def as_dict(self) -> dict[str, Any]:
        share = self.unparsed / self.replies if self.replies else None
        return {
            "replies": self.replies,
            "unparsed": self.unparsed,
            "share_unparsed": share,
            "examples": list(self.examples),
        }

    def manifest_fields(self) -> dict[str, Any]:
        """``{"judge_replies": ...}`` for run.json, or nothing when no judge replied (an
        offline run says nothing about judge replies it never had)."""
        return {"judge_replies": self.as_dict()} if self.replies else {}

    def note(self) -> str | None:
        """One line when some judge replies did not parse (None otherwise)."""
        if not self.unparsed:
            return None
        share = 100 * self.unparsed / self.replies
        shown = "; ".join(repr(e) for e in self.examples)
        return (
            f"{self.unparsed} of {self.replies} judge replies ({share:.0f}%) did not follow the "
            "judge format and are unscored: the judge model may be too weak for it, or the "
            "endpoint does not hold replies to the schema (see --structured-output and "
            f"run.json 'endpoint'). Examples: {shown}"
        )
