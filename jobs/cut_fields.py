"""Cut fields as trackers know them, and the frame arithmetic of the two kinds of plate.

Two numberings meet here, and every name says which one it is in:

- *plate frames*: 0-based indices into the plate in presentation order
  (``first_frame``/``last_frame`` of a cut, the segment it occupies on the plate);
- *frame numbers*: the VFX pipeline's numbering from ``head_in`` (1001 by default), the
  numbers Flow Production Tracking's Cut Item and sg-otio use:

  ``head_in``   first frame number of the shot, head handles included
  ``cut_in``    = head_in + head_handles: the first frame of the cut itself
  ``cut_out``   = cut_in + cut_duration - 1: its last frame
  ``tail_out``  = cut_out + tail_handles: the last frame number, tail handles included
  ``working_duration`` = head_handles + cut_duration + tail_handles

The two kinds of plate differ in what a segment of the plate holds:

- ``reference`` (an edit reference, a cut): a segment is the cut and nothing more; the
  handles are virtual. Its media is numbered ``cut_in..cut_out`` (1009.. with 8 head
  handles), so it lines up with the plates pulled later with their handles.
- ``scan`` (a scan reel, a pull): a segment already holds its handles, head_handles +
  cut + tail_handles frames. Its media is numbered ``head_in..tail_out`` and the cut
  proper starts head_handles frames into it.

``media_in``/``media_out`` are the frame numbers of the segment's first and last frames in
the cut's own media file: what schema 1 of the manifest called ``head_in``/``head_out``.

Standard library only: :mod:`jobs.manifest` (the API's contract) uses it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

PlateKind = Literal["reference", "scan"]
PLATE_KINDS: tuple[PlateKind, ...] = ("reference", "scan")
DEFAULT_PLATE_KIND: PlateKind = "reference"
DEFAULT_HEAD_IN = 1001
DEFAULT_HANDLES = 8


@dataclass(frozen=True)
class Handles:
    """Frames kept before (head) and after (tail) a cut."""

    head: int = DEFAULT_HANDLES
    tail: int = DEFAULT_HANDLES

    def __post_init__(self) -> None:
        if self.head < 0 or self.tail < 0:
            raise ValueError(f"handles cannot be negative: {self.head}/{self.tail}")


@dataclass(frozen=True)
class Numbering:
    """How a split numbers its cuts: the kind of plate, head-in and handles."""

    kind: PlateKind = DEFAULT_PLATE_KIND
    head_in: int = DEFAULT_HEAD_IN
    handles: Handles = Handles()

    def __post_init__(self) -> None:
        if self.kind not in PLATE_KINDS:
            raise ValueError(f"unknown plate kind {self.kind!r}: use {' or '.join(PLATE_KINDS)}")
        if self.head_in < 0:
            raise ValueError(f"head-in cannot be negative: {self.head_in}")


DEFAULT_NUMBERING = Numbering()


@dataclass(frozen=True)
class CutFields:
    """One cut's frame numbers (see the module's docstring); every ``*_out`` is inclusive."""

    cut_order: int
    head_in: int
    cut_in: int
    cut_out: int
    tail_out: int
    head_handles: int
    tail_handles: int
    cut_duration: int
    working_duration: int
    media_in: int
    media_out: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def problems(self) -> list[str]:
        """What does not add up, in words; empty when the fields agree with each other."""
        found = []
        checks = (
            (self.cut_in, self.head_in + self.head_handles, "cut_in != head_in + head_handles"),
            (self.cut_out, self.cut_in + self.cut_duration - 1,
             "cut_out != cut_in + cut_duration - 1"),
            (self.tail_out, self.cut_out + self.tail_handles, "tail_out != cut_out + tail_handles"),
            (self.working_duration, self.head_handles + self.cut_duration + self.tail_handles,
             "working_duration != head_handles + cut_duration + tail_handles"),
        )
        found += [words for value, expected, words in checks if value != expected]
        if self.cut_order < 1 or self.cut_duration < 1 or min(self.head_handles,
                                                              self.tail_handles) < 0:
            found.append("cut_order and cut_duration must be at least 1, handles at least 0")
        if (self.media_in, self.media_out) not in ((self.cut_in, self.cut_out),
                                                   (self.head_in, self.tail_out)):
            found.append("the media must be numbered cut_in..cut_out (a reference plate) "
                         "or head_in..tail_out (a scan)")
        return found


def cut_fields(numbering: Numbering, cut_order: int, segment_frames: int) -> CutFields:
    """The fields of the ``cut_order``-th cut (1-based), whose segment of the plate holds
    ``segment_frames`` frames.

    On a scan, a segment too short to hold its handles and one frame of cut (a slate, black
    between two pulls) keeps every frame as its cut, with no handles (0 and 0): the cut's
    own ``head_handles``/``tail_handles`` say so.
    """
    if segment_frames < 1 or cut_order < 1:
        raise ValueError(f"cut {cut_order}: a cut holds at least one frame, not {segment_frames}")
    head, tail = numbering.handles.head, numbering.handles.tail
    if numbering.kind == "scan":
        if segment_frames <= head + tail:
            head = tail = 0
        cut_duration = segment_frames - head - tail
    else:
        cut_duration = segment_frames
    cut_in = numbering.head_in + head
    cut_out = cut_in + cut_duration - 1
    tail_out = cut_out + tail
    media_in = numbering.head_in if numbering.kind == "scan" else cut_in
    return CutFields(cut_order=cut_order, head_in=numbering.head_in, cut_in=cut_in,
                     cut_out=cut_out, tail_out=tail_out, head_handles=head, tail_handles=tail,
                     cut_duration=cut_duration, working_duration=head + cut_duration + tail,
                     media_in=media_in, media_out=media_in + segment_frames - 1)
