"""Thumbnails and the contact sheet a person looks at; the pictures' hashes the API matches."""

from __future__ import annotations

import itertools
import re
from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image

from jobs.cut_fields import Handles, Numbering, cut_fields
from jobs.framestore import THUMB_WIDTH
from jobs.manifest import picture_distance
from jobs.picture_hash import dhash
from jobs.pictures import middle_frame
from jobs.segments import CutPlan
from jobs.synth_suite import SUITE, file_name
from tests.conftest import SplitRunner


@pytest.mark.slow
def test_thumbnails_show_each_cuts_middle_frame(split_plate: SplitRunner) -> None:
    spec = SUITE["different"]
    out, manifest, _ = split_plate(file_name("different", spec), spec, split=False, ocr=None)
    colours = []
    for cut in manifest.cuts:
        assert cut.thumbnail is not None
        with Image.open(out / cut.thumbnail.path) as img:
            assert img.format == "JPEG" and img.size == (THUMB_WIDTH, 270)
            colours.append(img.convert("L").resize((8, 8)).tobytes())
    assert len(set(colours)) == len(manifest.cuts)  # four different shots, four pictures


@pytest.mark.slow
def test_contact_sheet_is_a_grid_of_every_cut(split_plate: SplitRunner) -> None:
    spec = SUITE["dissolve_fade"]
    out, manifest, _ = split_plate(file_name("dissolve_fade", spec), spec, split=False, ocr=None)
    assert manifest.outputs.contact_sheet is not None
    with Image.open(out / manifest.outputs.contact_sheet.path) as sheet:
        assert sheet.format == "PNG"
        # 4 cuts -> 3 columns of 320 px tiles with 12 px gaps, 2 rows of 180 + 60 px labels
        assert sheet.size == (12 + 3 * (320 + 12), 40 + 12 + 2 * (180 + 60 + 12))
        # each tile holds its thumbnail: the first tile is not background
        tile = sheet.convert("RGB").crop((12, 52, 332, 232))
        assert len(set(tile.tobytes()[i : i + 3] for i in range(0, 320 * 180 * 3, 3))) > 50


@pytest.mark.parametrize("name", ["dissolve_fade"])
def test_editorial_files_describe_the_detected_transitions(split_plate: SplitRunner,
                                                           name: str) -> None:
    spec = SUITE[name]
    out, manifest, _ = split_plate(file_name(name, spec), spec, split=False, ocr=None)
    edl = (out / f"{manifest.plate_name}.edl").read_text()
    assert " D 010 " in edl or " D 011 " in edl  # the 11-frame dissolve
    assert edl.count("* FROM CLIP NAME:") >= 4
    csv_rows = (out / "cuts.csv").read_text().splitlines()
    assert len(csv_rows) == 1 + len(manifest.cuts)
    assert ",dissolve,29,39," in csv_rows[2] and ",fade,61,75," in csv_rows[3]


def _plan(numbering: Numbering, first: int, frames: int) -> CutPlan:
    return CutPlan(index=1, name="x", first_frame=first, last_frame=first + frames - 1,
                   fields=cut_fields(numbering, 1, frames), start_time=Fraction(0),
                   end_time=Fraction(1), boundary_in="cut", confidence=1.0, transition_in=None,
                   source_tc_in="01:00:00:00", source_tc_out="01:00:01:08",
                   record_tc_in="01:00:00:00", record_tc_out="01:00:01:08")


def test_the_thumbnail_is_the_middle_of_the_cut_not_of_its_handles() -> None:
    # plate frames 100..131: on a scan with 8 + 4 handles the cut is 108..127
    assert middle_frame(_plan(Numbering("scan", 1001, Handles(8, 4)), 100, 32)) == 108 + 9
    assert middle_frame(_plan(Numbering("reference", 1001, Handles(8, 4)), 100, 32)) == 100 + 15


def test_picture_hash_survives_scaling_and_recompression(split_plate: SplitRunner,
                                                         tmp_path: Path) -> None:
    spec = SUITE["different"]
    out, manifest, _ = split_plate(file_name("different", spec), spec, split=False, ocr=None)
    for cut in manifest.cuts:
        assert cut.thumbnail is not None and cut.picture_hash is not None
        thumb = out / cut.thumbnail.path
        assert re.fullmatch("[0-9a-f]{16}", cut.picture_hash) and dhash(thumb) == cut.picture_hash
        for size, quality in (((240, 135), 30), ((960, 540), 60), ((320, 180), 10)):
            with Image.open(thumb) as img:
                img.convert("RGB").resize(size, Image.Resampling.BILINEAR).save(
                    tmp_path / "again.jpg", quality=quality)
            assert picture_distance(cut.picture_hash, dhash(tmp_path / "again.jpg")) <= 10


def test_picture_hash_tells_shots_apart_and_finds_them_in_another_edit(
        split_plate: SplitRunner) -> None:
    spec = SUITE["different"]  # testsrc, mandel, bars, life: hard cuts
    _, manifest, _ = split_plate(file_name("different", spec), spec, split=False, ocr=None)
    hashes = [c.picture_hash or "" for c in manifest.cuts]
    distances = [picture_distance(a, b) for a, b in itertools.combinations(hashes, 2)]
    assert min(distances) > 10  # four different generated shots
    # the same four shots, longer, joined by a dissolve and a fade: each found by its picture
    spec = SUITE["dissolve_fade"]
    _, other, _ = split_plate(file_name("dissolve_fade", spec), spec, split=False, ocr=None)
    matches = [[picture_distance(a, c.picture_hash or "") <= 10 for c in other.cuts] for a in hashes]
    assert matches == [[i == j for j in range(4)] for i in range(4)]
