"""Stages 2 and 3 together: one streaming decode pass feeding the detector."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from jobs import hwdecode
from jobs.decode import SEEK_LEADS, FrameSpan, SeekMissed, Timestamps, decode_frames, frame_zero
from jobs.detect import Detection
from jobs.errors import BadInputError
from jobs.features import describe
from jobs.framestore import FrameStore
from jobs.manifest import DecodePath, DetectorSettings, PlateInfo
from jobs.parts import PartRange
from jobs.retention import Retention
from jobs.review import ReviewPlan
from jobs.source import PlateSource
from jobs.streaming import StreamingDetector


@dataclass
class Analysis:
    """What the decode pass learned about every frame (of a part: every frame it decoded)."""

    stamps: Timestamps
    detection: Detection  # of a part: the events starting in its range
    luma: npt.NDArray[np.float32]  # mean luma of every frame, 0..1
    decode_path: DecodePath  # the device that decoded the pass, as it ran


def analyse(source: PlateSource, info: PlateInfo, settings: DetectorSettings,
            progress: Callable[[int], None] | None = None,
            store: FrameStore | None = None, review: ReviewPlan | None = None,
            path: DecodePath | None = None, part: PartRange | None = None) -> Analysis:
    """Decode and detect in one pass; with ``store``, the pass also fills the frame store,
    with ``review`` it writes the review proxy and strip sheets. ``path`` (the decode device)
    is chosen for the plate and the node when not given (:mod:`jobs.hwdecode`); a pass that
    fails on the GPU runs again on the CPU, so a GPU fault never rejects a plate. With ``part``,
    only its frames are decoded and its events reported (:mod:`jobs.parts`), and ``store`` and
    ``review`` get its own frames (numbered as the plate's; ``review`` a part's plan)."""
    path = path or hwdecode.choose_decode_path(info)
    *tries, last = _spans(source, part) if part else [None]
    for span in tries:  # each sought from further back than the one before
        with suppress(SeekMissed):
            return _on_any_device(source, info, settings, progress, store, review, path, part, span)
    return _on_any_device(source, info, settings, progress, store, review, path, part, last)


def _on_any_device(source: PlateSource, info: PlateInfo, settings: DetectorSettings,
                   progress: Callable[[int], None] | None, store: FrameStore | None,
                   review: ReviewPlan | None, path: DecodePath, part: PartRange | None,
                   span: FrameSpan | None) -> Analysis:
    try:
        return _one_pass(source, info, settings, progress, store, review, path, part, span)
    except BadInputError as exc:
        if path.device != "cuda":
            raise
        return _one_pass(source, info, settings, progress, store, review,
                         hwdecode.failed_path(exc.message), part, span)


def _spans(source: PlateSource, part: PartRange) -> list[FrameSpan]:
    """The frames a part decodes, sought from further back each time a seek lands late (a movie's
    part after its first frame finds that frame by timestamp)."""
    if source.kind != "movie" or part.decode_first == 0:
        return [FrameSpan(part.decode_first, part.decoded)]
    zero = frame_zero(source)
    return [FrameSpan(part.decode_first, part.decoded, zero, lead) for lead in SEEK_LEADS]


def _one_pass(source: PlateSource, info: PlateInfo, settings: DetectorSettings,
              progress: Callable[[int], None] | None, store: FrameStore | None,
              review: ReviewPlan | None, path: DecodePath, part: PartRange | None,
              span: FrameSpan | None) -> Analysis:
    stamps = Timestamps()
    detector = (StreamingDetector(settings, first=part.first, end=part.end) if part
                else StreamingDetector(settings))
    written = FrameSpan(part.first, part.end - part.first) if part else None
    first = part.first if part else 0
    retention = Retention.from_frame(store, first) if store is not None else None
    lumas = []
    for batch in decode_frames(source, info, settings.analysis_width, settings.analysis_height,
                               stamps, progress=progress, store=store, review=review, path=path,
                               span=span, written=written):
        features = describe(batch.start, batch.yuv)
        detector.push(features)
        lumas.append(features.luma)
        if retention is not None:
            retention.release(detector.boundaries, detector.settled)
    if stamps.hwaccel_refused:
        path = hwdecode.refused_path(stamps.hwaccel_refused)
    return Analysis(stamps, detector.finish(), np.concatenate(lumas), path)
