"""Thumbnails and the contact sheet a person looks at."""

from __future__ import annotations

import pytest
from PIL import Image

from jobs.framestore import THUMB_WIDTH
from jobs.synth_suite import SUITE, file_name
from tests.conftest import SplitRunner


@pytest.mark.slow
def test_thumbnails_show_each_cuts_middle_frame(split_plate: SplitRunner) -> None:
    spec = SUITE["different"]
    out, manifest, _ = split_plate(file_name("different", spec), spec, split=False)
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
    out, manifest, _ = split_plate(file_name("dissolve_fade", spec), spec, split=False)
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
    out, manifest, _ = split_plate(file_name(name, spec), spec, split=False)
    edl = (out / f"{manifest.plate_name}.edl").read_text()
    assert " D 010 " in edl or " D 011 " in edl  # the 11-frame dissolve
    assert edl.count("* FROM CLIP NAME:") >= 4
    csv_rows = (out / "cuts.csv").read_text().splitlines()
    assert len(csv_rows) == 1 + len(manifest.cuts)
    assert ",dissolve,29,39," in csv_rows[2] and ",fade,61,75," in csv_rows[3]
