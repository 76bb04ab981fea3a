"""The manifest: the versioned contract between a split job and the API.

Only pydantic, the standard library and :mod:`jobs.timecode` (itself standard
library only) are imported here, so ``api`` can read manifests without installing
the job's media stack.

Frame numbering: ``first_frame``/``last_frame`` are 0-based plate indices in
decode (presentation) order, inclusive: the segment of the plate the cut's media holds.
Frame numbers (1001..) are the cut fields of trackers (:mod:`jobs.cut_fields`):
``head_in``, ``cut_in``, ``cut_out``, ``tail_out``; ``media_in``/``media_out`` number the
segment's frames in the cut's own file. Every frame-number ``*_out`` is inclusive;
timecode ``*_out`` values are exclusive, as in an EDL: the frame after the last.

Schema versions: 2 is written; 1 is still read (:func:`load_manifest`, or
``Manifest.model_validate_json``, which is the same): a schema 1 manifest comes back as a
schema 2 one, its cut fields derived as schema 1 numbered cuts, without handles
(``head_handles = tail_handles = 0``, ``cut_in = media_in =`` its ``head_in``,
``cut_out = tail_out = media_out =`` its ``head_out``, ``cut_order =`` its ``index``),
a reference plate's. Schema 1's ``head_out`` (the last frame number of the cut's file) is
``media_out`` in schema 2 and no longer written: trackers' "head out" is another frame
(``cut_in - 1``, the last of the head handles); ``Cut.head_out`` still reads it, for code
written against schema 1.

A split that wrote a cut version's cut list (:mod:`jobs.cut_list`) instead of detecting
says so in ``split.cut_list_version``; its cuts are ``name_from = "cut_list"``, and those
whose boundary an editor placed ``detected_by = "editor"``. Manifests without them read as
detected (``None``).

The optional ``review`` section (:class:`ReviewOutputs`: a proxy, the thumbnail strip and the
hard-cut detector's per-frame scores, for a review page) came later within schema 2: a manifest
without it (an older job's, or one split with ``--no-review``) reads as before, with ``None``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from jobs.cut_fields import DEFAULT_PLATE_KIND, CutFields, PlateKind
from jobs.timecode import FrameRate

SCHEMA_VERSION: Literal[2] = 2  # written; 1 is read too, as 2
MANIFEST_NAME = "manifest.json"  # the manifest's file in an output folder, written last

BoundaryKind = Literal["start", "cut", "dissolve", "fade"]
TransitionKind = Literal["dissolve", "fade"]
DetectedBy = Literal["picture", "burnin", "both", "editor"]  # editor: placed by hand (a cut list)
NameFrom = Literal["burnin", "template", "cut_list"]


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


_PICTURE_HASH = r"^[0-9a-f]{16}$"


def picture_distance(a: str, b: str) -> int:
    """Bits that differ between two ``picture_hash`` values (0..64): the same picture scaled
    or recompressed stays within about 10, different shots are further apart."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


class Cut(_Model):
    """One cut. ``first_frame``..``last_frame`` (0-based) is the segment of the plate its
    media holds: the cut alone on a reference plate, the cut with its handles on a scan."""

    index: int = Field(ge=1)
    name: str
    first_frame: int = Field(ge=0)
    last_frame: int = Field(ge=0)
    frame_count: int = Field(gt=0, description="Frames of the segment: of the cut's media")
    cut_order: int = Field(ge=1, description="1-based place of the cut in the plate")
    head_in: int = Field(description="First frame number, head handles included (1001)")
    cut_in: int = Field(description="head_in + head_handles: first frame number of the cut")
    cut_out: int = Field(description="cut_in + cut_duration - 1: last frame number of the cut")
    tail_out: int = Field(description="cut_out + tail_handles: last frame number, handles included")
    head_handles: int = Field(ge=0)
    tail_handles: int = Field(ge=0)
    cut_duration: int = Field(gt=0, description="Frames of the cut, without handles")
    working_duration: int = Field(gt=0, description="Frames with handles")
    media_in: int = Field(description="Frame number of first_frame in the cut's own media "
                                      "(cut_in on a reference plate, head_in on a scan)")
    media_out: int = Field(description="Frame number of last_frame in the cut's own media")
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
    name_from: NameFrom = "template"
    source_tc_from: Literal["burnin", "plate"] = "plate"
    media: OutputFile | None = None
    thumbnail: OutputFile | None = None
    picture_hash: str | None = Field(None, pattern=_PICTURE_HASH,
                                     description="64-bit dHash of the thumbnail, 16 hex digits "
                                                 "(compare with picture_distance)")

    @model_validator(mode="before")
    @classmethod
    def _from_schema_1(cls, data: Any) -> Any:
        """A schema 1 cut (``head_out``, no cut fields): its fields, derived without handles."""
        if not isinstance(data, dict) or "head_out" not in data or "cut_in" in data:
            return data
        cut = dict(data)
        head_in, head_out, frames = cut.get("head_in"), cut.pop("head_out"), cut.get("frame_count")
        cut.update(cut_order=cut.get("index"), cut_in=head_in, cut_out=head_out,
                   tail_out=head_out, head_handles=0, tail_handles=0, cut_duration=frames,
                   working_duration=frames, media_in=head_in, media_out=head_out)
        return cut

    @model_validator(mode="after")
    def _fields_agree(self) -> Cut:
        problems = self.cut_fields.problems()
        if self.media_out - self.media_in + 1 != self.frame_count:
            problems.append("media_out - media_in + 1 != frame_count")
        if problems:
            raise ValueError(f"cut {self.index}: " + "; ".join(problems))
        return self

    @property
    def cut_fields(self) -> CutFields:
        return CutFields(cut_order=self.cut_order, head_in=self.head_in, cut_in=self.cut_in,
                         cut_out=self.cut_out, tail_out=self.tail_out,
                         head_handles=self.head_handles, tail_handles=self.tail_handles,
                         cut_duration=self.cut_duration, working_duration=self.working_duration,
                         media_in=self.media_in, media_out=self.media_out)

    @property
    def head_out(self) -> int:
        """Deprecated, schema 1's name of ``media_out``: the last frame number of the cut's
        own file (not a tracker's head out, which is ``cut_in - 1``)."""
        return self.media_out

    def plate_frame(self, number: int) -> int:
        """The 0-based plate frame of frame number ``number`` of this cut's media."""
        if not self.media_in <= number <= self.media_out:
            raise ValueError(f"cut {self.index}: frame {number} is not in its media "
                             f"({self.media_in}-{self.media_out})")
        return self.first_frame + number - self.media_in

    @property
    def cut_first_frame(self) -> int:
        """0-based plate frame of ``cut_in``: where the cut itself starts."""
        return self.plate_frame(self.cut_in)

    @property
    def cut_last_frame(self) -> int:
        """0-based plate frame of ``cut_out``."""
        return self.plate_frame(self.cut_out)


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


class FramePlacement(_Model):
    """How an image sequence's cut frames were made from the plate's files (jobs.frame_files)."""

    cloned: int = Field(ge=0, description="Reflinks: blocks shared with the plate's file")
    linked: int = Field(ge=0, description="Hard links: another name of the plate's file")
    copied: int = Field(ge=0, description="Copies: where no clone or link could be made")
    copied_bytes: int = Field(ge=0)


class SplitSettings(_Model):
    """How the plate was split. The defaults of the plate kind and handles are what a
    schema 1 manifest meant (no handles); the commands default to 8 and 8."""

    enabled: bool
    codec: str
    head_in: int = Field(description="First frame number of each cut, head handles included")
    copied: bool = Field(description="True when the media was copied without re-encoding")
    plate_kind: PlateKind = Field(DEFAULT_PLATE_KIND, description="reference: segments hold "
                                  "the cuts alone; scan: segments hold their handles too")
    head_handles: int = Field(0, ge=0)
    tail_handles: int = Field(0, ge=0)
    cut_list_version: int | None = Field(None, ge=1, description="The cut version whose cut "
                                         "list gave the cuts (jobs.cut_list), nothing detected; "
                                         "None: the cuts were detected")
    frame_files: FramePlacement | None = Field(None, description="Image sequences: how the cut "
                                               "frames were made; None: a movie, or not split")


# the parts the job's decoding pass runs in at once, each a local process (jobs.part_pass), as its
# environment names it (a site's jobs.env may set it, with the CPUs for them), and the most it takes
PARTS_ENV = "PLATECUT_PARTS"
MAX_PARTS = 64

# the job's decode device, as its environment names it (jobs.hwdecode; the launcher sets it)
DECODE_DEVICE_ENV = "PLATECUT_DECODE_DEVICE"
DecodeDevice = Literal["auto", "cuda", "cpu"]
DECODE_DEVICES: tuple[DecodeDevice, ...] = ("auto", "cuda", "cpu")


class DecodePath(_Model):
    """Where the analysis pass decoded the plate (jobs.hwdecode), and why there."""

    device: Literal["cpu", "cuda"] = Field(description="cuda: NVDEC through FFmpeg's hwaccel")
    reason: str
    parts: int = Field(1, ge=1, description="Parts the pass ran in at once, each a process of its "
                                            "own, joined into one result (jobs.parts)")


class Software(_Model):
    name: str = "platecut"
    version: str
    ffmpeg: str
    decode: DecodePath | None = Field(None, description="The analysis pass's decode device; "
                                      "None: written before platecut recorded it")


class ReviewProxy(OutputFile):
    """``review/proxy.mp4``: the plate for a browser to play and scrub, frame for frame.

    H.264 (yuv420p; a YUV plate's colours as they are, RGB ones converted with the BT.709
    matrix) in MP4 with its index first
    (``+faststart``), every frame a keyframe (all-intra, so a seek to any frame decodes that
    frame alone), square pixels, the plate's picture aspect, at most 360 lines (never more
    than the plate's), even width and height, no audio. It holds ``frames`` frames at the
    constant ``frame_rate`` (the plate's), and its frame N (0-based; presentation time
    ``N / frame_rate`` seconds from 0) is plate frame N, also on a plate whose own timestamps
    are irregular (variable frame rate): there the proxy's times are not the plate's, its
    frames are. A page shows frame N by seeking to ``(N + 0.5) / frame_rate``."""

    frames: int = Field(gt=0, description="Frames, one for each decoded plate frame")
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    frame_rate: Rational = Field(description="Constant, exact: the plate's frame rate")


class StripSheet(OutputFile):
    """One JPEG sprite sheet of the thumbnail strip (``review/strip-0001.jpg``, numbered from 1):
    a grid of ``columns`` x ``rows`` tiles of ``tile_width`` x ``tile_height`` pixels (square
    pixels, the plate's picture aspect), no gap between them. Tile k (0-based, row by row:
    column ``k % columns``, row ``k // columns``, top left pixel ``(column * tile_width,
    row * tile_height)``) shows plate frame ``first_frame + k``; tiles from ``frames`` on
    (the last sheet only) are black. The sheets follow each other: every plate frame is on
    exactly one tile."""

    first_frame: int = Field(ge=0, description="0-based plate frame of the first tile")
    frames: int = Field(gt=0, description="Tiles that show a frame")
    columns: int = Field(gt=0)
    rows: int = Field(gt=0)
    tile_width: int = Field(gt=0)
    tile_height: int = Field(gt=0)


class ReviewScores(OutputFile):
    """``review/scores.json``: the hard-cut detector's score of every frame, for a confidence
    graph. Compact JSON::

        {"frame_count": N, "threshold": 0.5, "scores": [s0, s1, ...], "transients": [f, ...]}

    ``scores[k]`` (N values, 0..1, 3 decimals) is the score of the boundary before frame k,
    the change from frame k - 1 to frame k (``scores[0]`` is 0: nothing comes before).
    The detector measures that change with four signals (motion-compensated picture,
    colour histogram, mean tone, and the picture without motion compensation, which catches
    jump cuts) against each signal's own threshold there (its floor, or ``cut_ratio``, 3.2
    for the last, times its local baseline plus a noise allowance) and keeps the largest
    ratio m; m >= 1 is a hard cut. The score is that ratio mapped onto 0..1 with the
    threshold at 0.5: ``m / 2`` below it, ``1 - 1 / (2 m)`` from it on (at and above the
    threshold it is the confidence a hard cut found there gets). Rounding never carries a
    score across ``threshold``: ``score >= threshold`` exactly where m >= 1.

    Every frame k > 0 scoring at or above the threshold is a hard cut the picture shows,
    but for the frames of ``transients``: a frame shortly before matched one shortly after,
    so the detector took it for a flash or strobe, or the frame is one of three or more in a
    row over the threshold (a whip pan), not a cut. Not on this curve: dissolves
    and fades (the manifest's ``transitions``), and cuts only the burn-ins show
    (``burnin.burnin_only``); the manifest's ``cuts`` are what was decided."""

    frames: int = Field(gt=0, description="Values in scores: the plate's decoded frames")
    threshold: float = Field(0.5, gt=0, lt=1, description="Score of a hard cut, at least")


class ReviewOutputs(_Model):
    """What a browser review page shows, written by the job's decoding pass (``review/``)."""

    proxy: ReviewProxy
    strips: list[StripSheet] = Field(min_length=1)
    scores: ReviewScores

    @model_validator(mode="after")
    def _every_frame_once(self) -> ReviewOutputs:
        starts = [sheet.first_frame for sheet in self.strips]
        expected = [sum(s.frames for s in self.strips[:i]) for i in range(len(self.strips))]
        total = sum(s.frames for s in self.strips)
        if starts != expected or not (total == self.proxy.frames == self.scores.frames):
            raise ValueError("the review's proxy, strip sheets and scores do not cover the same "
                             "frames, each once and in order")
        return self


class Outputs(_Model):
    contact_sheet: OutputFile | None = None
    edl: OutputFile | None = None
    otio: OutputFile | None = None
    csv: OutputFile | None = None


class Manifest(_Model):
    """The manifest, schema 2. Reading a schema 1 manifest (``model_validate_json``,
    :func:`load_manifest`) gives this model too, upgraded (see the module's docstring)."""

    schema_version: Literal[2] = SCHEMA_VERSION
    plate_name: str
    created_at: datetime
    plate: PlateInfo
    cuts: list[Cut]
    transitions: list[Transition]
    detector: DetectorSettings
    split: SplitSettings
    outputs: Outputs
    burnin: BurnInReport | None = None
    review: ReviewOutputs | None = Field(None, description="Proxy, thumbnail strip and detector "
                                         "scores for a review page; None: not written")
    software: Software
    timings: dict[str, float] = Field(description="Seconds spent in each stage")

    @model_validator(mode="before")
    @classmethod
    def _from_schema_1(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("schema_version") == 1:
            return {**data, "schema_version": 2}  # and each cut upgrades itself
        return data

    @model_validator(mode="after")
    def _media_numbered_as_the_plate_kind_says(self) -> Manifest:
        scan = self.split.plate_kind == "scan"
        wrong = [c.index for c in self.cuts if c.media_in != (c.head_in if scan else c.cut_in)]
        if wrong:
            raise ValueError(f"cuts {wrong}: a {self.split.plate_kind} plate's media is numbered "
                             f"from {'head_in' if scan else 'cut_in'}")
        return self

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str | bytes) -> Manifest:
        """The manifest of ``text`` (schema 1 or 2), as schema 2."""
        return cls.model_validate_json(text)


def load_manifest(data: str | bytes) -> Manifest:
    """Read a manifest file's content, schema 1 or 2, as a schema 2 :class:`Manifest`
    (``pydantic.ValidationError`` when it is neither)."""
    return Manifest.model_validate_json(data)
