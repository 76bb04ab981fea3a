"""How a DPX sequence's cuts are written: copied, cloned or hard-linked (``--sequence-files``).

``python -m bench.sequence_files [--scale 1] [--repeat 3]`` splits the 2048x1080 10-bit DPX
sequence of ``bench.speed_formats`` (the demo plate transcoded; 9 cuts) with each
``--sequence-files`` mode (no OCR, no review: only the split differs), interleaved, and reports
the split stage's time (the manifest's ``timings.split``), the whole command's wall time, and the
bytes the job wrote for the cut frames (files of its own: a hard link writes none). Each run
starts after ``sync``, with the previous output removed, so no run waits on another's writeback.
Results:
``bench/results/sequence_files.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import PLATECUT, log, machine_info, machine_lines, mb, publish, run_checked, table
from bench.speed_formats import SEQUENCE_RATE, plate
from jobs.frame_files import FRAME_FILES


def written_bytes(out: Path, plate_inodes: set[int]) -> tuple[int, int]:
    """(files, bytes) of the cut frames that are files of their own (not the plate's inodes)."""
    files = own = 0
    for path in (out / "cuts").rglob("*.dpx"):
        files += 1
        info = os.stat(path)
        if info.st_ino not in plate_inodes:
            own += info.st_size
    return files, own


def one_run(source: Path, mode: str, root: Path, plate_inodes: set[int]) -> dict[str, Any]:
    out = root / mode
    if out.exists():  # the last run's output goes, and every write is on disk before timing
        shutil.rmtree(out)
    os.sync()
    start = time.perf_counter()
    run_checked([PLATECUT, "split", str(source), "-o", str(out), "--overwrite", "--no-ocr",
                 "--no-review", "--fps", SEQUENCE_RATE, "--sequence-files", mode], f"split {mode}")
    wall = time.perf_counter() - start
    timings = json.loads((out / "manifest.json").read_text())["timings"]
    files, own = written_bytes(out, plate_inodes)
    return {"wall_s": wall, "split_s": timings["split"], "files": files, "bytes_written": own}


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench.sequence_files", description=__doc__)
    parser.add_argument("--scale", type=int, default=1, help="shot-length factor of the demo plate")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    source = plate("dpx_10bit_2k", args.scale)
    frames = sorted(source.parent.glob("*.dpx"))
    plate_inodes = {os.stat(p).st_ino for p in frames}
    runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in FRAME_FILES}
    with tempfile.TemporaryDirectory(dir=source.parent.parent) as tmp:  # the plate's filesystem
        for i in range(args.repeat):
            for mode in FRAME_FILES:
                log(f"run {i + 1}/{args.repeat}: --sequence-files {mode}")
                runs[mode].append(one_run(source, mode, Path(tmp), plate_inodes))
    medians = {mode: {key: statistics.median(r[key] for r in rs) for key in rs[0]}
               for mode, rs in runs.items()}
    rows = [[mode, int(m["files"]), f"{mb(int(m['bytes_written'])):.0f}", f"{m['split_s']:.2f}",
             f"{m['wall_s']:.2f}"] for mode, m in medians.items()]
    plate_bytes = sum(p.stat().st_size for p in frames)
    info = machine_info()
    markdown = "\n".join([
        "## Sequence cuts: copied, cloned or hard-linked", "",
        f"`python -m bench.sequence_files --scale {args.scale} --repeat {args.repeat}`: "
        f"{len(frames)} frames of 2048x1080 10-bit DPX ({mb(plate_bytes):.0f} MB), 9 cuts, "
        "`platecut split --no-ocr --no-review`, medians of interleaved runs.", "",
        *machine_lines(info), "",
        table(["--sequence-files", "cut frames", "MB written", "split stage s", "command s"], rows)])
    return publish("sequence_files", {"machine": info, "frames": len(frames),
                                      "plate_bytes": plate_bytes, "runs": runs, "medians": medians},
                   markdown)


if __name__ == "__main__":
    main()
