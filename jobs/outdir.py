"""Output folders that appear whole or not at all.

Everything is written into a hidden staging folder beside the destination and
renamed into place once the manifest is written; a failed run leaves nothing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jobs.errors import OutputError


def check_destination(out_dir: Path, overwrite: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir} exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise OutputError(f"{out_dir} is not empty: choose another folder or pass --overwrite")


@contextmanager
def staged(out_dir: Path, overwrite: bool) -> Iterator[Path]:
    """Yield a staging folder; on success it replaces ``out_dir``, on failure it is removed."""
    check_destination(out_dir, overwrite)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        stage = out_dir.parent / f".{out_dir.name}.partial-{os.getpid()}"
        shutil.rmtree(stage, ignore_errors=True)
        stage.mkdir()
    except OSError as exc:
        raise OutputError(f"cannot write to {out_dir.parent}: {exc.strerror}") from exc
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    _publish(stage, out_dir)


def _publish(stage: Path, out_dir: Path) -> None:
    old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
    if out_dir.exists():
        out_dir.rename(old)
    stage.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)
