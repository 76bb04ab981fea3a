"""Stage 7, outputs: the manifest's cut records, the contact sheet, EDL, OTIO and CSV."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from jobs import editorial
from jobs.analyse import Analysis
from jobs.hashing import output_file
from jobs.manifest import (
    Cut,
    DetectorSettings,
    Manifest,
    Outputs,
    PlateInfo,
    Software,
    SplitSettings,
)
from jobs.picture_hash import dhash
from jobs.pictures import SheetEntry, contact_sheet
from jobs.segments import CutPlan
from jobs.source import PlateSource
from jobs.split import SplitResult


def cut_record(plan: CutPlan, found: Analysis, media: SplitResult | None, thumb: Path,
               root: Path, settings: DetectorSettings) -> Cut:
    frames = found.luma[plan.first_frame : plan.last_frame + 1]
    return Cut(
        index=plan.index, name=plan.name, first_frame=plan.first_frame,
        last_frame=plan.last_frame, frame_count=plan.frame_count, **plan.fields.as_dict(),
        start_time=str(plan.start_time),
        duration=str(plan.end_time - plan.start_time), source_tc_in=plan.source_tc_in,
        source_tc_out=plan.source_tc_out, record_tc_in=plan.record_tc_in,
        record_tc_out=plan.record_tc_out, boundary_in=plan.boundary_in,
        transition_in=plan.transition_in, confidence=plan.confidence,
        is_black=bool(frames.max() < settings.black_level), detected_by=plan.detected_by,
        name_from=plan.name_from, source_tc_from=plan.source_tc_from,
        media=output_file(root, f"cuts/{media.pattern}", media.files, media.frames)
        if media else None,
        thumbnail=output_file(root, f"thumbnails/{thumb.name}"), picture_hash=dhash(thumb),
    )


def build_manifest(root: Path, source: PlateSource, info: PlateInfo, cuts: list[CutPlan],
                   found: Analysis, media: list[SplitResult], thumbs: list[Path],
                   detector: DetectorSettings, split: SplitSettings,
                   software: Software) -> Manifest:
    records = [cut_record(plan, found, media[i] if media else None, thumbs[i], root, detector)
               for i, plan in enumerate(cuts)]
    return Manifest(plate_name=source.stem, created_at=datetime.now(UTC), plate=info,
                    cuts=records, transitions=found.detection.transitions, detector=detector,
                    split=split, outputs=Outputs(), software=software, timings={})


def sheet_heading(m: Manifest) -> str:
    p = m.plate
    tc = f"  TC {p.start_timecode}" if p.start_timecode else ""
    return (f"{m.plate_name}  {p.codec} {p.width}x{p.height} @ {p.frame_rate}  "
            f"{p.frame_count} frames{tc}  {len(m.cuts)} cuts")


def _sheet_detail(c: Cut) -> str:
    handles = f" +{c.head_handles}/{c.tail_handles}" if c.head_handles or c.tail_handles else ""
    return (f"{c.cut_in}-{c.cut_out} ({c.cut_duration}f{handles})  "
            f"plate {c.first_frame}-{c.last_frame}")


def _sheet_note(c: Cut) -> str:
    t = c.transition_in
    return f"in: {t.kind}, plate {t.first_frame}-{t.last_frame}" if t else ""


def write_contact_sheet(root: Path, m: Manifest) -> Path:
    entries = [SheetEntry(root / c.thumbnail.path, f"#{c.index:03d}  {c.name}", _sheet_detail(c),
                          _sheet_note(c), c.boundary_in)
               for c in m.cuts if c.thumbnail]
    return contact_sheet(entries, sheet_heading(m), root / "contact_sheet.png")


def editorial_outputs(root: Path, m: Manifest) -> Manifest:
    """Write the contact sheet and editorial files; return the manifest that lists them."""
    write_contact_sheet(root, m)
    edl, otio_path, csv = (root / f"{m.plate_name}.edl", root / f"{m.plate_name}.otio",
                           root / "cuts.csv")
    editorial.write_edl(m, edl)
    editorial.write_otio(m, otio_path)
    editorial.write_csv(m, csv)
    outputs = Outputs(contact_sheet=output_file(root, "contact_sheet.png"),
                      edl=output_file(root, edl.name), otio=output_file(root, otio_path.name),
                      csv=output_file(root, csv.name))
    return m.model_copy(update={"outputs": outputs})
