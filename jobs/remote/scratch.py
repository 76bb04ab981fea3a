"""The job's scratch: one fresh work folder per job, and the removal of those dead jobs left.

``work_folder`` makes ``platecut-job-<plate>-XXXX`` under the scratch root and holds a lock on its
``.owner`` file (``flock``) for as long as the job runs. A job that exits removes its folder; one that
is killed (SIGKILL, the OOM killer, a reboot) cannot, but the kernel drops its lock. So each job first
removes the sibling folders whose lock nobody holds and whose job started longer ago than
``PLATECUT_SCRATCH_STALE_SECONDS`` (``sweep_stale``). Folders without an ``.owner`` (made by an older
version) are left alone: nothing tells whether their job still runs.

Under Kubernetes the scratch root is the pod's emptyDir (``TMPDIR=/scratch``), gone with the pod; the
local launcher gives each job a root of its own and removes it when the job ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from jobs.errors import OutputError, PlatecutError

PREFIX = "platecut-job-"
OWNER = ".owner"  # locked by the running job; says which process it is, for people
STALE_SECONDS = 3600.0  # default age past which a dead job's folder is removed


def scratch_root(configured: Path | None) -> Path:
    """The folder work folders go in: ``--scratch``/``PLATECUT_SCRATCH``, else TMPDIR."""
    return configured or Path(tempfile.gettempdir())


@contextlib.contextmanager
def work_folder(root: Path, plate_id: str) -> Iterator[Path]:
    """A fresh folder under ``root`` for the download and the outputs, locked while the job runs
    and removed after it."""
    tag = re.sub(r"[^A-Za-z0-9_.-]", "_", plate_id)[:40]
    try:
        root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{tag}-", dir=root))
        owner = _hold(work / OWNER)
    except OSError as exc:
        raise OutputError(f"cannot use the scratch folder {root}: {exc.strerror}") from exc
    try:
        yield work
    except PlatecutError as exc:
        exc.message = without_folder(exc.message, work)
        exc.args = (exc.message,)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
        os.close(owner)


def without_folder(message: str, work: Path) -> str:
    """``message`` with this machine's scratch paths dropped: ``<work>/plate/x.mov`` -> ``x.mov``.
    What the user reads (and the API keeps as the plate's reason) names the plate, not our disk."""
    for folder in (work / "plate", work):
        message = message.replace(f"{folder}/", "")
    return message.replace(str(work), "the job's scratch folder")


def sweep_stale(root: Path, older_than: float) -> list[Path]:
    """Remove the work folders under ``root`` of jobs that are gone (their ``.owner`` unlocked) and
    started more than ``older_than`` seconds ago; returns those removed."""
    cutoff = time.time() - older_than
    try:
        folders = sorted(root.glob(f"{PREFIX}*"))
    except OSError:
        return []
    return [folder for folder in folders if _remove_if_abandoned(folder, cutoff)]


def _hold(path: Path) -> int:
    """Create and lock ``path``; the open descriptor keeps the lock."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
    except OSError:
        os.close(fd)
        raise
    return fd


def _remove_if_abandoned(folder: Path, cutoff: float) -> bool:
    if folder.is_symlink() or not folder.is_dir():
        return False
    try:
        fd = os.open(folder / OWNER, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:  # no owner file: an older version's, or one being made
        return False
    try:
        if os.fstat(fd).st_mtime > cutoff:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # its job still runs
            return False
        shutil.rmtree(folder, ignore_errors=True)
        return not folder.exists()
    finally:
        os.close(fd)
