"""The GPU decode path against the CPU one, side by side in one run (``bench/gpu_check.sh``).

``python -m bench.gpu_check [--frames 600] [--repeat 3] [--budget-s 330] [--out DIR]
[--cores all|2]... [--plate NAME]... [--skip-accuracy]``
on a machine with one NVIDIA GPU prints, in Markdown:

a) the environment: the GPU, FFmpeg, whether FFmpeg opens a CUDA device, NVDEC's library;
b) decode floors, CPU (``ffmpeg -i P -f null -``) and NVDEC (frames left on the GPU, and
   frames brought back to system memory as the analysis pass does), and detection
   (``bench.detect_once``, probe + analyse in a fresh process) with
   ``PLATECUT_DECODE_DEVICE=cpu`` and ``=cuda``: on all cores and on two (``taskset``, a
   two-core pod), medians of ``--repeat`` interleaved runs, on 1080p plates of hard cuts in
   H.264 at the suite's high rate, H.264 as a delivery is encoded and HEVC;
c) cuts on both paths on those plates and on every plate of ``jobs.synth_suite.SUITE``:
   the same boundaries, the same per-frame mean luma (bit-exact decodes), and hard-cut F1
   against the generated truth; plus an H.264 4:2:2 10-bit plate forced onto NVDEC, which
   NVDEC refuses, to show the software fallback and its report.

Without a GPU it runs too: every cuda row then shows the fallback. Results: ``OUT/gpu_check.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench.accuracy import score
from bench.common import (
    PYTHON,
    RESULTS,
    WORK,
    ensure_plate,
    ensure_transcode,
    interleaved_timings,
    log,
    many_cuts_spec,
    table,
)
from jobs import hwdecode
from jobs.analyse import Analysis, analyse
from jobs.manifest import DecodePath, DetectorSettings
from jobs.probe import probe
from jobs.source import resolve_source
from jobs.synth import PlateTruth
from jobs.synth_suite import SUITE, file_name

PLATE_SIZE = (1920, 1080)
TWO_CORES = "0,1"
TRANSCODES = {  # plate name: FFmpeg output options, from the high-rate H.264 plate
    "h264_crf24_gop96": ["-c:v", "libx264", "-preset", "fast", "-crf", "24", "-g", "96",
                      "-pix_fmt", "yuv420p"],
    "hevc_crf24": ["-c:v", "libx265", "-preset", "ultrafast", "-crf", "24", "-pix_fmt", "yuv420p",
             "-x265-params", "log-level=error"],
}
REFUSED_OPTIONS = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv422p10le"]
CUDA = DecodePath(device="cuda", reason="forced by bench.gpu_check")
CORES = ("all", "2")  # every core of the machine; two (taskset), as a small pod has


@dataclass
class Budget:
    """Sections start only while time is left, so the run ends inside its lease."""

    seconds: float
    start: float = field(default_factory=time.perf_counter)

    def left(self) -> float:
        return self.seconds - (time.perf_counter() - self.start)


@dataclass
class Plate:
    name: str
    path: Path
    truth: PlateTruth


def environment() -> dict[str, Any]:
    gpu = _first_line(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"])
    cuvid = _first_line(["sh", "-c", "ldconfig -p | grep -m1 libnvcuvid.so.1"])
    return {"gpu": gpu or "none visible", "ffmpeg": _first_line(["ffmpeg", "-version"]),
            "cuda_device_opens": hwdecode.cuda_device_opens(),
            "libnvcuvid": cuvid or "not in the loader's cache",
            "cores": os.cpu_count(), "python": sys.version.split()[0]}


def _first_line(cmd: Sequence[str]) -> str:
    if shutil.which(cmd[0]) is None:
        return ""
    proc = subprocess.run(list(cmd), capture_output=True, text=True, check=False)
    return (proc.stdout.strip().splitlines() or [""])[0]


def speed_plates(frames: int, work: Path) -> list[Plate]:
    spec = many_cuts_spec(frames, PLATE_SIZE)
    source = work / "h264_crf18.mp4"
    truth = ensure_plate(spec, source)
    plates = [Plate("h264_crf18", source, truth)]
    for name, options in TRANSCODES.items():
        plates.append(Plate(name, ensure_transcode(source, work / f"{name}.mp4", options), truth))
    return plates


def detect_env(device: str) -> list[str]:
    return ["env", f"{hwdecode.DEVICE_ENV}={device}", PYTHON, "-m", "bench.detect_once"]


def speed_commands(plate: Path) -> dict[str, list[str]]:
    p = str(plate)
    floor = ["ffmpeg", "-v", "error", "-nostdin"]
    return {
        "decode CPU": [*floor, "-i", p, "-f", "null", "-"],
        "decode NVDEC": [*floor, "-hwaccel", "cuda", "-hwaccel_output_format", "cuda", "-i", p,
                         "-f", "null", "-"],
        "decode NVDEC, to memory": [*floor, "-hwaccel", "cuda", "-i", p, "-f", "null", "-"],
        "detect CPU": [*detect_env("cpu"), p],
        "detect GPU": [*detect_env("cuda"), p],
    }


def time_plates(plates: list[Plate], repeat: int, budget: Budget,
                cores_list: Sequence[str] = CORES) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for cores in cores_list:
        for plate in plates:
            if budget.left() < 0:
                log(f"out of time: {plate.name} on {cores} cores not timed")
                continue
            commands = speed_commands(plate.path)
            if cores == "2":
                commands = {k: ["taskset", "-c", TWO_CORES, *v] for k, v in commands.items()}
            log(f"timing {plate.name} on {cores} cores, {repeat} runs each")
            timed = _timed(commands, repeat)
            results[f"{plate.name}|{cores}"] = timed
    return results


def _timed(commands: dict[str, list[str]], repeat: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, command in commands.items():  # one failing command (no NVDEC) keeps the others
        try:
            interleaved_timings({name: command}, 1)
        except Exception as exc:  # a failed tool becomes a row saying why
            out[name] = {"error": str(exc)[:300]}
    ok = {k: v for k, v in commands.items() if k not in out}
    for name, timing in interleaved_timings(ok, repeat).items():
        out[name] = {"median_s": round(timing.median_s, 3), "runs_s": [round(r, 3) for r in timing.runs_s]}
        if name.startswith("detect"):
            out[name]["found"] = json.loads(timing.stdout)
    return out


def compare_paths(name: str, path: Path, truth: PlateTruth | None,
                  forced: DecodePath | None = None) -> dict[str, Any]:
    """Analyse one plate on the CPU and on the GPU path; the same cuts, luma and F1?"""
    source = resolve_source(str(path))
    info = probe(source)
    runs: dict[str, Analysis] = {}
    seconds: dict[str, float] = {}
    for label, chosen in (("cpu", DecodePath(device="cpu", reason="bench")),
                          ("gpu", forced or hwdecode.choose_decode_path(info, "cuda"))):
        start = time.perf_counter()
        runs[label] = analyse(source, info, DetectorSettings(), path=chosen)
        seconds[label] = round(time.perf_counter() - start, 3)
    cpu, gpu = runs["cpu"], runs["gpu"]
    row: dict[str, Any] = {
        "plate": name, "codec": f"{info.codec} {info.pix_fmt}", "frames": len(cpu.stamps.pts),
        "gpu_path": gpu.decode_path.model_dump(), "seconds": seconds,
        "same_boundaries": _boundaries(cpu) == _boundaries(gpu),
        "same_luma": bool(np.array_equal(cpu.luma, gpu.luma)),
        "max_luma_difference": _largest_difference(cpu.luma, gpu.luma),
    }
    if truth is not None:
        row["f1"] = {label: round(score(_cuts(run), truth).prf()[2], 4) for label, run in runs.items()}
    return row


def plates_table(plates: list[Plate]) -> tuple[list[dict[str, Any]], str]:
    rows = []
    for plate in plates:
        info = probe(resolve_source(str(plate.path)))
        seconds = info.frame_count * info.frame_rate.den / info.frame_rate.num
        rows.append({"plate": plate.name, "codec": f"{info.codec} {info.pix_fmt}",
                     "frames": info.frame_count, "size": f"{info.width}x{info.height}",
                     "mbit_s": round(plate.path.stat().st_size * 8 / seconds / 1e6, 1)})
    return rows, table(["plate", "codec", "frames", "size", "Mbit/s"],
                       [list(r.values()) for r in rows])


def _largest_difference(a: np.ndarray, b: np.ndarray) -> float | None:
    return float(np.max(np.abs(a - b))) if a.shape == b.shape else None


def _boundaries(run: Analysis) -> list[tuple[int, str]]:
    return [(b.frame, b.kind) for b in run.detection.boundaries]


def _cuts(run: Analysis) -> list[int]:
    return [b.frame for b in run.detection.boundaries if b.kind == "cut"]


def accuracy(plates: list[Plate], work: Path, budget: Budget) -> list[dict[str, Any]]:
    rows = [compare_paths(p.name, p.path, p.truth) for p in plates]
    for name, spec in SUITE.items():
        if budget.left() < 0:
            log(f"out of time: suite plate {name} not compared")
            continue
        path = work / "suite" / file_name(name, spec)
        rows.append(compare_paths(name, path, ensure_plate(spec, path)))
    different = work / "suite" / file_name("different", SUITE["different"])
    refused = ensure_transcode(different, work / "h264_422_10bit.mp4", REFUSED_OPTIONS)
    rows.append(compare_paths("h264_422_10bit (forced onto NVDEC)", refused,
                              ensure_plate(SUITE["different"], different), forced=CUDA))
    return rows


def speed_table(timings: dict[str, dict[str, Any]]) -> str:
    names = ["decode CPU", "decode NVDEC", "decode NVDEC, to memory", "detect CPU", "detect GPU"]
    rows = []
    for key, runs in timings.items():
        plate, cores = key.split("|")
        rows.append([plate, cores, *(_cell(runs.get(n, {})) for n in names), _same_cuts(runs)])
    return table(["plate", "cores", *names, "same cuts"], rows)


def _cell(run: dict[str, Any]) -> str:
    if "error" in run:
        return "failed"
    return f"{run['median_s']:.2f} s" if run else "-"


def _same_cuts(runs: dict[str, Any]) -> str:
    cpu, gpu = runs.get("detect CPU", {}).get("found"), runs.get("detect GPU", {}).get("found")
    if cpu is None or gpu is None:
        return "-"
    return "yes" if (cpu["cuts"], cpu["gradual"]) == (gpu["cuts"], gpu["gradual"]) else "NO"


def accuracy_table(rows: list[dict[str, Any]]) -> str:
    body = [[r["plate"], r["codec"], str(r["frames"]), r["gpu_path"]["device"],
             "yes" if r["same_boundaries"] else "NO", "yes" if r["same_luma"] else "NO",
             _f1(r, "cpu"), _f1(r, "gpu"), r["gpu_path"]["reason"]] for r in rows]
    return table(["plate", "codec", "frames", "GPU path ran on", "same boundaries",
                  "same luma", "F1 CPU", "F1 GPU", "why"], body)


def _f1(row: dict[str, Any], label: str) -> str:
    return f"{row['f1'][label]:.3f}" if "f1" in row else "-"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.gpu_check", description=__doc__)
    parser.add_argument("--frames", type=int, default=600, help="frames of the 1080p plates")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs of each command")
    parser.add_argument("--budget-s", type=float, default=330, help="time no plate after this")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--cores", choices=CORES, action="append", help="time only on these")
    parser.add_argument("--plate", action="append", help="time only these 1080p plates")
    parser.add_argument("--skip-accuracy", action="store_true", help="time only")
    args = parser.parse_args(argv)
    budget, work = Budget(args.budget_s), WORK / "gpu"
    report: dict[str, Any] = {"environment": environment()}
    print("## Environment\n\n" + table(["", ""], [[k, str(v)] for k, v in report["environment"].items()]))
    plates = speed_plates(args.frames, work)
    report["plates"], shown = plates_table(plates)
    print("\n## Plates\n\n" + shown)
    if not args.skip_accuracy:
        _section(report, args.out, "accuracy", lambda: accuracy(plates, work, budget))
    if "accuracy" in report:
        print("\n## Cuts on both paths\n\n" + accuracy_table(report["accuracy"]))
    _section(report, args.out, "timings",
             lambda: time_plates([p for p in plates if p.name in (args.plate or [p.name])],
                                 args.repeat, budget, args.cores or CORES))
    if "timings" in report:
        print("\n## Decode and detection, medians\n\n" + speed_table(report["timings"]))
    print(f"\n{time.perf_counter() - budget.start:.0f} s in all")


def _section(report: dict[str, Any], out: Path, key: str, run: Callable[[], Any]) -> None:
    try:
        report[key] = run()
    except Exception as exc:  # one broken section still leaves the others' figures
        log(f"{key} failed: {exc!r}")
        report[f"{key}_error"] = repr(exc)
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu_check.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
