"""Burn-ins over busy pictures: the demo plate with many draws of its random pictures.

``python -m bench.seeds [--first 1] [--last 60] [--size 640x360] [--engine onnx]``

The demo plate (``jobs.synth.demo_spec``: nine named shots, a dissolve, a fade, a restarted
take) has three random pictures ("life", "cells", noise) under see-through burn-in bands;
``--seed`` draws them. Each seed's plate is made under ``bench/work/seeds/``, split in-process
(``run_split(..., SplitOptions(split=False, ocr=...))``) and checked against its truth with
the burn-in benchmark's checks: every cut on its exact frame, its name and its source
timecodes in and out exact. Prints a Markdown summary and writes ``bench/results/seeds.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass

from bench.burnin import check_fields, engine_settings, expected_cuts
from bench.common import RESULTS, WORK, ensure_plate, log
from jobs.pipeline import SplitOptions, run_split
from jobs.synth import demo_spec

SEEDS_DIR = WORK / "seeds"


@dataclass
class SeedRun:
    seed: int
    exact: bool
    cuts: int
    expected: int
    misreads: list[str]
    ocr_calls: int | None
    wall_s: float


def run_seed(seed: int, size: tuple[int, int], engine: str) -> SeedRun:
    spec = demo_spec(*size, seed=seed)
    plate = SEEDS_DIR / "plates" / f"demo_{size[0]}x{size[1]}_seed{seed}.mp4"
    ensure_plate(spec, plate, max_shots=len(spec.shots))  # in one go, as `platecut sample`
    start = time.perf_counter()
    manifest = run_split(str(plate), SEEDS_DIR / "out" / f"seed{seed}",
                         SplitOptions(split=False, overwrite=True, ocr=engine_settings(engine)))
    wall = time.perf_counter() - start
    expected = expected_cuts(spec)
    _, misreads = check_fields(manifest, expected, plate.name)
    starts = [c.first_frame for c in manifest.cuts]
    extra = sorted(set(starts) - {e.first_frame for e in expected})
    misreads += [f"{plate.name} frame {f}: a cut starts there, none expected" for f in extra]
    calls = manifest.burnin.ocr_calls if manifest.burnin else None
    return SeedRun(seed, not misreads, len(manifest.cuts), len(expected), misreads, calls, wall)


def summary(runs: list[SeedRun], size: tuple[int, int], engine: str) -> str:
    exact = sum(r.exact for r in runs)
    lines = [f"Demo plate {size[0]}x{size[1]}, seeds {runs[0].seed}-{runs[-1].seed}, OCR {engine}: "
             f"{exact}/{len(runs)} plates exact (every cut on its frame, names and source TC "
             f"in/out exact).", ""]
    calls = [r.ocr_calls for r in runs if r.ocr_calls is not None]
    if calls:
        lines.append(f"OCR band reads per plate: min {min(calls)}, max {max(calls)}, "
                     f"mean {sum(calls) / len(calls):.1f} (for {runs[0].expected} cuts).")
    lines += [f"- seed {r.seed}: {m}" for r in runs for m in r.misreads]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench.seeds", description=__doc__)
    parser.add_argument("--first", type=int, default=1)
    parser.add_argument("--last", type=int, default=60)
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--engine", default="onnx", choices=("onnx", "paddle"))
    args = parser.parse_args(argv)
    width, _, height = args.size.partition("x")
    size = (int(width), int(height))
    runs = []
    for seed in range(args.first, args.last + 1):
        runs.append(run_seed(seed, size, args.engine))
        log(f"seed {seed}: {'exact' if runs[-1].exact else 'WRONG'}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "seeds.json").write_text(json.dumps([asdict(r) for r in runs], indent=2) + "\n")
    section = "## Burn-ins over busy pictures (bench.seeds)\n\n" + summary(runs, size, args.engine)
    print(section)
    return section


if __name__ == "__main__":
    main()
