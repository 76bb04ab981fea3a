"""The split job: probe -> burn-in bands -> decode features -> detect -> burn-ins -> split ->
pictures -> outputs.

The burn-in bands are found before the decoding pass, on a few pictures spread over the plate,
so the pass keeps only their rows at full resolution (:mod:`jobs.framestore`).

The decoding pass also writes the review files (proxy, thumbnail strip; :mod:`jobs.review`),
whose scores follow detection.

Each stage is a function of its own module; this one runs them in order, times
them and writes the manifest last. With a cut list (``SplitOptions.cut_list``) the
burn-ins are not read and the list's cuts are planned instead of the detected ones.
"""

from __future__ import annotations

import ctypes
import gc
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol

from jobs import __version__, ffmpeg_cli
from jobs.analyse import Analysis
from jobs.burnin.frames import PlateFrames, grab_frame, grab_run
from jobs.burnin.regions import Region
from jobs.burnin.stage import Bands, BurnInResult, find_bands, labels_for, read_burnins, report
from jobs.cut_fields import (
    DEFAULT_HANDLES,
    DEFAULT_HEAD_IN,
    DEFAULT_PLATE_KIND,
    Handles,
    Numbering,
    PlateKind,
)
from jobs.cut_list import CutList
from jobs.errors import UsageError
from jobs.frame_files import DEFAULT_FRAME_FILES, FrameFiles
from jobs.framestore import FrameStore, band_rows
from jobs.manifest import (
    MANIFEST_NAME,
    DetectorSettings,
    Manifest,
    PlateInfo,
    Software,
    SplitSettings,
)
from jobs.ocr.cleanup import DEFAULT_SHOT_PATTERN
from jobs.ocr.engine import OcrEngine, OcrSettings
from jobs.ocr.factory import load_engine
from jobs.outdir import staged
from jobs.outputs import build_manifest, editorial_outputs
from jobs.part_pass import analyse_in_parts
from jobs.pictures import Fetch, write_thumbnails
from jobs.probe import probe
from jobs.review import ReviewPlan, finish_review, picture_aspect
from jobs.segments import DEFAULT_NAME_TEMPLATE, CutPlan, plan_cuts, plan_listed
from jobs.source import PlateSource, resolve_source
from jobs.split import DEFAULT_CODEC, SplitResult, output_kind, placement, split_all
from jobs.timecode import FrameRate


class Progress(Protocol):
    def stage(self, name: str, total: int | None) -> Callable[[int], None]: ...


class NoProgress:
    def stage(self, name: str, total: int | None) -> Callable[[int], None]:
        return lambda done: None


@dataclass
class SplitOptions:
    split: bool = True
    review: bool = True  # review/: proxy, thumbnail strip and detector scores (jobs.review)
    parts: int = 1  # the decoding pass in this many parts, each a local process (jobs.part_pass)
    codec: str = DEFAULT_CODEC
    head_in: int = DEFAULT_HEAD_IN
    plate_kind: PlateKind = DEFAULT_PLATE_KIND
    head_handles: int = DEFAULT_HANDLES
    tail_handles: int = DEFAULT_HANDLES
    name_template: str = DEFAULT_NAME_TEMPLATE
    detector: DetectorSettings = field(default_factory=lambda: DetectorSettings())
    sequence_rate: FrameRate | None = None
    frame_files: FrameFiles = DEFAULT_FRAME_FILES  # a sequence's cut frames: see jobs.frame_files
    overwrite: bool = False
    # None: no burn-ins. The default reads no environment: the commands pass the settings
    # of PLATECUT_OCR_* (jobs.split_options.ocr_settings)
    ocr: OcrSettings | None = field(default_factory=OcrSettings)
    burnin_regions: list[Region] | None = None  # None: found automatically
    shot_pattern: str = DEFAULT_SHOT_PATTERN
    # the cuts of a cut version (jobs.cut_list), written as they are: no OCR, no detected
    # boundary; the decoding pass still runs (timestamps, frames, transitions)
    cut_list: CutList | None = None

    def __post_init__(self) -> None:
        _ = self.numbering  # a plate kind, head-in or handles it cannot take fail here

    @property
    def numbering(self) -> Numbering:
        """How the cuts are numbered: the plate kind, head-in and handles."""
        try:
            return Numbering(self.plate_kind, self.head_in,
                             Handles(self.head_handles, self.tail_handles))
        except ValueError as exc:
            raise UsageError(str(exc)) from exc


class _Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.timings[stage] = round(time.perf_counter() - start, 3)


def _burnins(source: PlateSource, info: PlateInfo, found: Analysis, engine: OcrEngine,
             options: SplitOptions, store: FrameStore, bands: Bands) -> BurnInResult:
    frames = PlateFrames(info, partial(grab_frame, source, info, found.stamps), store,
                         partial(grab_run, source, info, found.stamps))
    rate = info.frame_rate.as_frame_rate()
    return read_burnins(frames, engine, found.detection.boundaries, len(found.stamps.pts), rate,
                        re.compile(options.shot_pattern), bands)


def _thumbnail_fetch(source: PlateSource, info: PlateInfo, found: Analysis,
                     store: FrameStore) -> Fetch:
    """How to make a thumbnail the frame store let go of: from the frame, fetched by seeking."""
    aspect = picture_aspect(info)

    def fetch(index: int) -> Path:
        return store.write_thumbnail(index, grab_frame(source, info, found.stamps, index), aspect)
    return fetch


def _plan(source: PlateSource, info: PlateInfo, found: Analysis, burnins: BurnInResult | None,
          options: SplitOptions) -> list[CutPlan]:
    if options.cut_list:
        return plan_listed(info, options.cut_list, found.detection.transitions, found.stamps,
                           options.numbering)
    rate = info.frame_rate.as_frame_rate()
    count = len(found.stamps.pts)
    boundaries = burnins.boundaries if burnins else found.detection.boundaries
    labels = labels_for(burnins, count, rate) if burnins else None
    return plan_cuts(info, boundaries, found.stamps, source.stem, options.name_template, labels,
                     options.numbering)


@contextmanager
def frame_store(info: PlateInfo, bands: Bands) -> Iterator[FrameStore]:
    """A scratch frame store (under ``TMPDIR``) for one run, removed afterwards; it keeps the
    rows of ``bands`` at full resolution."""
    rows = band_rows(info.height, [r.pixels(info.width, info.height) for r in bands.regions])
    with tempfile.TemporaryDirectory(prefix="platecut-frames-") as tmp:
        yield FrameStore(Path(tmp), info.width, info.height, rows)


def _return_memory() -> None:
    """Collect garbage and hand freed heap pages back to the system (glibc)."""
    gc.collect()
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def run_split(plate: str, out_dir: Path, options: SplitOptions,
              progress: Progress | None = None) -> Manifest:
    """Split ``plate`` into ``out_dir``; returns the manifest that was written there.

    With ``options.cut_list``, its cuts are written instead of the detected ones (and no
    burn-in is read): :class:`~jobs.errors.BadInputError` before any work when one of them
    starts past the plate's end."""
    bar, timer = progress or NoProgress(), _Timer()
    with timer("probe"):
        source = resolve_source(plate, options.sequence_rate)
        info = probe(source)
        kind = output_kind(source, info, options.codec) if options.split else "none"
        listed = options.cut_list
        if listed:
            listed.check_plate(info.frame_count, source.display_name)
    engine = None
    if options.ocr and not listed:  # a cut list names its cuts: no burn-in is read
        with timer("ocr_load"):  # before any work, so a missing engine or model stops the job first
            engine = load_engine(options.ocr)
    with staged(out_dir, options.overwrite) as stage, ExitStack() as scratch:
        bands = Bands([])
        if engine:
            with timer("regions"):
                bands = find_bands(source, info, engine, options.burnin_regions)
        store = scratch.enter_context(frame_store(info, bands))
        review = ReviewPlan.for_plate(info, stage) if options.review else None
        with timer("detect"):
            found = analyse_in_parts(source, info, options.detector, options.parts,
                                     bar.stage("detect", info.frame_count), store, review)
        review_files = None
        if review:
            with timer("review"):
                review_files = finish_review(review, found.detection, len(found.stamps.pts))
        burnins, burnin_report = None, None
        if engine:
            with timer("ocr"):
                burnins = _burnins(source, info, found, engine, options, store, bands)
                burnin_report = report(burnins, engine)
            engine = None  # the models are not needed for the split: give their memory back
            _return_memory()
        cuts = _plan(source, info, found, burnins, options)
        media: list[SplitResult] = []
        if options.split:
            with timer("split"):
                media = split_all(source, info, cuts, found.stamps, stage / "cuts", kind,
                                  bar.stage("split", len(cuts)), options.frame_files)
        with timer("thumbnails"):
            thumbs = write_thumbnails(store, cuts, stage / "thumbnails",
                                      _thumbnail_fetch(source, info, found, store),
                                      bar.stage("thumbnails", len(cuts)))
        settings = SplitSettings(enabled=options.split, codec=kind, head_in=options.head_in,
                                 copied=kind == "copy", plate_kind=options.plate_kind,
                                 head_handles=options.head_handles,
                                 tail_handles=options.tail_handles,
                                 cut_list_version=listed.version if listed else None,
                                 frame_files=placement(media))
        software = Software(version=__version__, ffmpeg=ffmpeg_cli.ffmpeg_version(),
                            decode=found.decode_path)
        manifest = build_manifest(stage, source, info, cuts, found, media, thumbs,
                                  options.detector, settings, software)
        if burnin_report:
            manifest = manifest.model_copy(update={"burnin": burnin_report})
        if review_files:
            manifest = manifest.model_copy(update={"review": review_files})
        with timer("outputs"):
            manifest = editorial_outputs(stage, manifest)
        manifest = manifest.model_copy(update={"timings": dict(timer.timings)})
        (stage / MANIFEST_NAME).write_text(manifest.to_json())
    return manifest
