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

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from jobs.features import (
    F32,
    PIXEL_WEIGHT,
    Features,
    distance,
    first_change_borrowed,
    hist_distance,
    pixel_distance,
    tone_distance,
)
from jobs.gradual import gradual_transitions
from jobs.manifest import BoundaryKind, DetectedBy, DetectorSettings, Transition

I64 = npt.NDArray[np.int64]

# Noise allowance of each signal (pixel, histogram, tone), added to its local baseline
# before that is multiplied by cut_ratio, so that in a still shot (a baseline near 0) a
# small change does not stand out
_PIXEL_NOISE = 0.005
_HISTOGRAM_NOISE = 0.003
_TONE_NOISE = 0.002
# A jump cut (frames of one take left out) barely changes the motion-compensated picture, but the
# picture without compensation changes by as many frames' motion as were skipped at once: that change
# (the "still" signal) is a cut where it stands out JUMP_RATIO times from its neighbourhood, over its
# own noise allowance and floor (a steady pan of 2 px a frame at 640 wide skipping 3 frames: 3.5 times)
_JUMP_RATIO = 3.2
_JUMP_NOISE = 0.0005
_JUMP_FLOOR = 0.004
# How many of the largest changes around a frame its local baseline leaves out, so that
# a cut or flash nearby does not raise the threshold of this one
_BASELINE_LEFT_OUT = 3
# This many consecutive frames each standing out as a cut are a whip pan or a burst of fast action
# (two or more one-frame shots in a row do not happen in an edit), not cuts
_WHIP_FRAMES = 3
# A hard cut's confidence is 1 - _CUT_DOUBT / margin (its change over its threshold):
# 0.5 just at the threshold, 0.75 at twice it
_CUT_DOUBT = 0.5


@dataclass(frozen=True)
class Boundary:
    """The first frame (plate index) of a new cut, and how the picture got there."""

    frame: int
    kind: BoundaryKind
    confidence: float
    transition: Transition | None = None
    detected_by: DetectedBy = "picture"


def _no_margins() -> F32:
    return np.zeros(0, dtype=np.float32)


@dataclass(frozen=True)
class Detection:
    boundaries: list[Boundary]
    transitions: list[Transition]
    # the hard-cut margin of every frame (see :func:`cut_margins`); index k: frame start + k
    margins: F32 = field(default_factory=_no_margins)


@dataclass(frozen=True)
class Changes:
    """Frame-to-frame change signals; index k is the change from frame k-1 to frame k."""

    picture: F32  # max of histogram and motion-compensated pixel change: the combined change
    signals: tuple[Signal, ...]  # motion-compensated picture, histogram, tone; then STILL


STILL = 3  # the index in Changes.signals of the picture change without motion compensation


@dataclass(frozen=True)
class Signal:
    """One change series and how it stands out: over ``floor``, and over ``ratio`` (None: the
    settings' ``cut_ratio``) times its local baseline plus ``noise``."""

    series: F32
    floor: float
    noise: float
    ratio: float | None = None


def frame_changes(features: Features, settings: DetectorSettings) -> Changes:
    count = len(features)
    series = [np.zeros(count, dtype=np.float32) for _ in range(4)]
    if count > 1:
        before = np.arange(0, count - 1, dtype=np.int64)
        after = np.arange(1, count, dtype=np.int64)
        series[0][1:] = PIXEL_WEIGHT * pixel_distance(features.gray[before], features.gray[after],
                                                      settings.motion_search)
        series[1][1:] = hist_distance(features.hist[before], features.hist[after])
        series[2][1:] = tone_distance(features.means[before], features.means[after])
        series[3][1:] = pixel_distance(features.gray[before], features.gray[after], 0)
    pixel, hist, tone, still = series
    return Changes(np.maximum(pixel, hist), (Signal(pixel, settings.min_score, _PIXEL_NOISE),
                                             Signal(hist, settings.min_hist_change, _HISTOGRAM_NOISE),
                                             Signal(tone, settings.min_tone_change, _TONE_NOISE),
                                             Signal(still, _JUMP_FLOOR, _JUMP_NOISE, _JUMP_RATIO)))


def local_baseline(change: F32, window: int) -> F32:
    """Mean change around each frame, leaving out the frame itself and the
    :data:`_BASELINE_LEFT_OUT` largest."""
    padded = np.pad(change, window, mode="edge")
    view = np.lib.stride_tricks.sliding_window_view(padded, 2 * window + 1).copy()
    view[:, window] = -np.inf  # the frame itself: sorted first, then skipped
    view.sort(axis=1)
    kept = view[:, 1 : 2 * window + 1 - _BASELINE_LEFT_OUT]
    result: F32 = kept.mean(axis=1).astype(np.float32)
    return result


def _is_transient(features: Features, frame: int, change: float, settings: DetectorSettings,
                  search: int) -> bool:
    """True when a frame before ``frame`` matches one at or after it: a flash, not a cut.
    ``change`` is the change into ``frame``, measured with a motion search of ``search`` pixels
    like the comparison."""
    count, span = len(features), settings.flash_frames
    pairs = [(p, q) for p in range(max(0, frame - span - 1), frame)
             for q in range(frame, min(count, frame + span + 1))
             if q - p <= span + 1 and (p, q) != (frame - 1, frame)]
    if not pairs:
        return False
    p_idx = np.array([p for p, _ in pairs], dtype=np.int64)
    q_idx = np.array([q for _, q in pairs], dtype=np.int64)
    nearest = distance(features, p_idx, q_idx, search).min()
    return bool(nearest < settings.flash_similarity * change)


def signal_margins(changes: Changes, settings: DetectorSettings) -> F32:
    """How far the change into each frame stands out, per change signal (rows in the order of
    ``changes.signals``): the signal over its threshold (its floor, or its ratio times its local
    baseline plus a noise allowance). Frame 0 has no change into it (0)."""
    rows = []
    for signal in changes.signals:
        baseline = local_baseline(first_change_borrowed(signal.series), settings.window)
        ratio = settings.cut_ratio if signal.ratio is None else signal.ratio
        threshold = np.maximum(signal.floor, ratio * (baseline + signal.noise))
        rows.append(signal.series / threshold)
    result: F32 = np.stack(rows).astype(np.float32)
    return result


def cut_margins(by_signal: F32) -> F32:
    """The hard-cut margin of each frame: the largest of its signals' margins. A frame whose margin
    is 1 or more is a hard cut unless it is a transient or in a whip pan (:func:`hard_cuts`)."""
    result: F32 = by_signal.max(axis=0)
    return result


def _in_long_runs(mask: npt.NDArray[np.bool_], length: int) -> npt.NDArray[np.bool_]:
    """True where ``mask`` is True in a run of at least ``length`` consecutive frames."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    out = np.zeros(len(mask), dtype=bool)
    for start, end in zip(starts, ends, strict=True):
        if end - start >= length:
            out[start:end] = True
    return out


def _is_flash(features: Features, changes: Changes, settings: DetectorSettings, frame: int,
              by_signal: F32) -> bool:
    """A transient, judged like the signals that make ``frame`` stand out: with the motion search
    when any motion-compensated signal does, else (a jump cut's still signal alone) without it, so
    the same take moved on is not taken for the picture coming back after a flash."""
    if float(by_signal[:STILL, frame].max()) >= 1.0:
        return _is_transient(features, frame, float(changes.picture[frame]), settings,
                             settings.motion_search)
    still = float(changes.signals[STILL].series[frame])
    return _is_transient(features, frame, PIXEL_WEIGHT * still, settings, 0)


def hard_cuts(features: Features, changes: Changes, settings: DetectorSettings,
              by_signal: F32, margin: F32) -> list[Boundary]:
    """Frames where any change signal stands out from its own neighbourhood (``by_signal``:
    :func:`signal_margins`, ``margin``: :func:`cut_margins` of it), alone: not in a run of
    :data:`_WHIP_FRAMES` or more such frames."""
    out = []
    standing_out = margin >= 1.0
    for found in np.nonzero(standing_out & ~_in_long_runs(standing_out, _WHIP_FRAMES))[0]:
        frame = int(found)
        if frame == 0 or _is_flash(features, changes, settings, frame, by_signal):
            continue
        confidence = round(min(1.0, 1 - _CUT_DOUBT / float(margin[frame])), 3)
        out.append(Boundary(features.start + frame, "cut", confidence))
    return out


def detect_window(features: Features, settings: DetectorSettings) -> Detection:
    """Boundaries and transitions of the frames in ``features`` (plate indices from
    ``features.start``)."""
    changes = frame_changes(features, settings)
    by_signal = signal_margins(changes, settings)
    margins = cut_margins(by_signal)
    cuts = hard_cuts(features, changes, settings, by_signal, margins)
    cut_idx = {b.frame - features.start for b in cuts}
    transitions = gradual_transitions(features, changes.picture, cut_idx, settings)
    bounds = list(cuts)
    for t in transitions:
        inside = [b for b in bounds if t.first_frame <= b.frame <= t.last_frame + 1]
        if t.first_frame <= t.edit_frame <= t.last_frame and not inside:
            bounds.append(Boundary(t.edit_frame, t.kind, t.confidence, t))
    bounds.sort(key=lambda b: b.frame)
    return Detection(bounds, transitions, margins)
