"""The ``Tracker`` interface: publish the shots of one cut version of a reel, idempotently.

A tracker receives every shot of the version at once. It creates what is missing, updates what
changed (comparing first: publishing the same version again changes nothing), and marks the shots of
the same reel it holds that the version no longer has with the site's omitted status. It never
deletes a shot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class PublishedShot:
    """One cut as a tracker's shot: its sequence and name, its cut range in frame numbers
    (``frame_in`` = cut in, ``frame_out`` = cut out, ``nb_frames`` = cut duration, ``head_in`` and
    ``tail_out`` with the handles), its place in the reel (``cut_order`` from 1; ``edit_in`` and
    ``edit_out``: its first and last record frame, numbered from 1 at the reel's first frame), its
    timecodes, and all of that and more in ``data`` (what a tracker without such fields keeps).
    ``thumbnail`` reads its thumbnail's bytes (JPEG; None when storage has lost it: the shot is
    published without), only when a tracker needs them: the SHA-256 says whether the one it holds is
    the same."""

    sequence: str
    name: str
    frame_in: int
    frame_out: int
    nb_frames: int
    data: dict[str, Any]
    cut_order: int = 1
    head_in: int | None = None
    tail_out: int | None = None
    edit_in: int = 1
    edit_out: int = 1
    source_tc_in: str | None = None
    source_tc_out: str | None = None
    record_tc_in: str | None = None
    record_tc_out: str | None = None
    thumbnail_sha256: str | None = None
    thumbnail: Callable[[], bytes | None] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class PublishRequest:
    project: str  # the tracker's project name
    reel: str  # the shots of this reel the version lacks are marked omitted
    version: int | None
    plate_id: str
    shots: list[PublishedShot]
    omitted_status: str
    plate_name: str = ""
    cut_version: int | None = None  # the plate's published cut version, when it was corrected
    fps: str = "24/1"  # the plate's frame rate, an exact rational "num/den"


@dataclass
class PublishResult:
    """What a publish did, by shot name, and how many requests it made to the tracker."""

    project_id: str = ""
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    omitted: list[str] = field(default_factory=list)
    thumbnails: int = 0  # thumbnails uploaded (new or changed pictures only)
    api_calls: int = 0


class TrackerError(Exception):
    """The tracker could not be used: ``code`` is the problem's."""

    code = "tracker_error"


class TrackerUnavailable(TrackerError):
    """Not reachable, timed out, or failing (5xx)."""

    code = "tracker_unavailable"


class TrackerRefused(TrackerError):
    """It refused platecut's credentials, or what platecut asked (4xx)."""

    code = "tracker_refused"


class Tracker(Protocol):
    name: str

    def publish(self, request: PublishRequest) -> PublishResult:
        """Raises ``TrackerError``; a failure part way leaves what was done, and publishing again
        finishes it (every step compares first)."""
        ...
