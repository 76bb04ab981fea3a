"""Run one detector once on one plate and print what it found as JSON.

``python -m bench.detect_once --tool platecut|content|adaptive PLATE``

The speed benchmark times this in a fresh process so that every tool pays for its own
imports; the accuracy benchmark calls the same functions in-process. Imports are done
inside the functions so that one tool never pays for the other's.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from typing import Any

TOOLS = ("platecut", "content", "adaptive")


@dataclass
class Found:
    """Boundaries a detector reported: plate frame indices, 0-based."""

    frames: int  # frames the detector decoded
    cuts: list[int]  # hard cuts
    gradual: list[int] = field(default_factory=list)  # dissolve/fade edit frames (platecut only)
    seconds: list[float] = field(default_factory=list)  # scene start times (PySceneDetect only)

    def as_dict(self) -> dict[str, Any]:
        return {"frames": self.frames, "cuts": self.cuts, "gradual": self.gradual,
                "seconds": self.seconds}


def platecut_found(plate: str) -> Found:
    """platecut's probe + analyse with default DetectorSettings."""
    from jobs.analyse import analyse
    from jobs.manifest import DetectorSettings
    from jobs.probe import probe
    from jobs.source import resolve_source

    source = resolve_source(plate)
    result = analyse(source, probe(source), DetectorSettings())
    boundaries = result.detection.boundaries
    return Found(frames=len(result.stamps.pts),
                 cuts=[b.frame for b in boundaries if b.kind == "cut"],
                 gradual=[b.frame for b in boundaries if b.kind != "cut"])


def scenedetect_found(plate: str, tool: str) -> Found:
    """PySceneDetect 0.7 ``detect()`` at default settings; the first scene's start is dropped."""
    from scenedetect import AdaptiveDetector, ContentDetector, detect
    from scenedetect.detector import SceneDetector

    detector: SceneDetector = ContentDetector() if tool == "content" else AdaptiveDetector()
    scenes = detect(plate, detector)
    # frame_num is what the deprecated get_frames() returns
    starts = [scene[0] for scene in scenes[1:]]
    frames = scenes[-1][1].frame_num if scenes else 0
    return Found(frames=frames, cuts=[s.frame_num for s in starts],
                 seconds=[round(s.seconds, 6) for s in starts])


def found_by(tool: str, plate: str) -> Found:
    if tool == "platecut":
        return platecut_found(plate)
    if tool in ("content", "adaptive"):
        return scenedetect_found(plate, tool)
    raise ValueError(f"unknown tool {tool!r}: use one of {', '.join(TOOLS)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.detect_once", description=__doc__)
    parser.add_argument("--tool", choices=TOOLS, default="platecut")
    parser.add_argument("plate")
    args = parser.parse_args(argv)
    print(json.dumps(found_by(args.tool, args.plate).as_dict()))


if __name__ == "__main__":
    main()
