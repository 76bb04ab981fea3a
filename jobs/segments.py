"""From boundaries to cuts: frame ranges, names, timecodes and cut fields (frame numbers)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Literal

from jobs.burnin.labels import CutLabel
from jobs.cut_fields import DEFAULT_NUMBERING, CutFields, Numbering, cut_fields
from jobs.cut_list import CutList, ListedCut, safe_name
from jobs.decode import Timestamps
from jobs.detect import Boundary
from jobs.errors import UsageError
from jobs.manifest import BoundaryKind, DetectedBy, NameFrom, PlateInfo, Transition
from jobs.timecode import FrameRate, frames_to_timecode, offset_timecode, timecode_to_frames

DEFAULT_RECORD_START = "01:00:00:00"
DEFAULT_NAME_TEMPLATE = "{plate}_{index:03d}"


@dataclass(frozen=True)
class CutPlan:
    """One cut before its files exist. ``first_frame``..``last_frame`` (0-based plate frames)
    is its segment: what its media holds, handles included on a scan."""

    index: int
    name: str
    first_frame: int
    last_frame: int
    fields: CutFields  # frame numbers: head_in, cut_in... and media_in, its media's first
    start_time: Fraction  # presentation time of the first frame, from the plate's first frame
    end_time: Fraction  # presentation time just after the last frame
    boundary_in: BoundaryKind
    confidence: float
    transition_in: Transition | None
    source_tc_in: str
    source_tc_out: str
    record_tc_in: str
    record_tc_out: str
    detected_by: DetectedBy = "picture"
    name_from: NameFrom = "template"
    source_tc_from: Literal["burnin", "plate"] = "plate"

    @property
    def frame_count(self) -> int:
        return self.last_frame - self.first_frame + 1

    @property
    def cut_first_frame(self) -> int:
        """0-based plate frame of ``cut_in``: where the cut itself starts in its segment."""
        return self.first_frame + self.fields.cut_in - self.fields.media_in

    @property
    def cut_last_frame(self) -> int:
        """0-based plate frame of ``cut_out``."""
        return self.first_frame + self.fields.cut_out - self.fields.media_in


def render_name(template: str, plate: str, index: int) -> str:
    """The cut name ``template`` gives; :class:`UsageError` when it is not a name template."""
    try:
        return safe_name(template.format(plate=plate, index=index))
    except (KeyError, IndexError, ValueError) as exc:
        raise UsageError(f"bad cut name template {template!r}: use {{plate}} and {{index}}") from exc


def check_name_template(template: str) -> None:
    """Raise :class:`UsageError` when ``template`` cannot name a cut (checked on a sample
    plate name, before any work)."""
    render_name(template, "plate", 1)


def plan_cuts(info: PlateInfo, boundaries: list[Boundary], stamps: Timestamps,
              plate_name: str, template: str = DEFAULT_NAME_TEMPLATE,
              labels: list[CutLabel] | None = None,
              numbering: Numbering = DEFAULT_NUMBERING) -> list[CutPlan]:
    """The cuts between ``boundaries``: each segment of the plate, named, timed and numbered
    (``numbering``: the kind of plate, head-in and handles)."""
    rate = info.frame_rate.as_frame_rate()
    drop = info.drop_frame or (info.start_timecode is None and rate.drop_frame_capable)
    source_zero = timecode_to_frames(info.start_timecode, rate) if info.start_timecode else 0
    record_zero = timecode_to_frames(info.start_timecode or _record_start(drop), rate)
    count = len(stamps.pts)
    inside = [b for b in boundaries if 0 < b.frame < count]
    starts = [0] + [b.frame for b in inside]
    ends = [*starts[1:], count]
    total = Fraction(info.duration)

    def tc(zero: int, k: int) -> str:
        return frames_to_timecode(zero + k, rate, drop)

    cuts = []
    for i, (first, end) in enumerate(zip(starts, ends, strict=True)):
        bound = inside[i - 1] if i else None
        cuts.append(CutPlan(
            index=i + 1, name=render_name(template, plate_name, i + 1),
            first_frame=first, last_frame=end - 1, fields=cut_fields(numbering, i + 1, end - first),
            start_time=stamps.seconds(first),
            end_time=stamps.seconds(end) if end < count else total,
            boundary_in=bound.kind if bound else "start",
            confidence=bound.confidence if bound else 1.0,
            transition_in=bound.transition if bound else None,
            source_tc_in=tc(source_zero, first), source_tc_out=tc(source_zero, end),
            record_tc_in=tc(record_zero, first), record_tc_out=tc(record_zero, end),
            detected_by=bound.detected_by if bound else "picture"))
    if labels:
        cuts = [_labelled(c, label, rate) for c, label in zip(cuts, labels, strict=True)]
    return _unique_names(cuts)


def plan_listed(info: PlateInfo, cut_list: CutList, transitions: list[Transition],
                stamps: Timestamps, numbering: Numbering = DEFAULT_NUMBERING) -> list[CutPlan]:
    """The cuts of ``cut_list`` (checked against the plate: every cut starts on it), named
    as it names them, timed and numbered as :func:`plan_cuts` does.

    A listed boundary on the edit frame of one of the detected ``transitions`` is that
    transition (a dissolve or fade); any other is a hard cut. Every listed boundary has
    confidence 1: the list is what an editor approved."""
    edits = {t.edit_frame: t for t in transitions}
    bounds = [_listed_boundary(cut, edits.get(cut.first_frame)) for cut in cut_list.cuts[1:]]
    cuts = plan_cuts(info, bounds, stamps, "plate", DEFAULT_NAME_TEMPLATE, None, numbering)
    return [replace(plan, name=cut.name, name_from="cut_list", detected_by=cut.detected_by)
            for plan, cut in zip(cuts, cut_list.cuts, strict=True)]


def _listed_boundary(cut: ListedCut, transition: Transition | None) -> Boundary:
    kind: BoundaryKind = transition.kind if transition else "cut"
    return Boundary(cut.first_frame, kind, 1.0, transition, cut.detected_by)


def _labelled(cut: CutPlan, label: CutLabel, rate: FrameRate) -> CutPlan:
    """A cut named and timed by its burn-ins where they were read."""
    if label.name:
        cut = replace(cut, name=safe_name(label.name), name_from="burnin")
    if label.source_tc_in:
        cut = replace(cut, source_tc_in=label.source_tc_in, source_tc_from="burnin",
                      source_tc_out=offset_timecode(label.source_tc_in, cut.frame_count, rate))
    return cut


def _record_start(drop: bool) -> str:
    return DEFAULT_RECORD_START.replace(":00:00:", ":00:00;") if drop else DEFAULT_RECORD_START


def _unique_names(cuts: list[CutPlan]) -> list[CutPlan]:
    seen: dict[str, int] = {}
    out = []
    for cut in cuts:
        n = seen.get(cut.name, 0)
        seen[cut.name] = n + 1
        if n:
            cut = replace(cut, name=f"{cut.name}_{n + 1}")
        out.append(cut)
    return out
