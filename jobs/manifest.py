"""The manifest: the versioned contract between a split job and the API.

Only pydantic, the standard library and :mod:`jobs.timecode` (itself standard
library only) are imported here, so ``api`` can read manifests without installing
the job's media stack.

Frame numbering: ``first_frame``/``last_frame`` are 0-based plate indices in
decode (presentation) order, inclusive. ``head_in``/``head_out`` are the
pipeline's numbers for the same frames in the cut's own file (default 1001..).
Timecode ``*_out`` values are exclusive, as in an EDL: the frame after the last.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from jobs.timecode import FrameRate

SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"  # the manifest's file in an output folder, written last

BoundaryKind = Literal["start", "cut", "dissolve", "fade"]
TransitionKind = Literal["dissolve", "fade"]
DetectedBy = Literal["picture", "burnin", "both"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rational(_Model):
    num: int = Field(gt=0)
    den: int = Field(gt=0)

    def __str__(self) -> str:
        return f"{self.num}/{self.den}"

    def as_frame_rate(self) -> FrameRate:
        """The same rate as a :class:`~jobs.timecode.FrameRate`, for timecode arithmetic."""
        return FrameRate(self.num, self.den)


class AudioStream(_Model):
    index: int
    codec: str
    channels: int
    sample_rate: int
    channel_layout: str | None = None


class PlateInfo(_Model):
    """What probing the plate found."""

    source: str = Field(description="File name, or the printf pattern of an image sequence")
    kind: Literal["movie", "sequence"]
    container: str
    codec: str
    profile: str | None = None
    width: int
    height: int
    pixel_aspect: str = Field(description="Sample aspect ratio, e.g. '1:1'")
    pix_fmt: str
    bit_depth: int
    frame_rate: Rational
    frame_count: int = Field(gt=0)
    frame_count_counted: bool = Field(description="True when counted because the container did not say")
    duration: str = Field(description="Exact duration in seconds as a fraction, e.g. '1001/8'")
    start_timecode: str | None = None
    drop_frame: bool = False
    variable_frame_rate: bool = False
    intra_only: bool
    first_frame_number: int | None = Field(None, description="Image sequences: first file number")
    audio: list[AudioStream] = []
    size_bytes: int = 0


class Transition(_Model):
    """A gradual change between two cuts, reported with its whole frame range."""

    kind: TransitionKind
    first_frame: int
    last_frame: int
    edit_frame: int = Field(description="First frame of the incoming cut (the transition's middle)")
    confidence: float = Field(ge=0, le=1)


class OutputFile(_Model):
    path: str = Field(description="Relative to the manifest's folder")
    sha256: str
    size_bytes: int
    frames: int | None = None


class BurnInRead(_Model):
    """What the burn-ins of one frame said."""

    frame: int
    name: str | None = None
    source_tc: str | None = None
    record_tc: str | None = None
    counter: int | None = None
    texts: list[tuple[str, float]] = Field([], description="Raw text read, with confidence")


class Suspicious(_Model):
    frame: int
    reason: str


class BurnInReport(_Model):
    """How the burn-ins were read and what they changed."""

    engine: dict[str, Any]
    regions: list[str] = Field(description="Bands read, as x,y,w,h fractions of the picture")
    ocr_calls: int = Field(description="Burn-in band reads (one OCR call per frame read)")
    sample_calls: int = Field(0, description="Whole frames read to find the bands")
    confirmed: list[int] = Field([], description="Picture cuts the burn-ins agree with")
    burnin_only: list[int] = Field([], description="Cuts only the burn-ins show")
    suspicious: list[Suspicious] = Field([], description="Picture cuts not split: burn-ins run on")
    unchecked: list[int] = Field([], description="Picture cuts with no readable burn-ins")
    reads: list[BurnInRead] = []


class Cut(_Model):
    index: int = Field(ge=1)
    name: str
    first_frame: int = Field(ge=0)
    last_frame: int = Field(ge=0)
    frame_count: int = Field(gt=0)
    head_in: int
    head_out: int
    start_time: str = Field(description="Presentation time of the first frame, seconds as a fraction")
    duration: str = Field(description="Seconds as a fraction")
    source_tc_in: str | None = None
    source_tc_out: str | None = None
    record_tc_in: str
    record_tc_out: str
    boundary_in: BoundaryKind
    transition_in: Transition | None = None
    confidence: float = Field(ge=0, le=1, description="Confidence of the boundary that starts it")
    is_black: bool = False
    detected_by: DetectedBy = "picture"
    name_from: Literal["burnin", "template"] = "template"
    source_tc_from: Literal["burnin", "plate"] = "plate"
    media: OutputFile | None = None
    thumbnail: OutputFile | None = None


class DetectorSettings(_Model):
    """Cut detection parameters: every one can be set per run."""

    analysis_width: int = Field(64, ge=16, le=512)
    analysis_height: int = Field(36, ge=9, le=288)
    min_score: float = Field(0.03, gt=0, description="Least picture change of a hard cut")
    min_hist_change: float = Field(0.02, gt=0, description="Least histogram change of a hard cut")
    min_tone_change: float = Field(0.012, gt=0, description="Least mean Y/U/V change of a hard cut")
    cut_ratio: float = Field(4.0, gt=1, description="Change over the local baseline for a hard cut")
    window: int = Field(8, ge=2, description="Frames either side for the local baseline")
    flash_frames: int = Field(6, ge=1, description="Longest flash or strobe burst tolerated")
    flash_similarity: float = Field(0.5, gt=0, lt=1)
    motion_search: int = Field(2, ge=0, description="Pixels of global motion compensation")
    gradual_ratio: float = Field(2.0, gt=1, description="Change over the quiet level in a transition")
    gradual_floor: float = Field(0.03, gt=0, description="Least change of a transition frame")
    gradual_min_frames: int = Field(3, ge=2)
    gradual_max_frames: int = Field(120, ge=3)
    gradual_min_change: float = Field(0.12, gt=0)
    black_level: float = Field(0.1, gt=0, lt=1, description="Mean luma (0..1) under which a frame is black")


class SplitSettings(_Model):
    enabled: bool
    codec: str
    head_in: int
    copied: bool = Field(description="True when the media was copied without re-encoding")


class Software(_Model):
    name: str = "platecut"
    version: str
    ffmpeg: str


class Outputs(_Model):
    contact_sheet: OutputFile | None = None
    edl: OutputFile | None = None
    otio: OutputFile | None = None
    csv: OutputFile | None = None


class Manifest(_Model):
    schema_version: Literal[1] = 1
    plate_name: str
    created_at: datetime
    plate: PlateInfo
    cuts: list[Cut]
    transitions: list[Transition]
    detector: DetectorSettings
    split: SplitSettings
    outputs: Outputs
    burnin: BurnInReport | None = None
    software: Software
    timings: dict[str, float] = Field(description="Seconds spent in each stage")

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str | bytes) -> Manifest:
        return cls.model_validate_json(text)
