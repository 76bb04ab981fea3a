"""How a sequence cut's frame files are made from the plate's: a reflink, a hard link or a copy.

``auto`` (the default) clones each file where the filesystem can (a reflink: btrfs, XFS with
reflink, OCFS2, ...; the blocks are shared until either file is written, so the cut and the plate
stay independent) and copies it elsewhere. ``hardlink`` makes the cut's file another name of the
plate's (no byte moved, but one inode: an edit in place of a cut's frame changes the plate's
frame too), and copies across filesystems, where a link cannot be made. ``copy`` always copies.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

FrameFiles = Literal["auto", "copy", "hardlink"]
FRAME_FILES: tuple[FrameFiles, ...] = ("auto", "copy", "hardlink")
DEFAULT_FRAME_FILES: FrameFiles = "auto"
_FICLONE = 0x40049409  # linux/fs.h: _IOW(0x94, 9, int), clone a whole file
# a filesystem (or a pair of them) that cannot clone or link: copy instead
_CANNOT = frozenset({errno.EXDEV, errno.EOPNOTSUPP, errno.ENOTTY, errno.EINVAL, errno.EPERM,
                     errno.EMLINK, errno.ENOSYS})


@dataclass
class Placed:
    """What placing a cut's frames took: files cloned, linked and copied, and bytes copied."""

    cloned: int = 0
    linked: int = 0
    copied: int = 0
    copied_bytes: int = 0

    def add(self, other: Placed) -> None:
        self.cloned += other.cloned
        self.linked += other.linked
        self.copied += other.copied
        self.copied_bytes += other.copied_bytes


def place_frame(source: Path, dest: Path, how: FrameFiles, placed: Placed) -> None:
    """``dest`` made from ``source`` as ``how`` asks (see the module), counted in ``placed``."""
    if how == "hardlink" and _linked(source, dest):
        placed.linked += 1
        return
    if how == "auto" and _cloned(source, dest):
        placed.cloned += 1
        return
    shutil.copyfile(source, dest)
    placed.copied += 1
    placed.copied_bytes += dest.stat().st_size


def _linked(source: Path, dest: Path) -> bool:
    try:
        os.link(source, dest)
    except OSError as exc:
        if exc.errno in _CANNOT:
            return False
        raise
    return True


def _cloned(source: Path, dest: Path) -> bool:
    with open(source, "rb") as src, open(dest, "wb") as out:
        try:
            fcntl.ioctl(out.fileno(), _FICLONE, src.fileno())
        except OSError as exc:
            if exc.errno in _CANNOT:
                return False  # dest is left empty: the copy that follows replaces it
            raise
    return True
