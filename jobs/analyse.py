"""Stages 2 and 3 together: one streaming decode pass feeding the detector."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from jobs.decode import Timestamps, decode_frames
from jobs.detect import Detection
from jobs.features import describe
from jobs.framestore import FrameStore
from jobs.manifest import DetectorSettings, PlateInfo
from jobs.review import ReviewPlan
from jobs.source import PlateSource
from jobs.streaming import StreamingDetector


@dataclass
class Analysis:
    """What the decode pass learned about every frame."""

    stamps: Timestamps
    detection: Detection
    luma: npt.NDArray[np.float32]  # mean luma of every frame, 0..1


def analyse(source: PlateSource, info: PlateInfo, settings: DetectorSettings,
            progress: Callable[[int], None] | None = None,
            store: FrameStore | None = None, review: ReviewPlan | None = None) -> Analysis:
    """Decode and detect in one pass; with ``store``, the pass also fills the frame store,
    with ``review`` it writes the review proxy and strip sheets."""
    stamps = Timestamps()
    detector = StreamingDetector(settings)
    lumas = []
    for batch in decode_frames(source, info, settings.analysis_width, settings.analysis_height,
                               stamps, progress=progress, store=store, review=review):
        features = describe(batch.start, batch.yuv)
        detector.push(features)
        lumas.append(features.luma)
    return Analysis(stamps, detector.finish(), np.concatenate(lumas))
