"""Burn-ins: the bands found before the analysis pass (so its frame store keeps only their rows),
then, after detection, sampled frames read, the cuts refined and named."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from jobs.burnin.fields import BurnInFields
from jobs.burnin.frames import PlateFrames, sample_pictures
from jobs.burnin.labels import CutLabel, ends_disagree, label_cut
from jobs.burnin.reader import BurnInReader
from jobs.burnin.refine import PictureCut, Refinement, Segment, refine
from jobs.burnin.regions import Region, find_regions
from jobs.detect import Boundary
from jobs.manifest import BurnInRead, BurnInReport, PlateInfo, Suspicious
from jobs.ocr.engine import OcrEngine
from jobs.source import PlateSource
from jobs.timecode import FrameRate

SAMPLES = 6  # whole pictures read to find the bands


@dataclass(frozen=True)
class Bands:
    """Where a plate's burn-ins are, known before its analysis pass."""

    regions: list[Region]  # none: no burn-in found (or the site gave none)
    sample_calls: int = 0  # whole pictures read to find them; 0 when the site gave them


def find_bands(source: PlateSource, info: PlateInfo, engine: OcrEngine,
               given: list[Region] | None) -> Bands:
    """The site's bands when it gives them, else those found on pictures spread over the plate."""
    if given is not None:
        return Bands(given)
    pictures = sample_pictures(source, info, SAMPLES)
    return Bands(find_regions(pictures, engine), len(pictures))


@dataclass
class BurnInResult:
    regions: list[Region]
    boundaries: list[Boundary]
    refinement: Refinement = field(default_factory=Refinement)
    reads: dict[int, BurnInFields] = field(default_factory=dict)
    calls: int = 0
    sample_calls: int = 0


def segments_of(boundaries: list[Boundary], count: int) -> list[Segment]:
    """Picture segments, with the frames clear of transitions where burn-ins can be read."""
    out = []
    starts = [0] + [b.frame for b in boundaries]
    ends = [*starts[1:], count]
    for i, (first, end) in enumerate(zip(starts, ends, strict=True)):
        incoming = boundaries[i - 1].transition if i else None
        outgoing = boundaries[i].transition if i < len(boundaries) else None
        clean_first = incoming.last_frame + 1 if incoming else first
        clean_last = outgoing.first_frame - 1 if outgoing else end - 1
        if clean_first > clean_last:
            clean_first = clean_last = (first + end - 1) // 2
        out.append(Segment(first, end - 1, clean_first, clean_last))
    return out


def _picture_cuts(boundaries: list[Boundary], segments: list[Segment]) -> list[PictureCut]:
    return [PictureCut(b.frame, segments[i].last_clean, segments[i + 1].first_clean)
            for i, b in enumerate(boundaries)]


def merge(boundaries: list[Boundary], result: Refinement) -> list[Boundary]:
    """Picture cuts the burn-ins run across are dropped; burn-in-only cuts are added."""
    kept = [replace(b, detected_by="both") if b.frame in result.confirmed else b
            for b in boundaries if b.frame not in result.suspicious]
    added = [Boundary(frame, "cut", 1.0, None, "burnin") for frame in result.burnin_cuts]
    return sorted(kept + added, key=lambda b: b.frame)


def read_burnins(frames: PlateFrames, engine: OcrEngine, boundaries: list[Boundary],
                 count: int, rate: FrameRate, pattern: re.Pattern[str], bands: Bands) -> BurnInResult:
    """Refine ``boundaries`` with the plate's burn-ins, read in ``bands``."""
    found = bands.regions
    if not found:
        return BurnInResult(regions=[], boundaries=boundaries, sample_calls=bands.sample_calls)
    reader = BurnInReader(frames.for_regions(found), engine, found, pattern)
    segments = segments_of(boundaries, count)
    result = refine(reader, segments, _picture_cuts(boundaries, segments), rate, frames.pivot)
    merged = merge(boundaries, result)
    for seg in segments_of(merged, count):  # every final cut read at its clear ends
        first, last = reader(seg.first_clean), reader(seg.last_clean)
        if ends_disagree(first, last, seg, rate):  # a misread: ask a third
            reader((seg.first_clean + seg.last_clean) // 2)
    return BurnInResult(found, merged, result, reader.reads, reader.calls, bands.sample_calls)


def labels_for(result: BurnInResult, count: int, rate: FrameRate) -> list[CutLabel] | None:
    """One label per final cut, or None when the plate has no burn-ins."""
    if not result.regions:
        return None
    return [label_cut(seg, result.reads, rate) for seg in segments_of(result.boundaries, count)]


def report(result: BurnInResult, engine: OcrEngine) -> BurnInReport:
    ref = result.refinement
    reason = "the picture changes but the burn-in name, timecode and counter run on"
    reads = [BurnInRead(frame=f.frame, name=f.name, source_tc=f.source_tc, record_tc=f.record_tc,
                        counter=f.counter, texts=list(f.raw)) for f in result.reads.values()]
    return BurnInReport(engine=engine.info().model_dump(mode="json"),
                        regions=[str(r) for r in result.regions], ocr_calls=result.calls,
                        sample_calls=result.sample_calls,
                        confirmed=ref.confirmed, burnin_only=ref.burnin_cuts,
                        suspicious=[Suspicious(frame=f, reason=reason) for f in ref.suspicious],
                        unchecked=ref.unchecked, reads=reads)
