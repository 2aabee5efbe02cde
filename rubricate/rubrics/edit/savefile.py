"""Reading a rubric for editing and saving it back without ever losing data.

- :func:`open_for_edit` reads the text and remembers the file's *fingerprint* (modification
  time in ns, size and SHA-256 of the bytes).
- :func:`save_text` refuses to write when the bytes on disk no longer have that hash
  (someone changed it since it was opened or last saved): :class:`FileChangedError`. A
  changed time with the same bytes (``touch``) is not a change; changed bytes with the same
  size and time are. A file deleted since is written anew (nothing can be lost).
- The write is atomic: a temporary file in the same directory, flushed and fsynced, given the
  original's permissions, then ``os.replace``\\ d over the target and the directory fsynced. A
  crash leaves either the old file or the new one, never half of one. A symlink is followed:
  the file it points to is replaced, the link stays.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rubricate.errors import InputError
from rubricate.rubrics.loader import read_text


@dataclass(frozen=True)
class Fingerprint:
    """What a file looked like when it was read or written."""

    mtime_ns: int
    size: int
    sha256: str


class FileChangedError(InputError):
    """The file changed on disk since it was opened; the save was refused."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"{path}: changed on disk since it was opened; not overwritten "
            "(reload it, or save your version under another name)",
            title="file changed on disk",
        )
        self.path = path


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fingerprint(path: str | Path) -> Fingerprint | None:
    """The file's current fingerprint, or None when it does not exist."""
    try:
        data = Path(path).read_bytes()
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return Fingerprint(info.st_mtime_ns, info.st_size, _digest(data))


def open_for_edit(path: str | Path) -> tuple[str, Fingerprint | None]:
    """The file's text and fingerprint.

    Raises:
        UnreadableRubricError: missing, a directory, binary, not UTF-8
            (see :func:`rubricate.rubrics.loader.read_text`).
    """
    before = fingerprint(path)  # first: a change while reading makes the save refuse
    return read_text(path), before


def changed_on_disk(path: str | Path, expected: Fingerprint | None) -> bool:
    """True when the file's bytes differ from ``expected`` (a deleted file: False).

    The bytes' hash decides, never the modification time and size: an edit that keeps the
    size within the clock's resolution, or a tool that restores the time, is still seen."""
    current = fingerprint(path)
    if current is None:
        return False
    return expected is None or current.sha256 != expected.sha256


def save_text(path: str | Path, text: str, expected: Fingerprint | None) -> Fingerprint:
    """Write ``text`` to ``path`` atomically, unless the file changed since ``expected``.

    Args:
        path: the file to write.
        text: the new text (written as UTF-8).
        expected: the fingerprint from when it was read or last saved; None for a new file
            (then an existing file is never overwritten).

    Returns:
        The new fingerprint.

    Raises:
        FileChangedError: the file changed on disk (or exists when ``expected`` is None).
        InputError: the directory cannot be written.
    """
    name = str(path)
    if changed_on_disk(path, expected):
        raise FileChangedError(name)
    target = Path(os.path.realpath(path))
    data = text.encode("utf-8")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o644
    try:
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise InputError(f"{name}: cannot write in {target.parent}: {error.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)
    info = os.stat(target)
    return Fingerprint(info.st_mtime_ns, info.st_size, _digest(data))


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems cannot fsync a directory; the file itself is synced
    finally:
        os.close(fd)
