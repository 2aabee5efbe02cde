"""How python-grader workers are isolated: bubblewrap when it works, a loud fallback otherwise.

With `bubblewrap <https://github.com/containers/bubblewrap>`_ (``bwrap``; Debian/Ubuntu
package ``bubblewrap``) each worker runs in its own sandbox (:func:`bwrap_command`):

- new user, PID, mount, network, IPC, UTS (and cgroup, where possible) namespaces: the worker
  sees no process but its own (``/proc`` is the sandbox's), has no network but an isolated
  loopback, and shares no System V IPC or abstract socket with the host;
- a read-only root made of only what Python needs: ``/usr`` (and the ``/bin``, ``/lib*``
  links), Python's prefixes (the virtual environment and its base installation), a few
  files of ``/etc`` for the dynamic linker and time zones, and the worker's own code. No
  home folder, no ``/etc/passwd``, ``/root``, ``/home``, ``/run`` or ``/var``; paths above
  the bound folders exist only as empty directories;
- ``/dev`` with only the null, zero, random and terminal devices, read-only;
- a private ``/tmp`` (tmpfs, 1 GiB) as the scratch space: nothing reaches the host's disk,
  and nothing is left behind when the worker is killed, however it dies;
- no capabilities, ``--die-with-parent`` (the sandbox dies with rubricate, even on SIGKILL),
  a new session (no terminal), and the environment the pool gives it (no secrets).

Inside, the worker adds its own layers (``worker_main.py``, ``worker_guards.py``): the
supervisor/executor split, a seccomp filter, resource limits and the audit hook.

Without bubblewrap (not installed, not Linux, or user namespaces disabled so it cannot start)
the worker runs as a plain process with only those inner layers, plus a network namespace
where the kernel allows one. That is **weaker**: the grader can read what the user can read
(files, and with native code other processes' ``/proc`` entries). ``sandbox`` mode decides:

- ``required``: refuse to run python graders without bubblewrap and the seccomp filter (an
  error naming what is missing);
- ``best-effort`` (the default): run them, with a warning on stderr naming what is missing,
  and the weaker isolation recorded in every python record (``sandbox``) and in ``run.json``.

The mode comes from ``--sandbox`` on the commands that grade, else ``RUBRICATE_SANDBOX``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rubricate.errors import GraderError

SANDBOX_ENV = "RUBRICATE_SANDBOX"
"""Environment variable holding the sandbox mode (``required`` or ``best-effort``)."""
MODES = ("required", "best-effort")
WORKER_MOUNT = "/opt/rubricate-worker"
"""Where the worker's code is mounted inside the sandbox."""
SCRATCH = "/tmp"
SCRATCH_BYTES = 1024**3
"""Size of the sandbox's private ``/tmp``."""
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives")
"""What of ``/etc`` is visible: the dynamic linker's cache and configuration, the time zone,
and Debian's alternatives links (through which some shared libraries resolve)."""
SCRATCH_PREFIX = "rubricate-grader-"
"""Host scratch folders of unsandboxed workers: ``rubricate-grader-<owner pid>-<random>``."""


def sandbox_mode(value: str | None = None) -> str:
    """The sandbox mode: ``value``, else ``$RUBRICATE_SANDBOX``, else ``best-effort``.

    Raises:
        GraderError: an unknown mode.
    """
    mode = (value or os.environ.get(SANDBOX_ENV) or "best-effort").strip().lower()
    if mode not in MODES:
        source = "--sandbox" if value else SANDBOX_ENV
        raise GraderError(f"{source}: unknown sandbox mode {mode!r}; use required or best-effort")
    return mode


@dataclass(frozen=True)
class Isolation:
    """What isolates python graders in a pool's workers.

    Attributes:
        mechanism: ``"bubblewrap"`` or ``"none"``.
        layers: what is in place, in words.
        missing: what is not, in words (empty for the full sandbox).
    """

    mechanism: str
    layers: tuple[str, ...] = ()
    missing: tuple[str, ...] = field(default_factory=tuple)

    @property
    def complete(self) -> bool:
        return self.mechanism == "bubblewrap" and not self.missing

    @property
    def label(self) -> str:
        """One short line: ``"bubblewrap"`` or ``"best-effort (missing: ...)"``."""
        if self.complete:
            return "bubblewrap"
        return f"best-effort (missing: {'; '.join(self.missing)})"

    def as_dict(self) -> dict:
        return {
            "mechanism": self.mechanism,
            "complete": self.complete,
            "layers": list(self.layers),
            "missing": list(self.missing),
        }


INNER_LAYERS = (
    "supervisor/executor split: grader code never holds the pool's protocol",
    "limits: memory, CPU time, wall time, file size, open files",
    "audit hook: processes, sockets, DNS, other processes' /proc entries refused",
)
BWRAP_LAYERS = (
    "bubblewrap: new user, PID, mount, network, IPC and UTS namespaces; no capabilities",
    "read-only root with only Python and its packages; no home folders, no /etc/passwd",
    "private /tmp (tmpfs, 1 GiB): nothing reaches or stays on the host's disk",
)


def find_bwrap() -> str | None:
    """The ``bwrap`` executable on the PATH (Linux only), or None."""
    if not sys.platform.startswith("linux"):
        return None
    return shutil.which("bwrap")


def _python_roots() -> list[str]:
    """The folders Python needs: its prefixes and the folder of its executable."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    executable = Path(sys.executable)
    roots.add(str(executable.parent))
    roots.add(str(executable.resolve().parent))
    return sorted(os.path.realpath(root) for root in roots if root and os.path.isdir(root))


def _outside(path: str, roots: list[str]) -> bool:
    return not any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def bwrap_command(
    bwrap: str,
    worker_dir: str,
    config_json: str,
    *,
    read_only: tuple[str, ...] = (),
) -> list[str]:
    """The command that starts one worker in its sandbox (see the module docstring).

    Args:
        bwrap: the ``bwrap`` executable.
        worker_dir: the folder of ``worker_main.py`` on the host (mounted read-only at
            :data:`WORKER_MOUNT`).
        config_json: the worker's configuration argument.
        read_only: more host folders to mount read-only at the same path (e.g. NLTK data).
    """
    args = [
        bwrap,
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--cap-drop", "ALL",
        "--hostname", "grader",
        "--ro-bind", "/usr", "/usr",
    ]  # fmt: skip
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = f"/{name}"
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for name in ETC_FILES:
        path = f"/etc/{name}"
        if os.path.lexists(path):
            args += ["--ro-bind-try", path, path]
    mounted = ["/usr"]
    for root in [*_python_roots(), *read_only]:
        if os.path.isdir(root) and _outside(root, mounted):
            args += ["--ro-bind", root, root]
            mounted.append(root)
    executable = os.path.realpath(sys.executable)
    if _outside(executable, mounted):
        args += ["--ro-bind", executable, executable]
    args += [
        "--ro-bind", worker_dir, WORKER_MOUNT,
        "--proc", "/proc",
        "--dev", "/dev",
        "--size", str(SCRATCH_BYTES), "--tmpfs", SCRATCH,
        "--remount-ro", "/",
        "--remount-ro", "/dev",
        "--chdir", SCRATCH,
        "--",
        sys.executable, "-I", f"{WORKER_MOUNT}/worker_main.py", config_json,
    ]  # fmt: skip
    return args


def host_scratch() -> str:
    """A new host scratch folder for an unsandboxed worker, named after this process."""
    return tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-")


def remove_stale_scratch(folder: str | None = None) -> list[str]:
    """Remove the scratch folders of processes that are gone (killed before they cleaned up).

    Returns:
        The folders removed.
    """
    root = Path(folder or tempfile.gettempdir())
    removed: list[str] = []
    try:
        entries = list(root.glob(f"{SCRATCH_PREFIX}*-*"))
    except OSError:
        return removed
    for path in entries:
        owner = path.name[len(SCRATCH_PREFIX) :].split("-", 1)[0]
        if not owner.isdigit() or int(owner) == os.getpid() or _alive(int(owner)):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(str(path))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
