"""Rubric fuzz: 2,000 mutated rubric files through ``rubricate check`` and ``rubricate compile``.

The corpus (:mod:`tests.rubrics.rubric_fuzz`) is seeded: the shipped examples and the bad-rubric
corpus, each mutated one to three times (text and tree mutations, alias bombs, deep nesting,
thousands of criteria). Every file is run in a worker process (two at a time, each capped at
4 GiB of address space) through the command line's own entry point, and the test asserts:

- no traceback: every outcome is an exit code (0, 1 or 2), never an exception;
- no run over 10 s of CPU time per command and file (a bound on pathological inputs, not a
  benchmark: CPU time, so other load on the machine does not count; the maxima are printed);
- ``check`` clean (exit 0) implies ``compile`` succeeds (exit 0);
- ``check`` errors (exit 1 with an error, or 2) imply ``compile`` refuses (exit 2).

On the code before this test, it found 2 hangs on alias bombs (minutes, gigabytes), tracebacks
(RecursionError on deep nesting and on 3,000-term formulas, an AssertionError on duplicate
ids, TypeError on a mapping used as a key, OverflowError in a regex) and rubrics that ``check``
rejected but ``compile`` compiled. ``RUBRICATE_FUZZ_COUNT`` changes the number of files;
``python -m tests.rubrics.rubric_fuzz OUT_DIR`` writes the corpus out.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
from pathlib import Path

import pytest

from tests.rubrics.rubric_fuzz import Outcome, corpus_file, fuzz_one

COUNT = int(os.environ.get("RUBRICATE_FUZZ_COUNT", "2000"))
MAX_CPU_S = 10.0
HANG_S = 180.0
"""A worker silent this long is hung (its file takes minutes): the test fails naming it."""


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def _run_corpus(folder: Path) -> list[Outcome]:
    context = multiprocessing.get_context("spawn")
    pending = set(range(COUNT))
    outcomes: list[Outcome] = []
    with context.Pool(2, initializer=_cap_memory, maxtasksperchild=250) as pool:
        results = pool.imap_unordered(fuzz_one, [(i, str(folder)) for i in range(COUNT)])
        for _ in range(COUNT):
            try:
                outcome = results.next(timeout=HANG_S)
            except multiprocessing.TimeoutError:
                pool.terminate()
                hung = sorted(pending)[:4]
                pytest.fail(f"no result for {HANG_S:.0f} s; still running one of files {hung} "
                            f"(python -m tests.rubrics.rubric_fuzz DIR writes them)")  # fmt: skip
            pending.discard(int(outcome.name[:5]))
            outcomes.append(outcome)
    return outcomes


@pytest.mark.slow
@pytest.mark.subprocess
@pytest.mark.timeout(1800)  # ~3 minutes on two idle cores; a loaded machine takes longer
def test_fuzzed_rubrics_never_crash_never_hang_and_check_agrees_with_compile(
    tmp_path: Path,
) -> None:
    outcomes = _run_corpus(tmp_path)
    assert len(outcomes) == COUNT
    slowest = max(outcomes, key=lambda o: max(o.check_s, o.compile_s))
    print(
        f"\nfuzz: {COUNT} files, exit codes check "
        f"{ {c: sum(o.check_code == c for o in outcomes) for c in (0, 1, 2)} }, "
        f"max CPU check {max(o.check_s for o in outcomes):.2f} s, "
        f"compile {max(o.compile_s for o in outcomes):.2f} s ({slowest.name}), "
        f"max wall {max(o.wall_s for o in outcomes):.2f} s",
        file=sys.stderr,
    )
    crashed = [o for o in outcomes if o.traceback]
    assert not crashed, "\n\n".join(f"{o.name}:\n{o.traceback}" for o in crashed[:5])
    assert all(o.check_code in (0, 1, 2) and o.compile_code in (0, 2) for o in outcomes), [
        (o.name, o.check_code, o.compile_code) for o in outcomes
        if o.check_code not in (0, 1, 2) or o.compile_code not in (0, 2)
    ][:10]  # fmt: skip
    disagree = [
        (o.name, o.check_code, o.compile_code)
        for o in outcomes
        if (o.check_code == 0) != (o.compile_code == 0) or (o.check_code != 0) != o.check_errors
    ]
    assert not disagree, disagree[:10]
    slow = [(o.name, round(o.check_s, 1), round(o.compile_s, 1)) for o in outcomes
            if max(o.check_s, o.compile_s) > MAX_CPU_S]  # fmt: skip
    assert not slow, slow


def test_the_corpus_is_the_same_every_time() -> None:
    """Seeded: file i is rebuilt identically (a failure can be reproduced by its number)."""
    assert [corpus_file(i) for i in (0, 7, 1999)] == [corpus_file(i) for i in (0, 7, 1999)]
    names = {corpus_file(i)[0].split("-", 1)[1] for i in range(60)}
    assert {"rubric.yaml", "duplicate_id.yaml", "binary.yaml"} <= names
