"""Stage 3 of a job: every output file under the output prefix, ``manifest.json`` last.

The manifest's presence means "complete": it goes up only after every other file
did, so a failure part-way leaves a prefix without one. The prefix is per attempt
(the caller gives an attempt-specific location), so nothing stale is cleaned up here.
"""

from __future__ import annotations

from pathlib import Path

from jobs.errors import PlatecutError
from jobs.manifest import MANIFEST_NAME
from jobs.remote.progress import Log, Meter, megabytes
from jobs.remote.store import content_type
from jobs.remote.store_protocol import ObjectStore
from jobs.remote.uri import ObjectUri


def output_files(folder: Path) -> list[str]:
    """The relative (``/``-separated) paths of every file under ``folder``, the manifest last."""
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    if MANIFEST_NAME not in files:
        raise PlatecutError(f"{folder} holds no {MANIFEST_NAME}: the split did not finish")
    files.remove(MANIFEST_NAME)
    return [*files, MANIFEST_NAME]


def upload_outputs(store: ObjectStore, prefix: ObjectUri, folder: Path, log: Log) -> list[str]:
    """Store every file of ``folder`` under ``prefix`` in the order of :func:`output_files`.

    Stops at the first failure (the store's error says whether a retry can help).
    Returns the relative paths uploaded.
    """
    files = output_files(folder)
    total = sum((folder / name).stat().st_size for name in files)
    log("upload", f"{len(files)} files ({megabytes(total)} MB) to {prefix}")
    meter = Meter(log, "upload", total)
    for name in files:
        store.put_file(folder / name, prefix.child(name).key, content_type(name), meter.advance)
    meter.finish(f", {len(files)} files, {MANIFEST_NAME} last")
    return files
