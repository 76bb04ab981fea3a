"""Peak memory of a complete ``platecut split`` (cut media written) on a plate and one 4x as long.

``python -m bench.memory [--quick]`` makes (or reuses) two 1920x1080 H.264 plates under
``bench/work/memory/``: 1,000 frames of hard-cut shots, and the same shots played four times
(4,000 frames). It runs ``platecut split PLATE -o OUT --overwrite`` on each while sampling,
every 20 ms, the RSS of the whole process tree (FFmpeg children included) and of the Python
process alone. ``--quick`` uses 200 and 800 frames at 640x360.
Results: ``bench/results/memory.json``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.common import (
    PLATECUT,
    WORK,
    PeakMemory,
    ensure_plate,
    heading,
    log,
    machine_info,
    machine_lines,
    many_cuts_spec,
    mb,
    parse_size,
    publish,
    run_sampled,
    table,
)
from jobs.manifest import MANIFEST_NAME

TARGET_MB = 400
INTERVAL_S = 0.02


def measure(plate: Path, out: Path) -> tuple[PeakMemory, dict[str, Any]]:
    """Peak memory of one split, and what its manifest says (cuts, codec, stage timings)."""
    log(f"platecut split {plate.name} (sampling every {INTERVAL_S * 1000:.0f} ms)")
    peak = run_sampled([PLATECUT, "split", str(plate), "-o", str(out), "--overwrite"], INTERVAL_S)
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    facts = {"cuts": len(manifest["cuts"]), "split_codec": manifest["split"]["codec"],
             "stage_seconds": manifest["timings"]}
    log(f"  tree {mb(peak.tree_bytes):.0f} MB, python {mb(peak.main_bytes):.0f} MB, {peak.wall_s:.1f} s")
    return peak, facts


def peak_table(runs: list[tuple[str, int, PeakMemory, dict[str, Any]]], size: str) -> str:
    rows = [[label, size, frames, facts["cuts"], facts["split_codec"], f"{mb(p.tree_bytes):.0f}",
             f"{mb(p.main_bytes):.0f}", p.max_processes, f"{p.wall_s:.1f}"]
            for label, frames, p, facts in runs]
    return table(["plate", "size", "frames", "cuts", "cut media", "peak tree MB (RSS, children incl.)",
                  "peak Python process alone MB", "most processes", "wall s"], rows)


def verdict_table(short: PeakMemory, long: PeakMemory) -> str:
    ratio = long.tree_bytes / short.tree_bytes
    highest = mb(max(short.tree_bytes, long.tree_bytes))
    rows = [["peak tree, longest plate", f"{highest:.0f} MB", f"< {TARGET_MB} MB",
             "yes" if highest < TARGET_MB else "no"],
            ["peak tree, 4x plate / 1x plate", f"{ratio:.2f}", "flat (≤ 1.25)",
             "yes" if ratio < 1.25 else "no"],
            ["peak Python alone, 4x / 1x", f"{long.main_bytes / short.main_bytes:.2f}", "flat", "-"]]
    return table(["check", "value", "target", "met"], rows)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="1920x1080", help="plate size (default 1920x1080)")
    parser.add_argument("--frames", type=int, default=1000, help="short plate length (default 1000)")
    parser.add_argument("--factor", type=int, default=4, help="long plate = short plate x this (4)")
    parser.add_argument("--quick", action="store_true", help="640x360, 200 and 800 frames")
    args = parser.parse_args(argv)
    if args.quick:
        args.size, args.frames = "640x360", 200
    return args


def main(argv: list[str] | None = None) -> str:
    args = parse_args(argv)
    info = machine_info()
    runs: list[tuple[str, int, PeakMemory, dict[str, Any]]] = []
    for repeat in (1, args.factor):
        spec = many_cuts_spec(args.frames, parse_size(args.size), repeat)
        stem = f"many_cuts_{args.size}_{args.frames * repeat}"
        truth = ensure_plate(spec, WORK / "memory" / f"{stem}.mp4")
        peak, facts = measure(WORK / "memory" / f"{stem}.mp4", WORK / "memory" / f"{stem}-out")
        runs.append((f"{stem}.mp4", truth.frame_count, peak, facts))
    title = heading("Peak memory of `platecut split`", args.quick)
    about = [f"- `platecut split PLATE -o OUT --overwrite` (cut media written); RSS summed over the "
             f"process tree, sampled every {INTERVAL_S * 1000:.0f} ms with psutil", *machine_lines(info)]
    markdown = "\n\n".join([title, "\n".join(about), peak_table(runs, args.size),
                            verdict_table(runs[0][2], runs[1][2])])
    data = {"quick": args.quick, "machine": info, "size": args.size, "interval_s": INTERVAL_S,
            "runs": [{"plate": label, "frames": frames, **asdict(p), **facts}
                     for label, frames, p, facts in runs]}
    return publish("memory", data, markdown)


if __name__ == "__main__":
    main()
