"""Reading input files and writing output files: the one layer every command goes through.

Reading (*path -> bytes -> text -> records*; each reader names what the file is, ``what``):

- every :class:`OSError` is one :class:`UnreadableFile` line naming the file and what to do:
  no such file, a directory, permission denied, a symbolic link loop, anything else with the
  system's words; never a traceback;
- text is UTF-8; a UTF-8 byte order mark (as Excel and Notepad write) is dropped; UTF-16
  (its BOM), a binary file (a NUL byte) and bytes that are not UTF-8 are refused with the line
  and column of the first bad byte;
- :func:`read_json` and :func:`read_jsonl` add the JSON layer: ``file:line:col`` of the first
  syntax error; one JSON object per line for JSONL (:func:`rubricate.jsonl.jsonl_objects`).

Writing: :func:`write_atomic` writes through a temporary file in the same folder and renames
it over the target, so a reader never sees half a file; the file gets the permissions a plain
``open(path, "w")`` would (``0o666`` minus the umask), or keeps those of the file it replaces,
never the ``0o600`` of a temporary file. OSErrors are :class:`~rubricate.errors.InputError`
lines too.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from rubricate.errors import InputError
from rubricate.jsonl import jsonl_objects


class UnreadableFile(InputError):
    """A file that cannot be read as text.

    Attributes:
        path: the file as given.
        reason: what is wrong and how to fix it (without the path).
        line, col: where, when the problem is at a byte (1-based), else None.
    """

    def __init__(self, path: str, reason: str, line: int | None = None, col: int | None = None):
        where = f"{path}:{line}:{col}" if line is not None else path
        super().__init__(f"{where}: {reason}", title="unreadable file")
        self.path, self.reason, self.line, self.col = path, reason, line, col


def _a(what: str) -> str:
    return f"an {what}" if what[:1].lower() in "aeiou" else f"a {what}"


def os_reason(error: OSError, what: str) -> str:
    """What an :class:`OSError` on reading ``what`` means, and what to do, as one phrase."""
    if isinstance(error, FileNotFoundError):
        return f"no such {what}; check the path"
    if isinstance(error, IsADirectoryError):
        return f"is a directory, not {_a(what)}"
    if isinstance(error, PermissionError):
        return "permission denied; make it readable (chmod +r) or copy it somewhere readable"
    if error.errno == errno.ELOOP:
        return f"is a symbolic link loop; point the link at {_a(what)}"
    if error.errno == errno.ENOTDIR:
        return "a folder in the path is a file; check the path"
    return f"cannot be read: {error.strerror or error}"


def read_bytes(path: str | Path, what: str = "file") -> bytes:
    """The file's bytes.

    Raises:
        UnreadableFile: any :class:`OSError` (see the module docstring).
    """
    try:
        return _read(Path(path))
    except OSError as error:
        raise UnreadableFile(str(path), os_reason(error, what)) from None


def _read(path: Path) -> bytes:
    """The one place input bytes are read (tests put a permission error here)."""
    return path.read_bytes()


def decode(data: bytes, path: str | Path, what: str = "file") -> str:
    """``data`` as UTF-8 text, a leading byte order mark dropped.

    Raises:
        UnreadableFile: UTF-16, binary, or not UTF-8 (with the line and column).
    """
    name = str(path)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile(name, "is UTF-16 text; save it as UTF-8", 1, 1)
    nul = data.find(b"\x00", 0, 8192)
    if nul >= 0:
        raise UnreadableFile(name, f"is a binary file, not {_a(what)} (text)", 1, 1)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        byte = data[error.start]
        raise UnreadableFile(
            name, f"is not UTF-8 text (byte 0x{byte:02x}); save it as UTF-8",
            *_position(data, error.start),
        ) from None  # fmt: skip


def _position(data: bytes, offset: int) -> tuple[int, int]:
    before = data[:offset]
    return before.count(b"\n") + 1, offset - (before.rfind(b"\n") + 1) + 1


def read_text(path: str | Path, what: str = "file") -> str:
    """The file's text (UTF-8, BOM dropped); see :func:`read_bytes` and :func:`decode`."""
    return decode(read_bytes(path, what), path, what)


def read_json(path: str | Path, what: str = "JSON file") -> Any:
    """The file parsed as JSON.

    Raises:
        UnreadableFile: as :func:`read_text`.
        InputError: not valid JSON (``file:line:col``).
    """
    text = read_text(path, what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{path}:{error.lineno}:{error.colno}: not valid JSON ({error.msg}); {_a(what)} "
            "is one JSON document"
        ) from None


def read_jsonl(
    path: str | Path, what: str, *, line_name: str | None = None
) -> list[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for every non-blank line (see :func:`rubricate.jsonl.
    jsonl_objects` for the messages)."""
    text = read_text(path, what)
    return list(jsonl_objects(text, str(path), each_line_of=_a(what), line_name=line_name))


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, with the permissions a new file gets (or the
    replaced file's).

    Raises:
        InputError: the folder is missing or not writable, or the disk is full.
    """
    target = Path(path)
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:
        mode = 0o666 & ~_umask()
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    except OSError as error:
        raise InputError(f"{target}: cannot write: {_write_reason(error)}") from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise InputError(f"{target}: cannot write: {_write_reason(error)}") from None
        raise


def write_text(path: str | Path, text: str) -> None:
    """:func:`write_atomic` of ``text`` as UTF-8."""
    write_atomic(path, text.encode("utf-8"))


def _write_reason(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "its folder does not exist; create it first"
    if isinstance(error, PermissionError):
        return "permission denied; choose a folder you can write to"
    if isinstance(error, IsADirectoryError):
        return "is a directory; give a file name"
    return str(error.strerror or error)


def _umask() -> int:
    """The process umask: read from ``/proc`` where there is one (reading it with
    ``os.umask`` means setting it, which races with other threads creating files)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current
