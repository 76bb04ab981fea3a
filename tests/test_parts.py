"""A plate detected in parts, joined, gives exactly the one pass's result; a join never runs on a
missing, partial or disagreeing part."""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from jobs.analyse import Analysis, analyse
from jobs.decode import FrameSpan, FrameZero, SeekMissed, Timestamps
from jobs.errors import BadInputError, ExitCode
from jobs.manifest import DecodePath, DetectorSettings, Manifest, PlateInfo
from jobs.ocr.engine import OcrSettings
from jobs.part_pass import (
    _frames_done,
    _raise_failure,
    _told,
    analyse_in_parts,
    detect_part,
    planned,
)
from jobs.parts import PartRange, PartResult, PartsError, join_parts, plan_parts
from jobs.probe import probe
from jobs.source import PlateSource, resolve_source
from jobs.streaming import context_frames
from jobs.synth import PlateSpec, ShotSpec
from jobs.synth_suite import BURNIN_SUITE, file_name
from tests.conftest import PlateMaker, SplitRunner

SETTINGS = DetectorSettings()
CONTEXT = context_frames(SETTINGS)
CPU = DecodePath(device="cpu", reason="tests decode on the CPU")
# ten shots, 875 frames: hard cuts, 10-frame dissolves and fades (cut starts in the test below)
EDITS = PlateSpec(shots=tuple(
    ShotSpec(src, 40 + 11 * i, join=("dissolve" if i % 4 == 2 else "fade" if i % 4 == 3 else "cut"),
             join_frames=10 if i % 4 in (2, 3) else 0)
    for i, src in enumerate(["testsrc", "mandel", "bars", "life", "testsrc", "rgb", "mandel",
                             "bars", "testsrc", "life"])), width=160, height=90)


def _plate(plates: PlateMaker, name: str = "edits.mp4") -> tuple[PlateSource, PlateInfo, list[int]]:
    path, truth = plates(name, EDITS)
    source = resolve_source(str(path))
    return source, probe(source), truth.cut_starts


def _at_edges(edges: list[int], frames: int) -> list[PartRange]:
    """Parts whose ranges start at ``edges`` (the first is 0)."""
    ends = [*edges[1:], frames]
    return [PartRange(k, lo, hi, max(0, lo - CONTEXT), min(frames, hi + CONTEXT))
            for k, (lo, hi) in enumerate(zip(edges, ends, strict=True))]


def _in_parts(source: PlateSource, info: PlateInfo, ranges: list[PartRange]) -> list[PartResult]:
    return [detect_part(source, info, SETTINGS, r, len(ranges), CPU) for r in ranges]


def _same(joined_parts: list[PartResult], whole: Analysis, frames: int) -> None:
    joined = join_parts(joined_parts, frames)
    assert joined.detection.boundaries == whole.detection.boundaries
    assert joined.detection.transitions == whole.detection.transitions
    assert joined.detection.margins.tolist() == whole.detection.margins.tolist()
    assert joined.pts == whole.stamps.pts
    assert joined.time_base == whole.stamps.time_base
    assert joined.luma.tolist() == whole.luma.tolist()


def test_the_plan_covers_the_plate_once_with_context_either_side() -> None:
    ranges = plan_parts(1000, 4, 204)
    assert [(r.first, r.end) for r in ranges] == [(0, 250), (250, 500), (500, 750), (750, 1000)]
    assert [(r.decode_first, r.decode_end) for r in ranges] == [(0, 454), (46, 704), (296, 954),
                                                                 (546, 1000)]
    assert [(r.first, r.end) for r in plan_parts(3, 8, 204)] == [(0, 1), (1, 2), (2, 3)]
    with pytest.raises(ValueError, match="1 or more"):
        plan_parts(10, 0, 5)


@pytest.mark.parametrize("parts", [1, 2, 4, 8])
def test_any_number_of_parts_joins_to_the_one_pass(plates: PlateMaker, parts: int) -> None:
    source, info, cuts = _plate(plates)
    whole = analyse(source, info, SETTINGS, path=CPU)
    assert [b.frame for b in whole.detection.boundaries] == cuts  # the plate's truth, exactly
    ranges = planned(info, SETTINGS, parts)
    assert len(ranges) == parts
    _same(_in_parts(source, info, ranges), whole, info.frame_count)


def test_cuts_on_a_parts_first_and_last_frame_and_transitions_across_edges(
        plates: PlateMaker) -> None:
    source, info, cuts = _plate(plates)
    whole = analyse(source, info, SETTINGS, path=CPU)
    assert cuts == [40, 86, 143, 216, 300, 390, 491, 608, 736]
    transitions = [(t.first_frame, t.edit_frame) for t in whole.detection.transitions]
    assert {(82, 86), (134, 143), (386, 390)} <= set(transitions)
    # parts starting on a cut (40, 143), one ending on the frame before a cut (142), one starting
    # inside a fade before its edit (143: the fade 134-152 starts in part 1), one inside a dissolve
    edges = [0, 40, 143, 388]
    _same(_in_parts(source, info, _at_edges(edges, info.frame_count)), whole, info.frame_count)
    # parts ending on a cut's first frame (40, 86: a dissolve's edit), one starting on a cut (300)
    edges = [0, 41, 87, 300]
    _same(_in_parts(source, info, _at_edges(edges, info.frame_count)), whole, info.frame_count)


def test_an_image_sequence_in_parts(plates: PlateMaker, tmp_path: Path) -> None:
    movie, _ = plates("edits.mp4", EDITS)
    folder = tmp_path / "seq"
    folder.mkdir()
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(movie), "-frames:v", "300", "-start_number",
                    "1001", str(folder / "plate.%04d.png")], check=True)
    source = resolve_source(str(folder / "plate.%04d.png"))
    info = probe(source)
    whole = analyse(source, info, SETTINGS, path=CPU)
    _same(_in_parts(source, info, planned(info, SETTINGS, 4)), whole, info.frame_count)


def test_local_processes_join_to_the_one_pass(plates: PlateMaker) -> None:
    source, info, _ = _plate(plates)
    whole = analyse(source, info, SETTINGS)
    seen: list[int] = []
    fanned = analyse_in_parts(source, info, SETTINGS, 2, seen.append)
    assert fanned.detection.boundaries == whole.detection.boundaries
    assert fanned.detection.transitions == whole.detection.transitions
    assert fanned.detection.margins.tolist() == whole.detection.margins.tolist()
    assert fanned.stamps.pts == whole.stamps.pts and fanned.luma.tolist() == whole.luma.tolist()
    assert fanned.decode_path == whole.decode_path.model_copy(update={"parts": 2})
    assert seen[-1] == info.frame_count and seen == sorted(set(seen))  # rising, to the last frame


def test_progress_counts_each_parts_own_frames_decoded_so_far(tmp_path: Path) -> None:
    ranges = plan_parts(1000, 3, 204)  # 0-333 (decodes 0-537), 333-666 (129-870), 666-1000 (462-)
    running = {1: None, 2: None}  # part 0 has finished
    _told(tmp_path, 1).write_text("300")  # frames 129-428: 96 of its own (333-428)
    assert _frames_done(tmp_path, ranges, running) == 333 + 96  # part 2 has told nothing yet
    _told(tmp_path, 2).write_text("100")  # still in its context (462-561)
    assert _frames_done(tmp_path, ranges, running) == 333 + 96
    _told(tmp_path, 1).write_text("700")  # past its own end: no more than its 333 frames
    _told(tmp_path, 2).write_text("")  # being written: read as nothing
    assert _frames_done(tmp_path, ranges, running) == 333 + 333
    assert _frames_done(tmp_path, ranges, {}) == 1000


def test_a_variable_frame_rate_plate_is_one_part(plates: PlateMaker) -> None:
    _, info, _ = _plate(plates)
    irregular = info.model_copy(update={"variable_frame_rate": True})
    assert len(planned(irregular, SETTINGS, 4)) == 1


def _results(plates: PlateMaker) -> tuple[list[PartResult], int]:
    source, info, _ = _plate(plates)
    return _in_parts(source, info, planned(info, SETTINGS, 3)), info.frame_count


def test_a_join_refuses_missing_partial_and_disagreeing_parts(plates: PlateMaker) -> None:
    results, frames = _results(plates)
    with pytest.raises(PartsError, match="parts 1 of 3 have not reported") as missing:
        join_parts([results[0], results[2]], frames)
    assert missing.value.exit_code == ExitCode.TRANSIENT
    with pytest.raises(PartsError, match="no part has reported"):
        join_parts([], frames)
    cut_short = results[1].model_copy(update={"margins": results[1].margins[:-1]})
    with pytest.raises(PartsError, match="part 1 is partial"):
        join_parts([results[0], cut_short, results[2]], frames)
    with pytest.raises(PartsError, match="part 0 covers frames 0-290 of 875, not the plan's"):
        join_parts(results, frames + 5)
    shifted = results[1].model_copy(update={"pts": [p + 1 for p in results[1].pts]})
    with pytest.raises(PartsError, match="parts 0 and 1 disagree on the timestamps"):
        join_parts([results[0], shifted, results[2]], frames)
    luma = list(results[2].luma)
    luma[0] += 0.001
    with pytest.raises(PartsError, match=r"parts 1 and 2 decoded frames .* differently"):
        join_parts([results[0], results[1], results[2].model_copy(update={"luma": luma})], frames)


def test_a_result_survives_its_json(plates: PlateMaker) -> None:
    results, frames = _results(plates)
    again = [PartResult.model_validate_json(r.model_dump_json()) for r in results]
    assert join_parts(again, frames).detection.boundaries == join_parts(results, frames).detection.boundaries
    assert np.array_equal(join_parts(again, frames).luma, join_parts(results, frames).luma)


def test_a_failed_part_process_says_why_with_its_code(tmp_path: Path) -> None:
    said = tmp_path / "said"
    said.write_text("edits.mp4: truncated or damaged: decoded 10 of 20 frames\n")
    with pytest.raises(BadInputError, match="truncated or damaged") as failed:
        _raise_failure(int(ExitCode.BAD_INPUT), said)
    assert failed.value.exit_code == ExitCode.BAD_INPUT
    said.write_text("")
    with pytest.raises(RuntimeError, match="exited with 70"):
        _raise_failure(70, said)
    _raise_failure(0, said)


def test_parts_decoded_on_two_devices_say_which_used_the_cpu(plates: PlateMaker) -> None:
    results, frames = _results(plates)
    gpu = DecodePath(device="cuda", reason="NVDEC decodes h264 yuv420p")
    mixed = [results[0].model_copy(update={"decode": gpu}), results[1],
             results[2].model_copy(update={"decode": gpu})]
    assert join_parts(mixed, frames).decode == DecodePath(
        device="cpu", reason="parts 1 decoded on the CPU: tests decode on the CPU")
    assert join_parts(results, frames).decode == CPU


# 16 shots, 1,266 frames: with the review files on, parts start on a strip sheet's first frame
# (every 400 frames), so three parts
LONG_EDITS = PlateSpec(shots=EDITS.shots + EDITS.shots[:6], width=160, height=90)


def _outputs(out: Path, manifest: Manifest) -> dict[str, object]:
    return {"cuts": [(c.first_frame, c.name, c.record_tc_in, c.source_tc_in) for c in manifest.cuts],
            "transitions": manifest.transitions,
            "thumbnails": [(c.thumbnail.path, c.thumbnail.sha256) if c.thumbnail else None
                           for c in manifest.cuts],
            "sheets": manifest.review.strips if manifest.review else None,
            "scores": manifest.review.scores if manifest.review else None,
            "review": sorted(p.name for p in (out / "review").iterdir())}


@pytest.mark.slow
def test_a_split_in_parts_writes_what_one_part_writes(split_plate: SplitRunner) -> None:
    one_out, one, truth = split_plate("long_edits.mp4", LONG_EDITS, split=False, ocr=None)
    out, parts, _ = split_plate("long_edits.mp4", LONG_EDITS, split=False, ocr=None, parts=3)
    assert [c.first_frame for c in one.cuts] == [0, *truth.cut_starts]
    assert _outputs(out, parts) == _outputs(one_out, one)  # the same thumbnails and sheets, bit for bit
    assert parts.review is not None and one.review is not None
    assert parts.review.proxy.frames == one.review.proxy.frames == truth.frame_count
    decoded = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                              "-show_entries", "stream=nb_read_frames,r_frame_rate", "-of", "csv=p=0",
                              str(out / parts.review.proxy.path)], capture_output=True, text=True,
                             check=True).stdout.split(",")
    assert decoded == ["24/1", f"{truth.frame_count}\n"]  # the joined proxy: every frame, once


@pytest.mark.slow
def test_burn_ins_read_in_parts_name_the_cuts_alike(split_plate: SplitRunner) -> None:
    spec = BURNIN_SUITE["bi_basic"]
    named = {parts: split_plate(file_name("bi_basic", spec), spec, split=False, review=False,
                                ocr=OcrSettings(engine="onnx"), parts=parts)[1]
             for parts in (1, 3)}
    table = {parts: [(c.first_frame, c.name, c.source_tc_in, c.detected_by) for c in m.cuts]
             for parts, m in named.items()}
    assert table[3] == table[1] == [(0, "SH010_0010", "14:23:10:05", "picture"),
                                    (30, "SH010_0020", "09:02:59:20", "both"),
                                    (60, "EP01_S023_C012", "22:10:00:00", "both")]


@pytest.mark.parametrize(("option", "environment"), [(["--parts", "0"], {}),
                                                     (["--parts", "65"], {}),
                                                     ([], {"PLATECUT_PARTS": "many"})])
def test_a_number_of_parts_it_cannot_take_is_a_usage_error(
        plates: PlateMaker, tmp_path: Path, option: list[str], environment: dict[str, str]) -> None:
    plate, _ = plates("edits.mp4", EDITS)
    out = tmp_path / "out"
    result = subprocess.run([str(Path(sys.executable).with_name("platecut")), "split", str(plate),
                             "-o", str(out), "--no-ocr", *option], capture_output=True, text=True,
                            env={**os.environ, **environment}, check=False)
    assert result.returncode == ExitCode.USAGE, result.stderr  # click's usage error, as for --codec
    assert "Invalid value for '--parts'" in result.stderr and "Usage: platecut split" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


def test_a_transport_stream_in_parts_despite_its_seeks(plates: PlateMaker, tmp_path: Path) -> None:
    """MPEG-TS starts at 1.48 s and its seeks land late: each part finds its first frame by its
    timestamp, sought again from further back when the seek landed after it."""
    movie, _ = plates("edits.mp4", EDITS)
    plate = tmp_path / "edits.ts"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(movie), "-c:v", "libx264", "-g", "48",
                    "-f", "mpegts", str(plate)], check=True)
    source = resolve_source(str(plate))
    info = probe(source)
    whole = analyse(source, info, SETTINGS, path=CPU)
    joined = join_parts(_in_parts(source, info, planned(info, SETTINGS, 8)), info.frame_count)
    assert joined.detection.boundaries == whole.detection.boundaries
    assert joined.detection.transitions == whole.detection.transitions
    assert joined.detection.margins.tolist() == whole.detection.margins.tolist()
    assert joined.luma.tolist() == whole.luma.tolist()
    # the plate's own timestamps (FFmpeg's -copyts): a constant apart from the one pass's
    offset = joined.pts[0] - whole.stamps.pts[0]
    assert offset == 133_500 and [p - offset for p in joined.pts] == whole.stamps.pts


def test_a_seek_that_lands_late_is_told() -> None:
    zero = FrameZero(pts=1000, time_base=Fraction(1, 90_000))
    info_rate = Fraction(1, 24)  # 3,750 ticks a frame
    span = FrameSpan(first=100, count=10, zero=zero)
    assert span.zero is not None and span.zero.before(100, info_rate) == 1000 + 375_000 - 1875
    landed = Timestamps(time_base=Fraction(1, 90_000), pts=[1000 + 100 * 3750])
    late = Timestamps(time_base=Fraction(1, 90_000), pts=[1000 + 102 * 3750])
    info = _info_at(24)
    span.check_landed(landed, info)
    with pytest.raises(SeekMissed, match=r"frame 100 sought, the decoding began 2\.0 frames later"):
        span.check_landed(late, info)


def _info_at(fps: int) -> PlateInfo:
    return PlateInfo(source="x.ts", kind="movie", container="mpegts", codec="h264", width=160,
                     height=90, pixel_aspect="1:1", pix_fmt="yuv420p", bit_depth=8,
                     frame_rate={"num": fps, "den": 1}, frame_count=200, frame_count_counted=False,
                     duration="25/3", intra_only=False)
