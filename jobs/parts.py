"""A plate's detection in parts: ranges of frames detected apart, then joined into one result.

Each part reports the events (cuts, transitions) whose first frame lies in its range, and decodes
:func:`jobs.streaming.context_frames` more frames either side, so every event it reports has the
whole context it has in one pass over the plate. Joined, the parts give exactly the one pass's
result: every event is reported by the one part whose range holds its first frame, once.

A part decodes its frames by seeking (a movie's time, a sequence's file number), so the join checks
that the parts saw the same plate: neighbours decode the frames around their shared edge both, and
those frames' timestamps and mean luma must agree exactly. A join never runs on a missing, partial
or disagreeing part: :class:`PartsError` says which.

This module holds the plan, the result a part writes (JSON, so that parts can run in other
processes or pods) and the join; :mod:`jobs.part_pass` runs a part.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from pydantic import BaseModel, ConfigDict

from jobs.detect import Boundary, Detection
from jobs.errors import ExitCode, PlatecutError
from jobs.manifest import BoundaryKind, DecodePath, DetectedBy, Transition

PART_NAME = "part-{index:04d}.json"  # a part's result, in the folder the join reads


class PartsError(PlatecutError):
    """The parts cannot be joined: one is missing or partial (retrying may finish it), or two
    disagree about the frames they share."""

    exit_code = ExitCode.TRANSIENT


@dataclass(frozen=True)
class PartRange:
    """Part ``index`` reports on plate frames ``first`` .. ``end`` - 1 (0-based) and decodes
    ``decode_first`` .. ``decode_end`` - 1 (its range with context either side, within the plate)."""

    index: int
    first: int
    end: int
    decode_first: int
    decode_end: int

    @property
    def decoded(self) -> int:
        return self.decode_end - self.decode_first


def plan_parts(frame_count: int, parts: int, context: int, align: int = 1) -> list[PartRange]:
    """``parts`` ranges of near-equal length over the plate, each starting on a multiple of
    ``align`` (fewer ranges when the plate has too few frames for that many), each decoding
    ``context`` frames more either side."""
    if parts < 1 or align < 1:
        raise ValueError(f"parts and their alignment must be 1 or more, not {parts} and {align}")
    count = min(parts, frame_count)
    starts = sorted({frame_count * k // count // align * align for k in range(count)})
    edges = [*starts, frame_count]
    return [PartRange(k, edges[k], edges[k + 1], max(0, edges[k] - context),
                      min(frame_count, edges[k + 1] + context)) for k in range(len(starts))]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PartBoundary(_Model):
    """A :class:`jobs.detect.Boundary`, as a part's result carries it."""

    frame: int
    kind: BoundaryKind
    confidence: float
    transition: Transition | None = None
    detected_by: DetectedBy = "picture"

    @staticmethod
    def of(boundary: Boundary) -> PartBoundary:
        return PartBoundary(frame=boundary.frame, kind=boundary.kind, confidence=boundary.confidence,
                            transition=boundary.transition, detected_by=boundary.detected_by)

    def boundary(self) -> Boundary:
        return Boundary(self.frame, self.kind, self.confidence, self.transition, self.detected_by)


class PartResult(_Model):
    """What one part found. ``pts`` and ``luma`` cover the frames it decoded (for the join's
    check), ``margins`` the frames it reports on."""

    index: int
    parts: int
    frame_count: int
    first: int
    end: int
    decode_first: int
    time_base: str  # "num/den", of ``pts``
    pts: list[int]
    luma: list[float]
    margins: list[float]
    boundaries: list[PartBoundary]
    transitions: list[Transition]
    decode: DecodePath

    @property
    def decode_end(self) -> int:
        return self.decode_first + len(self.pts)


@dataclass(frozen=True)
class Joined:
    """The parts as one pass: the timestamps, detection and mean luma of every plate frame."""

    time_base: Fraction
    pts: list[int]
    detection: Detection
    luma: np.ndarray
    decode: DecodePath


def join_parts(results: list[PartResult], frame_count: int) -> Joined:
    """The one result of a plate's parts; :class:`PartsError` when any is missing, partial or
    disagrees with its neighbour."""
    ordered = _complete(results, frame_count)
    for before, after in itertools.pairwise(ordered):
        _check_shared(before, after)
    core = [slice(r.first - r.decode_first, r.end - r.decode_first) for r in ordered]
    detection = Detection([b.boundary() for r in ordered for b in r.boundaries],
                          [t for r in ordered for t in r.transitions],
                          np.array([m for r in ordered for m in r.margins], dtype=np.float32))
    return Joined(Fraction(ordered[0].time_base), [p for r, s in zip(ordered, core, strict=True)
                                                   for p in r.pts[s]],
                  detection, np.array([v for r, s in zip(ordered, core, strict=True) for v in r.luma[s]],
                                      dtype=np.float32), _decode_path(ordered))


def _complete(results: list[PartResult], frame_count: int) -> list[PartResult]:
    """The parts in order, once each, covering the plate's frames end to end, each whole."""
    if not results:
        raise PartsError("no part has reported: nothing to join")
    planned = results[0].parts
    ordered = sorted(results, key=lambda r: r.index)
    indices = [r.index for r in ordered]
    if indices != list(range(planned)):
        missing = sorted(set(range(planned)) - set(indices))
        raise PartsError(f"parts {_listed(missing)} of {planned} have not reported" if missing
                         else f"parts reported twice or out of plan: {indices}")
    edge = 0
    for r in ordered:
        if r.parts != planned or r.frame_count != frame_count or r.first != edge or r.end <= r.first:
            raise PartsError(f"part {r.index} covers frames {r.first}-{r.end - 1} of {r.frame_count}, "
                             f"not the plan's from frame {edge} of {frame_count}")
        if (len(r.luma) != len(r.pts) or len(r.margins) != r.end - r.first
                or not r.decode_first <= r.first < r.end <= r.decode_end):
            raise PartsError(f"part {r.index} is partial: {len(r.pts)} frames decoded from "
                             f"{r.decode_first} for frames {r.first}-{r.end - 1}")
        edge = r.end
    if edge != frame_count:
        raise PartsError(f"the parts end at frame {edge}, the plate at {frame_count}")
    return ordered


def _check_shared(before: PartResult, after: PartResult) -> None:
    """Both parts decoded the frames around their edge: the same timestamps and pictures."""
    lo, hi = after.decode_first, before.decode_end
    a = slice(lo - before.decode_first, hi - before.decode_first)
    b = slice(0, hi - lo)
    if before.time_base != after.time_base or before.pts[a] != after.pts[b]:
        raise PartsError(f"parts {before.index} and {after.index} disagree on the timestamps of "
                         f"frames {lo}-{hi - 1}: the plate's timestamps are not regular; detect it in "
                         "one part")
    if before.luma[a] != after.luma[b]:
        raise PartsError(f"parts {before.index} and {after.index} decoded frames {lo}-{hi - 1} "
                         "differently: detect the plate in one part")


def _decode_path(ordered: list[PartResult]) -> DecodePath:
    """The decode line of the joined parts: theirs when they decoded on one device, else which
    decoded on the CPU and why."""
    if len({r.decode.device for r in ordered}) == 1:
        return ordered[0].decode
    on_cpu = [r for r in ordered if r.decode.device == "cpu"]
    reasons = "; ".join(sorted({r.decode.reason for r in on_cpu}))
    return DecodePath(device="cpu", reason=f"parts {_listed([r.index for r in on_cpu])} decoded on "
                                            f"the CPU: {reasons}")


def _listed(indices: list[int]) -> str:
    return ", ".join(str(k) for k in indices)
