"""Shared fixtures: plates generated once per session with FFmpeg, with their truth."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

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
