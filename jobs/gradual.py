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
import numpy.typing as npt

from jobs.features import F32, Features, distance, first_change_borrowed, hist_distance, pixel_distance
from jobs.manifest import DetectorSettings, Transition, TransitionKind

# Frames either side of a frame whose change sets its quiet level (the neighbourhood a
# transition's raised change is measured against), and the percentile of them taken
_QUIET_WINDOW = 48
_QUIET_PERCENTILE = 20
# Between still shots (a quiet level of grain alone) a slow dissolve's change from one frame to the
# next may hide in the grain (a 48-frame dissolve between two framings of one grained photograph:
# 0.0045 a frame over a quiet level of 0.0014), but across _STATIC_SPAN frames it adds up while grain
# does not (0.015 against 0.0011): there a frame is raised when its change across the span is
# _STATIC_RATIO times the span's quiet level and over _STATIC_FLOOR
_STATIC_SPAN = 8
_STATIC_RATIO = 4.0
_STATIC_FLOOR = 0.006
# A quiet level at or under this is no still shot's grain but repeated frames (a variable frame rate's
# duplicates change nothing), beside which any slow move would stand out: the rule is left out there
_STATIC_MIN_QUIET = 1e-4
# ... where no frame of the run is raised otherwise, and such a run must be a close blend: a moving
# pattern beside a still shot is raised too, and its ends blend into it only loosely
_STATIC_BLEND_ERROR = 0.25
# Frames of unraised change a run of raised change may skip and still be one candidate
_MAX_GAP = 2
_STEP = 0.003  # luma steps smaller than this are noise, not a fade
_SETTLED = 0.05  # a blend weight this close to 0 or 1 is one shot, not a mix
# A tone dissolve's frames are those of its run whose histogram change is at least this share of the
# run's median change: a moving camera raises the change a little before and after it
_TONE_CORE_SHARE = 0.5
# Ends of a run closer than this (mean luma difference) are one picture: nothing blends
_SAME_ENDS = 1e-4
# Least squared luma distance between a run's ends for _blend_span to measure blend weights
_MIN_SPAN = 1e-6
# How far a blend weight may fall back between two samples of a dissolve (noise): a
# blend moves one way only, from the outgoing to the incoming shot
_WEIGHT_SLACK = 0.05
# A black frame is dark (below black_level) and this flat: the spread of its luma
_BLACK_SPREAD = 0.03
# A frame continues a fade's ramp out of black when it is brighter than the one before by at least
# this share of the ramp's mean step so far (a fade's steps are even; a moving picture's are not)
_RAMP_SHARE = 0.3
# A dissolve seen in the tones alone (a moving camera hides it in the pixels): the colour histogram
# of each frame in between lies on the way from the outgoing shot's to the incoming one's, the
# detour through it at most this share longer than the straight way
_TONE_DETOUR = 0.3
# Least histogram change into a frame of a tone dissolve. A 12-frame dissolve between two moving
# photographs changes the histogram by about 0.02 a frame, a held or moving shot by under 0.01; a
# 48-frame one by about 0.004, which a scrolling or panned pattern's tones match (its tones drift one
# way too): longer dissolves between moving shots stay unfound rather than invented
_TONE_FLOOR = 0.003
# Least histogram change between a tone dissolve's two ends (the histograms' own distance, 0..1)
_TONE_MIN_CHANGE = 0.08
# Largest blend error (0 a perfect blend, relative to the change between the ends) of a
# dissolve or fade: a run further from a blend is a camera move or action, not reported
_MAX_BLEND_ERROR = 0.5


# the black frames and the white ones, each with the energy a fade into them loses (_flat_frames)
FlatFrames = list[tuple[npt.NDArray[np.bool_], F32]]


def _quiet_level(change: F32) -> F32:
    padded = np.pad(first_change_borrowed(change), _QUIET_WINDOW, mode="edge")
    view = np.lib.stride_tricks.sliding_window_view(padded, 2 * _QUIET_WINDOW + 1)
    result: F32 = np.percentile(view, _QUIET_PERCENTILE, axis=1).astype(np.float32)
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


def _held(lo: int, hi: int, taken: list[tuple[int, int]]) -> bool:
    """Whether frames lo..hi overlap or touch a range of ``taken``."""
    return any(lo <= last + 1 and hi >= first - 1 for first, last in taken)


def _blend_error(features: Features, start: int, end: int) -> float:
    """How far frames start+1..end-1 are from linear blends of frames start and end
    (0 = perfect)."""
    g_start, g_end = features.gray[start].ravel(), features.gray[end].ravel()
    span = g_start - g_end
    direct = float(np.abs(span).mean())
    if direct < _SAME_ENDS or end - start < 2:
        return 0.0 if end - start < 2 else 1.0
    worst, alphas = 0.0, []
    samples = {start + (end - start) // 4, start + (end - start) // 2,
               start + 3 * (end - start) // 4}
    for m in sorted(samples - {start, end}):
        gm = features.gray[m].ravel()
        alpha = float(np.clip(np.dot(gm - g_end, span) / np.dot(span, span), 0.0, 1.0))
        alphas.append(alpha)
        worst = max(worst, float(np.abs(gm - g_end - alpha * span).mean()) / direct)
    if any(x < y - _WEIGHT_SLACK for x, y in itertools.pairwise(alphas)):
        return 1.0  # a blend moves one way: from the outgoing to the incoming shot
    return worst


def _blend_span(features: Features, lo: int, hi: int) -> tuple[int, int]:
    """Narrow a run to the frames that really are partway between its two ends.

    Motion in either shot can keep the change raised before or after a dissolve;
    the blend weight of those frames stays at 1 (still the outgoing shot) or 0
    (already the incoming one), so they are trimmed off.
    """
    g_start, g_end = features.gray[lo - 1].ravel(), features.gray[hi].ravel()
    span = g_start - g_end
    norm = float(np.dot(span, span))
    if norm < _MIN_SPAN:
        return lo, hi
    mids = features.gray[lo:hi].reshape(hi - lo, -1) - g_end
    alpha = mids @ span / norm
    started = np.nonzero(alpha < 1.0 - _SETTLED)[0]
    first = lo + int(started[0]) if len(started) else lo
    ended = np.nonzero(alpha[first - lo :] <= _SETTLED)[0]
    last = first + int(ended[0]) if len(ended) else hi
    return first, max(last, first + 1)


def _evaluate(features: Features, lo: int, hi: int, settings: DetectorSettings,
              flats: FlatFrames) -> Transition | None:
    """Judge the run of changes into frames lo..hi: frames lo..hi-1 are in between,
    lo-1 is the last clean frame of the outgoing shot and hi the first of the incoming."""
    start, end = lo - 1, hi
    if (start < 0 or end >= len(features)
            or not settings.gradual_min_frames <= hi - lo + 1 <= settings.gradual_max_frames):
        return None
    ends = np.array([start], dtype=np.int64), np.array([end], dtype=np.int64)
    total = float(distance(features, *ends, settings.motion_search)[0])
    kind: TransitionKind
    dark = min(range(start, end + 1), key=lambda k: float(features.luma[k]))
    black, energy = flats[0]
    if black[dark] and not (black[start] and black[end]):
        start, end = _extend_fade(energy, start, dark, end)
        lo, hi = start + 1, end
        error = max(_blend_error(features, start, dark), _blend_error(features, dark, end))
        kind, edit = "fade", _hold_middle(energy, dark, start, end)  # its darkest frame, or a hold's middle
    elif total >= settings.gradual_min_change:
        if _fades_to_flat(flats, start, -1) or _fades_to_flat(flats, end, 1):
            return None  # a fade at the plate's head or tail: no second shot
        lo, hi = _blend_span(features, lo, hi)
        if hi - lo + 1 < settings.gradual_min_frames:
            return None
        error, kind, edit = _blend_error(features, lo - 1, hi), "dissolve", lo + (hi - lo) // 2
    else:
        return None
    if error > _MAX_BLEND_ERROR:
        return None
    return Transition(kind=kind, first_frame=features.start + lo,
                      last_frame=features.start + hi - 1, edit_frame=features.start + edit,
                      confidence=round(1.0 - error, 3))


def _extend_fade(energy: F32, start: int, dark: int, end: int) -> tuple[int, int]:
    """Widen a fade whose gentle half (a dim shot fading) stayed under the change floor: the
    picture keeps darkening towards the black frame and keeps brightening after it (``energy``:
    a fade to black's, :func:`_flat_frames`)."""
    if start + 1 >= dark:
        while start > 0 and energy[start - 1] > energy[start] + _STEP:
            start -= 1
    if dark >= end - 1:
        while end + 1 < len(energy) and energy[end + 1] > energy[end] + _STEP:
            end += 1
    return start, end


def _flat_frames(features: Features, settings: DetectorSettings) -> FlatFrames:
    """The black frames and the white ones (flat, and under ``black_level`` or as far above it from
    full white), each with the energy a fade into them loses: mean luma (or its distance from white)
    plus spread, which falls in every fade to black, even of a dark shot. Black first."""
    spread = features.gray.reshape(len(features), -1).std(axis=1)
    flat = spread < _BLACK_SPREAD
    black = (features.luma < settings.black_level) & flat
    white = (features.luma > 1.0 - settings.black_level) & flat
    return [(black, (features.luma + spread).astype(np.float32)),
            (white, (1.0 - features.luma + spread).astype(np.float32))]


def _fades_to_flat(flats: FlatFrames, frame: int, step: int) -> bool:
    """True when from ``frame`` on (``step``: 1 on, -1 back) the picture keeps fading until a black
    or white frame: the energy a fade loses (:func:`_flat_frames`) falls frame after frame."""
    for flat, energy in flats:
        k = frame
        while not flat[k] and 0 <= k + step < len(flat) and energy[k + step] < energy[k] - _STEP:
            k += step
        if flat[k]:
            return True
    return False


def _dip(features: Features, first_flat: int, last_flat: int, energy: F32,
         settings: DetectorSettings) -> Transition | None:
    """The dip through the black (or white) frames first_flat..last_flat: the outgoing shot fading
    into them and the incoming one out of them (each side found by its ``energy`` falling towards
    them, whatever moves in the picture), or None when a side is missing or the dip is longer than
    a transition."""
    if first_flat < 1 or last_flat + 1 >= len(features):
        return None  # a fade from or to black at an end of the window: no shot on that side
    start = _ramp_end(energy, first_flat - 1, -1)
    end = _ramp_end(energy, last_flat + 1, 1)
    if not settings.gradual_min_frames <= end - start - 1 <= settings.gradual_max_frames:
        return None
    error = max(_blend_error(features, start, first_flat), _blend_error(features, last_flat, end))
    flattest = min(range(first_flat, last_flat + 1), key=lambda k: float(energy[k]))
    edit = _hold_middle(energy, flattest, start, end)
    return Transition(kind="fade", first_frame=features.start + start + 1,
                      last_frame=features.start + end - 1, edit_frame=features.start + edit,
                      confidence=round(max(0.0, 1.0 - error), 3))


def _hold_middle(energy: F32, flattest: int, start: int, end: int) -> int:
    """The edit of a dip: its flattest frame, or the middle of a hold on black or white."""
    floor = float(energy[flattest]) + _STEP
    first = last = flattest
    while first - 1 > start and energy[first - 1] <= floor:
        first -= 1
    while last + 1 < end and energy[last + 1] <= floor:
        last += 1
    return first + (last - first) // 2


def _ramp_end(energy: F32, frame: int, step: int) -> int:
    """From the first frame out of the black, walk (``step``: -1 back, 1 on) while the energy keeps
    rising like a fade: each frame brighter by at least _RAMP_SHARE of the mean rise so far, so the
    ups and downs of a moving picture after the fade do not lengthen it."""
    rises: list[float] = []
    while 0 <= frame + step < len(energy):
        rise = float(energy[frame + step] - energy[frame])
        if rise <= _STEP or (rises and rise < _RAMP_SHARE * sum(rises) / len(rises)):
            break
        rises.append(rise)
        frame += step
    return frame


def dips(features: Features, settings: DetectorSettings, flats: FlatFrames) -> list[Transition]:
    """Every dip to black or to white between two shots: a run of black (white) frames with picture
    either side. Found from the flat frames themselves, so a moving or handheld camera, which
    raises the change of every frame as much as a fade does, hides none."""
    found = [t for mask, energy in flats for lo, hi in _runs(mask)
             if (t := _dip(features, lo, hi, energy, settings)) is not None]
    return sorted(found, key=lambda t: t.first_frame)


def _tone_change(features: Features) -> F32:
    change = np.zeros(len(features), dtype=np.float32)
    change[1:] = hist_distance(features.hist[1:], features.hist[:-1])
    return change


def _tone_dissolve(features: Features, lo: int, hi: int, settings: DetectorSettings,
                   flats: FlatFrames) -> Transition | None:
    """A dissolve over frames lo..hi-1 judged by tones: every frame's histogram on the way between
    the ends' (the detour short, the way travelled one way), and the ends different shots."""
    start, end = lo - 1, hi
    if (start < 0 or end >= len(features)
            or not settings.gradual_min_frames <= hi - lo + 1 <= settings.gradual_max_frames):
        return None
    hist = features.hist
    total = float(hist_distance(hist[start], hist[end]))
    if total < _TONE_MIN_CHANGE or _fades_to_flat(flats, start, -1) or _fades_to_flat(flats, end, 1):
        return None  # no change, or a fade from or to black (white): no second shot dissolves
    frames = np.arange(lo, hi)
    gone = hist_distance(hist[frames], np.broadcast_to(hist[start], (len(frames), hist.shape[1])))
    left = hist_distance(hist[frames], np.broadcast_to(hist[end], (len(frames), hist.shape[1])))
    detour = float(((gone + left) / total).max()) - 1.0
    way = gone / (gone + left + 1e-9)
    if detour > _TONE_DETOUR or bool(np.any(np.diff(way) < -_WEIGHT_SLACK)):
        return None
    change = hist_distance(hist[frames], hist[frames - 1])
    core = np.nonzero(change >= _TONE_CORE_SHARE * float(np.median(change)))[0]
    lo, hi = lo + int(core[0]), lo + int(core[-1]) + 1  # the frames really partway
    if hi - lo < settings.gradual_min_frames:
        return None
    edit = lo + (hi - lo) // 2
    return Transition(kind="dissolve", first_frame=features.start + lo, last_frame=features.start + hi - 1,
                      edit_frame=features.start + edit, confidence=round(1.0 - detour, 3))


def _tone_dissolves(features: Features, cut_frames: set[int], taken: list[tuple[int, int]],
                    settings: DetectorSettings, flats: FlatFrames) -> list[Transition]:
    """Dissolves between moving shots: runs of raised histogram change (a camera move barely changes
    a frame's tones, a dissolve changes them every frame) that no other transition holds."""
    change = _tone_change(features)
    raised = change > np.maximum(_TONE_FLOOR, settings.gradual_ratio * _quiet_level(change))
    for k in cut_frames:
        raised[k] = False
    out = []
    for lo, hi in _runs(raised):
        if _held(lo, hi, taken):
            continue
        if any(lo - 1 - settings.gradual_min_frames <= k <= lo - 1 for k in cut_frames):
            continue  # the run starts on a shot's first frames: its tones move, nothing dissolves
        t = _tone_dissolve(features, lo, hi + 1, settings, flats)
        if t is not None:
            out.append(t)
    return out


def _span_change(features: Features) -> F32:
    """The picture change across :data:`_STATIC_SPAN` frames centred on each frame (from frame
    k - span/2 to frame k + span/2 - 1, clipped at the ends): grain changes it no more than it
    changes one frame, a dissolve by span frames' worth of its blend."""
    count, half = len(features), _STATIC_SPAN // 2
    frames = np.arange(count, dtype=np.int64)
    before, after = np.clip(frames - half, 0, count - 1), np.clip(frames + half - 1, 0, count - 1)
    return pixel_distance(features.gray[before], features.gray[after], 0)


def _raised_between_stills(features: Features, cut_frames: set[int]) -> npt.NDArray[np.bool_]:
    """Frames whose change across :data:`_STATIC_SPAN` frames stands out from a quiet level of grain
    (:func:`_span_change`): a slow dissolve between still shots, whose change from one frame to the
    next hides in the grain. Frames whose span holds a hard cut are left out."""
    span = _span_change(features)
    quiet = _quiet_level(span)
    over = span > np.maximum(_STATIC_FLOOR, _STATIC_RATIO * quiet)
    raised: npt.NDArray[np.bool_] = over & (quiet > _STATIC_MIN_QUIET)
    half = _STATIC_SPAN // 2
    for k in cut_frames:
        raised[max(0, k - half + 1) : k + half + 1] = False
    return raised


def _taken(found: list[Transition], features: Features) -> list[tuple[int, int]]:
    return [(t.first_frame - features.start, t.last_frame - features.start) for t in found]


def _blends(features: Features, runs: list[tuple[int, int]], most_error: float,
            taken: list[tuple[int, int]], settings: DetectorSettings, flats: FlatFrames) -> list[Transition]:
    """The dissolves and fades of ``runs`` (raised change) that no ``taken`` range holds, each a blend
    within ``most_error``."""
    out = []
    for lo, hi in runs:
        if _held(lo, hi, taken):
            continue  # a dip (or a transition found before) already holds it
        t = _evaluate(features, lo, hi, settings, flats)
        if t is not None and 1.0 - t.confidence <= most_error:
            out.append(t)
    return out


def gradual_transitions(features: Features, change: F32, cut_frames: set[int],
                        settings: DetectorSettings) -> list[Transition]:
    """Transitions in ``features``; ``change`` is the picture change into each frame and
    ``cut_frames`` (indices into ``features``) the hard cuts already found. Dips first, then blends
    of plainly raised change, dissolves in the tones, and last slow dissolves between still shots,
    each kind only where none found before holds the frames."""
    quiet = _quiet_level(change)
    plainly = change > np.maximum(settings.gradual_floor, settings.gradual_ratio * quiet)
    for k in cut_frames:
        plainly[k] = False
    flats = _flat_frames(features, settings)  # once: every candidate below looks at them
    out = dips(features, settings, flats)
    out += _blends(features, _runs(plainly), _MAX_BLEND_ERROR, _taken(out, features), settings, flats)
    out += _tone_dissolves(features, cut_frames, _taken(out, features), settings, flats)
    between_stills = _runs(_raised_between_stills(features, cut_frames))
    quiet_runs = [(lo, hi) for lo, hi in between_stills if not plainly[lo : hi + 1].any()]
    out += _blends(features, quiet_runs, _STATIC_BLEND_ERROR, _taken(out, features), settings, flats)
    out.sort(key=lambda t: t.first_frame)
    return out
