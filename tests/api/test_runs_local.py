"""``LocalLauncher`` on its own: real detached subprocesses running the stand-in job program."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from api.integrations.launcher import JobPhase, JobRequest, LauncherError
from api.integrations.local import LocalLauncher, default_command, job_arguments
from api.integrations.local.jobdir import JobDir, group_alive
from api.runs.names import job_name_for
from tests.api.runs_support import FINISHED, standin_command, wait_for


@pytest.fixture
def command(tmp_path: Path) -> tuple[str, ...]:
    return standin_command(tmp_path)


@pytest.fixture
def root(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "jobs"
    yield root
    if root.exists():  # no stand-in left running, whatever the test did
        cleaner = LocalLauncher(root, kill_grace=2)
        for job in cleaner.statuses():
            cleaner.cancel(job)


def request(tmp_path: Path, mode: str, attempt: int = 1, plate_id: str | None = None) -> JobRequest:
    plate_id = plate_id or str(uuid.uuid4())
    source = tmp_path / f"{plate_id}.mov"
    source.write_text(mode)
    return JobRequest(plate_id=plate_id, attempt=attempt, job_name=job_name_for(plate_id, attempt), site="s",
                      project="p", plate_name="plate.mov", source_uri=str(source),
                      output_uri=f"{tmp_path / plate_id / f'a{attempt}'}/", size_bytes=len(mode),
                      sha256="ab" * 32)


def release(job: JobRequest, then: str = "ok") -> None:
    Path(job.source_uri + ".release").write_text(then)


def phase(launcher: LocalLauncher, name: str) -> JobPhase:
    return launcher.statuses([name])[name].phase


def test_a_job_survives_a_restart_of_the_launcher(tmp_path: Path, root: Path,
                                                  command: tuple[str, ...]) -> None:
    job = request(tmp_path, "wait")
    first = LocalLauncher(root, command=command)
    assert first.submit(job).phase is JobPhase.RUNNING
    wait_for(lambda: "standin wait" in first.logs(job.job_name))

    again = LocalLauncher(root, command=command)  # the API restarted: a launcher without child handles
    status = again.statuses()[job.job_name]
    assert status.phase is JobPhase.RUNNING and status.started_at is not None
    assert status.labels == {"platecut.io/plate-id": job.plate_id, "platecut.io/attempt": "1"}
    release(job, "ok-2")
    wait_for(lambda: phase(again, job.job_name) in FINISHED)
    done = LocalLauncher(root, command=command).statuses([job.job_name, "platecut-000000000000-a1"])
    assert (done[job.job_name].phase, done[job.job_name].exit_code, done[job.job_name].message) == (
        JobPhase.SUCCEEDED, 0, "ok: 2 cuts")
    assert done[job.job_name].finished_at is not None
    assert done["platecut-000000000000-a1"].phase is JobPhase.MISSING
    assert (Path(job.output_uri) / "manifest.json").is_file()


def test_the_concurrency_limit_is_kept_and_pending_jobs_start_oldest_first(
        tmp_path: Path, root: Path, command: tuple[str, ...]) -> None:
    launcher = LocalLauncher(root, max_concurrent=2, command=command)
    jobs = [request(tmp_path, "wait") for _ in range(4)]
    for job in jobs:
        launcher.submit(job)
    phases = [phase(launcher, job.job_name) for job in jobs]
    assert phases == [JobPhase.RUNNING, JobPhase.RUNNING, JobPhase.PENDING, JobPhase.PENDING]
    assert not (root / jobs[2].job_name / "pid").exists()

    release(jobs[1])
    wait_for(lambda: phase(launcher, jobs[2].job_name) is JobPhase.RUNNING, what="the oldest pending job")
    assert phase(launcher, jobs[1].job_name) is JobPhase.SUCCEEDED
    assert phase(launcher, jobs[3].job_name) is JobPhase.PENDING
    for job in jobs:
        release(job)
    wait_for(lambda: all(s.phase is JobPhase.SUCCEEDED for s in launcher.statuses().values()))
    running_at_once = sum(1 for job in jobs if (root / job.job_name / "pid").exists())
    assert running_at_once == 4


def test_a_failed_job_reports_its_exit_code_and_termination_line(tmp_path: Path, root: Path,
                                                                 command: tuple[str, ...]) -> None:
    launcher = LocalLauncher(root, command=command)
    job = request(tmp_path, "bad")
    launcher.submit(job)
    wait_for(lambda: phase(launcher, job.job_name) in FINISHED)
    status = launcher.statuses()[job.job_name]
    assert (status.phase, status.exit_code, status.message, status.reason) == (
        JobPhase.FAILED, 65, "error 65: not a video: no frames", None)
    assert "error 65" in launcher.logs(job.job_name, tail_lines=1)
    launcher.delete(job.job_name)
    launcher.delete(job.job_name)  # idempotent
    assert not (root / job.job_name).exists() and phase(launcher, job.job_name) is JobPhase.MISSING


def test_a_job_killed_from_outside_is_failed_killed(tmp_path: Path, root: Path,
                                                    command: tuple[str, ...]) -> None:
    launcher = LocalLauncher(root, command=command)
    job = request(tmp_path, "sleep")
    launcher.submit(job)
    pid = int((root / job.job_name / "pid").read_text())
    os.killpg(pid, signal.SIGKILL)  # the OOM killer, a reboot...
    wait_for(lambda: phase(launcher, job.job_name) is JobPhase.FAILED)
    status = launcher.statuses()[job.job_name]
    assert (status.reason, status.exit_code) == ("killed", None)


def scratch_of(job: JobRequest) -> Path:
    """The work folder the stand-in made (``scratch`` mode), once it says so."""
    named = Path(job.source_uri + ".scratch")
    wait_for(named.exists, what="the job's work folder")
    work = Path(named.read_text())
    assert work.is_dir() and work.name.startswith("platecut-job-")
    return work


def test_a_killed_jobs_scratch_is_removed_once_it_is_seen_finished(tmp_path: Path, root: Path,
                                                                   command: tuple[str, ...]) -> None:
    shared = tmp_path / "shared-tmp"  # the API's own TMPDIR: a job must not leave its work there
    shared.mkdir()
    launcher = LocalLauncher(root, command=command, env={"TMPDIR": str(shared)})
    job = request(tmp_path, "scratch")
    launcher.submit(job)
    work = scratch_of(job)
    assert work.parent == launcher.scratch(job.job_name) == root / job.job_name / "scratch"
    os.killpg(int((root / job.job_name / "pid").read_text()), signal.SIGKILL)  # no clean-up of its own
    scratch = launcher.scratch(job.job_name)  # removed by a look at the job once its processes are gone
    wait_for(lambda: phase(launcher, job.job_name) is JobPhase.FAILED and not scratch.exists())
    assert list(shared.iterdir()) == []
    assert launcher.statuses()[job.job_name].reason == "killed"  # the job itself is left to the reconcile


def test_cancel_and_delete_remove_a_jobs_scratch_under_a_scratch_root(tmp_path: Path, root: Path,
                                                                      command: tuple[str, ...]) -> None:
    scratch_root = tmp_path / "fast-disk"
    launcher = LocalLauncher(root, max_concurrent=2, command=command, scratch_root=scratch_root, kill_grace=3)
    cancelled, finished = request(tmp_path, "scratch"), request(tmp_path, "scratch")
    launcher.submit(cancelled)
    launcher.submit(finished)
    assert scratch_of(cancelled).parent == scratch_root / cancelled.job_name
    assert scratch_of(finished).parent == scratch_root / finished.job_name
    launcher.cancel(cancelled.job_name)
    assert not (scratch_root / cancelled.job_name).exists()
    release(finished)
    left = scratch_root / finished.job_name  # the stand-in left its work there: removed once it ended
    wait_for(lambda: phase(launcher, finished.job_name) is JobPhase.SUCCEEDED and not left.exists())
    launcher.delete(finished.job_name)
    assert list(scratch_root.iterdir()) == []
    with pytest.raises(ValueError, match="scratch root"):
        LocalLauncher(root, scratch_root=root)


def test_cancel_kills_the_process_group_and_frees_the_slot(tmp_path: Path, root: Path,
                                                           command: tuple[str, ...]) -> None:
    launcher = LocalLauncher(root, max_concurrent=1, command=command, kill_grace=3)
    running, waiting = request(tmp_path, "sleep"), request(tmp_path, "sleep")
    launcher.submit(running)
    launcher.submit(waiting)
    assert phase(launcher, waiting.job_name) is JobPhase.PENDING
    pid = int((root / running.job_name / "pid").read_text())
    launcher.cancel(running.job_name)
    assert not group_alive(pid)
    assert not (root / running.job_name).exists()
    assert phase(launcher, waiting.job_name) is JobPhase.RUNNING
    launcher.cancel(waiting.job_name)
    launcher.cancel(waiting.job_name)  # idempotent
    assert launcher.statuses() == {}


def test_submit_is_idempotent_and_refuses_another_plates_job(tmp_path: Path, root: Path,
                                                             command: tuple[str, ...]) -> None:
    launcher = LocalLauncher(root, command=command)
    job = request(tmp_path, "sleep")
    launcher.submit(job)
    pid = (root / job.job_name / "pid").read_text()
    assert launcher.submit(job).phase is JobPhase.RUNNING
    assert (root / job.job_name / "pid").read_text() == pid  # adopted, not started twice
    other = request(tmp_path, "sleep", plate_id=job.plate_id[:14] + str(uuid.uuid4())[14:])
    assert other.job_name == job.job_name
    with pytest.raises(LauncherError, match="another plate"):
        launcher.submit(other)


def test_a_command_that_cannot_start_fails_the_job(tmp_path: Path, root: Path) -> None:
    launcher = LocalLauncher(root, command=[str(tmp_path / "no-such-program")])
    job = request(tmp_path, "ok")
    launcher.submit(job)
    wait_for(lambda: phase(launcher, job.job_name) in FINISHED)
    assert launcher.statuses()[job.job_name].exit_code == 127


def test_job_arguments_and_the_default_command(tmp_path: Path) -> None:
    job = request(tmp_path, "ok")
    assert job_arguments(job) == ["job", "run", "--plate-id", job.plate_id, "--source", job.source_uri,
                                  "--output", job.output_uri, "--sha256", "ab" * 32, "--size", "2",
                                  "--plate-kind", "reference", "--head-handles", "8", "--tail-handles", "8"]
    command = default_command()
    assert command[0].endswith("platecut") or command[1:] == ("-m", "jobs.cli")


def test_a_cut_list_is_an_argument_of_the_job_and_kept_with_it(tmp_path: Path) -> None:
    job = replace(request(tmp_path, "ok"), cut_list_uri=f"{tmp_path / 'v3.json'}")
    args = job_arguments(job)
    assert args[args.index("--cut-list") + 1] == job.cut_list_uri
    assert args[:8] == job_arguments(request(tmp_path, "ok", plate_id=job.plate_id))[:8]
    folder = JobDir(tmp_path / "jobs" / job.job_name)
    folder.write_request(job)  # what a restarted launcher starts the job from
    held = folder.read_request()
    assert held is not None and held.request == job
    folder.write_request(replace(job, cut_list_uri=None))
    assert (held := folder.read_request()) is not None and "--cut-list" not in job_arguments(held.request)


def test_log_tail(tmp_path: Path, root: Path) -> None:
    launcher = LocalLauncher(root)
    folder = root / "platecut-0123456789ab-a1"
    folder.mkdir(parents=True)
    (folder / "log").write_text("".join(f"line {i}\n" for i in range(50_000)))
    assert launcher.logs(folder.name, tail_lines=3) == "line 49997\nline 49998\nline 49999\n"
    assert launcher.logs("platecut-ffffffffffff-a1") == ""
    with pytest.raises(LauncherError):
        launcher.logs("../escape")
