"""The pipeline's scripts (.gitlab/ci/): promotion checked on a real Git history, and every bad input
refused with exit 2 and one line before anything is built, pushed or deployed."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.deploy.conftest import ROOT

SCRIPTS = ROOT / ".gitlab" / "ci"
API = "sha256:" + "a1" * 32
JOB = "sha256:" + "b2" * 32


def run(script: str, cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ["PATH"], "HOME": str(cwd)}
    return subprocess.run(["sh", str(SCRIPTS / script), *args], cwd=cwd, env={**base, **env},
                          capture_output=True, text=True, timeout=60, check=False)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True,
                          env={**os.environ, "GIT_AUTHOR_NAME": "ci", "GIT_AUTHOR_EMAIL": "ci@studio.example",
                               "GIT_COMMITTER_NAME": "ci", "GIT_COMMITTER_EMAIL": "ci@studio.example"})
    return done.stdout.strip()


def commit(repo: Path, path: str, text: str) -> str:
    (repo / path).parent.mkdir(parents=True, exist_ok=True)
    (repo / path).write_text(text)
    git(repo, "add", path)
    git(repo, "commit", "-q", "-m", f"change {path}")
    return git(repo, "rev-parse", "--short", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    commit(tmp_path, "api/app.py", "v1\n")
    commit(tmp_path, "images/job/Dockerfile", "FROM x\n")
    return tmp_path


def staging_values(folder: Path, tag: str, api: str = API, job: str = JOB) -> Path:
    path = folder / "staging-values.json"
    path.write_text(json.dumps({"image": {"repository": "r/api", "tag": tag, "digest": api},
                                "jobs": {"image": {"repository": "r/job", "tag": tag, "digest": job}}}))
    return path


@pytest.mark.parametrize("script", sorted(str(p.relative_to(ROOT)) for p in
                                           [*SCRIPTS.glob("*.sh"), *(ROOT / "images").glob("*.sh")]))
def test_every_script_is_posix_shell_and_executable(script: str) -> None:
    path = ROOT / script
    assert os.access(path, os.X_OK), f"{script} is not executable"
    assert path.read_text().startswith("#!/bin/sh\n")
    syntax = subprocess.run(["dash", "-n", str(path)], capture_output=True, text=True, check=False)
    assert syntax.returncode == 0, syntax.stderr


def test_main_promotes_what_staging_runs_when_only_docs_changed_since(repo: Path) -> None:
    staged = git(repo, "rev-parse", "--short", "HEAD")
    commit(repo, "docs/DEPLOY.md", "how\n")  # main adds documentation only
    done = run("promote.sh", repo, {}, str(staging_values(repo, staged)))
    assert done.returncode == 0, done.stderr
    expected = f"API_DIGEST={API}\nJOB_GPU_DIGEST={JOB}\nIMAGE_TAG={staged}\n"
    assert (repo / "promoted.env").read_text() == expected


def test_main_with_a_change_staging_never_ran_is_not_promoted(repo: Path) -> None:
    staged = git(repo, "rev-parse", "--short", "HEAD")
    commit(repo, "jobs/detect.py", "faster\n")
    done = run("promote.sh", repo, {}, str(staging_values(repo, staged)))
    assert done.returncode == 2
    assert f"since staging's {staged}" in done.stderr and "jobs/detect.py" in done.stderr
    assert not (repo / "promoted.env").exists()


@pytest.mark.parametrize(("tag", "api", "message"), [
    ("0000000", API, "which this repository does not hold"),
    ("HEAD", "", "not pinned by digest"),
    ("HEAD", "latest", "not pinned by digest"),
])
def test_staging_that_cannot_be_promoted_is_refused(repo: Path, tag: str, api: str, message: str) -> None:
    done = run("promote.sh", repo, {}, str(staging_values(repo, tag, api=api)))
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not (repo / "promoted.env").exists()


def test_values_that_are_not_json_are_refused(repo: Path) -> None:
    (repo / "values.json").write_text("image: {tag: x}\n")
    done = run("promote.sh", repo, {}, str(repo / "values.json"))
    assert done.returncode == 2 and "is not the JSON of a release's values" in done.stderr


DEPLOY_ENV = {"RELEASE": "platecut", "CHART": "charts/platecut", "NAMESPACE": "platecut-dev",
              "VALUES_FILES": "", "API_IMAGE": "r/api", "JOB_IMAGE": "r/job",
              "CI_COMMIT_SHORT_SHA": "abc1234",
              "CI_PIPELINE_URL": "https://gitlab.studio.example/p/1"}


@pytest.mark.parametrize(("env", "message"), [
    ({"JOB_FLAVOUR": "arm", "API_DIGEST": API, "JOB_CPU_DIGEST": JOB}, "JOB_FLAVOUR must be cpu or gpu"),
    ({"JOB_FLAVOUR": "cpu", "JOB_CPU_DIGEST": JOB}, "the API image's digest must be"),
    ({"JOB_FLAVOUR": "gpu", "API_DIGEST": API, "JOB_CPU_DIGEST": JOB}, "the job image's digest must be"),
    ({"JOB_FLAVOUR": "cpu", "ACTION": "deploy", "API_DIGEST": API, "JOB_CPU_DIGEST": JOB,
      "DEPLOY_API_DIGEST": "sha256:123"}, "the API image's digest must be"),
])
def test_deploy_refuses_images_not_pinned_by_digest(tmp_path: Path, env: dict[str, str],
                                                    message: str) -> None:
    done = run("deploy.sh", tmp_path, {**DEPLOY_ENV, **env})
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not (tmp_path / "deployed.env").exists()


def test_rollback_refuses_a_revision_that_is_not_a_number(tmp_path: Path) -> None:
    done = run("rollback.sh", tmp_path, {"RELEASE": "platecut", "NAMESPACE": "platecut", "REVISION": "v7"})
    assert done.returncode == 2 and "REVISION must be a revision number" in done.stderr


def test_build_refuses_a_push_that_is_neither_true_nor_false(tmp_path: Path) -> None:
    done = run("build-image.sh", tmp_path, {"DOCKERFILE": "images/api/Dockerfile", "IMAGE": "r/api",
                                            "TAG": "abc1234", "DIGEST_NAME": "API_DIGEST", "PUSH": "yes"})
    assert done.returncode == 2 and "PUSH must be true or false" in done.stderr
