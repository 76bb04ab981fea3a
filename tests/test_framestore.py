"""The frame store: pictures of every frame written by the analysis pass itself."""

from __future__ import annotations

import subprocess
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from jobs.analyse import analyse
from jobs.burnin.frames import PlateFrames, grab_frame
from jobs.burnin.regions import Region
from jobs.framestore import THUMB_WIDTH, FrameStore, strip_height
from jobs.manifest import DetectorSettings
from jobs.probe import probe
from jobs.source import resolve_source


@pytest.fixture(scope="module")
def long_gop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1280x720 H.264 plate, 96 frames in 48-frame GOPs, its frame number burnt in below."""
    path = tmp_path_factory.mktemp("store") / "gop.mp4"
    draw = ("drawbox=x=0:y=ih-80:w=iw:h=80:color=black:t=fill,"
            "drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf:"
            "text='%{frame_num}':x=40:y=h-60:fontsize=40:fontcolor=white")
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=1280x720:r=24",
                    "-vf", draw, "-frames:v", "96", "-c:v", "libx264", "-g", "48",
                    "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


@pytest.mark.slow
def test_the_analysis_pass_writes_a_picture_of_every_frame(long_gop: Path, tmp_path: Path) -> None:
    source = resolve_source(str(long_gop), None)
    info = probe(source)
    store = FrameStore(tmp_path, info.width, info.height, strips=True)
    found = analyse(source, info, DetectorSettings(), store=store)
    assert len(found.stamps.pts) == 96
    assert sorted(p.name for p in store.thumbs_dir.iterdir()) == [f"{i:08d}.jpg" for i in range(96)]
    assert len(list(store.strips_dir.iterdir())) == 96
    with Image.open(store.thumbnail(95)) as thumb:
        assert thumb.size == (THUMB_WIDTH, 270)
    rows = strip_height(720)
    assert rows == 144
    with Image.open(store.strip_file(0)) as strip:
        assert strip.size == (1280, 2 * rows)
    # the strips are the frame's own pixels at full resolution (JPEG near-lossless), and
    # frame 70 is frame 70, not a neighbour: the drawn frame number matches the seek path
    seek = partial(grab_frame, source, info, found.stamps)
    number = np.s_[720 - 65: 720 - 10, 36:96]  # the drawn digits
    for index in (0, 47, 48, 70, 95):
        exact = seek(index)
        assert _mean_difference(store.strips_only(index)[number], exact[number]) < 3
        other = index + 1 if index < 95 else 94
        assert _mean_difference(store.strips_only(other)[number], exact[number]) > 5
        assert _mean_difference(store.whole(index), exact) < 12  # soft outside the strips


def test_reads_come_from_the_store_only_where_it_is_sharp(tmp_path: Path) -> None:
    store = FrameStore(tmp_path, 1920, 1080, strips=True)  # strips of 216 rows
    info = _info(1920, 1080)

    def seek(index: int) -> np.ndarray:
        return np.zeros((1080, 1920, 3), dtype=np.uint8)

    frames = PlateFrames(info, seek, store)
    assert frames.for_regions([Region(0, 0, 1, 0.1), Region(0, 0.9, 1, 0.1)]) == store.strips_only
    assert frames.for_regions([Region(0, 0.45, 1, 0.1)]) is seek  # mid-frame: exact by seeking
    assert frames.for_regions([Region(0, 0.0, 1, 0.25)]) is seek  # reaches below the strip
    no_strips = PlateFrames(info, seek, FrameStore(tmp_path, 1920, 1080, strips=False))
    assert no_strips.for_regions([Region(0, 0, 1, 0.1)]) is seek


def _mean_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))


def _info(width: int, height: int):  # type: ignore[no-untyped-def]
    from jobs.manifest import PlateInfo

    fields = {name: None for name in PlateInfo.model_fields}
    return PlateInfo.model_construct(**{**fields, "width": width, "height": height})
