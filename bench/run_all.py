"""Run the accuracy (developed-on and photographic suites, with their peers), speed, memory,
review-files, burn-in and control-plane benchmarks in sequence (``make bench``).

``python -m bench.run_all [--quick] [--repeat N]`` prints every table and writes them all to
``bench/results/summary.md`` (each benchmark also writes its own JSON file there).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from bench import (
    accuracy,
    api_load,
    burnin,
    memory,
    photo_peers,
    photo_suite_report,
    reconcile,
    review,
    seeds,
    speed,
)
from bench.common import RESULTS, log, machine_info, machine_lines

Benchmark = Callable[[list[str] | None], str]


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench.run_all", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small plates, one timing run")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs for bench.speed (3)")
    args = parser.parse_args(argv)
    quick = ["--quick"] if args.quick else []
    plan: list[tuple[str, Benchmark, list[str]]] = [
        ("accuracy", accuracy.main, quick),
        # the photographic suite, apart from the developed-on one; --quick: one plate
        ("photo_suite_report", photo_suite_report.main, ["--only", "photo_hard_cuts"] if args.quick else []),
        ("photo_peers", photo_peers.main, ["--only", "photo_hard_cuts"] if args.quick else []),
        ("speed", speed.main, [*quick, "--repeat", str(args.repeat)]),  # --quick means 1 run
        ("memory", memory.main, quick),
        ("review", review.main, [*quick, "--modes", "detect"]),  # --modes full: 20 minutes more
        ("burnin", burnin.main, quick),  # one timing run of each split variant
        ("seeds", seeds.main, ["--last", "5"] if args.quick else []),
        ("api_load", api_load.main, ["--duration", "5"] if args.quick else []),
        ("reconcile", reconcile.main, ["--jobs", "10,1000"] if args.quick else []),
    ]
    start = time.perf_counter()
    header = ["# platecut benchmarks" + (" (QUICK RUN, not final figures)" if args.quick else ""),
              "\n".join([f"- run {time.strftime('%Y-%m-%d %H:%M:%S %z')}", *machine_lines(machine_info())])]
    print("\n\n".join(header), end="\n\n", flush=True)
    sections = []
    for name, run, run_args in plan:
        log(f"=== bench.{name} {' '.join(run_args)}")
        sections.append(run(run_args))  # each prints its own section
        print(flush=True)
    header[1] += f"\n- total run time: {time.perf_counter() - start:.0f} s"
    summary = "\n\n".join([*header, *sections]) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "summary.md").write_text(summary)
    log(f"wrote {RESULTS / 'summary.md'}")
    return summary


if __name__ == "__main__":
    main()
