"""Editorial outputs of a split: an OpenTimelineIO timeline, a CMX 3600 EDL and a CSV.

All three are written from the manifest alone. Timing is worked out once, in
whole frames at the plate's exact rate (:class:`_Event`), and each writer only
formats it. OTIO needs a float rate; that float never leaves OTIO objects.

An event (an EDL event, an OTIO clip) is a cut itself, ``cut_in..cut_out``: on a
reference plate its whole segment, on a scan its segment less the handles, so that a
tracker importing the EDL gets each cut's duration. Record time is where the cut sits on
the plate (a scan's handles are gaps between events); an OTIO clip's media reference
covers the whole media file, handles included. Dissolves join adjacent events only.

Every event names its shot for Flow Production Tracking's Import Cut (tk-multi-importcut
and sg-otio read them alike): ``* FROM CLIP NAME:`` (the clip, which Import Cut takes for
a Version's name), ``* LOC: <source TC> YELLOW  <name>`` (a locator: the shot's name is
its third word; OTIO reads it as a marker on the clip) and ``* COMMENT: <name>`` (the
shot's name where a locator is not read, e.g. OTIO skips drop-frame ``;`` locators). A
``* PLATECUT:`` comment carries the cut fields as ``name=value`` words; neither reader
takes it for a name. Shot names are single words (``segments.safe_name``).

The EDL is written here rather than by the ``cmx_3600`` adapter: the adapter
writes no ``FCM`` line and decides drop-frame from the rate alone (every 29.97
EDL comes out drop-frame, even for a non-drop plate). EDL dissolves follow the
CMX convention: the incoming event starts where the dissolve starts, so the
outgoing event is shorter, and the incoming one longer, than their cuts by the
frames of the dissolve before the edit.

Every file is written to a temporary name in the destination folder and moved
into place, so a reader never sees half a file.
"""

from __future__ import annotations

import csv
import io
import os
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import opentimelineio as otio

from jobs.cut_fields import CutFields
from jobs.manifest import Cut, Manifest, Transition
from jobs.timecode import FrameRate, frames_to_timecode, is_drop_frame, timecode_to_frames

METADATA_KEY = "platecut"
CUT_FIELDS = tuple(f.name for f in fields(CutFields))  # cut_order, head_in, cut_in... media_out
CSV_COLUMNS = (
    "index", "name", "first_frame", "last_frame", "frame_count", *CUT_FIELDS,
    "source_tc_in", "source_tc_out", "record_tc_in", "record_tc_out", "boundary_in",
    "transition_kind", "transition_first", "transition_last", "confidence", "is_black",
    "media", "media_sha256", "thumbnail", "picture_hash",
)
LOCATOR_COLOUR = "YELLOW"
_REEL_UNSAFE = re.compile(r"[^A-Z0-9_]+")
_REEL_LENGTH = 8


@dataclass(frozen=True)
class _Dissolve:
    """A transition into a cut, split at the edit: OTIO's in_offset and out_offset."""

    before: int  # frames before the edit, taken from the previous cut
    after: int  # frames from the edit on, taken from this cut
    transition: Transition

    @property
    def length(self) -> int:
        return self.before + self.after


@dataclass(frozen=True)
class _Event:
    """One cut (``cut_in..cut_out``) placed in source and record time, in frames from
    00:00:00:00."""

    cut: Cut
    source_in: int  # source frame of cut_in
    record_in: int  # record frame of cut_in: where it sits on the plate
    media_source_in: int  # source frame of the media's first frame (the segment's)
    dissolve: _Dissolve | None

    @property
    def frames(self) -> int:
        return self.cut.cut_duration

    @property
    def record_out(self) -> int:
        return self.record_in + self.frames


# --- public writers ---------------------------------------------------------------------


def write_otio(manifest: Manifest, path: Path) -> None:
    """Write an OpenTimelineIO timeline (``.otio`` JSON) of the cuts."""
    text = otio.adapters.write_to_string(_timeline(manifest), "otio_json")
    _write_atomic(Path(path), str(text))


def write_edl(manifest: Manifest, path: Path) -> None:
    """Write a CMX 3600 EDL at the plate's own rate, one event per cut."""
    _write_atomic(Path(path), edl_text(manifest))


def write_csv(manifest: Manifest, path: Path) -> None:
    """Write ``cuts.csv``: one row per cut under a header of :data:`CSV_COLUMNS`."""
    _write_atomic(Path(path), csv_text(manifest))


# --- shared timing ----------------------------------------------------------------------


def plate_rate(manifest: Manifest) -> FrameRate:
    return manifest.plate.frame_rate.as_frame_rate()


def drop_frame(manifest: Manifest) -> bool:
    """Whether timecode of this plate counts drop-frame (as ``segments`` numbers it)."""
    plate = manifest.plate
    if not plate_rate(manifest).drop_frame_capable:
        return False
    start = plate.start_timecode
    return plate.drop_frame or start is None or is_drop_frame(start)


def _events(manifest: Manifest) -> list[_Event]:
    rate = plate_rate(manifest)
    record_zero = _record_start(manifest, rate)
    events: list[_Event] = []
    for cut in manifest.cuts:
        media_source_in = _source_in(manifest, cut, rate)
        head = cut.cut_first_frame - cut.first_frame  # head handles the segment holds
        record_in = record_zero + cut.cut_first_frame
        adjacent = events[-1].frames if events and events[-1].record_out == record_in else 0
        events.append(_Event(cut, media_source_in + head, record_in, media_source_in,
                             _dissolve(cut, adjacent)))
    return events


def _record_start(manifest: Manifest, rate: FrameRate) -> int:
    """Record frame of plate frame 0."""
    if manifest.cuts:
        first = manifest.cuts[0]
        return timecode_to_frames(first.record_tc_in, rate) - first.first_frame
    return _plate_start(manifest, rate)


def _plate_start(manifest: Manifest, rate: FrameRate) -> int:
    start = manifest.plate.start_timecode
    return timecode_to_frames(start, rate) if start else 0


def _source_in(manifest: Manifest, cut: Cut, rate: FrameRate) -> int:
    """Source frame of the cut's ``first_frame``, the first of its segment."""
    if cut.source_tc_in:
        return timecode_to_frames(cut.source_tc_in, rate)
    return _plate_start(manifest, rate) + cut.first_frame


def _dissolve(cut: Cut, previous_frames: int) -> _Dissolve | None:
    """The cut's transition, clamped to the two clips; None at the first cut and after a gap
    (``previous_frames`` 0)."""
    transition = cut.transition_in
    if transition is None or previous_frames == 0:
        return None
    before = min(max(transition.edit_frame - transition.first_frame, 0), previous_frames)
    after = min(max(transition.last_frame + 1 - transition.edit_frame, 0), cut.cut_duration)
    if before + after == 0:
        return None
    return _Dissolve(before, after, transition)


# --- OTIO -------------------------------------------------------------------------------


def _timeline(manifest: Manifest) -> Any:
    rate = float(plate_rate(manifest).fraction)
    start = _record_start(manifest, plate_rate(manifest))
    timeline = otio.schema.Timeline(
        name=manifest.plate_name,
        global_start_time=otio.opentime.RationalTime(start, rate),
        metadata={METADATA_KEY: _plate_metadata(manifest)},
    )
    timeline.tracks.append(_track(manifest, start, rate))
    return timeline


def _track(manifest: Manifest, start: int, rate: float) -> Any:
    """The cuts where they sit on the plate (``start``: record frame of plate frame 0), with
    a gap wherever frames belong to no cut: a scan's handles."""
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)

    def gap_to(record: int) -> None:
        if record > end:
            track.append(otio.schema.Gap(duration=otio.opentime.RationalTime(record - end, rate)))

    end = start
    for event in _events(manifest):
        gap_to(event.record_in)
        if event.dissolve is not None:
            track.append(_otio_transition(event, rate))
        track.append(_otio_clip(event, rate))
        end = event.record_out
    if manifest.cuts:
        gap_to(start + manifest.cuts[-1].last_frame + 1)
    return track


def _plate_metadata(manifest: Manifest) -> dict[str, Any]:
    plate, split = manifest.plate, manifest.split
    return {"source": plate.source, "frame_rate": str(plate.frame_rate),
            "start_timecode": plate.start_timecode, "drop_frame": drop_frame(manifest),
            "frame_count": plate.frame_count, "plate_kind": split.plate_kind,
            "head_in": split.head_in, "head_handles": split.head_handles,
            "tail_handles": split.tail_handles}


def _otio_clip(event: _Event, rate: float) -> Any:
    cut = event.cut
    source = otio.opentime.TimeRange(otio.opentime.RationalTime(event.source_in, rate),
                                     otio.opentime.RationalTime(event.frames, rate))
    return otio.schema.Clip(name=cut.name, media_reference=_media_reference(event, rate),
                            source_range=source, metadata={METADATA_KEY: _clip_metadata(cut)})


def _media_reference(event: _Event, rate: float) -> Any:
    media = event.cut.media
    if media is None:
        return otio.schema.MissingReference()
    available = None
    if media.frames is not None:
        available = otio.opentime.TimeRange(
            otio.opentime.RationalTime(event.media_source_in, rate),
            otio.opentime.RationalTime(media.frames, rate))
    return otio.schema.ExternalReference(target_url=media.path, available_range=available)


def _clip_metadata(cut: Cut) -> dict[str, Any]:
    """The cut's record under the ``platecut`` key: its cut fields named as the manifest
    names them (as sg-otio keeps a Cut Item's fields under ``sg``)."""
    return {"index": cut.index, "first_frame": cut.first_frame, "last_frame": cut.last_frame,
            **cut.cut_fields.as_dict(),
            "source_tc_in": cut.source_tc_in, "source_tc_out": cut.source_tc_out,
            "confidence": cut.confidence, "boundary_in": cut.boundary_in,
            "picture_hash": cut.picture_hash}


def _otio_transition(event: _Event, rate: float) -> Any:
    assert event.dissolve is not None
    found = event.dissolve.transition
    return otio.schema.Transition(
        name=f"{found.kind} into {event.cut.name}",
        transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
        in_offset=otio.opentime.RationalTime(event.dissolve.before, rate),
        out_offset=otio.opentime.RationalTime(event.dissolve.after, rate),
        metadata={METADATA_KEY: {"kind": found.kind, "first_frame": found.first_frame,
                                 "last_frame": found.last_frame, "edit_frame": found.edit_frame,
                                 "confidence": found.confidence}},
    )


# --- EDL --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    """An EDL event's source and record frames, ``*_out`` exclusive."""

    source_in: int
    source_out: int
    record_in: int
    record_out: int


def edl_text(manifest: Manifest) -> str:
    """The CMX 3600 EDL of the manifest, as text."""
    rate, drop = plate_rate(manifest), drop_frame(manifest)
    reel = reel_name(manifest.plate_name)

    def tc(frames: int) -> str:
        return frames_to_timecode(frames, rate, drop)

    lines = [f"TITLE: {' '.join(manifest.plate_name.split())}",
             f"FCM: {'DROP FRAME' if drop else 'NON-DROP FRAME'}"]
    events = _events(manifest)
    spans = _edl_spans(events)
    for number, event in enumerate(events, start=1):
        previous = (events[number - 2], spans[number - 2]) if number > 1 else None
        lines.append("")
        lines += _edl_event(number, reel, event, spans[number - 1], previous, tc)
    return "\n".join(lines) + "\n"


def _edl_spans(events: Sequence[_Event]) -> list[_Span]:
    """Event spans: a dissolve starts its event early and ends the previous one early."""
    spans = []
    for i, event in enumerate(events):
        head = event.dissolve.before if event.dissolve else 0
        following = events[i + 1].dissolve if i + 1 < len(events) else None
        tail = following.before if following else 0
        spans.append(_Span(event.source_in - head, event.source_in + event.frames - tail,
                           event.record_in - head, event.record_in + event.frames - tail))
    return spans


def _edl_event(number: int, reel: str, event: _Event, span: _Span,
               previous: tuple[_Event, _Span] | None, tc: Callable[[int], str]) -> list[str]:
    times = " ".join(map(tc, (span.source_in, span.source_out, span.record_in, span.record_out)))
    if event.dissolve is None or previous is None:
        return [f"{number:03d}  {reel:<8} V     C        {times}",
                f"* FROM CLIP NAME: {event.cut.name}", *_shot_comments(event, tc)]
    a_side, a_span = previous
    held = " ".join(map(tc, (a_span.source_out, a_span.source_out, span.record_in, span.record_in)))
    return [f"{number:03d}  {reel:<8} V     C        {held}",
            f"{number:03d}  {reel:<8} V     D {event.dissolve.length:03d}    {times}",
            f"* FROM CLIP NAME: {a_side.cut.name}",
            f"* TO CLIP NAME: {event.cut.name}", *_shot_comments(event, tc)]


def _shot_comments(event: _Event, tc: Callable[[int], str]) -> list[str]:
    """The event's shot name as Import Cut reads it (a locator at the cut's first source
    frame, and a comment), and its cut fields."""
    cut = event.cut
    words = " ".join(f"{key}={value}" for key, value in cut.cut_fields.as_dict().items()
                     if key not in ("media_in", "media_out"))
    return [f"* LOC: {tc(event.source_in)} {LOCATOR_COLOUR:<7} {cut.name}",
            f"* COMMENT: {cut.name}",
            f"* PLATECUT: {words}"]


def reel_name(plate_name: str) -> str:
    """A strict CMX reel: upper case letters, digits and ``_``, at most 8 characters."""
    reel = _REEL_UNSAFE.sub("", plate_name.upper())[:_REEL_LENGTH]
    return reel or "AX"


# --- CSV --------------------------------------------------------------------------------


def csv_text(manifest: Manifest) -> str:
    """``cuts.csv`` as text: the manifest's values, empty where it has none."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_csv_row(cut) for cut in manifest.cuts)
    return buffer.getvalue()


def _csv_row(cut: Cut) -> list[str]:
    transition = cut.transition_in
    return [
        str(cut.index), cut.name, str(cut.first_frame), str(cut.last_frame),
        str(cut.frame_count), *(str(value) for value in cut.cut_fields.as_dict().values()),
        cut.source_tc_in or "", cut.source_tc_out or "", cut.record_tc_in, cut.record_tc_out,
        cut.boundary_in,
        transition.kind if transition else "",
        str(transition.first_frame) if transition else "",
        str(transition.last_frame) if transition else "",
        str(cut.confidence), "true" if cut.is_black else "false",
        cut.media.path if cut.media else "", cut.media.sha256 if cut.media else "",
        cut.thumbnail.path if cut.thumbnail else "", cut.picture_hash or "",
    ]


# --- files ------------------------------------------------------------------------------


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` next to ``path`` under a temporary name, then move it into place.

    ``os.open`` with mode 0o666 lets the umask decide permissions, as a plain
    ``open`` would (``tempfile.mkstemp`` would leave the file 0600).
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
