"""Gradual transitions: dissolves (blends of two shots) and fades (through black).

A run of frames whose change stays above the quiet level of its neighbourhood
is a candidate. It is a dissolve when its frames are linear blends of the frame
before and the frame after it, and a fade when it passes through black and each
half blends towards black. A camera move raises the change too but no blend of
its ends reproduces it, so it is left alone.
"""

from __future__ import annotations

import itertools

import numpy as np

from jobs.features import F32, Features, distance
from jobs.manifest import DetectorSettings, Transition, TransitionKind

_QUIET_WINDOW = 48
_MAX_GAP = 2
_STEP = 0.003  # luma steps smaller than this are noise, not a fade
_SETTLED = 0.05  # a blend weight this close to 0 or 1 is one shot, not a mix


def _quiet_level(d: F32) -> F32:
    padded = np.pad(d, _QUIET_WINDOW, mode="edge")
    view = np.lib.stride_tricks.sliding_window_view(padded, 2 * _QUIET_WINDOW + 1)
    result: F32 = np.percentile(view, 20, axis=1).astype(np.float32)
    return result


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive index ranges of True, joining runs split by at most _MAX_GAP frames."""
    idx = np.nonzero(mask)[0]
    runs: list[list[int]] = []
    for k in idx:
        if runs and k - runs[-1][1] <= _MAX_GAP + 1:
            runs[-1][1] = int(k)
        else:
            runs.append([int(k), int(k)])
    return [(a, b) for a, b in runs]


def _blend_error(f: Features, a: int, b: int) -> float:
    """How far frames a+1..b-1 are from linear blends of frames a and b (0 = perfect)."""
    ga, gb = f.gray[a].ravel(), f.gray[b].ravel()
    span = ga - gb
    direct = float(np.abs(span).mean())
    if direct < 1e-4 or b - a < 2:
        return 0.0 if b - a < 2 else 1.0
    worst, alphas = 0.0, []
    for m in sorted({a + (b - a) // 4, a + (b - a) // 2, a + 3 * (b - a) // 4} - {a, b}):
        gm = f.gray[m].ravel()
        alpha = float(np.clip(np.dot(gm - gb, span) / np.dot(span, span), 0.0, 1.0))
        alphas.append(alpha)
        worst = max(worst, float(np.abs(gm - gb - alpha * span).mean()) / direct)
    if any(x < y - 0.05 for x, y in itertools.pairwise(alphas)):
        return 1.0  # a blend moves one way: from the outgoing to the incoming shot
    return worst


def _blend_span(f: Features, lo: int, hi: int) -> tuple[int, int]:
    """Narrow a run to the frames that really are partway between its two ends.

    Motion in either shot can keep the change raised before or after a dissolve;
    the blend weight of those frames stays at 1 (still the outgoing shot) or 0
    (already the incoming one), so they are trimmed off.
    """
    ga, gb = f.gray[lo - 1].ravel(), f.gray[hi].ravel()
    span = ga - gb
    norm = float(np.dot(span, span))
    if norm < 1e-6:
        return lo, hi
    mids = f.gray[lo:hi].reshape(hi - lo, -1) - gb
    alpha = mids @ span / norm
    started = np.nonzero(alpha < 1.0 - _SETTLED)[0]
    first = lo + int(started[0]) if len(started) else lo
    ended = np.nonzero(alpha[first - lo :] <= _SETTLED)[0]
    last = first + int(ended[0]) if len(ended) else hi
    return first, max(last, first + 1)


def _is_black(f: Features, k: int, s: DetectorSettings) -> bool:
    return bool(f.luma[k] < s.black_level and f.gray[k].std() < 0.03)


def _evaluate(f: Features, lo: int, hi: int, s: DetectorSettings) -> Transition | None:
    """Judge the run of changes into frames lo..hi: frames lo..hi-1 are in between,
    lo-1 is the last clean frame of the outgoing shot and hi the first of the incoming."""
    a, b = lo - 1, hi
    if a < 0 or b >= len(f) or not s.gradual_min_frames <= hi - lo + 1 <= s.gradual_max_frames:
        return None
    ends = np.array([a], dtype=np.int64), np.array([b], dtype=np.int64)
    total = float(distance(f, *ends, s.motion_search)[0])
    kind: TransitionKind
    dark = min(range(a, b + 1), key=lambda k: float(f.luma[k]))
    if _is_black(f, dark, s) and not (_is_black(f, a, s) and _is_black(f, b, s)):
        a, b = _extend_fade(f, a, dark, b)
        lo, hi = a + 1, b
        error = max(_blend_error(f, a, dark), _blend_error(f, dark, b))
        kind, edit = "fade", _darkest_middle(f, dark, a, b)
    elif total >= s.gradual_min_change:
        lo, hi = _blend_span(f, lo, hi)
        if hi - lo + 1 < s.gradual_min_frames:
            return None
        error, kind, edit = _blend_error(f, lo - 1, hi), "dissolve", lo + (hi - lo) // 2
    else:
        return None
    if error > 0.5:
        return None
    return Transition(kind=kind, first_frame=f.start + lo, last_frame=f.start + hi - 1,
                      edit_frame=f.start + edit, confidence=round(1.0 - error, 3))


def _energy(f: Features) -> F32:
    """Mean plus spread of luma: falls in every fade to black, even of a dark shot."""
    result: F32 = (f.luma + f.gray.reshape(len(f), -1).std(axis=1)).astype(np.float32)
    return result


def _extend_fade(f: Features, a: int, dark: int, b: int) -> tuple[int, int]:
    """Widen a fade whose gentle half (a dim shot fading) stayed under the change floor:
    the picture keeps darkening towards the black frame and keeps brightening after it."""
    luma = _energy(f)
    if a + 1 >= dark:
        while a > 0 and luma[a - 1] > luma[a] + _STEP:
            a -= 1
    if dark >= b - 1:
        while b + 1 < len(f) and luma[b + 1] > luma[b] + _STEP:
            b += 1
    return a, b


def _darkest_middle(f: Features, dark: int, a: int, b: int) -> int:
    """The edit of a fade: its darkest frame, or the middle of a hold on black."""
    energy = _energy(f)
    floor = float(energy[dark]) + _STEP
    first = last = dark
    while first - 1 > a and energy[first - 1] <= floor:
        first -= 1
    while last + 1 < b and energy[last + 1] <= floor:
        last += 1
    return first + (last - first) // 2


def gradual_transitions(f: Features, d: F32, cut_frames: set[int],
                        s: DetectorSettings) -> list[Transition]:
    """Transitions in ``f``; ``cut_frames`` (indices into f) are hard cuts already found."""
    raised = d > np.maximum(s.gradual_floor, s.gradual_ratio * _quiet_level(d))
    for k in cut_frames:
        raised[k] = False
    out = []
    for lo, hi in _runs(raised):
        t = _evaluate(f, lo, hi, s)
        if t is not None:
            out.append(t)
    return out
