"""The images as built by ``make images`` (buildah, from the local Debian base of images/local-base.sh),
run for real: the job image splits a plate from the S3 server and, with no network at all, from a
folder; the API image serves its health checks; both run as uid 10001 and hold no compiler.

``make test`` builds the images first and sets PLATECUT_TEST_IMAGES=required, so a missing image fails
there; a bare ``pytest`` without the images skips these tests, saying how to build them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from jobs.manifest import MANIFEST_NAME, Manifest
from jobs.synth_suite import BURNIN_SUITE, file_name
from tests.conftest import PlateMaker
from tests.support.wait import wait_until

if TYPE_CHECKING:
    from tests.job_fixtures import S3Server

pytest_plugins = ["tests.job_fixtures"]
pytestmark = pytest.mark.slow

API_IMAGE = os.environ.get("PLATECUT_TEST_API_IMAGE", "localhost/platecut-api:local")
JOB_IMAGE = os.environ.get("PLATECUT_TEST_JOB_IMAGE", "localhost/platecut-job:local-cpu")
BUILDAH_ENV = {"STORAGE_DRIVER": "vfs", "BUILDAH_ISOLATION": "chroot"}
UID = "10001"
BURNIN_PLATE = "bi_basic"  # three shots with burned-in names and timecodes
BURNIN_NAMES = ["SH010_0010", "SH010_0020", "EP01_S023_C012"]
COMPILERS = ("gcc", "cc", "c++", "g++", "clang", "make", "ld")
JOB_TIMEOUT = 300


def buildah(*args: str, timeout: float = JOB_TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["buildah", *args], capture_output=True, text=True, timeout=timeout, check=False,
                          env={**os.environ, **BUILDAH_ENV})


def image_present(image: str) -> bool:
    if shutil.which("buildah") is None:
        return False
    return buildah("inspect", "--type", "image", image).returncode == 0


@pytest.fixture(scope="module", autouse=True)
def images_built() -> None:
    missing = [image for image in (API_IMAGE, JOB_IMAGE) if not image_present(image)]
    if missing and os.environ.get("PLATECUT_TEST_IMAGES") == "required":
        pytest.fail(f"{', '.join(missing)} not built: make images")
    if missing:
        pytest.skip(f"{', '.join(missing)} not built (make images builds them)")


class Container:
    """A working container of an image; ``run`` runs a command in it as the image's user."""

    def __init__(self, image: str) -> None:
        self.name = f"platecut-test-{uuid.uuid4().hex[:12]}"
        made = buildah("from", "--quiet", "--name", self.name, image)
        assert made.returncode == 0, made.stderr

    def argv(self, command: list[str], env: dict[str, str] | None = None,
             volumes: dict[Path, str] | None = None, user: str | None = None) -> list[str]:
        args = ["buildah", "run"]
        for key, value in (env or {}).items():
            args += ["--env", f"{key}={value}"]
        for host, inside in (volumes or {}).items():
            args += ["--volume", f"{host}:{inside}"]
        if user:
            args += ["--user", user]
        return [*args, self.name, "--", *command]

    def run(self, command: list[str], **options: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.argv(command, **options),  # type: ignore[arg-type]
                              capture_output=True, text=True, timeout=JOB_TIMEOUT, check=False,
                              env={**os.environ, **BUILDAH_ENV})

    def remove(self) -> None:
        buildah("rm", self.name)


@contextlib.contextmanager
def container(image: str) -> Iterator[Container]:
    made = Container(image)
    try:
        yield made
    finally:
        made.remove()


@pytest.mark.parametrize("image", [API_IMAGE, JOB_IMAGE])
def test_images_run_as_uid_10001_and_hold_no_compiler(image: str) -> None:
    configured = buildah("inspect", "--type", "image", "--format", "{{.OCIv1.Config.User}}", image)
    assert configured.stdout.strip() == f"{UID}:{UID}"
    with container(image) as box:
        who = box.run(["id", "-u"])
        assert who.stdout.strip() == UID, who.stderr
        found = box.run(["sh", "-c", f"for c in {' '.join(COMPILERS)}; do command -v $c; done; true"])
        assert found.stdout.strip() == "", f"compilers in {image}: {found.stdout}"
        leftovers = box.run(["sh", "-c", "ls -d /root/.cache/pip /src/tests /etc/pip.conf "
                                         "/var/cache/apt/archives/*.deb 2>/dev/null; true"], user="0")
        assert leftovers.stdout.strip() == "", f"left in {image}: {leftovers.stdout}"


@pytest.fixture
def burnin_plate(plates: PlateMaker) -> Path:
    spec = BURNIN_SUITE[BURNIN_PLATE]
    path, _ = plates(file_name(BURNIN_PLATE, spec), spec)
    return path


def test_the_job_image_splits_a_plate_from_s3_reading_its_burn_ins(burnin_plate: Path, s3_server: S3Server,
                                                                  bucket: str) -> None:
    client = s3_server.client()
    client.upload_file(str(burnin_plate), bucket, f"plates/{burnin_plate.name}")
    env = {key: value for key, value in s3_server.env().items() if key.startswith(("AWS_", "PLATECUT_S3_"))}
    prefix = "outputs/p-1/attempt-1"
    with container(JOB_IMAGE) as box:
        done = box.run(["platecut", "job", "run", "--plate-id", "p-1",
                        "--source", f"s3://{bucket}/plates/{burnin_plate.name}",
                        "--output", f"s3://{bucket}/{prefix}"], env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    body = client.get_object(Bucket=bucket, Key=f"{prefix}/{MANIFEST_NAME}")["Body"].read()
    manifest = Manifest.from_json(body)
    assert [cut.name for cut in manifest.cuts] == BURNIN_NAMES
    assert [cut.first_frame for cut in manifest.cuts] == [0, 30, 60]
    assert manifest.burnin is not None and manifest.burnin.engine["engine"] == "onnx"
    for cut in manifest.cuts:
        assert cut.media is not None
        client.head_object(Bucket=bucket, Key=f"{prefix}/{cut.media.path}")


def test_the_job_image_works_with_no_network(burnin_plate: Path, tmp_path: Path) -> None:
    """In a network namespace of its own (no interface but a downed loopback): the OCR models are in
    the image, nothing is fetched."""
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is needed to take the network away")
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(burnin_plate, work / burnin_plate.name)
    work.chmod(0o777)
    with container(JOB_IMAGE) as box:
        argv = box.argv(["platecut", "job", "run", "--plate-id", "p-1",
                         "--source", f"/work/{burnin_plate.name}", "--output", "/work/out"],
                        volumes={work: "/work"})
        done = subprocess.run(["unshare", "--net", *argv], capture_output=True, text=True,
                              timeout=JOB_TIMEOUT, check=False, env={**os.environ, **BUILDAH_ENV})
    assert done.returncode == 0, done.stderr[-3000:]
    manifest = Manifest.from_json((work / "out" / MANIFEST_NAME).read_bytes())
    assert [cut.name for cut in manifest.cuts] == BURNIN_NAMES


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_api_image_serves_its_health_checks() -> None:
    port = free_port()
    with container(API_IMAGE) as box:
        argv = box.argv(["platecut", "serve", "--host", "127.0.0.1", "--port", str(port), "--migrate"],
                        env={"PLATECUT_DATA_DIR": "/tmp/platecut-data"})
        server = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  env={**os.environ, **BUILDAH_ENV}, start_new_session=True)
        try:
            def answers() -> bool:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                with contextlib.suppress(httpx.HTTPError):
                    return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
                return False

            wait_until(answers, timeout=60, what="the API image's server to answer")
            ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
            assert ready.status_code == 200, ready.text
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, 15)
            server.wait(timeout=30)
