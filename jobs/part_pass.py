"""Run a plate's detection in parts (:mod:`jobs.parts`): one part here, or all of them in local
processes at once, joined into the one pass's :class:`~jobs.analyse.Analysis`.

A plate whose timestamps are not regular (a variable frame rate) is detected in one part: a part
finds its first frame by time. Parts that disagree about the frames they share are detected again
in one pass, and the decode line of the manifest says so.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Container
from contextlib import suppress
from dataclasses import replace
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from jobs import hwdecode
from jobs.analyse import Analysis, analyse
from jobs.decode import Timestamps
from jobs.errors import BadInputError, InputMissingError, PlatecutError, ToolMissingError
from jobs.framestore import FrameStore
from jobs.manifest import DecodePath, DetectorSettings, PlateInfo
from jobs.parts import PART_NAME, PartBoundary, PartRange, PartResult, PartsError, join_parts, plan_parts
from jobs.review import SHEET_FRAMES, ReviewPlan, join_proxy_pieces
from jobs.source import PlateSource, resolve_source
from jobs.streaming import context_frames
from jobs.timecode import FrameRate


def planned(info: PlateInfo, settings: DetectorSettings, parts: int,
            review: bool = False) -> list[PartRange]:
    """The plate's parts: ``parts`` of them, or one where the plate's timestamps are irregular;
    with the ``review`` files, each starts on a strip sheet's first frame."""
    return plan_parts(info.frame_count, 1 if info.variable_frame_rate else parts,
                      context_frames(settings), SHEET_FRAMES if review else 1)


def detect_part(source: PlateSource, info: PlateInfo, settings: DetectorSettings, part: PartRange,
                parts: int, path: DecodePath | None = None, store: FrameStore | None = None,
                review: ReviewPlan | None = None,
                progress: Callable[[int], None] | None = None) -> PartResult:
    """Decode and detect one part of the plate; with ``store`` and ``review`` (the whole plate's),
    write its frames' store files and its stretch of the review files; ``progress`` hears of the
    frames it decoded so far."""
    found = analyse(source, info, settings, progress, path=path, part=part,
                    store=replace(store, first_number=part.first) if store else None,
                    review=review.for_part(part.first) if review else None)
    margins = found.detection.margins
    return PartResult(index=part.index, parts=parts, frame_count=info.frame_count, first=part.first,
                      end=part.end, decode_first=part.decode_first,
                      time_base=str(found.stamps.time_base), pts=list(found.stamps.pts),
                      luma=[float(v) for v in found.luma], margins=[float(v) for v in margins],
                      boundaries=[PartBoundary.of(b) for b in found.detection.boundaries],
                      transitions=list(found.detection.transitions), decode=found.decode_path)


class PartRequest(BaseModel):
    """What a local part process is asked to do (``python -m jobs.part_pass REQUEST``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    plate: str
    sequence_rate: str | None  # an image sequence's rate, "num/den"
    info: PlateInfo
    settings: DetectorSettings
    index: int
    parts: int
    decode: DecodePath
    store: str | None = None  # the frame store's folder
    bands: list[tuple[int, int]] = []  # the rows it keeps (jobs.framestore.band_rows)
    review: str | None = None  # the output folder the review files go under


_POLL_SECONDS = 0.05  # how often the parts' processes are looked at


def analyse_in_parts(source: PlateSource, info: PlateInfo, settings: DetectorSettings, parts: int,
                     progress: Callable[[int], None] | None = None, store: FrameStore | None = None,
                     review: ReviewPlan | None = None) -> Analysis:
    """:func:`jobs.analyse.analyse` of the whole plate, its parts run in as many local processes at
    once and joined (the review proxy's pieces too)."""
    ranges = planned(info, settings, parts, review is not None)
    if len(ranges) == 1:
        return analyse(source, info, settings, progress, store, review)
    path = hwdecode.choose_decode_path(info)
    rate = str(source.sequence_rate) if source.kind == "sequence" else None
    with tempfile.TemporaryDirectory(prefix="platecut-parts-") as tmp:
        requests = [PartRequest(plate=str(source.path), sequence_rate=rate, info=info,
                                settings=settings, index=r.index, parts=len(ranges), decode=path,
                                store=str(store.root) if store else None,
                                bands=list(store.bands) if store else [],
                                review=str(review.root) if review else None)
                    for r in ranges]
        results = _run_local(requests, Path(tmp), ranges, progress)
    if review:
        join_proxy_pieces(review, [r.first for r in ranges])
    try:
        joined = join_parts(results, info.frame_count)
    except PartsError as exc:
        whole = analyse(source, info, settings, path=path, store=store, review=review)
        reason = f"{whole.decode_path.reason} (in one pass: {exc.message})"
        return Analysis(whole.stamps, whole.detection, whole.luma,
                        DecodePath(device=whole.decode_path.device, reason=reason))
    stamps = Timestamps(time_base=joined.time_base, pts=joined.pts)
    decode = joined.decode.model_copy(update={"parts": len(ranges)})
    return Analysis(stamps, joined.detection, joined.luma, decode)


def _run_local(requests: list[PartRequest], folder: Path, ranges: list[PartRange],
               progress: Callable[[int], None] | None) -> list[PartResult]:
    """Every part in a process of its own, all at once; their results in plan order."""
    running = {}
    for request in requests:
        asked = folder / f"request-{request.index:04d}.json"
        asked.write_text(request.model_dump_json())
        with _said(folder, request.index).open("wb") as said:
            running[request.index] = subprocess.Popen(
                [sys.executable, "-m", "jobs.part_pass", str(asked), str(folder)],
                stdout=subprocess.DEVNULL, stderr=said)
    told = 0
    try:
        while running:
            for index, proc in list(running.items()):
                if proc.poll() is None:
                    continue
                del running[index]
                _raise_failure(proc.returncode, _said(folder, index))
            done = _frames_done(folder, ranges, running)
            if progress and done != told:
                progress(done)
                told = done
            time.sleep(_POLL_SECONDS)
    finally:
        for proc in running.values():  # one part failed: the others stop
            proc.kill()
            proc.wait()
    return [PartResult.model_validate_json((folder / PART_NAME.format(index=r.index)).read_text())
            for r in ranges]


def _said(folder: Path, index: int) -> Path:
    return folder / f"part-{index:04d}.err"


def _told(folder: Path, index: int) -> Path:
    """Where a part's process keeps the count of frames it decoded so far."""
    return folder / f"part-{index:04d}.done"


def _frames_done(folder: Path, ranges: list[PartRange], running: Container[int]) -> int:
    """The plate's frames done: the finished parts' own frames, and the running ones' decoded frames
    within their own range (a part decodes its context before it)."""
    done = 0
    for r in ranges:
        if r.index not in running:
            done += r.end - r.first
            continue
        with suppress(OSError, ValueError):
            decoded = int(_told(folder, r.index).read_text())
            done += min(r.end - r.first, max(0, r.decode_first + decoded - r.first))
    return done


def _telling(path: Path) -> Callable[[int], None]:
    """A progress callback that writes the count to ``path`` (whole: written aside, then renamed)."""
    aside = path.with_suffix(".writing")

    def tell(done: int) -> None:
        aside.write_text(str(done))
        aside.replace(path)
    return tell


def _raise_failure(code: int, said: Path) -> None:
    """A part's process failed: its one-line message, as the error its exit code stands for."""
    if code == 0:
        return
    lines = said.read_text(errors="replace").strip().splitlines()
    message = lines[-1] if lines else f"a part's process exited with {code}"
    for kind in (BadInputError, InputMissingError, ToolMissingError):
        if code == kind.exit_code:
            raise kind(message)
    raise RuntimeError(f"a part's process exited with {code}: {message}")


def run_request(request: PartRequest, folder: Path) -> Path:
    """Detect the part ``request`` names; its result is written to ``folder`` (whole or not at all)."""
    rate = FrameRate.parse(request.sequence_rate) if request.sequence_rate else None
    source = resolve_source(request.plate, rate)
    info = request.info
    part = planned(info, request.settings, request.parts, request.review is not None)[request.index]
    store = (FrameStore(Path(request.store), info.width, info.height, tuple(request.bands))
             if request.store else None)
    review = ReviewPlan.for_plate(info, Path(request.review)) if request.review else None
    result = detect_part(source, info, request.settings, part, request.parts, request.decode,
                         store, review, _telling(_told(folder, request.index)))
    written = folder / PART_NAME.format(index=request.index)
    partial = written.with_suffix(".partial")
    partial.write_text(result.model_dump_json())
    partial.replace(written)
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m jobs.part_pass REQUEST FOLDER``: one part of a local fan-out."""
    asked, folder = argv if argv is not None else sys.argv[1:]
    try:
        run_request(PartRequest.model_validate_json(Path(asked).read_text()), Path(folder))
    except PlatecutError as exc:
        print(exc.message, file=sys.stderr)
        return int(exc.exit_code)
    return 0


if __name__ == "__main__":
    sys.exit(main())
