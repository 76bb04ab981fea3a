"""The GPU job image's PyPI pins exist, for the image's Python and CUDA, on PyPI itself.

Each pin is resolved as the image's pip would (``pip install --dry-run --no-deps`` for CPython
3.12 on manylinux x86-64, binaries only), against PyPI: the report names the wheel it would
install, read from the wheel's metadata without downloading it. PaddlePaddle's GPU wheels come from
Paddle's own index and Ubuntu's FFmpeg from Ubuntu's archive, which this machine cannot reach.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conftest import ROOT

DOCKERFILE = ROOT / "images" / "job" / "Dockerfile"
PYPI_PINS = {"ONNXRUNTIME_GPU_VERSION": "onnxruntime-gpu", "PADDLEOCR_VERSION": "paddleocr",
             "RAPIDOCR_PADDLE_VERSION": "rapidocr-paddle"}
IMAGE_PYTHON = "3.12"  # Ubuntu 24.04's python3, the GPU image's
PLATFORMS = ("manylinux_2_39_x86_64", "manylinux_2_28_x86_64", "manylinux_2_27_x86_64",
             "manylinux_2_17_x86_64", "manylinux2014_x86_64")
PYPI = "https://pypi.org/simple"


def build_args() -> dict[str, str]:
    text = DOCKERFILE.read_text()
    return dict(re.findall(r"^ARG (\w+)=(\S+)$", text, re.MULTILINE))


def resolve(requirement: str, tmp_path: Path) -> dict[str, Any]:
    """pip's installation report for ``requirement`` alone, resolved against PyPI."""
    report = tmp_path / "report.json"
    platforms = [arg for p in PLATFORMS for arg in ("--platform", p)]
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--dry-run", "--no-deps",
           "--ignore-installed", "--only-binary=:all:", "--python-version", IMAGE_PYTHON,
           *platforms, "--target", str(tmp_path / "target"), "--index-url", PYPI,
           "--report", str(report), requirement]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, f"{requirement} does not resolve on PyPI: {proc.stderr[-800:]}"
    data: dict[str, Any] = json.loads(report.read_text())
    return data


@pytest.mark.parametrize("arg", sorted(PYPI_PINS))
def test_every_pypi_pin_of_the_gpu_image_exists(arg: str, tmp_path: Path) -> None:
    version = build_args()[arg]
    package = PYPI_PINS[arg]
    installs = resolve(f"{package}=={version}", tmp_path)["install"]
    assert [(i["metadata"]["name"].lower(), i["metadata"]["version"]) for i in installs] == \
        [(package, version)]
    assert "files.pythonhosted.org" in installs[0]["download_info"]["url"]  # from PyPI itself


def test_onnxruntime_gpu_is_built_for_the_image_cuda(tmp_path: Path) -> None:
    args = build_args()
    cuda_major = re.match(r"nvidia/cuda:(\d+)\.", args["CUDA_IMAGE"])
    assert cuda_major, args["CUDA_IMAGE"]
    install = resolve(f"onnxruntime-gpu=={args['ONNXRUNTIME_GPU_VERSION']}", tmp_path)["install"][0]
    runtime = [r for r in install["metadata"]["requires_dist"] if "nvidia-cuda-runtime" in r]
    assert runtime and all(f"~={cuda_major.group(1)}." in r for r in runtime), runtime
