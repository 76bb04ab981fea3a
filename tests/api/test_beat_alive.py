"""The beat pod's liveness check: beat rewrites its schedule file every round of ticks, and
``python -m api.worker.beat_alive`` tells a live beat from a stopped one by that file's age."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from api.worker.beat_alive import main, schedule_age

CELERY = str(Path(sys.executable).parent / "celery")
AMQP = os.environ.get("PLATECUT_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
TICK_S = 1  # PLATECUT_RECONCILE_SECONDS of the beat under test
START_TIMEOUT_S = 30.0


def test_the_newest_of_the_shelve_files_counts(tmp_path: Path) -> None:
    schedule = tmp_path / "celerybeat-schedule"
    assert schedule_age(schedule) is None
    for name, mtime in (("celerybeat-schedule.dir", 1000.0), ("celerybeat-schedule.dat", 1500.0),
                        ("other-file", 1900.0)):
        (tmp_path / name).touch()
        os.utime(tmp_path / name, (mtime, mtime))
    assert schedule_age(schedule, now=2000.0) == 500.0  # other-file is not beat's


def test_an_old_or_missing_schedule_fails_with_one_line(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    schedule = tmp_path / "celerybeat-schedule"
    assert main([str(schedule)]) == 1
    assert capsys.readouterr().err == f"beat has not written {schedule} yet\n"
    schedule.touch()
    assert main([str(schedule), "--max-age", "60"]) == 0
    old = time.time() - 400
    os.utime(schedule, (old, old))
    assert main([str(schedule)]) == 1
    assert capsys.readouterr().err.startswith(f"beat last wrote {schedule} 400 s ago (more than 300 s)")


@pytest.mark.slow
def test_a_running_beat_is_alive_and_a_stopped_one_is_not(tmp_path: Path) -> None:
    schedule = tmp_path / "celerybeat-schedule"
    env = {**os.environ, "PLATECUT_BROKER_URL": AMQP, "PLATECUT_RECONCILE_SECONDS": str(TICK_S)}
    log = tmp_path / "beat.log"
    with log.open("wb") as out:
        beat = subprocess.Popen([CELERY, "-A", "api.worker.app", "beat", "--schedule", str(schedule)],
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while schedule_age(schedule) is None:
            assert beat.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "beat wrote no schedule file"
            time.sleep(0.2)
        time.sleep(4 * TICK_S)  # several rounds later the file is still fresh: beat rewrites it
        assert main([str(schedule), "--max-age", str(2 * TICK_S)]) == 0
    finally:
        beat.terminate()
        beat.wait(timeout=30)
    time.sleep(3 * TICK_S)
    assert main([str(schedule), "--max-age", str(2 * TICK_S)]) == 1
