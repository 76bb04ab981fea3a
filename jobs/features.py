"""Per-frame descriptors for cut detection, computed from small analysis frames.

A descriptor is a colour histogram (32 luma + 16 + 16 chroma bins, each part
summing to 1, each value shared between its two nearest bins) and a blurred
1/2-size luma image. ``distance`` compares two
frames: the larger of the histogram change (earth mover's distance, so a small
brightness shift is a small change wherever the bin edges fall) and the
motion-compensated pixel change, both in 0..1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
_BINS = (32, 16, 16)
# How much the motion-compensated luma change counts against the histogram change
# where the two are combined into one picture change (docs/DETECTION.md: "x2")
PIXEL_WEIGHT = 2.0


@dataclass
class Features:
    """Descriptors of consecutive frames starting at plate index ``start``."""

    start: int
    hist: F32  # (n, 64)
    gray: F32  # (n, h/2, w/2), 0..1
    means: F32  # (n, 3) mean Y, U, V, 0..1

    @property
    def luma(self) -> F32:
        result: F32 = self.means[:, 0]
        return result

    def __len__(self) -> int:
        return len(self.luma)

    def slice(self, lo: int, hi: int) -> Features:
        """Frames with plate indices lo..hi-1."""
        a, b = lo - self.start, hi - self.start
        return Features(lo, self.hist[a:b], self.gray[a:b], self.means[a:b])

    @staticmethod
    def concat(parts: list[Features]) -> Features:
        return Features(parts[0].start, np.concatenate([p.hist for p in parts]),
                        np.concatenate([p.gray for p in parts]),
                        np.concatenate([p.means for p in parts]))


def describe(start: int, yuv: npt.NDArray[np.uint8]) -> Features:
    """Descriptors for a batch of (n, 3, h, w) YUV 4:4:4 frames."""
    n, _, h, w = yuv.shape
    hists = [_soft_histogram(yuv[:, plane].reshape(n, -1), bins) / float(h * w)
             for plane, bins in enumerate(_BINS)]
    y = yuv[:, 0].astype(np.float32) / 255.0
    gray = y[:, : h // 2 * 2, : w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2).mean(axis=(2, 4))
    means = yuv.reshape(n, 3, -1).mean(axis=2, dtype=np.float32) / 255.0
    return Features(start, np.concatenate(hists, axis=1), gray.astype(np.float32),
                    means.astype(np.float32))


def _soft_weights(bins: int) -> F32:
    """(256, bins): how much of a value 0..255 goes to each bin, shared between the two bins whose
    centres it lies between, in proportion to its nearness (the ends keep the rest)."""
    position = np.arange(256, dtype=np.float64) * (bins / 256.0) - 0.5  # 0: the first bin's centre
    lower = np.floor(position)
    upper_share = position - lower
    weights = np.zeros((256, bins), dtype=np.float64)
    values = np.arange(256)
    np.add.at(weights, (values, np.clip(lower, 0, bins - 1).astype(np.int64)), 1.0 - upper_share)
    np.add.at(weights, (values, np.clip(lower + 1, 0, bins - 1).astype(np.int64)), upper_share)
    result: F32 = weights.astype(np.float32)
    return result


_SOFT_WEIGHTS = {bins: _soft_weights(bins) for bins in set(_BINS)}


def _soft_histogram(values: npt.NDArray[np.uint8], bins: int) -> F32:
    """Per row of ``values`` (0..255), a histogram of ``bins`` bins in which each value is shared
    between its two nearest bins (:func:`_soft_weights`): a flat area brightening by one level
    moves its mass by a fraction of a bin, not by a whole bin when it crosses a bin's edge (an
    earth mover's distance that jumped there took a grade for a cut). Counted in 256 levels, then
    shared out: one integer count and one small product per frame."""
    n = len(values)
    offset = (np.arange(n, dtype=np.int64) * 256)[:, None]
    levels = np.bincount((values.astype(np.int64) + offset).ravel(), minlength=n * 256)
    result: F32 = (levels.reshape(n, 256).astype(np.float32) @ _SOFT_WEIGHTS[bins]).astype(np.float32)
    return result


def first_change_borrowed(change: F32) -> F32:
    """A change series (index k: from frame k-1 to frame k) with frame 0's change, which is none
    (nothing comes before it), taken from frame 1: a neighbourhood measured around the first
    frames is not lowered by a change that never was."""
    if len(change) < 2:
        return change
    out = change.copy()
    out[0] = change[1]
    return out


def hist_distance(a: F32, b: F32) -> F32:
    """Earth mover's distance between the histograms, the largest of Y, U and V (0..1)."""
    worst = np.zeros(a.shape[:-1], dtype=np.float32)
    lo = 0
    for bins in _BINS:
        diff = np.cumsum(a[..., lo : lo + bins] - b[..., lo : lo + bins], axis=-1)
        worst = np.maximum(worst, np.abs(diff).sum(axis=-1) / bins)
        lo += bins
    result: F32 = worst.astype(np.float32)
    return result


def pixel_distance(a: F32, b: F32, search: int) -> F32:
    """Mean absolute luma change after the best global shift of up to ``search`` pixels."""
    if search == 0:
        plain: F32 = np.abs(a - b).mean(axis=(-2, -1)).astype(np.float32)
        return plain
    h, w = a.shape[-2:]
    s = search
    core = a[..., s : h - s, s : w - s]
    best = None
    for dy in range(-s, s + 1):
        for dx in range(-s, s + 1):
            shifted = b[..., s + dy : h - s + dy, s + dx : w - s + dx]
            d = np.abs(core - shifted).mean(axis=(-2, -1))
            best = d if best is None else np.minimum(best, d)
    assert best is not None
    result: F32 = best.astype(np.float32)
    return result


def tone_distance(a: F32, b: F32) -> F32:
    """Largest change of mean Y, U or V: a low-contrast cut is a clean step here."""
    result: F32 = np.abs(a - b).max(axis=-1).astype(np.float32)
    return result


def distance(f: Features, i: npt.NDArray[np.int64], j: npt.NDArray[np.int64],
             search: int) -> F32:
    """Change between frames i and j (indices into ``f``), element-wise."""
    hd = hist_distance(f.hist[i], f.hist[j])
    pd = pixel_distance(f.gray[i], f.gray[j], search)
    result: F32 = np.maximum(hd, PIXEL_WEIGHT * pd).astype(np.float32)
    return result
