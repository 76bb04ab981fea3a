"""The frame store: pictures of every frame written by the analysis pass itself."""

from __future__ import annotations

import subprocess
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from jobs.analyse import analyse
from jobs.burnin.frames import PlateFrames, grab_frame, sample_pictures
from jobs.burnin.regions import Region
from jobs.framestore import THUMB_WIDTH, FrameStore, band_rows
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
    # the band the frame number is drawn on (the bottom 80 rows), and one row range at the top
    store = FrameStore(tmp_path, info.width, info.height, bands=((0, 36), (640, 720)))
    found = analyse(source, info, DetectorSettings(), store=store)
    assert len(found.stamps.pts) == 96
    assert sorted(p.name for p in store.thumbs_dir.iterdir()) == [f"{i:08d}.jpg" for i in range(96)]
    assert len(list(store.strips_dir.iterdir())) == 96
    with Image.open(store.thumbnail(95)) as thumb:
        assert thumb.size == (THUMB_WIDTH, 270)
    with Image.open(store.strip_file(0)) as strip:
        assert strip.size == (1280, 36 + 80)  # the kept rows only, stacked
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


def test_pictures_to_find_the_bands_are_keyframes_else_exact_frames(long_gop: Path) -> None:
    source = resolve_source(str(long_gop), None)
    info = probe(source)
    pictures = sample_pictures(source, info, 6)
    # the middles of six equal parts are frames 8, 24, 40, 56, 72, 88; keyframes are 0 and 48:
    # each keyframe once, then the exact frame where its keyframe was taken already
    found = analyse(source, info, DetectorSettings())
    seek = partial(grab_frame, source, info, found.stamps)
    number = np.s_[720 - 65: 720 - 10, 36:140]  # the drawn digits
    assert len(pictures) == 6
    for picture, index in zip(pictures, (0, 24, 40, 48, 72, 88), strict=True):
        assert _mean_difference(picture[number], seek(index)[number]) < 1, index


def test_the_kept_rows_hold_the_bands_on_even_rows() -> None:
    # two boxes on one band merge; an odd top goes up a row, an odd bottom down a row
    assert band_rows(1080, [(0, 11, 900, 61), (950, 31, 1920, 75), (0, 973, 1920, 1080)]) == (
        (10, 76), (972, 1080))
    assert band_rows(1080, []) == ()
    assert band_rows(1081, [(0, 1000, 10, 1081)]) == ((1000, 1081),)  # never past the picture


def test_reads_come_from_the_store_only_where_it_is_sharp(tmp_path: Path) -> None:
    info = _info(1920, 1080)
    bands = [Region(0, 0, 1, 0.1), Region(0, 0.9, 1, 0.1)]
    store = FrameStore(tmp_path, 1920, 1080, band_rows(1080, [b.pixels(1920, 1080) for b in bands]))
    assert store.bands == ((0, 108), (972, 1080))

    def seek(index: int) -> np.ndarray:
        return np.full((1080, 1920, 3), 7, dtype=np.uint8)

    store.strips_dir.mkdir(parents=True)  # frame 0's rows are kept, frame 1's were let go
    Image.new("RGB", (1920, 216), (255, 255, 255)).save(store.strip_file(0))
    frames = PlateFrames(info, seek, store)
    for regions in (bands, [Region(0.2, 0.02, 0.3, 0.05)]):  # the bands, and a box inside one
        grab = frames.for_regions(regions)
        assert grab is not seek
        stored = grab(0)
        assert stored[:108].min() > 250 and stored[972:].min() > 250 and not stored[108:972].any()
        fetched = grab(1)  # let go by the store: from the plate, the kept rows only
        assert (fetched[:108] == 7).all() and (fetched[972:] == 7).all() and not fetched[108:972].any()
    assert frames.for_regions([Region(0, 0.45, 1, 0.1)]) is seek  # mid-frame: exact by seeking
    assert frames.for_regions([Region(0, 0.0, 1, 0.25)]) is seek  # reaches below the band
    no_strips = PlateFrames(info, seek, FrameStore(tmp_path, 1920, 1080))
    assert no_strips.for_regions([Region(0, 0, 1, 0.1)]) is seek


def _mean_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))


def _info(width: int, height: int):  # type: ignore[no-untyped-def]
    from jobs.manifest import PlateInfo

    fields = {name: None for name in PlateInfo.model_fields}
    return PlateInfo.model_construct(**{**fields, "width": width, "height": height})


# pure colours drawn on grey, as (x, y) of each block's centre in 1280x720 and its RGB
BLOCKS = {(160, 360): (255, 0, 0), (480, 360): (0, 255, 0), (800, 360): (0, 0, 255),
          (1120, 360): (255, 255, 255)}
BLOCK_TOLERANCE = 8  # levels: JPEG and 4:2:0 chroma at a block's centre, not a matrix's error


def _colour_plate(folder: Path, sequence: bool) -> Path:
    """12 frames of four pure-colour blocks on grey: an RGB PNG sequence or a YUV H.264 movie."""
    boxes = ",".join(f"drawbox=x={x - 120}:y={y - 120}:w=240:h=240:color=0x{r:02x}{g:02x}{b:02x}:t=fill"
                     for (x, y), (r, g, b) in BLOCKS.items())
    source = ["-f", "lavfi", "-i", "color=c=0x808080:s=1280x720:r=24", "-vf", boxes, "-frames:v", "12"]
    folder.mkdir(parents=True)
    if sequence:
        subprocess.run(["ffmpeg", "-v", "error", *source, "-pix_fmt", "rgb24",
                        str(folder / "plate.%04d.png")], check=True)
        return folder / "plate.%04d.png"
    subprocess.run(["ffmpeg", "-v", "error", *source, "-c:v", "libx264", "-pix_fmt", "yuv420p",
                    "-crf", "10", str(folder / "plate.mp4")], check=True)
    return folder / "plate.mp4"


def _thumbnail(plate: Path, root: Path, review: bool) -> np.ndarray:
    from jobs.review import ReviewPlan

    source = resolve_source(str(plate))  # a sequence at 24 fps
    info = probe(source)
    store = FrameStore(root / "store", info.width, info.height)
    plan = ReviewPlan.for_plate(info, root / "out") if review else None
    analyse(source, info, DetectorSettings(), store=store, review=plan)
    assert len(list(store.thumbs_dir.iterdir())) == 12
    with Image.open(store.thumbnail(11)) as thumb:
        assert thumb.size == (THUMB_WIDTH, 270)
        return np.asarray(thumb.convert("RGB"), dtype=np.int16)


@pytest.mark.parametrize("sequence", [False, True], ids=["yuv_movie", "rgb_sequence"])
def test_thumbnails_scaled_from_the_proxy_keep_the_pictures_colours(tmp_path: Path, sequence: bool) -> None:
    # with the review files on, the thumbnails are scaled from the proxy's pictures (BT.709 when
    # the plate is RGB), not from the full picture: the same colours either way, the true ones
    plate = _colour_plate(tmp_path / "plate", sequence)
    from_proxy = _thumbnail(plate, tmp_path / "with", review=True)
    from_picture = _thumbnail(plate, tmp_path / "without", review=False)
    scale = THUMB_WIDTH / 1280
    for (x, y), rgb in BLOCKS.items():
        cx, cy = round(x * scale), round(y * scale)
        centre = np.s_[cy - 10: cy + 10, cx - 10: cx + 10]
        for thumb in (from_proxy, from_picture):
            assert np.abs(thumb[centre].mean(axis=(0, 1)) - rgb).max() <= BLOCK_TOLERANCE, (rgb, sequence)
    assert np.abs(from_proxy - from_picture).mean() < 2  # the whole picture, edges included


def test_the_full_picture_is_scaled_for_thumbnails_only_without_review_files(long_gop: Path,
                                                                              tmp_path: Path) -> None:
    from jobs.decode import analysis_command
    from jobs.review import ReviewPlan

    source = resolve_source(str(long_gop), None)
    info = probe(source)
    plan = ReviewPlan.for_plate(info, tmp_path)
    square = "scale=trunc(iw*sar/2)*2:ih"  # the thumbnails' own scale of the full picture
    for bands, review in (((), None), ((), plan), (((640, 720),), plan)):
        store = FrameStore(tmp_path / "store", info.width, info.height, bands=bands)
        graph = analysis_command(source, info, 64, 36, store=store, review=review)
        assert " ".join(graph).count(f"scale={THUMB_WIDTH}:-2") == 1, graph
        assert (square in " ".join(graph)) == (review is None), graph
        assert ("crop=iw:80:0:640" in " ".join(graph)) == bool(bands)  # the strips, from the full picture


def test_sliced_scaling_gives_the_same_analysis_frames(long_gop: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from jobs import ffmpeg_cli
    from jobs.decode import Timestamps, analysis_command, decode_frames

    source = resolve_source(str(long_gop), None)
    info = probe(source)
    frames = {}
    for threads in (1, 2):
        monkeypatch.setattr(ffmpeg_cli, "scale_threads", lambda n=threads: n)
        assert f"threads={threads}" in " ".join(analysis_command(source, info, 64, 36))
        batches = decode_frames(source, info, 64, 36, Timestamps(), batch=32)
        frames[threads] = np.concatenate([b.yuv for b in batches])
    assert frames[1].shape == (96, 3, 36, 64)
    assert np.array_equal(frames[1], frames[2])
    assert 1 <= ffmpeg_cli.scale_threads() <= ffmpeg_cli.MAX_SCALE_THREADS
