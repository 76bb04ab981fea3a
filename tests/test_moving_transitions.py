"""A dip to black or to white and a cross dissolve between shots that move all the time (handheld
photographs with grain): each a boundary on its edit frame with the transition recorded. Every frame
of such shots changes as much as a transition's, so a dip is found through its flat frames and the dissolve
through its tones (before, neither transition nor any cut was found on these plates)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from jobs.analyse import analyse
from jobs.manifest import DetectorSettings
from jobs.probe import probe
from jobs.source import resolve_source

RATE = 25
OUT_FRAMES, IN_FRAMES, FADE = 62, 74, 12  # each shot's frames; its fade out (in) over its last (first) 12
DISSOLVE = 12  # frames of the cross dissolve (xfade) from the first shot into the second
# a handheld camera over a photograph: the crop wanders by sines of the frame number, grain on every frame
HANDHELD = ("scale=1280:720,setsar=1,crop=640:360:x='300+40*sin(n/{a})+{drift}*n':y='150+25*sin(n/{b})',"
            "noise=alls=10:allf=t,format=yuv420p")


def _photo(name: str) -> Path:
    skimage = pytest.importorskip("skimage")  # the dev extra's: its wheel holds the photographs
    return Path(skimage.__file__).parent / "data" / name


def _shot(index: int, frames: int, then: str, drift: int, a: float, b: float) -> str:
    move = HANDHELD.format(drift=drift, a=a, b=b)
    return f"[{index}]{move},trim=end_frame={frames},setpts=PTS-STARTPTS{then}"


def _render(path: Path, photos: tuple[str, str], graph: str) -> Path:
    inputs = [arg for name in photos
              for arg in ("-loop", "1", "-framerate", str(RATE), "-i", str(_photo(name)))]
    subprocess.run(["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", graph, "-map", "[v]",
                    "-c:v", "libx264", "-crf", "23", "-r", str(RATE), str(path)], check=True)
    return path


def _found(path: Path) -> tuple[list[tuple[str, int, int, int]], list[tuple[int, str]]]:
    source = resolve_source(str(path))
    detection = analyse(source, probe(source), DetectorSettings()).detection
    return ([(t.kind, t.first_frame, t.last_frame, t.edit_frame) for t in detection.transitions],
            [(b.frame, b.kind) for b in detection.boundaries])


@pytest.mark.parametrize("colour", ["black", "white"])
def test_a_dip_between_moving_shots_is_a_cut_on_its_edit_frame(
        tmp_path_factory: pytest.TempPathFactory, colour: str) -> None:
    fade = f"nb_frames={FADE}:color={colour}"
    out = _shot(0, OUT_FRAMES, f",fade=t=out:start_frame={OUT_FRAMES - FADE}:{fade}", 4, 3, 2.3)
    into = _shot(1, IN_FRAMES, f",fade=t=in:start_frame=0:{fade}", -4, 2.7, 2)
    plate = _render(tmp_path_factory.mktemp("dip") / "dip.mp4", ("coffee.png", "astronaut.png"),
                    f"{out}[a];{into}[b];[a][b]concat=n=2:v=1:a=0[v]")
    transitions, boundaries = _found(plate)
    assert transitions == [("fade", OUT_FRAMES - FADE + 1, OUT_FRAMES + FADE - 1, OUT_FRAMES)]
    assert boundaries == [(OUT_FRAMES, "fade")]


def test_a_dissolve_between_moving_shots_is_a_boundary_on_its_middle(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    out, into = _shot(0, OUT_FRAMES, "", 4, 3, 2.3), _shot(1, IN_FRAMES, "", 5, 3.1, 1.9)
    offset = OUT_FRAMES - DISSOLVE  # xfade's first overlapped frame is still all the outgoing shot
    plate = _render(tmp_path_factory.mktemp("dissolve") / "dissolve.mp4", ("astronaut.png", "rocket.jpg"),
                    f"{out},settb=1/{RATE}[a];{into},settb=1/{RATE}[b];"
                    f"[a][b]xfade=transition=fade:duration={DISSOLVE / RATE}:offset={offset / RATE},"
                    "format=yuv420p[v]")
    first = offset + 1
    edit = first + (DISSOLVE - 1) // 2
    transitions, boundaries = _found(plate)
    assert transitions == [("dissolve", first, offset + DISSOLVE - 1, edit)]
    assert boundaries == [(edit, "dissolve")]
