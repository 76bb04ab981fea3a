"""The OCR engine interface: its settings, what it reads, and what every engine shares.

Only pydantic and the standard library are imported here, and no engine:
:func:`jobs.ocr.factory.load_engine` imports an engine's own packages
(``rapidocr``/``onnxruntime`` or ``paddleocr``/``paddlepaddle``) and checks its model
files, so that a missing package or model folder stops a job before its first plate
with one clear line. Model weights are never downloaded: they come from a wheel or a
folder made at set-up.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jobs.errors import ExitCode, PlatecutError, ToolMissingError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

EngineName = Literal["onnx", "paddle"]
ENV_PREFIX = "PLATECUT_OCR_"


class OcrUnavailableError(ToolMissingError):
    """An OCR engine's package, device or model files are missing (exit code ENVIRONMENT)."""


class OcrSettingsError(PlatecutError):
    """An OCR setting (e.g. a ``PLATECUT_OCR_*`` variable) has a value that cannot work."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class TextBox:
    """One line of text read from a crop; ``box`` is x0, y0, x1, y1 in crop pixels."""

    text: str
    confidence: float
    box: tuple[int, int, int, int]


class OcrInfo(BaseModel):
    """Which engine and models read the burn-ins: recorded in the manifest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    engine: EngineName
    device: str
    det_model: str = Field(description="Detection model file or folder")
    det_model_name: str
    rec_model: str = Field(description="Recognition model file or folder")
    rec_model_name: str
    packages: dict[str, str] = Field(description="Versions of the Python packages the engine runs on")


class OcrEngine(Protocol):
    def read(self, image: NDArray[np.uint8]) -> list[TextBox]:
        """Text lines of an RGB ``HxWx3`` uint8 crop, in reading order."""
        ...

    def info(self) -> OcrInfo: ...


# PLATECUT_OCR_<key> -> OcrSettings field
_ENV_FIELDS = {
    "ENGINE": "engine",
    "DEVICE": "device",
    "DET_DIR": "det_model_dir",
    "REC_DIR": "rec_model_dir",
    "DET_NAME": "det_model_name",
    "REC_NAME": "rec_model_name",
    "DET_LIMIT_TYPE": "det_limit_type",
    "DET_SIDE": "det_limit_side_len",
    "DET_UNCLIP": "det_unclip_ratio",
    "MIN_SCORE": "min_score",
    "THREADS": "cpu_threads",
}


class OcrSettings(BaseModel):
    """Which engine reads burn-ins, on which device, with which models and detector limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    engine: EngineName = "onnx"
    device: str = Field("cpu", pattern=r"^(cpu|gpu(:\d+)?)$", description="cpu, gpu or gpu:N")
    det_model_dir: Path | None = Field(None, description="onnx: a .onnx file or its folder "
                                       "(default: the model in the rapidocr wheel); paddle: required")
    rec_model_dir: Path | None = None
    det_model_name: str = Field("PP-OCRv4_mobile_det", description="paddle: the name in inference.yml")
    rec_model_name: str = "PP-OCRv4_mobile_rec"
    det_limit_type: Literal["max", "min"] = Field(
        "max", description="max: scale the crop's longer side down to det_limit_side_len "
        "(min would blow thin bands up)")
    det_limit_side_len: int = Field(960, ge=32, le=4096)
    det_unclip_ratio: float = Field(2.0, gt=0, le=10)
    min_score: float = Field(0.5, ge=0, le=1, description="Least recognition confidence kept")
    cpu_threads: int | None = Field(None, ge=1, description="Default: the CPUs this process may use")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> OcrSettings:
        """Settings from ``PLATECUT_OCR_ENGINE``, ``_DEVICE``, ``_DET_DIR``, ``_REC_DIR``, ``_DET_NAME``,
        ``_REC_NAME``, ``_DET_LIMIT_TYPE``, ``_DET_SIDE``, ``_DET_UNCLIP``, ``_MIN_SCORE``, ``_THREADS``;
        unset or empty: the default."""
        env = os.environ if environ is None else environ
        values = {field: env[ENV_PREFIX + key] for key, field in _ENV_FIELDS.items()
                  if env.get(ENV_PREFIX + key, "").strip()}
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise OcrSettingsError(_env_error(exc)) from exc

    @property
    def gpu_id(self) -> int | None:
        """The GPU number for ``gpu``/``gpu:N``, None on the CPU."""
        if self.device == "cpu":
            return None
        return int(self.device.partition(":")[2] or 0)

    @property
    def threads(self) -> int:
        return self.cpu_threads or len(os.sched_getaffinity(0)) or 1


def _env_error(exc: ValidationError) -> str:
    names = {field: ENV_PREFIX + key for key, field in _ENV_FIELDS.items()}
    err = exc.errors()[0]
    field = str(err["loc"][0]) if err["loc"] else ""
    return f"{names.get(field, field)}={err.get('input')!r}: {err['msg']}"


def require(module: str, engine: EngineName, install: str) -> ModuleType:
    """Import ``module`` or say in one line which engine needs it and how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise OcrUnavailableError(
            f"OCR engine {engine!r} needs the Python module {module!r}, which cannot be imported "
            f"({exc}): pip install {install}") from exc


def one_line(exc: BaseException) -> str:
    """The gist of a library's error: its last non-empty line (tracebacks end with it)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def package_versions(names: Iterable[str]) -> dict[str, str]:
    """Installed versions of those of ``names`` that are installed."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def to_bgr(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The engines' channel order (OpenCV's) of an RGB crop, checking its shape and type."""
    if image.dtype.name != "uint8" or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"OCR needs an HxWx3 uint8 RGB image, got {image.dtype} {image.shape}")
    if min(image.shape[:2]) < 1:
        raise ValueError(f"OCR got an empty image {image.shape}")
    return image[:, :, ::-1].copy()


def box_from_points(points: Sequence[Sequence[float]] | Any, width: int, height: int
                    ) -> tuple[int, int, int, int]:
    """The x0, y0, x1, y1 rectangle around a polygon, inside a ``width`` x ``height`` crop."""
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    return (max(0, round(min(xs))), max(0, round(min(ys))),
            min(width, round(max(xs))), min(height, round(max(ys))))


class LoadedEngine:
    """What every engine shares: a loaded pipeline, its info, and reading in order."""

    def __init__(self, ocr: Any, info: OcrInfo) -> None:
        self._ocr = ocr
        self._info = info

    def read(self, image: NDArray[np.uint8]) -> list[TextBox]:
        bgr = to_bgr(image)
        height, width = bgr.shape[:2]
        return reading_order(self._boxes(bgr, width, height))

    def info(self) -> OcrInfo:
        return self._info

    def _boxes(self, bgr: NDArray[np.uint8], width: int, height: int) -> Iterable[TextBox]:
        raise NotImplementedError


def reading_order(boxes: Iterable[TextBox]) -> list[TextBox]:
    """Lines top to bottom, each left to right: a box whose vertical centre lies within
    the first box of the current line belongs to that line."""
    lines: list[list[TextBox]] = []
    for tb in sorted(boxes, key=lambda b: (b.box[1] + b.box[3], b.box[0])):
        centre = (tb.box[1] + tb.box[3]) / 2
        if lines and lines[-1][0].box[1] <= centre <= lines[-1][0].box[3]:
            lines[-1].append(tb)
        else:
            lines.append([tb])
    return [tb for line in lines for tb in sorted(line, key=lambda b: b.box[0])]
