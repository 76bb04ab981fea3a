"""Detection speed on the plates users send, side by side in one run.

``python -m bench.speed_formats [--repeat 3] [--scale 2] [--quick]`` makes (or reuses) the demo
edit (``jobs.synth.demo_spec``: hard cuts, a flash, a dissolve, a fade, burned-in names and
timecodes) at 1920x1080 and 2048x858 under ``bench/work/formats/``, transcodes it frame for frame
into the formats of the speed targets, then times, round robin, ``--repeat`` times each (medians),
every command a fresh process:

a) the FFmpeg decode floor, ``ffmpeg -v error -i PLATE -f null -``;
b) ``detect``: ``bench.detect_once`` (probe + the analysis pass + detection, as a library call);
c) ``split --no-ocr``: ``platecut split --no-split --no-ocr`` (thumbnails, review files, manifest);
d) ``split``: ``platecut split --no-split`` (burn-ins read, the default ONNX engine);
e) PySceneDetect 0.7 ``detect(PLATE, ContentDetector())`` at its defaults (movies only: its
   OpenCV backend does not read DPX).

``--tree NAME=PATH`` (repeatable) adds c) and d) of another checkout of platecut, run as
``python -m jobs.cli split`` with ``PYTHONPATH=PATH`` in the same rounds ("split --no-ocr @NAME"),
so that a change is measured against the code before it on the same machine at the same time.

and prints the ratios of the speed targets. Results: ``bench/results/speed_formats.json``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import (
    PLATECUT,
    PYTHON,
    WORK,
    Timing,
    ensure_plate,
    ensure_transcode,
    heading,
    interleaved_timings,
    log,
    machine_info,
    machine_lines,
    publish,
    table,
)
from jobs.synth import demo_spec, truth_of

FORMATS_DIR = WORK / "formats"
SEQUENCE_RATE = "24000/1001"  # the demo edit's rate, given to the sequence's readers
TARGET_FLOOR = 1.2  # split --no-ocr / decode floor, at most
TARGET_PYSCENEDETECT = 1.5  # PySceneDetect / split --no-ocr, at least
TARGET_OCR = 1.3  # split / split --no-ocr, at most
MASTERS = {"1080": (1920, 1080), "scope": (2048, 858)}


@dataclass(frozen=True)
class Format:
    master: str  # which master it is transcoded from
    suffix: str  # ".mp4", ".mov", or "/%08d.dpx" for a sequence
    options: tuple[str, ...]  # FFmpeg output options; () is the master itself
    what: str


FORMATS = {
    "h264_6mbit": Format("1080", ".mp4", ("-c:v", "libx264", "-preset", "fast", "-b:v", "6M",
                                          "-maxrate", "6M", "-bufsize", "12M", "-g", "96",
                                          "-pix_fmt", "yuv420p"),
                         "1080p H.264, x264 fast capped at 6 Mbit/s, GOP 96"),
    "h264_crf18": Format("1080", ".mp4", (), "1080p H.264, x264 veryfast CRF 18, GOP 48"),
    "prores_422hq": Format("1080", ".mov", ("-c:v", "prores_ks", "-profile:v", "3",
                                            "-pix_fmt", "yuv422p10le"), "1080p ProRes 422 HQ"),
    "prores_4444_scope": Format("scope", ".mov", ("-c:v", "prores_ks", "-profile:v", "4",
                                                  "-pix_fmt", "yuv444p10le"),
                                "2048x858 ProRes 4444 (10-bit 4:4:4)"),
    "dpx_10bit_2k": Format("1080", "/%08d.dpx", ("-vf", "scale=2048:1080", "-c:v", "dpx",
                                                 "-pix_fmt", "gbrp10le"),
                           "2048x1080 10-bit DPX sequence"),
}


def master(name: str, scale: int) -> Path:
    width, height = MASTERS[name]
    path = FORMATS_DIR / f"master_{name}_x{scale}.mp4"
    ensure_plate(demo_spec(width, height, "h264", scale=scale), path, max_shots=9)  # in one go
    return path


def plate(name: str, scale: int) -> Path:
    fmt = FORMATS[name]
    source = master(fmt.master, scale)
    if not fmt.options:
        return source
    return ensure_transcode(source, FORMATS_DIR / f"{name}_x{scale}{fmt.suffix}", fmt.options)


def is_sequence(path: Path) -> bool:
    return "%" in path.name


def commands(path: Path, out: Path, trees: dict[str, Path] | None = None) -> dict[str, list[str]]:
    p = str(path)
    seq_in = ["-framerate", SEQUENCE_RATE, "-start_number", "0"] if is_sequence(path) else []
    seq_opt = ["--fps", SEQUENCE_RATE] if is_sequence(path) else []
    args = ["split", "--no-split", p, "-o", str(out), "--overwrite", *seq_opt]
    cmds = {"floor": ["ffmpeg", "-v", "error", "-nostdin", *seq_in, "-i", p, "-f", "null", "-"],
            "detect": [PYTHON, "-m", "bench.detect_once", "--tool", "platecut", p],
            "split --no-ocr": [PLATECUT, *args, "--no-ocr"],
            "split": [PLATECUT, *args]}
    for name, tree in (trees or {}).items():
        # run from the tree itself: this checkout is installed editable, and its finder comes
        # before PYTHONPATH for a process started elsewhere
        other = ["env", "-C", str(tree), f"PYTHONPATH={tree}", PYTHON, "-m", "jobs.cli", *args]
        cmds[f"split --no-ocr @{name}"] = [*other, "--no-ocr"]
        cmds[f"split @{name}"] = other
    if not is_sequence(path):
        cmds["PySceneDetect"] = [PYTHON, "-m", "bench.detect_once", "--tool", "content", p]
    return cmds


def ratios(t: dict[str, Timing]) -> dict[str, float | None]:
    def r(a: str, b: str) -> float | None:
        return round(t[a].median_s / t[b].median_s, 2) if a in t and b in t else None

    return {"detect / floor": r("detect", "floor"), "split --no-ocr / floor": r("split --no-ocr", "floor"),
            "PySceneDetect / split --no-ocr": r("PySceneDetect", "split --no-ocr"),
            "split / split --no-ocr": r("split", "split --no-ocr")}


def report(results: dict[str, dict[str, Any]], info: dict[str, Any], args: argparse.Namespace) -> str:
    names = ["floor", "detect", "split --no-ocr", "split", "PySceneDetect"]
    names += [f"{c} @{t.split('=', 1)[0]}" for t in args.tree for c in ("split --no-ocr", "split")]
    rows = [[name, FORMATS[name].what, str(r["frames"]),
             *(f"{r['medians'][n]:.2f}" if n in r["medians"] else "-" for n in names)]
            for name, r in results.items()]
    targets = {"detect / floor": None, "split --no-ocr / floor": f"≤ {TARGET_FLOOR}",
               "PySceneDetect / split --no-ocr": f"≥ {TARGET_PYSCENEDETECT}",
               "split / split --no-ocr": f"≤ {TARGET_OCR}"}
    ratio_rows = [[name, *(_ratio(r["ratios"][k]) for k in targets)] for name, r in results.items()]
    return "\n".join([
        heading("Detection speed on the plates users send", args.quick), "",
        f"`python -m bench.speed_formats --repeat {args.repeat} --scale {args.scale}"
        + "".join(f" --tree {t}" for t in args.tree) + "`", "",
        *machine_lines(info), "",
        table(["plate", "format", "frames", *(f"{n} s" for n in names)], rows), "",
        table(["plate", *(f"{k} ({v})" if v else k for k, v in targets.items())], ratio_rows)])


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench.speed_formats", description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scale", type=int, default=2, help="demo edit's length factor (2: 656 frames)")
    parser.add_argument("--format", action="append", choices=sorted(FORMATS), help="only these")
    parser.add_argument("--quick", action="store_true", help="scale 1, one run")
    parser.add_argument("--tree", action="append", default=[], help="NAME=PATH of another checkout")
    args = parser.parse_args(argv)
    if args.quick:
        args.scale, args.repeat = 1, 1
    info = machine_info()
    trees = {t.split("=", 1)[0]: Path(t.split("=", 1)[1]).resolve() for t in args.tree}
    results: dict[str, dict[str, Any]] = {}
    for name in args.format or list(FORMATS):
        path = plate(name, args.scale)
        log(f"timing {name}, {args.repeat} runs each")
        timings = interleaved_timings(commands(path, FORMATS_DIR / "out", trees), args.repeat)
        spec = demo_spec(*MASTERS[FORMATS[name].master], scale=args.scale)
        results[name] = {"plate": str(path), "frames": truth_of(spec).frame_count,
                         "medians": {k: round(v.median_s, 3) for k, v in timings.items()},
                         "runs": {k: [round(x, 3) for x in v.runs_s] for k, v in timings.items()},
                         "ratios": ratios(timings)}
    return publish("speed_formats", {"machine": info, "results": results}, report(results, info, args))


if __name__ == "__main__":
    main()
