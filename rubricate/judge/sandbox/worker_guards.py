"""The guards an executor puts on itself before any grader code runs (standard library only).

Run inside the worker (see ``worker_main.py``), never in rubricate's own process:

- :func:`install_seccomp`: a seccomp-BPF filter (Linux x86_64 and aarch64). Starting a process
  (``fork``, ``vfork``, ``clone`` without ``CLONE_THREAD``) or a program (``execve``,
  ``execveat``) kills the executor on the spot (``SIGSYS``, reported as a forbidden system
  call); threads still work (``clone3`` answers ``ENOSYS``, so the C library falls back to
  ``clone`` with ``CLONE_THREAD``). Refused with ``EPERM``: signals to any other process,
  ``ptrace`` and ``process_vm_*``, ``pidfd_*`` signals and descriptor theft, sockets other
  than ``AF_UNIX``, ``io_uring``, and the namespace, mount, BPF, perf and key-ring calls.
  Another architecture (a 32-bit ABI on a 64-bit kernel included) is killed outright.
- :func:`install_audit_hook`: the second layer, in Python. It names what was refused
  (``PermissionError: python graders may not ...``) for the Python-level ways of doing the
  above, for internet sockets and DNS look-ups, for ``AF_UNIX`` connections, and for any
  path into another process's ``/proc/<pid>/`` entry. Paths are normalised before the check:
  relative to the working directory, ``//``, ``.`` and ``..`` collapsed, symbolic links (and
  ``/proc``'s magic links such as ``/proc/self/root``) resolved (:func:`other_process_path`).
  Native code (``ctypes``) can bypass an audit hook; the seccomp filter and the kernel
  namespaces are what stop it.
- :func:`set_limits`: ``RLIMIT_AS`` (memory), ``RLIMIT_FSIZE`` (1 GiB per file, the
  platform's disk allowance), no core files, ``RLIMIT_NOFILE``, and ``RLIMIT_NPROC`` where
  the executor runs in its own user namespace (there it counts only the sandbox's
  processes). ``RLIMIT_CPU`` is re-armed before every call by the executor
  (:func:`arm_cpu_limit`).
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import platform
import re
import resource
import socket
import struct
import sys

# -- seccomp -----------------------------------------------------------------------------------

_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000
_RET_ALLOW = 0x7FFF0000
_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_JSET_K = 0x45  # BPF_JMP | BPF_JSET | BPF_K
_RET_K = 0x06  # BPF_RET | BPF_K
_OFFSET_NR, _OFFSET_ARCH, _OFFSET_ARG0 = 0, 4, 16  # struct seccomp_data (little-endian)
_CLONE_THREAD = 0x00010000
_X32_SYSCALL_BIT = 0x40000000

SYSCALLS: dict[str, tuple[int, dict[str, int]]] = {
    # machine: (AUDIT_ARCH_*, {name: number}); numbers from the kernel's unistd headers
    # (asm/unistd_64.h for x86_64, asm-generic/unistd.h for aarch64; checked in the tests)
    "x86_64": (
        0xC000003E,
        {
            "socket": 41, "clone": 56, "fork": 57, "vfork": 58, "execve": 59, "kill": 62,
            "ptrace": 101, "pivot_root": 155, "chroot": 161, "mount": 165, "umount2": 166,
            "tkill": 200, "tgkill": 234, "add_key": 248, "request_key": 249, "keyctl": 250,
            "unshare": 272, "perf_event_open": 298, "open_by_handle_at": 304, "setns": 308,
            "process_vm_readv": 310, "process_vm_writev": 311, "bpf": 321, "execveat": 322,
            "userfaultfd": 323, "pidfd_send_signal": 424, "io_uring_setup": 425,
            "clone3": 435, "pidfd_getfd": 438,
        },
    ),
    "aarch64": (
        0xC00000B7,
        {
            "umount2": 39, "mount": 40, "pivot_root": 41, "chroot": 51, "unshare": 97,
            "ptrace": 117, "kill": 129, "tkill": 130, "tgkill": 131, "socket": 198,
            "add_key": 217, "request_key": 218, "keyctl": 219, "clone": 220, "execve": 221,
            "perf_event_open": 241, "open_by_handle_at": 265, "setns": 268,
            "process_vm_readv": 270, "process_vm_writev": 271, "bpf": 280, "execveat": 281,
            "userfaultfd": 282, "pidfd_send_signal": 424, "io_uring_setup": 425,
            "clone3": 435, "pidfd_getfd": 438,
        },
    ),
}  # fmt: skip
"""System call numbers the filter names, per machine (``platform.machine()``)."""

KILLED = ("fork", "vfork", "execve", "execveat")
"""Calls that kill the executor: a grader starting a process or a program is stopped, loudly."""
REFUSED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_send_signal", "pidfd_getfd",
    "io_uring_setup", "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "bpf",
    "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key", "open_by_handle_at",
)  # fmt: skip
"""Calls that fail with ``EPERM``."""


def seccomp_machine() -> str | None:
    """The machine name when the filter supports it (Linux x86_64 or aarch64), else None."""
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    if sys.platform.startswith("linux") and machine in SYSCALLS and sys.byteorder == "little":
        return machine
    return None


def seccomp_program(machine: str, own_pid: int) -> list[tuple[int, int, int, int]]:
    """The filter as ``(code, jt, jf, k)`` BPF instructions (pure; see the module docstring).

    Layout: check the architecture, load the call number, then one block per named call
    (``jeq nr`` skipping the block when it does not match; each block ends in a return);
    anything else is allowed.
    """
    arch, numbers = SYSCALLS[machine]
    program: list[tuple[int, int, int, int]] = [
        (_LD_W_ABS, 0, 0, _OFFSET_ARCH),
        (_JEQ_K, 1, 0, arch),
        (_RET_K, 0, 0, _RET_KILL_PROCESS),
        (_LD_W_ABS, 0, 0, _OFFSET_NR),
    ]
    if machine == "x86_64":  # the x32 ABI reaches the same kernel with other numbers
        program += [(_JGE_K, 0, 1, _X32_SYSCALL_BIT), (_RET_K, 0, 0, _RET_ERRNO | errno.EPERM)]

    def arg0_block(test: int, value: int, otherwise: int) -> list[tuple[int, int, int, int]]:
        return [
            (_LD_W_ABS, 0, 0, _OFFSET_ARG0),
            (test, 0, 1, value),
            (_RET_K, 0, 0, _RET_ALLOW),
            (_RET_K, 0, 0, otherwise),
        ]

    blocks: list[tuple[int, list[tuple[int, int, int, int]]]] = []
    for name in KILLED:
        if name in numbers:
            blocks.append((numbers[name], [(_RET_K, 0, 0, _RET_KILL_PROCESS)]))
    blocks.append((numbers["clone"], arg0_block(_JSET_K, _CLONE_THREAD, _RET_KILL_PROCESS)))
    blocks.append((numbers["clone3"], [(_RET_K, 0, 0, _RET_ERRNO | errno.ENOSYS)]))
    for name in ("kill", "tkill", "tgkill"):
        blocks.append((numbers[name], arg0_block(_JEQ_K, own_pid, _RET_ERRNO | errno.EPERM)))
    blocks.append((numbers["socket"], arg0_block(_JEQ_K, socket.AF_UNIX, _RET_ERRNO | errno.EPERM)))
    for name in REFUSED:
        blocks.append((numbers[name], [(_RET_K, 0, 0, _RET_ERRNO | errno.EPERM)]))
    for number, block in blocks:
        program.append((_JEQ_K, 0, len(block), number))
        program += block
    program.append((_RET_K, 0, 0, _RET_ALLOW))
    return program


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint32),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2


def install_seccomp() -> str | None:
    """Install the filter on this process; None on success, else why it is not installed."""
    machine = seccomp_machine()
    if machine is None:
        return f"seccomp filter not available on {sys.platform}/{platform.machine()}"
    program = seccomp_program(machine, os.getpid())
    filters = (_SockFilter * len(program))(*(_SockFilter(*ins) for ins in program))
    fprog = _SockFprog(len(program), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return f"prctl(NO_NEW_PRIVS) failed: {os.strerror(ctypes.get_errno())}"
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        return f"seccomp filter refused by the kernel: {os.strerror(ctypes.get_errno())}"
    return None


# -- process attributes ------------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux; else nothing)."""
    if sys.platform.startswith("linux"):
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def make_undumpable() -> None:
    """Make this process non-dumpable: processes of the same user can then neither ``ptrace``
    it nor open its ``/proc/<pid>/`` files (``mem``, ``fd/``, ``environ``). Inherited by forks.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)


# -- limits ------------------------------------------------------------------------------------

FILE_SIZE_LIMIT = 1024**3
"""Largest file a grader may write (1 GiB)."""
OPEN_FILES_LIMIT = 1024
PROCESS_LIMIT = 256
"""``RLIMIT_NPROC`` in a user namespace of its own (threads count as processes)."""


def set_limits(memory_mb: int, *, own_user_namespace: bool) -> None:
    """Memory, file size, core files, open files, and processes (see the module docstring)."""
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    files = OPEN_FILES_LIMIT if hard == resource.RLIM_INFINITY else min(OPEN_FILES_LIMIT, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))
    if own_user_namespace:
        resource.setrlimit(resource.RLIMIT_NPROC, (PROCESS_LIMIT, PROCESS_LIMIT))


def arm_cpu_limit(seconds: float) -> None:
    """Let this process use ``seconds`` more CPU time (``SIGXCPU`` past it). A backup to the
    wall-clock limit, which the supervisor enforces from outside."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = int(used + seconds) + 1
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


# -- audit hook --------------------------------------------------------------------------------

_DNS = "look up host names: they have no network access"
_SPAWN = "start processes or programs"
_BLOCKED_EVENTS = {
    "socket.getaddrinfo": _DNS,
    "socket.gethostbyname": _DNS,
    "socket.gethostbyaddr": _DNS,
    "socket.getnameinfo": _DNS,
    "subprocess.Popen": _SPAWN,
    "os.system": _SPAWN,
    "os.exec": _SPAWN,
    "os.posix_spawn": _SPAWN,
    "os.spawn": _SPAWN,
    "os.fork": _SPAWN,
    "os.forkpty": _SPAWN,
    "pty.spawn": _SPAWN,
    "os.startfile": _SPAWN,
}
_PATH_EVENTS = frozenset(
    {
        "open", "os.chdir", "os.listdir", "os.scandir", "os.getxattr", "os.listxattr",
        "os.link", "os.rename", "os.truncate", "os.chmod", "os.chown", "os.utime",
        "os.mkdir", "os.remove", "os.rmdir", "os.setxattr", "os.removexattr", "shutil.copyfile",
    }
)  # fmt: skip
_OTHER_PROCESS = "python graders may not read or touch other processes' /proc entries"


def _lexical(path: str) -> str:
    """``path`` with ``//``, ``.`` and ``..`` collapsed (no file system access)."""
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


_SELF = {"self", "thread-self"}
_OWN_ROOT = re.compile(r"/proc/(self|thread-self|\d+)(?:/task/\d+)?/root(?=/|$)")


def _names_other_process(path: str, own: set[str]) -> bool:
    parts = path.split("/")
    return len(parts) > 2 and parts[1] == "proc" and parts[2].isdigit() and parts[2] not in own


def other_process_path(path: object, own_pid: int, cwd: str, *, resolve: bool = True) -> bool:
    """Whether ``path`` leads into another process's ``/proc/<pid>/`` entry.

    Args:
        path: as given to ``open`` and the like (str, bytes or path-like; ints are descriptors
            and never match).
        own_pid: this process's pid (``/proc/<own_pid>``, ``/proc/self`` and
            ``/proc/thread-self`` are allowed).
        cwd: the working directory a relative path is taken from.
        resolve: also resolve symbolic links (``os.path.realpath``); off for the pure check.
    """
    if isinstance(path, int):
        return False
    try:
        # any object on purpose: fspath's own TypeError decides what is a path (an
        # isinstance(os.PathLike) check can be fooled, e.g. by its cache)
        text = os.fsdecode(os.fspath(path))  # type: ignore[call-overload]
    except TypeError:
        return False
    absolute = text if text.startswith("/") else f"{cwd}/{text}"
    own = {str(own_pid)}
    candidates = [_lexical(absolute)]
    if resolve:
        try:
            candidates.append(_lexical(os.path.realpath(absolute)))
        except (OSError, ValueError):
            pass
    for candidate in candidates:
        # /proc/self/root (and our own pid's, a task's) is a link to "/": look behind it
        while (match := _OWN_ROOT.match(candidate)) and match.group(1) in (own | _SELF):
            candidate = "/" + candidate[match.end() :].lstrip("/")
        if _names_other_process(candidate, own):
            return True
    return False


def install_audit_hook() -> None:
    """Refuse, with a reason, what python graders may not do (see the module docstring)."""
    unix = getattr(socket, "AF_UNIX", None)
    busy = [False]

    def hook(event: str, args: tuple) -> None:
        if event in _BLOCKED_EVENTS:
            raise PermissionError(f"python graders may not {_BLOCKED_EVENTS[event]} ({event})")
        if event in ("os.kill", "os.killpg"):
            if event == "os.killpg" or (args and args[0] != os.getpid()):
                raise PermissionError(f"python graders may not signal other processes ({event})")
            return
        if event == "socket.__new__":
            family = args[1] if len(args) > 1 else None
            if family != unix:
                raise PermissionError("python graders have no network access (sockets are refused)")
            return
        if event in ("socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"):
            raise PermissionError("python graders have no network access (sockets are refused)")
        if event in _PATH_EVENTS and args and not busy[0]:
            busy[0] = True
            try:
                if other_process_path(args[0], os.getpid(), os.getcwd()):
                    raise PermissionError(_OTHER_PROCESS)
            except FileNotFoundError:
                pass  # the working directory is gone; nothing to resolve against
            finally:
                busy[0] = False

    sys.addaudithook(hook)


# -- framing -----------------------------------------------------------------------------------

def frame(message: dict) -> bytes:
    """One length-prefixed UTF-8 JSON message."""
    data = json.dumps(message, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return struct.pack(">I", len(data)) + data
