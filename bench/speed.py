"""Detection speed: platecut against the FFmpeg decode floor and PySceneDetect, in one run.

``python -m bench.speed [--repeat 3] [--quick]`` makes (or reuses) a 1920x1080 H.264 plate of
3,100 frames and 40 hard cuts under ``bench/work/speed/``, then times, round robin and
``--repeat`` times each (the median is reported):

a) ``ffmpeg -v error -i PLATE -f null -`` (the decode floor);
b) platecut probe + analyse, default DetectorSettings, in a fresh Python process;
c) PySceneDetect 0.7 ``detect(PLATE, ContentDetector())``, default settings, in a fresh process.

``--quick`` uses a 640x360, 300-frame plate and one run, to check that it all works.
Results: ``bench/results/speed.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.common import (
    PYTHON,
    WORK,
    Timing,
    add_plate_options,
    apply_quick,
    ensure_plate,
    heading,
    interleaved_timings,
    log,
    machine_info,
    machine_lines,
    many_cuts_spec,
    parse_size,
    publish,
    table,
)

TARGET_FLOOR = 1.2  # platecut / decode floor, at most
TARGET_PYSCENEDETECT = 1.7  # PySceneDetect / platecut, at least
LABELS = {"decode": "FFmpeg decode floor (`ffmpeg -i PLATE -f null -`)",
          "platecut": "platecut probe + analyse (fresh process)",
          "content": "PySceneDetect ContentDetector (fresh process)"}


def commands(plate: Path) -> dict[str, list[str]]:
    detect = [PYTHON, "-m", "bench.detect_once", "--tool"]
    return {"decode": ["ffmpeg", "-v", "error", "-i", str(plate), "-f", "null", "-"],
            "platecut": [*detect, "platecut", str(plate)],
            "content": [*detect, "content", str(plate)]}


def cuts_found(timing: Timing) -> int | None:
    return len(json.loads(timing.stdout)["cuts"]) if timing.stdout.strip() else None


def timing_table(timings: dict[str, Timing], frames: int, truth_cuts: int) -> str:
    rows = []
    for name, t in timings.items():
        found = cuts_found(t)
        runs = ", ".join(f"{r:.2f}" for r in t.runs_s)
        rows.append([LABELS[name], f"{t.median_s:.2f}", runs, f"{frames / t.median_s:.1f}",
                     "-" if found is None else f"{found} of {truth_cuts}"])
    return table(["measurement", "median s", "runs s", "frames/s", "hard cuts found"], rows)


def ratio_table(timings: dict[str, Timing]) -> str:
    floor = timings["platecut"].median_s / timings["decode"].median_s
    versus = timings["content"].median_s / timings["platecut"].median_s
    rows = [["platecut / decode floor", f"{floor:.2f}", f"≤ {TARGET_FLOOR}",
             "yes" if floor <= TARGET_FLOOR else "no"],
            ["PySceneDetect / platecut", f"{versus:.2f}", f"≥ {TARGET_PYSCENEDETECT}",
             "yes" if versus >= TARGET_PYSCENEDETECT else "no"]]
    return table(["ratio", "value", "target", "met"], rows)


def report(plate: Path, info: dict[str, Any], timings: dict[str, Timing], frames: int,
           truth_cuts: int, quick: bool) -> str:
    title = heading("Detection speed", quick)
    runs = len(next(iter(timings.values())).runs_s)
    about = [f"- plate: `{plate.name}`, {frames} frames, {truth_cuts} hard cuts; "
             f"{runs} run(s) of each, round robin, median wall time (`time.perf_counter`)",
             "- b) and c) run in a fresh Python process each (`python -m bench.detect_once`): "
             "their times include interpreter start-up and imports",
             *machine_lines(info)]
    return "\n\n".join([title, "\n".join(about), timing_table(timings, frames, truth_cuts),
                        ratio_table(timings)])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.speed", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_plate_options(parser, "measurement")
    return apply_quick(parser.parse_args(argv))


def main(argv: list[str] | None = None) -> str:
    args = parse_args(argv)
    info = machine_info()
    size = parse_size(args.size)
    spec = many_cuts_spec(args.frames, size)
    plate = WORK / "speed" / f"many_cuts_{args.size}_{args.frames}.mp4"
    truth = ensure_plate(spec, plate)
    log(f"timing on {plate.name}")
    timings = interleaved_timings(commands(plate), args.repeat)
    markdown = report(plate, info, timings, truth.frame_count, len(truth.cut_starts), args.quick)
    data = {"quick": args.quick, "machine": info, "plate": str(plate.name), "size": list(size),
            "frames": truth.frame_count, "truth_cuts": len(truth.cut_starts),
            "timings": {name: {"median_s": t.median_s, "runs_s": t.runs_s, "cuts_found": cuts_found(t)}
                        for name, t in timings.items()}}
    return publish("speed", data, markdown)


if __name__ == "__main__":
    main()
