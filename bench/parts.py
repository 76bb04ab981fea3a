"""Detection in parts: the same result with 1, 2, 4 and 8 parts, and the time of local parts.

``python -m bench.parts [--frames N] [--repeat R]``

1. Join correctness: every plate of the developed-on suite (``jobs.synth_suite.SUITE``), the
   burn-in suite (``BURNIN_SUITE``, its pictures) and the photographic suite (``PHOTO_SUITE``) is
   detected in one pass, then in 2, 4 and 8 planned parts, and in parts whose edges sit on its
   truth cuts (a part starting on each cut), on the frame after each (a part ending on a cut's
   first frame) and inside each truth transition (between its first and edit frames). Each part
   runs in-process (:func:`jobs.part_pass.detect_part`) and the parts are joined
   (:func:`jobs.parts.join_parts`). A plan is "same" when the joined boundaries (frame, kind,
   confidence, transition), transitions, per-frame margins, timestamps and mean luma all equal the
   one pass's. Names and timecodes follow from these: the burn-in reads, the naming and the
   timecodes all run after the join, on the joined detection and timestamps.
2. Time: a long plate of hard cuts (``bench.common.many_cuts_spec``, 960x540 H.264) detected by
   ``analyse_in_parts`` with 1 and 2 local processes (detection alone), and the job's decoding pass
   (``platecut split --no-split --no-ocr --parts N``: the frame store and the review files written
   too), each run a fresh process, interleaved. ``--timing-only`` leaves the suites out.
3. ``--memory``: alone, the peak memory of the whole process tree (FFmpeg and the parts'
   processes included, sampled every 20 ms) of ``platecut split --no-split --no-ocr --parts N`` on
   the long plate, N = 1 and 2.
4. ``--join-cost``: alone, the time to read and join the parts' JSON results of a two-hour plate at
   24 fps (172,800 frames) in 2 to 32 parts (results made up to that size, no decode).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bench.common import (
    WORK,
    ensure_plate,
    heading,
    interleaved_timings,
    log,
    machine_info,
    machine_lines,
    many_cuts_spec,
    mb,
    publish,
    run_sampled,
    table,
)
from jobs.analyse import Analysis, analyse
from jobs.manifest import DecodePath, DetectorSettings, PlateInfo
from jobs.part_pass import detect_part, planned
from jobs.parts import PartRange, join_parts
from jobs.photo_suite import PHOTO_SUITE, photo_file_name
from jobs.probe import probe
from jobs.source import PlateSource, resolve_source
from jobs.streaming import context_frames
from jobs.synth import PlateSpec, PlateTruth
from jobs.synth_suite import BURNIN_SUITE, SUITE, file_name

SETTINGS = DetectorSettings()
CPU = DecodePath(device="cpu", reason="the benchmark decodes on the CPU")
PLANNED = (2, 4, 8)
LONG_SIZE = (960, 540)


def _suites() -> list[tuple[str, str, Path, PlateSpec]]:
    rows = [("developed-on", key, WORK / "suite" / file_name(key, spec), spec)
            for key, spec in SUITE.items()]
    rows += [("burn-in", key, WORK / "burnin" / "plates" / file_name(key, spec), spec)
             for key, spec in BURNIN_SUITE.items()]
    rows += [("photographic", key, WORK / "photo" / photo_file_name(key), spec)
             for key, spec in PHOTO_SUITE.items()]
    return rows


def _at_edges(edges: list[int], frames: int) -> list[PartRange]:
    context = context_frames(SETTINGS)
    starts = sorted({e for e in edges if 0 < e < frames} | {0})
    ends = [*starts[1:], frames]
    return [PartRange(k, lo, hi, max(0, lo - context), min(frames, hi + context))
            for k, (lo, hi) in enumerate(zip(starts, ends, strict=True))]


def _edge_plans(truth: PlateTruth, frames: int) -> dict[str, list[PartRange]]:
    """Parts starting on each truth cut, ending on each (starting the frame after), and starting
    inside each truth transition, before its edit frame."""
    inside = [first + max(1, (edit - first) // 2)
              for _, first, last in truth.transitions
              for edit in [next((c for c in truth.cut_starts if first <= c <= last + 1), last)]]
    plans = {"edges on cuts": truth.cut_starts, "edges after cuts": [c + 1 for c in truth.cut_starts]}
    if inside:
        plans["edges inside transitions"] = inside
    return {name: _at_edges(edges, frames) for name, edges in plans.items() if edges}


def _same(source: PlateSource, info: PlateInfo, ranges: list[PartRange], whole: Analysis) -> bool:
    results = [detect_part(source, info, SETTINGS, r, len(ranges), CPU) for r in ranges]
    joined = join_parts(results, info.frame_count)
    return (joined.detection.boundaries == whole.detection.boundaries
            and joined.detection.transitions == whole.detection.transitions
            and joined.detection.margins.tolist() == whole.detection.margins.tolist()
            and joined.pts == whole.stamps.pts and joined.time_base == whole.stamps.time_base
            and joined.luma.tolist() == whole.luma.tolist())


def check_plate(suite: str, key: str, path: Path, spec: PlateSpec) -> dict[str, Any]:
    truth = ensure_plate(spec, path)
    source = resolve_source(str(path))
    info = probe(source)
    whole = analyse(source, info, SETTINGS, path=CPU)
    plans = {f"{n} parts": planned(info, SETTINGS, n) for n in PLANNED}
    plans.update(_edge_plans(truth, info.frame_count))
    same = {name: _same(source, info, ranges, whole) for name, ranges in plans.items()}
    log(f"  {suite} {key}: {'all same' if all(same.values()) else 'DIFFERENT: ' + str(same)}")
    return {"suite": suite, "plate": key, "frames": info.frame_count,
            "boundaries": len(whole.detection.boundaries),
            "transitions": len(whole.detection.transitions),
            "plans": {name: {"parts": len(plans[name]), "same": ok} for name, ok in same.items()}}


def _timings(frames: int, repeat: int) -> dict[str, Any]:
    path = _long_plate(frames)
    run = ("from jobs.part_pass import analyse_in_parts; from jobs.probe import probe; "
           "from jobs.source import resolve_source; from jobs.manifest import DetectorSettings; "
           f"s = resolve_source({str(path)!r}); "
           "print(len(analyse_in_parts(s, probe(s), DetectorSettings(), {n}).detection.boundaries))")
    out = WORK / "parts" / "out"
    commands = {f"detection, {n} part{'s' if n > 1 else ''}": [sys.executable, "-c", run.format(n=n)]
                for n in (1, 2)}
    commands.update({f"split --no-split --no-ocr --parts {n}": [
        sys.executable, "-m", "jobs.cli", "split", str(path), "-o", str(out), "--no-split", "--no-ocr",
        "--overwrite", "--parts", str(n)] for n in (1, 2)})
    timed = interleaved_timings(commands, repeat)
    return {"plate": f"{frames} frames {LONG_SIZE[0]}x{LONG_SIZE[1]} H.264",
            "seconds": {name: t.median_s for name, t in timed.items()},
            "runs": {name: t.runs_s for name, t in timed.items()}}


def _long_plate(frames: int) -> Path:
    path = WORK / "parts" / f"long_{frames}.mp4"
    path.parent.mkdir(parents=True, exist_ok=True)
    ensure_plate(many_cuts_spec(frames, LONG_SIZE), path)
    return path


def memory(frames: int) -> str:
    """Peak memory of the job's pass in 1 and 2 parts (the whole process tree)."""
    path, rows = _long_plate(frames), []
    for count in (1, 2):
        peak = run_sampled([sys.executable, "-m", "jobs.cli", "split", str(path), "-o",
                            str(WORK / "parts" / "out"), "--no-split", "--no-ocr", "--overwrite",
                            "--parts", str(count)])
        rows.append([count, mb(peak.tree_bytes), mb(peak.main_bytes), peak.max_processes, peak.wall_s])
    return table(["parts", "process tree, MB", "the command's process, MB", "processes at most",
                  "seconds"], rows)


def join_cost(frames: int = 172_800) -> str:
    """Read and join made-up results of ``frames`` frames in 2..32 parts: the join's own cost."""
    import time

    from jobs.parts import PartResult, plan_parts

    rows = []
    for count in (2, 4, 8, 16, 32):
        texts = [PartResult(index=r.index, parts=count, frame_count=frames, first=r.first, end=r.end,
                            decode_first=r.decode_first, time_base="1/12800",
                            pts=[512 * k for k in range(r.decode_first, r.decode_end)],
                            luma=[(k % 97) / 97 for k in range(r.decode_first, r.decode_end)],
                            margins=[(k % 89) / 89 for k in range(r.first, r.end)],
                            boundaries=[], transitions=[], decode=CPU).model_dump_json()
                 for r in plan_parts(frames, count, context_frames(SETTINGS))]
        start = time.perf_counter()
        join_parts([PartResult.model_validate_json(t) for t in texts], frames)
        rows.append([count, round(sum(map(len, texts)) / 1e6, 1), time.perf_counter() - start])
    return table(["parts", "JSON, MB", "read and joined, s"], rows)


def report(plates: list[dict[str, Any]], timing: dict[str, Any], machine: dict[str, Any]) -> str:
    names = list(plates[0]["plans"]) if plates else []
    per_plan = [[name, sum(1 for p in plates if name in p["plans"]),
                 sum(1 for p in plates if p["plans"].get(name, {}).get("same"))] for name in names]
    per_plan += [[name, count, same] for name in ("edges inside transitions",)
                 if name not in names
                 for count, same in [(sum(1 for p in plates if name in p["plans"]),
                                      sum(1 for p in plates if p["plans"].get(name, {}).get("same")))]]
    suites = sorted({p["suite"] for p in plates})
    lines = [heading("Detection in parts", False), "", *machine_lines(machine), "",
             table(["plan", "plates", "same as one pass"], per_plan), "",
             table(["suite", "plates", "frames", "boundaries", "all plans same"],
                   [[s, sum(1 for p in plates if p["suite"] == s),
                     sum(p["frames"] for p in plates if p["suite"] == s),
                     sum(p["boundaries"] for p in plates if p["suite"] == s),
                     all(all(v["same"] for v in p["plans"].values())
                         for p in plates if p["suite"] == s)] for s in suites]), "",
             f"Local parts on {timing['plate']} (medians of {len(next(iter(timing['runs'].values())))}"
             " interleaved fresh-process runs):", "",
             table(["run", "seconds"], [[k, v] for k, v in timing["seconds"].items()])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.parts", description=__doc__)
    parser.add_argument("--frames", type=int, default=12000, help="the long plate (default 12000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each (default 3)")
    parser.add_argument("--timing-only", action="store_true", help="leave the suites out")
    parser.add_argument("--join-cost", action="store_true", help="only the join's cost (no decode)")
    parser.add_argument("--memory", action="store_true", help="only the peak memory of 1 and 2 parts")
    args = parser.parse_args(argv)
    if args.memory:
        print(memory(args.frames))
        return
    if args.join_cost:
        print(join_cost())
        return
    plates = [] if args.timing_only else [check_plate(*row) for row in _suites()]
    timing = _timings(args.frames, args.repeat)
    machine = machine_info()
    publish("parts" if plates else "parts_timing", {"plates": plates, "timing": timing, "machine": machine},
            report(plates, timing, machine))


if __name__ == "__main__":
    main()
