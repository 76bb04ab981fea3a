"""Shared fixtures: plates generated once per session with FFmpeg, with their truth."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from jobs.manifest import Manifest
from jobs.synth import PlateSpec, PlateTruth, make_plate

PlateMaker = Callable[[str, PlateSpec], tuple[Path, PlateTruth]]


@pytest.fixture(scope="session", autouse=True)
def _ffmpeg_present() -> None:
    if not shutil.which("ffmpeg"):
        pytest.exit("ffmpeg is not installed: run `make test`, which installs it", returncode=3)


@pytest.fixture(scope="session")
def plates(tmp_path_factory: pytest.TempPathFactory) -> PlateMaker:
    """Make (once) a plate named ``name`` from ``spec``; returns its path and truth."""
    root = tmp_path_factory.mktemp("plates")
    made: dict[str, tuple[Path, PlateTruth]] = {}

    def make(name: str, spec: PlateSpec) -> tuple[Path, PlateTruth]:
        if name not in made:
            path = root / name
            made[name] = (path, make_plate(spec, path))
        return made[name]

    return make


SplitRunner = Callable[..., tuple[Path, "Manifest", PlateTruth]]


@pytest.fixture(scope="session")
def split_plate(plates: PlateMaker, tmp_path_factory: pytest.TempPathFactory) -> SplitRunner:
    """Split a generated plate once per (name, options); returns out dir, manifest, truth."""
    from jobs.pipeline import SplitOptions, run_split

    root = tmp_path_factory.mktemp("splits")
    done: dict[str, tuple[Path, Manifest, PlateTruth]] = {}

    def run(file_name: str, spec: PlateSpec, **options: object) -> tuple[Path, Manifest, PlateTruth]:
        key = f"{file_name}-{sorted(options.items())}"
        if key not in done:
            path, truth = plates(file_name, spec)
            out = root / f"out{len(done)}"
            manifest = run_split(str(path), out, SplitOptions(**options))  # type: ignore[arg-type]
            done[key] = (out, manifest, truth)
        return done[key]

    return run
