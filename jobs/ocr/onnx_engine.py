"""Engine "onnx": PP-OCR models on ONNX Runtime, through the ``rapidocr`` package.

The ``rapidocr`` wheel ships its default models inside the package
(``rapidocr/models/PP-OCRv6_det_small.onnx`` and ``PP-OCRv6_rec_small.onnx``, the
character list stored in the recognition model's metadata). They are passed by
path, so rapidocr never looks for them on its model hosts; the text-direction
classifier is not used (burn-ins are upright). Detection scales a crop's longer
side down to 960 pixels: rapidocr's default (the shorter side up to 736) blows a
1920x80 band up to 17664x736 and takes seconds a frame.

Known limits of the bundled PP-OCRv6 small detector on bands: fields closer than
about three characters may come back as one box ("SH010_0040 01:00:02:13"), and a
low-contrast name may be split at an underscore ("EP01_S023", "C012").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobs.ocr.engine import (
    LoadedEngine,
    OcrInfo,
    OcrSettings,
    OcrUnavailableError,
    TextBox,
    box_from_points,
    one_line,
    package_versions,
    require,
)

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

INSTALL = "'rapidocr==3.10.0' 'onnxruntime==1.32.0' (on a GPU: onnxruntime-gpu instead of onnxruntime)"
BUNDLED_DET = "PP-OCRv6_det_small.onnx"
BUNDLED_REC = "PP-OCRv6_rec_small.onnx"
_CUDA = "CUDAExecutionProvider"
# rapidocr pads a crop wider than PAD_RATIO times its height with black above and below
# before detection, to 2 * width / PAD_RATIO rows (its default ratio, 8, turns a 1920x80
# band into 1920x480): 16 halves the detector's work, reading the same on test bands.
PAD_RATIO = 16
# ONNX Runtime's pool threads spin between operators by default: they burn the CPU that decoding,
# a pod's neighbours or its CPU limit needed. Measured on 2 cores, reading the burn-ins of the
# 316-frame demo plate: 7.2 s not spinning against 8.9 s spinning; two at once, 13.7 s against 17.7 s.
NO_SPINNING = {"session.intra_op.allow_spinning": "0", "session.inter_op.allow_spinning": "0"}


@dataclass(frozen=True)
class OnnxModels:
    det: Path
    rec: Path
    keys: Path | None = None  # a character list beside a recognition model that carries none


class OnnxEngine(LoadedEngine):
    """A loaded rapidocr pipeline: detection, then recognition of each text line."""

    def _boxes(self, bgr: NDArray[np.uint8], width: int, height: int) -> Iterable[TextBox]:
        # every step named each call: rapidocr keeps the last call's choice
        out = self._ocr(bgr, use_det=True, use_cls=False, use_rec=True)
        points, texts, scores = (getattr(out, name, None) for name in ("boxes", "txts", "scores"))
        if points is None or texts is None or scores is None:
            return []
        return (TextBox(str(text), float(score), box_from_points(poly, width, height))
                for poly, text, score in zip(points, texts, scores, strict=True))


def load(settings: OcrSettings) -> OnnxEngine:
    """Load the models and run each once, so that any problem shows now, not on a plate."""
    rapidocr = require("rapidocr", "onnx", INSTALL)
    ort = require("onnxruntime", "onnx", INSTALL)
    _check_device(settings, ort)
    models = find_models(settings, Path(str(rapidocr.__file__)).parent / "models")
    try:
        ocr = rapidocr.RapidOCR(params=rapidocr_params(settings, models))
        _warm_up(ocr)  # rapidocr opens its sessions on their first use
        _stop_spinning(ocr, ort, models)
        _warm_up(ocr)
    except Exception as exc:
        raise OcrUnavailableError(f"OCR engine 'onnx' cannot load {models.det} and {models.rec}: "
                                  f"{one_line(exc)}") from exc
    provider = ocr.text_det.session.session.get_providers()[0]
    if settings.gpu_id is not None and provider != _CUDA:
        raise OcrUnavailableError(f"OCR engine 'onnx' asked for {settings.device} but runs on {provider}: "
                                  "check the CUDA and cuDNN versions onnxruntime-gpu needs")
    info = OcrInfo(engine="onnx", device=settings.device, det_model=str(models.det),
                   det_model_name=models.det.stem, rec_model=str(models.rec), rec_model_name=models.rec.stem,
                   packages=package_versions(["rapidocr", "onnxruntime", "onnxruntime-gpu"]))
    return OnnxEngine(ocr, info)


def find_models(settings: OcrSettings, bundled: Path) -> OnnxModels:
    """The .onnx files the settings name, else those in the rapidocr wheel."""
    if settings.det_model_dir is None:
        det = _bundled(bundled / BUNDLED_DET, "PLATECUT_OCR_DET_DIR")
    else:
        det = _one_onnx(settings.det_model_dir, "detection", "PLATECUT_OCR_DET_DIR")
    if settings.rec_model_dir is None:
        return OnnxModels(det, _bundled(bundled / BUNDLED_REC, "PLATECUT_OCR_REC_DIR"))
    rec = _one_onnx(settings.rec_model_dir, "recognition", "PLATECUT_OCR_REC_DIR")
    keys = next(iter(sorted(rec.parent.glob("*.txt"))), None)
    if keys is None:
        _check_characters(rec)
    return OnnxModels(det, rec, keys)


def rapidocr_params(settings: OcrSettings, models: OnnxModels) -> dict[str, Any]:
    ort_cfg = "EngineConfig.onnxruntime."
    params: dict[str, Any] = {
        "Global.log_level": "error",
        "Global.use_cls": False,
        "Global.text_score": settings.min_score,
        "Global.width_height_ratio": PAD_RATIO,
        "Det.model_path": str(models.det),
        "Det.limit_type": settings.det_limit_type,
        "Det.limit_side_len": settings.det_limit_side_len,
        "Det.unclip_ratio": settings.det_unclip_ratio,
        "Rec.model_path": str(models.rec),
        ort_cfg + "intra_op_num_threads": settings.threads,
        ort_cfg + "use_cuda": settings.gpu_id is not None,
        ort_cfg + "cuda_ep_cfg.device_id": settings.gpu_id or 0,
    }
    if models.keys is not None:
        params["Rec.rec_keys_path"] = str(models.keys)
    return params


def _check_device(settings: OcrSettings, ort: Any) -> None:
    if settings.gpu_id is None:
        return
    providers = ort.get_available_providers()
    if _CUDA not in providers:
        raise OcrUnavailableError(
            f"OCR engine 'onnx' on {settings.device} needs onnxruntime-gpu (this onnxruntime has "
            f"{', '.join(providers)}): pip uninstall onnxruntime && pip install onnxruntime-gpu")


def _bundled(path: Path, variable: str) -> Path:
    if not path.is_file():
        raise OcrUnavailableError(f"the rapidocr package has no {path.name} at {path.parent}: "
                                  f"pip install {INSTALL}, or set {variable} to a model")
    return path


def _one_onnx(path: Path, what: str, variable: str) -> Path:
    """``path`` itself if a .onnx file, else the one .onnx file in the folder ``path``."""
    if path.is_file() and path.suffix == ".onnx":
        return path
    found = sorted(path.glob("*.onnx")) if path.is_dir() else []
    if len(found) != 1:
        state = "does not exist" if not path.exists() else f"holds {len(found)} .onnx files, not 1"
        raise OcrUnavailableError(f"OCR {what} model folder {path} ({variable}) {state}")
    return found[0]


def _check_characters(rec: Path) -> None:
    """Without its character list, rapidocr would download one: refuse instead."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(rec), providers=["CPUExecutionProvider"])
    if "character" not in session.get_modelmeta().custom_metadata_map:
        raise OcrUnavailableError(f"OCR recognition model {rec} has no character list in its "
                                  "metadata: put the model's dictionary (.txt) beside it")


def _stop_spinning(ocr: Any, ort: Any, models: OnnxModels) -> None:
    """Open rapidocr's two sessions again, with its options and providers but threads that sleep
    when idle (rapidocr passes no session configuration through)."""
    for step, model in ((ocr.text_det, models.det), (ocr.text_rec, models.rec)):
        wrapper = step.session
        session = wrapper.session
        options = session.get_session_options()
        for key, value in NO_SPINNING.items():
            options.add_session_config_entry(key, value)
        providers = session.get_providers()
        chosen = session.get_provider_options()  # the CUDA provider's device among them
        wrapper.session = ort.InferenceSession(str(model), sess_options=options, providers=providers,
                                               provider_options=[chosen.get(p, {}) for p in providers])


def _warm_up(ocr: Any) -> None:
    """rapidocr loads each model on first use: load both now (and time nothing later)."""
    import numpy as np

    blank = np.zeros((48, 320, 3), dtype=np.uint8)
    ocr(blank, use_det=True, use_cls=False, use_rec=False)
    ocr(blank, use_det=False, use_cls=False, use_rec=True)
