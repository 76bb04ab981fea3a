"""Rows of a job's manifest: every cut, and the plate-level outputs."""

from __future__ import annotations

from api.cuts.models import Cut, OutputKind, PlateOutput
from api.plates.keys import output_key
from api.plates.models import Plate
from jobs.manifest import MANIFEST_NAME, Manifest, OutputFile
from jobs.manifest import Cut as ManifestCut


def cut_row(plate: Plate, cut: ManifestCut, prefix: str | None = None) -> Cut:
    row = Cut(plate_id=plate.id, index=cut.index, name=cut.name, first_frame=cut.first_frame,
              last_frame=cut.last_frame, frame_count=cut.frame_count, head_in=cut.head_in,
              head_out=cut.media_out, cut_in=cut.cut_in, cut_out=cut.cut_out, tail_out=cut.tail_out,
              head_handles=cut.head_handles, tail_handles=cut.tail_handles, cut_duration=cut.cut_duration,
              working_duration=cut.working_duration, media_in=cut.media_in,
              picture_hash=cut.picture_hash, start_time=cut.start_time, duration=cut.duration,
              source_tc_in=cut.source_tc_in, source_tc_out=cut.source_tc_out,
              record_tc_in=cut.record_tc_in, record_tc_out=cut.record_tc_out, boundary_in=cut.boundary_in,
              confidence=cut.confidence, is_black=cut.is_black, detected_by=cut.detected_by,
              name_from=cut.name_from, source_tc_from=cut.source_tc_from)
    if cut.transition_in is not None:
        transition = cut.transition_in
        row.transition_kind = transition.kind
        row.transition_first_frame = transition.first_frame
        row.transition_last_frame = transition.last_frame
        row.transition_edit_frame = transition.edit_frame
        row.transition_confidence = transition.confidence
    if cut.media is not None:
        row.media_key = output_key(plate, cut.media.path, prefix)
        row.media_sha256, row.media_size = cut.media.sha256, cut.media.size_bytes
        row.media_frames = cut.media.frames
    if cut.thumbnail is not None:
        row.thumbnail_key = output_key(plate, cut.thumbnail.path, prefix)
        row.thumbnail_sha256, row.thumbnail_size = cut.thumbnail.sha256, cut.thumbnail.size_bytes
    return row


def _files(manifest: Manifest) -> list[tuple[OutputKind, int, OutputFile | None]]:
    """Every plate-level file of the manifest: its kind, its part (a strip sheet's number from 1,
    else 0) and the file (None: not written)."""
    outputs = manifest.outputs
    files: list[tuple[OutputKind, int, OutputFile | None]] = [
        (OutputKind.CONTACT_SHEET, 0, outputs.contact_sheet), (OutputKind.EDL, 0, outputs.edl),
        (OutputKind.OTIO, 0, outputs.otio), (OutputKind.CSV, 0, outputs.csv)]
    review = manifest.review
    if review is not None:
        files += [(OutputKind.PROXY, 0, review.proxy), (OutputKind.SCORES, 0, review.scores)]
        files += [(OutputKind.STRIP, n, sheet) for n, sheet in enumerate(review.strips, start=1)]
    return files


def output_rows(plate: Plate, manifest: Manifest, prefix: str | None = None) -> list[PlateOutput]:
    rows = [PlateOutput(plate_id=plate.id, kind=OutputKind.MANIFEST, part=0,
                        key=output_key(plate, MANIFEST_NAME, prefix))]
    for kind, part, file in _files(manifest):
        if file is not None:
            rows.append(PlateOutput(plate_id=plate.id, kind=kind, part=part,
                                    key=output_key(plate, file.path, prefix), sha256=file.sha256,
                                    size_bytes=file.size_bytes))
    return rows
