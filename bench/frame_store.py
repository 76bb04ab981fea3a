"""The frame store's scratch space and what writing it costs, with burn-ins read, side by side.

``python -m bench.frame_store [--frames 1000] [--size 1920x1080] [--repeat 3] [--no-burnins]
[--tree NAME=PATH ...]`` makes (or reuses) a plate of hard-cut shots with burned-in names, running
source timecodes and a record timecode (``bench.burnin.split_spec``: 75-80 frames a shot, H.264,
``bench/work/store/``), or with ``--no-burnins`` the same shots without them (a camera original),
then runs ``platecut split --no-split`` on it (burn-ins read, the default ONNX engine), round robin,
``--repeat`` times for each tree (this checkout as ``this``; ``--tree`` adds another checkout of
the project, run with this venv and ``PYTHONPATH`` pointing at it). Each run gets a ``TMPDIR`` of
its own, whose total file size is sampled every 0.1 s while the command runs: the peak is the frame
store (thumbnails and burn-in rows), which the job removes at its end. Reported per tree: the
command's wall time, the analysis pass (``timings.detect``) and OCR stages, the peak scratch bytes,
the same per frame and scaled to a two-hour reference at 24 fps, and the cuts found and named (all
must be, or the run is no comparison). Results: ``bench/results/frame_store.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.burnin import ExpectedCut, expected_cuts, split_spec
from bench.common import (
    PYTHON,
    ROOT,
    WORK,
    BenchError,
    ensure_plate,
    log,
    machine_info,
    machine_lines,
    many_cuts_spec,
    mb,
    parse_size,
    publish,
    table,
)

STORE_WORK = WORK / "store"
TWO_HOURS_FRAMES = 2 * 60 * 60 * 24
SAMPLE_INTERVAL_S = 0.1


def folder_bytes(root: Path) -> int:
    total = 0
    for folder, _, files in os.walk(root):
        for name in files:
            with contextlib.suppress(FileNotFoundError):  # removed since the listing
                total += os.lstat(os.path.join(folder, name)).st_size
    return total


def peak_while(cmd: list[str], env: dict[str, str], scratch: Path) -> tuple[float, int]:
    """Wall time of ``cmd`` and the largest total size ``scratch`` reached while it ran."""
    peak, done = 0, threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, folder_bytes(scratch))
            time.sleep(SAMPLE_INTERVAL_S)

    watcher = threading.Thread(target=watch, daemon=True)
    start = time.perf_counter()
    watcher.start()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False,
                          cwd=env["PYTHONPATH"])  # python -m puts the working folder first
    wall = time.perf_counter() - start
    done.set()
    watcher.join()
    if proc.returncode != 0:
        raise BenchError(f"{' '.join(cmd)} failed: {proc.stderr.strip()[-400:]}")
    return wall, peak


def one_run(tree: Path, plate: Path, out: Path, expected: list[ExpectedCut]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=STORE_WORK) as tmp:
        env = {**os.environ, "PYTHONPATH": str(tree), "TMPDIR": tmp}
        cmd = [PYTHON, "-m", "jobs.cli", "split", str(plate), "-o", str(out), "--overwrite",
               "--no-split", "--ocr-engine", "onnx"]
        wall, peak = peak_while(cmd, env, Path(tmp))
    manifest = json.loads((out / "manifest.json").read_text())
    cuts = [c["first_frame"] for c in manifest["cuts"]]
    if cuts != [c.first_frame for c in expected]:
        raise BenchError(f"{tree}: cuts {cuts} are not the plate's")
    named = sum(c["name"] == e.name for c, e in zip(manifest["cuts"], expected, strict=True)
                if e.name)
    timings = manifest["timings"]
    return {"wall_s": wall, "peak_bytes": peak, "detect_s": timings["detect"],
            "ocr_s": timings.get("ocr", 0.0) + timings.get("regions", 0.0),
            "cuts": len(cuts), "named": named}


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench.frame_store", description=__doc__)
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-burnins", action="store_true", help="a plate without burn-ins")
    parser.add_argument("--tree", action="append", default=[], help="NAME=PATH of another checkout")
    args = parser.parse_args(argv)
    trees = {"this": ROOT, **{t.split("=", 1)[0]: Path(t.split("=", 1)[1]) for t in args.tree}}
    STORE_WORK.mkdir(parents=True, exist_ok=True)
    size = parse_size(args.size)
    spec = many_cuts_spec(args.frames, size) if args.no_burnins else split_spec(args.frames, size)
    plate = STORE_WORK / f"{'plain' if args.no_burnins else 'burnins'}_{args.size}_{args.frames}.mp4"
    ensure_plate(spec, plate)
    expected = expected_cuts(spec)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    for i in range(args.repeat):
        for name, tree in trees.items():
            runs[name].append(one_run(tree, plate, STORE_WORK / f"out-{name}", expected))
            log(f"round {i + 1}/{args.repeat}: {name} {runs[name][-1]}")
    medians = {name: {key: statistics.median(r[key] for r in rs) for key in rs[0]}
               for name, rs in runs.items()}
    rows = [[name, f"{m['wall_s']:.2f}", f"{m['detect_s']:.2f}", f"{m['ocr_s']:.2f}",
             f"{mb(int(m['peak_bytes'])):.0f}", f"{m['peak_bytes'] / args.frames / 1024:.0f}",
             f"{m['peak_bytes'] / args.frames * TWO_HOURS_FRAMES / 1e9:.1f}",
             f"{int(m['cuts'])}/{int(m['named'])}"] for name, m in medians.items()]
    info = machine_info()
    kind = "a plate without them" if args.no_burnins else "a plate with them"
    flag = " --no-burnins" if args.no_burnins else ""
    markdown = "\n".join([
        f"## The frame store, burn-ins read ({kind})",
        "",
        f"`python -m bench.frame_store --frames {args.frames} --size {args.size} --repeat "
        f"{args.repeat}{flag}`: `platecut split --no-split` (ONNX engine) on "
        f"{plate.name}, medians of interleaved runs.", "", *machine_lines(info), "",
        table(["tree", "command s", "detect s", "regions + ocr s", "peak scratch MB",
               "KB a frame", "2 h at 24 fps, GB", "cuts/named"], rows)])
    name = "frame_store_plain" if args.no_burnins else "frame_store"
    return publish(name, {"machine": info, "plate": plate.name, "frames": args.frames,
                                   "trees": {k: str(v) for k, v in trees.items()}, "runs": runs,
                                   "medians": medians}, markdown)


if __name__ == "__main__":
    main()
