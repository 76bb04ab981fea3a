"""Is Celery beat alive? ``python -m api.worker.beat_alive SCHEDULE [--max-age SECONDS]``.

Beat writes its schedule file (a shelve: ``SCHEDULE`` or ``SCHEDULE.dat``/``.dir``/``.bak``,
as the dbm module makes it) after every round of ticks it sends (``beat_sync_every`` in
:mod:`api.worker.app`), so the file's age tells whether beat still runs. Exit 0 when the newest of
those files is at most ``--max-age`` seconds old, else 1 with one line saying why: the chart's
liveness probe of the beat pod.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

DEFAULT_MAX_AGE_S = 300.0


def schedule_age(schedule: Path, now: float | None = None) -> float | None:
    """Seconds since beat last wrote ``schedule``; None when it never has."""
    files = [schedule, *schedule.parent.glob(schedule.name + ".*")]
    stamps = [f.stat().st_mtime for f in files if f.is_file()]
    if not stamps:
        return None
    return (time.time() if now is None else now) - max(stamps)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.worker.beat_alive", description=__doc__)
    parser.add_argument("schedule", type=Path, help="beat's --schedule file")
    parser.add_argument("--max-age", type=float, default=DEFAULT_MAX_AGE_S,
                        help=f"seconds (default {DEFAULT_MAX_AGE_S:g}): more than the tick interval")
    args = parser.parse_args(argv)
    age = schedule_age(args.schedule)
    if age is None:
        print(f"beat has not written {args.schedule} yet", file=sys.stderr)
        return 1
    if age > args.max_age:
        print(f"beat last wrote {args.schedule} {age:.0f} s ago (more than {args.max_age:g} s): "
              "it sends no ticks", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
