"""Cost of the review files (proxy, thumbnail strip, scores): ``platecut split`` with and without
``--no-review``, side by side.

``python -m bench.review [--repeat 3] [--modes detect,full] [--quick]`` makes (or reuses) the
plate of ``bench.speed`` (1920x1080 H.264, 3,100 frames, 40 shots) and times, round robin and
``--repeat`` times each (the median is reported), in a fresh process each:

- ``detect``: ``platecut split PLATE -o OUT --overwrite --no-ocr --no-split``, with the review
  files (the default) and with ``--no-review``: the decoding pass and what follows it without
  burn-ins or cut media, where the review files weigh the most;
- ``full``: ``platecut split PLATE -o OUT --overwrite`` (burn-ins read, cut media re-encoded to
  ProRes 422 HQ), with and without ``--no-review``.

It also reports what the review files weigh. ``--quick``: a 640x360, 300-frame plate and one
run, to check that it all works. Results: ``bench/results/review_<modes>.json``.
"""

from __future__ import annotations

import argparse
import resource
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import (
    PLATECUT,
    WORK,
    add_plate_options,
    apply_quick,
    ensure_plate,
    heading,
    log,
    machine_info,
    machine_lines,
    many_cuts_spec,
    mb,
    parse_size,
    publish,
    table,
    timed_run,
)
from jobs.manifest import Manifest

MODES = {"detect": ["--no-ocr", "--no-split"], "full": []}
TARGET_SHARE = 0.05  # of the job's wall time, at most ("a few percent")


def mode_flags(mode: str) -> str:
    return " ".join(MODES[mode]) or "the defaults"


def commands(plate: Path, modes: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for mode in modes:
        for review in (True, False):
            name = f"{mode}-{'review' if review else 'no-review'}"
            out[name] = [PLATECUT, "split", str(plate), "-o", str(WORK / "review" / name),
                         "--overwrite", *MODES[mode], *([] if review else ["--no-review"])]
    return out


@dataclass
class Runs:
    wall_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)  # user + system, the process and its children

    def median(self, cpu: bool = False) -> float:
        return statistics.median(self.cpu_s if cpu else self.wall_s)


def timed_runs(commands: dict[str, list[str]], repeat: int) -> dict[str, Runs]:
    """Every command ``repeat`` times, round robin: wall time and CPU time of each run."""
    runs = {name: Runs() for name in commands}
    for i in range(repeat):
        for name, cmd in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            wall, _ = timed_run(cmd, name)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            runs[name].wall_s.append(wall)
            runs[name].cpu_s.append(cpu)
            log(f"  round {i + 1}/{repeat}: {name} {wall:.2f} s wall, {cpu:.2f} s CPU")
    return runs


def cost_table(runs: dict[str, Runs], modes: list[str]) -> str:
    rows = []
    for mode in modes:
        on, off = runs[f"{mode}-review"], runs[f"{mode}-no-review"]
        for cpu in (False, True):
            extra = on.median(cpu) - off.median(cpu)
            share = extra / off.median(cpu)
            met = "yes" if share <= TARGET_SHARE else "no"
            rows.append([mode, "CPU (user + sys)" if cpu else "wall",
                         f"{on.median(cpu):.2f}", ", ".join(f"{r:.2f}" for r in
                                                            (on.cpu_s if cpu else on.wall_s)),
                         f"{off.median(cpu):.2f}", ", ".join(f"{r:.2f}" for r in
                                                             (off.cpu_s if cpu else off.wall_s)),
                         f"{extra:+.2f}", f"{100 * share:+.1f}%", met])
    return table(["mode", "time", "with review, median s", "runs s", "--no-review, median s",
                  "runs s", "review costs s", "of the job", f"≤ {100 * TARGET_SHARE:.0f}%"], rows)


def sizes(manifest: Manifest) -> dict[str, Any]:
    review = manifest.review
    assert review is not None
    rate = review.proxy.frame_rate
    seconds = review.proxy.frames * rate.den / rate.num
    return {"proxy_bytes": review.proxy.size_bytes, "proxy_size": [review.proxy.width, review.proxy.height],
            "proxy_mbit_s": review.proxy.size_bytes * 8 / seconds / 1e6,
            "proxy_kb_per_frame": review.proxy.size_bytes / review.proxy.frames / 1000,
            "sheets": len(review.strips), "sheet_bytes": sum(s.size_bytes for s in review.strips),
            "tile": [review.strips[0].tile_width, review.strips[0].tile_height],
            "scores_bytes": review.scores.size_bytes, "stage_timings": manifest.timings}


def size_table(s: dict[str, Any]) -> str:
    w, h = s["proxy_size"]
    tw, th = s["tile"]
    return table(["file", "size", "note"], [
        [f"review/proxy.mp4 ({w}x{h}, all-intra)", f"{mb(s['proxy_bytes']):.1f} MB",
         f"{s['proxy_mbit_s']:.2f} Mbit/s, {s['proxy_kb_per_frame']:.1f} kB a frame"],
        [f"review/strip-*.jpg ({s['sheets']} sheets of {tw}x{th} tiles)",
         f"{mb(s['sheet_bytes']):.1f} MB", f"{mb(s['sheet_bytes']) / s['sheets']:.2f} MB a sheet"],
        ["review/scores.json", f"{s['scores_bytes'] / 1000:.1f} kB", ""]])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.review", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_plate_options(parser, "command")
    parser.add_argument("--modes", default="detect,full", help="detect, full or both (default)")
    args = apply_quick(parser.parse_args(argv))
    args.modes = [m for m in args.modes.split(",") if m]
    if not args.modes or set(args.modes) - set(MODES):
        parser.error(f"--modes: choose among {', '.join(MODES)}")
    return args


def main(argv: list[str] | None = None) -> str:
    args = parse_args(argv)
    info = machine_info()
    size = parse_size(args.size)
    plate = WORK / "speed" / f"many_cuts_{args.size}_{args.frames}.mp4"  # bench.speed's plate
    truth = ensure_plate(many_cuts_spec(args.frames, size), plate)
    log(f"timing on {plate.name}")
    runs = timed_runs(commands(plate, args.modes), args.repeat)
    first = f"{args.modes[0]}-review"
    files = sizes(Manifest.from_json((WORK / "review" / first / "manifest.json").read_text()))
    about = [f"- plate: `{plate.name}`, {truth.frame_count} frames; {args.repeat} run(s) of each "
             "command, round robin, in a fresh `platecut split` process each: median wall time, and "
             "median CPU time (user + system, FFmpeg children included; what the machine's load "
             "changes least)",
             "- modes: " + ", ".join(f"{m}: `{mode_flags(m)}`" for m in args.modes),
             f"- stage timings of the last `{first}` run: "
             + ", ".join(f"{k} {v:.2f} s" for k, v in files["stage_timings"].items()),
             *machine_lines(info)]
    markdown = "\n\n".join([heading("Cost of the review files", args.quick), "\n".join(about),
                            cost_table(runs, args.modes), size_table(files)])
    data = {"quick": args.quick, "machine": info, "plate": plate.name, "frames": truth.frame_count,
            "modes": args.modes, "files": files,
            "timings": {name: {"wall_median_s": r.median(), "wall_s": r.wall_s,
                               "cpu_median_s": r.median(cpu=True), "cpu_s": r.cpu_s}
                        for name, r in runs.items()}}
    return publish("review_" + "_".join(args.modes), data, markdown)


if __name__ == "__main__":
    main()
