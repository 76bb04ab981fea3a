"""Stage 3, detect: hard cuts on the exact frame, and gradual transitions with their range.

Hard cuts: a frame-to-frame change that stands out from its neighbourhood
(adaptive, so a low-contrast cut between static shots is found and sustained
fast motion is not), and that is not a transient: when a frame before the spike
looks like a frame shortly after it, it was a flash or strobe, not a cut.

Gradual transitions: runs of raised change whose frames are blends of the
frames either side (a dissolve) or pass through black (a fade). A camera move
also raises the change but is no blend, so it is not reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from jobs.features import F32, Features, distance, hist_distance, pixel_distance, tone_distance
from jobs.gradual import gradual_transitions
from jobs.manifest import BoundaryKind, DetectedBy, DetectorSettings, Transition

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Boundary:
    """The first frame (plate index) of a new cut, and how the picture got there."""

    frame: int
    kind: BoundaryKind
    confidence: float
    transition: Transition | None = None
    detected_by: DetectedBy = "picture"


@dataclass(frozen=True)
class Detection:
    boundaries: list[Boundary]
    transitions: list[Transition]


@dataclass(frozen=True)
class Changes:
    """Frame-to-frame change signals; index k is the change from frame k-1 to frame k."""

    picture: F32  # max of histogram and motion-compensated pixel change: the combined change
    signals: tuple[tuple[F32, float, float], ...]  # (series, floor, noise allowance)


def frame_changes(f: Features, s: DetectorSettings) -> Changes:
    n = len(f)
    series = [np.zeros(n, dtype=np.float32) for _ in range(3)]
    if n > 1:
        i, j = np.arange(0, n - 1, dtype=np.int64), np.arange(1, n, dtype=np.int64)
        series[0][1:] = 2.0 * pixel_distance(f.gray[i], f.gray[j], s.motion_search)
        series[1][1:] = hist_distance(f.hist[i], f.hist[j])
        series[2][1:] = tone_distance(f.means[i], f.means[j])
    pixel, hist, tone = series
    return Changes(np.maximum(pixel, hist), ((pixel, s.min_score, 0.005),
                                             (hist, s.min_hist_change, 0.003),
                                             (tone, s.min_tone_change, 0.002)))


def local_baseline(d: F32, window: int) -> F32:
    """Mean change around each frame, leaving out the frame itself and the two largest."""
    padded = np.pad(d, window, mode="edge")
    view = np.lib.stride_tricks.sliding_window_view(padded, 2 * window + 1).copy()
    view[:, window] = -np.inf
    view.sort(axis=1)
    kept = view[:, 1 : 2 * window - 2]
    result: F32 = kept.mean(axis=1).astype(np.float32)
    return result


def _is_transient(f: Features, k: int, dk: float, s: DetectorSettings) -> bool:
    """True when a frame before k matches one at or after k: a flash, not a cut."""
    n, span = len(f), s.flash_frames
    pairs = [(p, q) for p in range(max(0, k - span - 1), k)
             for q in range(k, min(n, k + span + 1))
             if q - p <= span + 1 and (p, q) != (k - 1, k)]
    if not pairs:
        return False
    p_idx = np.array([p for p, _ in pairs], dtype=np.int64)
    q_idx = np.array([q for _, q in pairs], dtype=np.int64)
    return bool(distance(f, p_idx, q_idx, s.motion_search).min() < s.flash_similarity * dk)


def hard_cuts(f: Features, ch: Changes, s: DetectorSettings) -> list[Boundary]:
    """Frames where any change signal stands out from its own neighbourhood."""
    margin = np.zeros(len(f), dtype=np.float32)
    for series, floor, noise in ch.signals:
        threshold = np.maximum(floor, s.cut_ratio * (local_baseline(series, s.window) + noise))
        margin = np.maximum(margin, series / threshold)
    out = []
    for found in np.nonzero(margin >= 1.0)[0]:
        k = int(found)
        if k == 0 or _is_transient(f, k, float(ch.picture[k]), s):
            continue
        out.append(Boundary(f.start + k, "cut", round(min(1.0, 1 - 0.5 / float(margin[k])), 3)))
    return out


def detect_window(f: Features, s: DetectorSettings) -> Detection:
    """Boundaries and transitions of the frames in ``f`` (plate indices from f.start)."""
    changes = frame_changes(f, s)
    cuts = hard_cuts(f, changes, s)
    cut_idx = {b.frame - f.start for b in cuts}
    transitions = gradual_transitions(f, changes.picture, cut_idx, s)
    bounds = list(cuts)
    for t in transitions:
        inside = [b for b in bounds if t.first_frame <= b.frame <= t.last_frame + 1]
        if t.first_frame <= t.edit_frame <= t.last_frame and not inside:
            bounds.append(Boundary(t.edit_frame, t.kind, t.confidence, t))
    bounds.sort(key=lambda b: b.frame)
    return Detection(bounds, transitions)
