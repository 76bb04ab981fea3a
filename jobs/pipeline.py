"""The split job: probe -> decode features -> detect -> plan -> split -> pictures -> outputs.

Each stage is a function of its own module; this one runs them in order, times
them and writes the manifest last.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from jobs import __version__, ffmpeg_cli
from jobs.analyse import analyse
from jobs.manifest import DetectorSettings, Manifest, Software, SplitSettings
from jobs.outdir import staged
from jobs.outputs import build_manifest, editorial_outputs
from jobs.pictures import write_thumbnails
from jobs.probe import probe
from jobs.segments import DEFAULT_NAME_TEMPLATE, plan_cuts
from jobs.source import resolve_source
from jobs.split import DEFAULT_CODEC, SplitResult, output_kind, split_all
from jobs.timecode import FrameRate


class Progress(Protocol):
    def stage(self, name: str, total: int | None) -> Callable[[int], None]: ...


class NoProgress:
    def stage(self, name: str, total: int | None) -> Callable[[int], None]:
        return lambda done: None


@dataclass
class SplitOptions:
    split: bool = True
    codec: str = DEFAULT_CODEC
    head_in: int = 1001
    name_template: str = DEFAULT_NAME_TEMPLATE
    detector: DetectorSettings = field(default_factory=DetectorSettings)
    sequence_rate: FrameRate | None = None
    overwrite: bool = False


class _Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.timings[stage] = round(time.perf_counter() - start, 3)


def run_split(plate: str, out_dir: Path, options: SplitOptions,
              progress: Progress | None = None) -> Manifest:
    """Split ``plate`` into ``out_dir``; returns the manifest that was written there."""
    bar = progress or NoProgress()
    timer = _Timer()
    with timer("probe"):
        source = resolve_source(plate, options.sequence_rate)
        info = probe(source)
        kind = output_kind(source, info, options.codec) if options.split else "none"
    with staged(out_dir, options.overwrite) as stage:
        with timer("detect"):
            found = analyse(source, info, options.detector, bar.stage("detect", info.frame_count))
            cuts = plan_cuts(info, found.detection.boundaries, found.stamps, source.stem,
                             options.name_template)
        media: list[SplitResult] = []
        if options.split:
            with timer("split"):
                media = split_all(source, info, cuts, found.stamps, stage / "cuts", kind,
                                  options.head_in, bar.stage("split", len(cuts)))
        with timer("thumbnails"):
            thumbs = write_thumbnails(source, cuts, found.stamps, stage / "thumbnails",
                                      bar.stage("thumbnails", len(cuts)))
        settings = SplitSettings(enabled=options.split, codec=kind, head_in=options.head_in,
                                 copied=kind == "copy")
        software = Software(version=__version__, ffmpeg=ffmpeg_cli.ffmpeg_version())
        manifest = build_manifest(stage, source, info, cuts, found, media, thumbs,
                                  options.detector, settings, software)
        with timer("outputs"):
            manifest = editorial_outputs(stage, manifest)
        manifest = manifest.model_copy(update={"timings": dict(timer.timings)})
        (stage / "manifest.json").write_text(manifest.to_json())
    return manifest
