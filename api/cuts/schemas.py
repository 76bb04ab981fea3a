"""Cuts as the API shows them."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.cuts.models import Cut


class TransitionOut(BaseModel):
    kind: str
    first_frame: int
    last_frame: int
    edit_frame: int
    confidence: float


class FileOut(BaseModel):
    sha256: str | None
    size: int | None
    frames: int | None = None


class CutOut(BaseModel):
    index: int
    name: str
    first_frame: int = Field(description="0-based plate frame, inclusive")
    last_frame: int = Field(description="0-based plate frame, inclusive")
    frame_count: int
    head_in: int = Field(description="First frame number, head handles included (1001)")
    head_out: int = Field(description="Last frame number of the cut's own media (media_out)")
    cut_order: int
    cut_in: int | None = Field(description="head_in + head_handles: the cut's first frame number")
    cut_out: int | None = Field(description="cut_in + cut_duration - 1")
    tail_out: int | None = Field(description="cut_out + tail_handles")
    head_handles: int | None
    tail_handles: int | None
    cut_duration: int | None = Field(description="Frames of the cut, handles not included")
    working_duration: int | None = Field(description="Frames with handles")
    media_in: int | None = Field(description="Frame number of the media's first frame (cut_in on a "
                                             "reference plate, head_in on a scan)")
    picture_hash: str | None = Field(description="64-bit dHash of the thumbnail, hex")
    start_time: str
    duration: str
    source_tc_in: str | None
    source_tc_out: str | None = Field(description="Exclusive, as in an EDL")
    record_tc_in: str
    record_tc_out: str = Field(description="Exclusive, as in an EDL")
    boundary_in: str
    confidence: float
    is_black: bool
    detected_by: str
    name_from: str
    source_tc_from: str
    transition_in: TransitionOut | None
    media: FileOut | None
    thumbnail: FileOut | None

    @classmethod
    def of(cls, cut: Cut) -> CutOut:
        fields = {name: getattr(cut, name) for name in _PLAIN}
        transition = None
        if cut.transition_kind is not None:
            transition = TransitionOut(kind=cut.transition_kind, first_frame=cut.transition_first_frame,
                                       last_frame=cut.transition_last_frame,
                                       edit_frame=cut.transition_edit_frame,
                                       confidence=cut.transition_confidence)
        media = thumbnail = None
        if cut.media_key is not None:
            media = FileOut(sha256=cut.media_sha256, size=cut.media_size, frames=cut.media_frames)
        if cut.thumbnail_key is not None:
            thumbnail = FileOut(sha256=cut.thumbnail_sha256, size=cut.thumbnail_size)
        return cls(**fields, cut_order=cut.index, transition_in=transition, media=media,
                   thumbnail=thumbnail)


_PLAIN = ("index", "name", "first_frame", "last_frame", "frame_count", "head_in", "head_out", "cut_in",
          "cut_out", "tail_out", "head_handles", "tail_handles", "cut_duration", "working_duration",
          "media_in", "picture_hash", "start_time",
          "duration", "source_tc_in", "source_tc_out", "record_tc_in", "record_tc_out", "boundary_in",
          "confidence", "is_black", "detected_by", "name_from", "source_tc_from")


class CutList(BaseModel):
    items: list[CutOut]


class DownloadUrl(BaseModel):
    url: str
    expires_in: int
    filename: str
