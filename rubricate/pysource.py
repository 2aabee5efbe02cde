"""Parse Python source to an AST from any thread.

CPython 3.11 before 3.11.9 keeps the AST constructor's recursion depth in interpreter-wide
state, so two threads calling :func:`ast.parse` at once can fail with ``SystemError: AST
constructor recursion depth mismatch`` (python/cpython#106905, fixed by PR #106906). rubricate
parses graders and formulas on worker threads (the reward server, ``asyncio.to_thread``), so
every parse goes through one lock.
"""

from __future__ import annotations

import ast
import threading
from typing import Literal, overload

_LOCK = threading.Lock()


@overload
def parse(source: str, mode: Literal["exec"] = "exec") -> ast.Module: ...
@overload
def parse(source: str, mode: Literal["eval"]) -> ast.Expression: ...
def parse(source: str, mode: str = "exec") -> ast.AST:
    """:func:`ast.parse` under a process-wide lock (same result, same exceptions)."""
    with _LOCK:
        return ast.parse(source, mode=mode)
