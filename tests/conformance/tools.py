"""Where the real tools of the conformance suite are installed, at pinned versions.

``.ci/install-promptfoo-openrlhf`` installs them (offline registries only: npm and PyPI) into
the cache folder ``${RUBRICATE_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rubricate-ci}``, one
folder per tool and version, so a warm cache costs nothing and a version bump installs anew.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

NODE_VERSION = "22.23.3"
"""Node.js from npm's ``node`` package: promptfoo 0.123 needs Node >= 22.22."""
PROMPTFOO_VERSION = "0.123.1"
OPENRLHF_VERSION = "0.11.2"
"""OpenRLHF from PyPI, installed without its dependencies: only its remote reward client
(``openrlhf.utils.agent``) runs, next to ``transformers`` for a real tokenizer."""
TRANSFORMERS_VERSION = "5.15.0"
"""The ``transformers`` OpenRLHF 0.11.2 pins."""

INSTALL_HINT = "install with: bash .ci/install-promptfoo-openrlhf"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("RUBRICATE_CI_CACHE") or Path(base) / "rubricate-ci")


@dataclass(frozen=True)
class Promptfoo:
    node_bin: Path
    """``node_modules/.bin`` holding ``node`` and ``promptfoo`` (put first on PATH)."""
    promptfoo: Path


def promptfoo() -> Promptfoo | None:
    """The pinned promptfoo and the Node.js it runs on (one npm folder), when installed."""
    folder = cache_dir() / f"promptfoo-{PROMPTFOO_VERSION}-node-{NODE_VERSION}"
    node_bin = folder / "node_modules" / ".bin"
    if (node_bin / "node").exists() and (node_bin / "promptfoo").exists():
        return Promptfoo(node_bin, node_bin / "promptfoo")
    return None


def openrlhf_python() -> Path | None:
    """The python of the venv holding OpenRLHF's client and transformers, when installed."""
    python = cache_dir() / f"openrlhf-{OPENRLHF_VERSION}" / "venv" / "bin" / "python"
    return python if python.exists() else None
