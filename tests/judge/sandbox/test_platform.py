"""What the platform's python grader image offers works inside the sandbox: its packages
(those installed here) import, together, under the 2 GB limit, and the graders guide's
example grader runs unchanged."""

from __future__ import annotations

import importlib.util

import pytest

from rubricate.judge.graders.python_grader import PLATFORM_PACKAGES
from rubricate.judge.sandbox.pool import WorkerPool

INSTALLED = sorted(name for name in PLATFORM_PACKAGES if importlib.util.find_spec(name))


def test_most_platform_packages_are_installed_here() -> None:
    assert {"numpy", "scipy", "pandas", "rapidfuzz", "nltk", "rouge_score"} <= set(INSTALLED)


async def test_every_installed_platform_package_imports_in_the_sandbox() -> None:
    imports = "\n".join(f"import {name}" for name in INSTALLED)
    source = f"{imports}\ndef grade(sample, item):\n    return 1.0\n"
    async with WorkerPool(1, memory_mb=2048) as pool:
        result = await pool.run(source, {}, {})
        assert result.ok, result.details
        assert pool.isolation is not None and pool.isolation.complete


@pytest.mark.parametrize("name", INSTALLED)
async def test_each_platform_package_imports_alone(name: str) -> None:
    async with WorkerPool(1) as pool:
        result = await pool.run(f"import {name}\ndef grade(s, i):\n    return 1.0\n", {}, {})
    assert result.ok, result.details


async def test_scratch_files_numpy_and_threads_work() -> None:
    source = """
import json, os, tempfile, threading
import numpy as np
def grade(sample, item):
    path = os.path.join(tempfile.gettempdir(), "scores.json")
    with open(path, "w") as f:
        json.dump([1, 2, 3], f)
    results = []
    worker = threading.Thread(target=lambda: results.append(float(np.mean(json.load(open(path))))))
    worker.start()
    worker.join()
    return results[0] / 4
"""
    async with WorkerPool(1) as pool:
        result = await pool.run(source, {}, {})
    assert result.ok and result.value == 0.5, result.details
