"""Shared fixtures: plates generated once per test run with FFmpeg, with their truth.

Under pytest-xdist (``make test`` runs a worker per CPU core) the plates and splits are made once
per run, not once per worker: the first worker to want one makes it, the others wait for it and
load what it left (``SharedCache``).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from jobs.manifest import Manifest
from jobs.synth import PlateSpec, PlateTruth, make_plate

PlateMaker = Callable[[str, PlateSpec], tuple[Path, PlateTruth]]
T = TypeVar("T")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist, slow tests first: the workers start on the longest work and finish together,
    instead of one of them running a long test alone at the end. Serial runs keep the file order."""
    if os.environ.get("PYTEST_XDIST_WORKER"):  # every worker sorts alike: xdist needs the same order
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: file order kept


def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This run's folder for what its test processes share: the base temp folder, or under xdist the
    one above the workers' own (made by the controller for this run, so never a previous run's)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


class SharedCache:
    """Values made once per test run by whichever process wants each first, under a file lock; the
    others wait on the lock and load its pickle. Within a process a value is the same object."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.memo: dict[str, Any] = {}

    def get(self, key: str, make: Callable[[], T]) -> T:
        if key not in self.memo:
            stem = hashlib.sha256(key.encode()).hexdigest()[:20]
            done = self.folder / f"{stem}.pickle"
            with (self.folder / f"{stem}.lock").open("a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # released on close, also when a process dies
                if done.exists():
                    value = pickle.loads(done.read_bytes())
                else:
                    value = make()
                    partial = done.with_name(f"{stem}.{os.getpid()}.tmp")
                    partial.write_bytes(pickle.dumps(value))
                    partial.replace(done)
            self.memo[key] = value
        result: T = self.memo[key]
        return result


@pytest.fixture(scope="session", autouse=True)
def _ffmpeg_present() -> None:
    if not shutil.which("ffmpeg"):
        pytest.exit("ffmpeg is not installed: run `make test`, which installs it", returncode=3)


@pytest.fixture(scope="session")
def plates(tmp_path_factory: pytest.TempPathFactory) -> PlateMaker:
    """Make (once per run) a plate named ``name`` from ``spec``; returns its path and truth."""
    root = shared_root(tmp_path_factory)
    folder = root / "plates"
    cache = SharedCache(root / "cache" / "plates")

    def make(name: str, spec: PlateSpec) -> tuple[Path, PlateTruth]:
        path = folder / name
        return path, cache.get(name, lambda: make_plate(spec, path))

    return make


SplitRunner = Callable[..., tuple[Path, "Manifest", PlateTruth]]


@pytest.fixture(scope="session")
def split_plate(plates: PlateMaker, tmp_path_factory: pytest.TempPathFactory) -> SplitRunner:
    """Split a generated plate once per (name, options); returns out dir, manifest, truth."""
    from jobs.pipeline import SplitOptions, run_split

    root = shared_root(tmp_path_factory)
    folder = root / "splits"  # beside root / "plates" (tests find a split's plate from its folder)
    cache = SharedCache(root / "cache" / "splits")

    def run(file_name: str, spec: PlateSpec, **options: object) -> tuple[Path, Manifest, PlateTruth]:
        key = f"{file_name}-{sorted(options.items())}"
        out = folder / f"out-{hashlib.sha256(key.encode()).hexdigest()[:20]}"

        def split() -> Manifest:
            path, _ = plates(file_name, spec)
            shutil.rmtree(out, ignore_errors=True)  # what a process that died left
            return run_split(str(path), out, SplitOptions(**options))  # type: ignore[arg-type]

        manifest = cache.get(key, split)
        return out, manifest, plates(file_name, spec)[1]

    return run
