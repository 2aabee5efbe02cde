"""Fixtures of the trainer conformance tests: the session's loopback judge and the cases with
``rubricate grade``'s rewards (see :mod:`tests.conformance.trainers.support`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rubricate.testing import FakeOpenAI
from tests.conformance.trainers.cases import Case, build_cases, grade_expected, script_judge


@pytest.fixture(scope="session")
def loopback() -> Iterator[FakeOpenAI]:
    """The loopback judge every trainer and ``rubricate grade`` talk to in this session."""
    with FakeOpenAI() as server:
        script_judge(server)
        yield server


@pytest.fixture(scope="session")
def cases(loopback: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    """Every case with ``rubricate grade``'s rewards (graded once per session)."""
    built = build_cases()
    folder = tmp_path_factory.mktemp("grade")
    for case in built.values():
        grade_expected(case, loopback, folder / case.name)
    return built
