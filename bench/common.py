"""Shared benchmark helpers: paths, timing, process-tree memory sampling, plates, tables."""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psutil

from jobs.synth import SEQUENCE_CODECS, PlateSpec, PlateTruth, ShotSpec, make_plate, truth_of
from jobs.timecode import offset_timecode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / "work"
RESULTS = BENCH / "results"
PYTHON = sys.executable
PLATECUT = str(Path(sys.executable).parent / "platecut")

# Shot sources for the long many-cut plates (speed, memory): neighbours always differ.
CYCLE = ("testsrc", "mandel", "bars", "life", "cells", "rgb", "noise")
NOISE_TONES = ("0x6a5a4a", "0x4a5a6a", "0x5a6a4a", "0x7a6a5a")


class BenchError(RuntimeError):
    """A benchmark step failed (a tool exited non-zero, a plate could not be made)."""


def log(message: str) -> None:
    """Progress goes to stderr so stdout stays a clean Markdown document."""
    print(message, file=sys.stderr, flush=True)


# --- commands and timing -------------------------------------------------------------------

def run_checked(cmd: Sequence[str], what: str) -> str:
    """Run ``cmd`` to completion and return its stdout; a failure raises BenchError."""
    proc = subprocess.run(list(cmd), capture_output=True, text=True, check=False, cwd=ROOT)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-5:]
        raise BenchError(f"{what} failed (exit {proc.returncode}): " + " | ".join(tail))
    return proc.stdout


def timed_run(cmd: Sequence[str], what: str) -> tuple[float, str]:
    """Wall time (perf_counter) of one run of ``cmd``, and its stdout."""
    start = time.perf_counter()
    out = run_checked(cmd, what)
    return time.perf_counter() - start, out


@dataclass
class Timing:
    median_s: float
    runs_s: list[float]
    stdout: str  # of the last run


def interleaved_timings(commands: Mapping[str, Sequence[str]], repeat: int) -> dict[str, Timing]:
    """Run every command ``repeat`` times, round robin (so a load change hits all alike)."""
    runs: dict[str, list[float]] = {name: [] for name in commands}
    outs: dict[str, str] = {}
    for i in range(repeat):
        for name, cmd in commands.items():
            elapsed, outs[name] = timed_run(cmd, name)
            runs[name].append(elapsed)
            log(f"  round {i + 1}/{repeat}: {name} {elapsed:.2f} s")
    return {name: Timing(statistics.median(r), r, outs[name]) for name, r in runs.items()}


# --- memory ----------------------------------------------------------------------------------

@dataclass
class PeakMemory:
    tree_bytes: int  # highest sum of RSS over the process and all its descendants
    main_bytes: int  # highest RSS of the started process alone
    wall_s: float
    samples: int
    max_processes: int


def _tree_rss(root: psutil.Process) -> tuple[int, int, int]:
    """(RSS of the tree, RSS of root alone, processes counted); vanished processes count 0."""
    try:
        main = root.memory_info().rss
        children = root.children(recursive=True)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0, 0, 0
    total = main
    for child in children:
        try:
            total += child.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total, main, 1 + len(children)


def run_sampled(cmd: Sequence[str], interval: float = 0.02) -> PeakMemory:
    """Run ``cmd`` and sample its process tree's RSS every ``interval`` seconds."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
        root = psutil.Process(proc.pid)
        peak = PeakMemory(0, 0, 0.0, 0, 0)
        while True:
            tree, main, count = _tree_rss(root)
            peak.tree_bytes, peak.main_bytes = max(peak.tree_bytes, tree), max(peak.main_bytes, main)
            peak.max_processes = max(peak.max_processes, count)
            peak.samples += 1
            try:
                proc.wait(timeout=interval)
                break
            except subprocess.TimeoutExpired:
                continue
        peak.wall_s = time.perf_counter() - start
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace").strip().splitlines()[-5:]
            raise BenchError(f"{cmd[0]} failed (exit {proc.returncode}): " + " | ".join(tail))
    return peak


# --- plates ----------------------------------------------------------------------------------

def many_cuts_shots(total_frames: int, seed: int = 0) -> tuple[ShotSpec, ...]:
    """Hard-cut shots of 75..80 frames cycling over CYCLE, ``total_frames`` frames in all."""
    shots: list[ShotSpec] = []
    pos = 0
    while pos < total_frames:
        i = len(shots)
        frames = 75 + (i * 7 + seed) % 6
        if total_frames - pos - frames < 20:  # no tiny last shot
            frames = total_frames - pos
        kind = CYCLE[i % len(CYCLE)]
        source = f"noise:{NOISE_TONES[(i // len(CYCLE)) % len(NOISE_TONES)]}" if kind == "noise" else kind
        shots.append(ShotSpec(source, frames))
        pos += frames
    return tuple(shots)


def many_cuts_spec(total_frames: int, size: tuple[int, int], repeat: int = 1) -> PlateSpec:
    """An H.264 plate of hard cuts only; ``repeat`` > 1 plays the same shots that many times."""
    shots = many_cuts_shots(total_frames)
    if repeat > 1 and shots[0].source == shots[-1].source:
        raise BenchError("the shot list cannot be repeated: its last shot matches its first")
    return PlateSpec(shots=shots * repeat, width=size[0], height=size[1], codec="h264")


def add_plate_options(parser: argparse.ArgumentParser, runs_of: str) -> None:
    """``--repeat``, ``--size``, ``--frames`` and ``--quick``: the options of the benchmarks that
    time runs on bench.speed's plate (``runs_of``: what each run is, for the help)."""
    parser.add_argument("--repeat", type=int, default=3, help=f"runs of each {runs_of} (default 3)")
    parser.add_argument("--size", default="1920x1080", help="plate size (default 1920x1080)")
    parser.add_argument("--frames", type=int, default=3100, help="plate length (default 3100)")
    parser.add_argument("--quick", action="store_true", help="640x360, 300 frames, 1 run")


def apply_quick(args: argparse.Namespace) -> argparse.Namespace:
    """``--quick``: a small plate and one run, to check that it all works."""
    if args.quick:
        args.size, args.frames, args.repeat = "640x360", 300, 1
    return args


def parse_size(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    if not (width.isdigit() and height.isdigit()):
        raise ValueError(f"not a WIDTHxHEIGHT size: {text!r}")
    return int(width), int(height)


def _marker(path: Path) -> Path:
    return path.with_name(path.name.replace("%", "_") + ".done")


def ensure_plate(spec: PlateSpec, path: Path, max_shots: int = 8) -> PlateTruth:
    """Make the plate unless a finished one from the same spec is already there.

    FFmpeg holds a queue of raw frames for every lavfi input at once (about 40 MB a shot at
    640x360, 370 MB at 1080p), so plates of more than ``max_shots`` shots are made in parts of
    that many shots and joined without re-encoding.
    """
    marker = _marker(path)
    if marker.exists() and marker.read_text() == repr(spec) and path.parent.exists():
        log(f"reusing {path.relative_to(ROOT)}")
        return truth_of(spec)
    marker.unlink(missing_ok=True)
    frames = truth_of(spec).frame_count
    log(f"generating {path.relative_to(ROOT)} ({spec.width}x{spec.height} {spec.codec}, "
        f"{frames} frames, {len(spec.shots)} shots)")
    start = time.perf_counter()
    if len(spec.shots) <= max_shots:
        make_plate(spec, path)
    else:
        _make_in_parts(spec, path, max_shots)
    marker.write_text(repr(spec))
    log(f"  {path.name} done in {time.perf_counter() - start:.1f} s")
    return truth_of(spec)


def ensure_transcode(source: Path, target: Path, options: Sequence[str]) -> Path:
    """``source`` re-encoded frame for frame with FFmpeg's output ``options`` (no audio) into
    ``target``, a movie or a sequence's printf pattern (numbered from 0, its folder made afresh),
    unless a finished one made from this very source with these options is already there."""
    marker = _marker(target)
    made_from = repr((str(source), source.stat().st_mtime_ns, list(options)))
    if marker.exists() and marker.read_text() == made_from:
        return target
    marker.unlink(missing_ok=True)
    log(f"transcoding {source.name} to {target.name}")
    sequence = "%" in target.name
    if sequence:
        shutil.rmtree(target.parent, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    numbering = ["-start_number", "0"] if sequence else []
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(source), *options, "-an", *numbering,
                    str(target)], check=True)
    marker.write_text(made_from)
    return target


def _make_in_parts(spec: PlateSpec, path: Path, max_shots: int) -> None:
    """Render groups of hard-cut shots as separate movies, then concatenate them (stream copy)."""
    if spec.codec in SEQUENCE_CODECS or spec.audio or spec.timecode or spec.vfr_from_frame is not None:
        raise BenchError("only plain movie plates can be made in parts")
    if any(shot.join != "cut" for shot in spec.shots):
        raise BenchError("only hard-cut plates can be made in parts (a part boundary is a cut)")
    parts_dir = path.with_name(path.name + ".parts")
    parts_dir.mkdir(parents=True, exist_ok=True)
    groups = [spec.shots[i:i + max_shots] for i in range(0, len(spec.shots), max_shots)]
    lines: list[str] = []
    start = 0
    for k, group in enumerate(groups):
        log(f"  part {k + 1}/{len(groups)}")
        part = parts_dir / f"part{k:03d}{path.suffix}"
        part_spec = replace(spec, shots=group, record_tc=record_tc_at(spec, start))
        frames = ensure_plate(part_spec, part, max_shots).frame_count
        start += frames
        # an exact duration per part, or the joined timestamps drift by a few ticks at each join
        lines += [f"file '{part.name}'\n", f"duration {float(frames * spec.rate.frame_duration):.6f}\n"]
    listing = parts_dir / "parts.txt"
    listing.write_text("".join(lines))
    run_checked(["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
                 "-map", "0:v", "-c", "copy", str(path)], f"joining the parts of {path.name}")
    check_constant_rate(path, truth_of(spec).frame_count)
    shutil.rmtree(parts_dir)


def record_tc_at(spec: PlateSpec, frame: int) -> str | None:
    """The burned-in record timecode at plate frame ``frame``: where a part starting there
    picks it up, so that it runs on across the joins (None when the plate has none)."""
    return offset_timecode(spec.record_tc, frame, spec.rate) if spec.record_tc else None


def check_constant_rate(path: Path, frames: int) -> None:
    """The joined plate has every frame, on evenly spaced timestamps (no accidental VFR)."""
    out = run_checked(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                       "packet=pts", "-of", "csv=p=0", str(path)], f"reading the timestamps of {path.name}")
    pts = sorted(int(line.strip().rstrip(",")) for line in out.splitlines() if line.strip())
    steps = {b - a for a, b in itertools.pairwise(pts)}
    if len(pts) != frames or len(steps) > 1:
        raise BenchError(f"{path.name}: {len(pts)} frames (expected {frames}), timestamp steps {steps}")


# --- machine and output --------------------------------------------------------------------

def machine_info() -> dict[str, Any]:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    version = run_checked(["ffmpeg", "-version"], "ffmpeg -version").splitlines()[0]
    m = re.match(r"ffmpeg version (\S+)", version)
    return {"cpu_model": model, "cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)),
            "ffmpeg": m.group(1) if m else version, "python": sys.version.split()[0],
            "load_avg_1m": os.getloadavg()[0]}


def machine_lines(info: dict[str, Any]) -> list[str]:
    return [f"- CPU: {info['cpu_model']}, {info['cores']} cores ({info['usable_cores']} usable)",
            f"- FFmpeg {info['ffmpeg']}, Python {info['python']}",
            f"- load average (1 min) at start: {info['load_avg_1m']:.2f}"]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; floats are shown with 3 significant decimals."""
    def cell(value: object) -> str:
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def write_results(name: str, data: dict[str, Any], markdown: str) -> Path:
    """Write ``bench/results/<name>.json`` (with the Markdown report) and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"benchmark": name, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **data,
               "markdown": markdown}
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def publish(name: str, data: dict[str, Any], markdown: str) -> str:
    """Write the results file, print the Markdown section to stdout, and return it."""
    path = write_results(name, data, markdown)
    print(markdown, flush=True)
    log(f"wrote {path}")
    return markdown


def heading(title: str, quick: bool) -> str:
    return f"## {title}" + (" (QUICK RUN: small plates, not a final figure)" if quick else "")


def mb(n_bytes: int) -> float:
    return n_bytes / 1_000_000
