"""The storage's temporary files (``tmp/``): bodies being received, parts being joined.

Each is locked (``flock``) by the process writing it for as long as it is open, so a file that is
old and unlocked was left by a process that died (a server killed mid-receive): the sweep removes
those (``remove_stale``) and never one being written, however slowly. The kernel drops a dead
process's locks.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from pathlib import Path
from stat import S_ISREG
from typing import IO


def open_locked(folder: Path, prefix: str) -> IO[bytes]:
    """A new, open, empty file in ``folder``, locked until it is closed (``OSError`` when it
    cannot be made)."""
    out = tempfile.NamedTemporaryFile(dir=folder, prefix=prefix, delete=False)  # noqa: SIM115 (returned open)
    with contextlib.suppress(OSError):  # a file system without locks: the age alone protects it
        fcntl.flock(out.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # a new file: never blocks
    return out


def remove_stale(folder: Path, older_than: float, limit: int) -> int:
    """Delete up to ``limit`` files of ``folder`` unchanged for ``older_than`` seconds and not open
    for writing; returns how many went."""
    cutoff = time.time() - older_than
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    for entry in entries:
        if removed >= limit:
            break
        if _remove_if_stale(Path(entry.path), cutoff):
            removed += 1
    return removed


def _remove_if_stale(path: Path, cutoff: float) -> bool:
    """Remove ``path`` when it is a plain file last written before ``cutoff`` and nobody holds its
    lock (taken here while it is removed, so its writer cannot be starting meanwhile)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:  # gone meanwhile, or a link
        return False
    try:
        held = os.fstat(fd)
        if not S_ISREG(held.st_mode) or held.st_mtime > cutoff:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # being written
            return False
        if os.stat(path, follow_symlinks=False).st_ino != held.st_ino:
            return False  # renamed and replaced meanwhile
        path.unlink()
        return True
    except FileNotFoundError:
        return False
    finally:
        os.close(fd)
