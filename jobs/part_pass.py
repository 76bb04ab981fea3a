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
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from jobs import hwdecode
from jobs.analyse import Analysis, analyse
from jobs.decode import Timestamps
from jobs.errors import BadInputError, InputMissingError, PlatecutError, ToolMissingError
from jobs.manifest import DecodePath, DetectorSettings, PlateInfo
from jobs.parts import PART_NAME, PartBoundary, PartRange, PartResult, PartsError, join_parts, plan_parts
from jobs.source import PlateSource, resolve_source
from jobs.streaming import context_frames
from jobs.timecode import FrameRate


def planned(info: PlateInfo, settings: DetectorSettings, parts: int) -> list[PartRange]:
    """The plate's parts: ``parts`` of them, or one where the plate's timestamps are irregular."""
    return plan_parts(info.frame_count, 1 if info.variable_frame_rate else parts,
                      context_frames(settings))


def detect_part(source: PlateSource, info: PlateInfo, settings: DetectorSettings, part: PartRange,
                parts: int, path: DecodePath | None = None) -> PartResult:
    """Decode and detect one part of the plate."""
    found = analyse(source, info, settings, path=path, part=part)
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


_POLL_SECONDS = 0.05  # how often the parts' processes are looked at


def analyse_in_parts(source: PlateSource, info: PlateInfo, settings: DetectorSettings, parts: int,
                     progress: Callable[[int], None] | None = None) -> Analysis:
    """Detection of the whole plate, its parts run in as many local processes at once and joined."""
    ranges = planned(info, settings, parts)
    if len(ranges) == 1:
        return analyse(source, info, settings, progress)
    path = hwdecode.choose_decode_path(info)
    rate = str(source.sequence_rate) if source.kind == "sequence" else None
    with tempfile.TemporaryDirectory(prefix="platecut-parts-") as tmp:
        folder = Path(tmp)
        requests = [PartRequest(plate=_plate_text(source), sequence_rate=rate, info=info,
                                settings=settings, index=r.index, parts=len(ranges), decode=path)
                    for r in ranges]
        results = _run_local(requests, folder, ranges, progress)
    try:
        joined = join_parts(results, info.frame_count)
    except PartsError as exc:
        whole = analyse(source, info, settings, path=path)
        reason = f"{whole.decode_path.reason} (in one pass: {exc.message})"
        return Analysis(whole.stamps, whole.detection, whole.luma,
                        DecodePath(device=whole.decode_path.device, reason=reason))
    stamps = Timestamps(time_base=joined.time_base, pts=joined.pts)
    return Analysis(stamps, joined.detection, joined.luma, joined.decode)


def _plate_text(source: PlateSource) -> str:
    return str(source.path)


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
    done = 0
    try:
        while running:
            for index, proc in list(running.items()):
                if proc.poll() is None:
                    continue
                del running[index]
                _raise_failure(proc.returncode, _said(folder, index))
                done += ranges[index].end - ranges[index].first
                if progress:
                    progress(done)
            time.sleep(_POLL_SECONDS)
    finally:
        for proc in running.values():  # one part failed: the others stop
            proc.kill()
            proc.wait()
    return [PartResult.model_validate_json((folder / PART_NAME.format(index=r.index)).read_text())
            for r in ranges]


def _said(folder: Path, index: int) -> Path:
    return folder / f"part-{index:04d}.err"


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
    part = planned(request.info, request.settings, request.parts)[request.index]
    result = detect_part(source, request.info, request.settings, part, request.parts, request.decode)
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
