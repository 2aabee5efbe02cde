"""``--probe LIST``: the probes a calibration runs, parsed and checked before any call.

``LIST`` is comma-separated. Known probes: ``invariance`` (:mod:`.run`), and
``invariance:paraphrase``, which adds the judge model's paraphrase of each criterion to the
changes (:mod:`.paraphrase`). Every error is one line naming ``--probe`` and how to
fix it (exit 2).
"""

from __future__ import annotations

from rubricate.errors import InputError

PROBES = ("invariance", "invariance:paraphrase")
"""The probes this version runs."""


def parse_probes(spec: str) -> list[str]:
    """The probes named in ``spec``, in order, each once.

    Raises:
        InputError: an empty list, an unknown or a repeated probe.
    """
    names = [p.strip() for p in spec.split(",") if p.strip()]
    if not names:
        raise InputError(f"--probe {spec!r}: name a probe ({', '.join(PROBES)})")
    for name in names:
        if name not in PROBES:
            raise InputError(f"--probe {spec!r}: unknown probe {name!r}; known: "
                             f"{', '.join(PROBES)}")  # fmt: skip
    if len({n.partition(":")[0] for n in names}) != len(names):
        raise InputError(f"--probe {spec!r}: a probe is repeated; list each once")
    return names
