"""Reading burned-in text (shot names, timecodes, frame counters) from crops of frames.

``load_engine(OcrSettings.from_env())`` gives an :class:`OcrEngine`; the engines
themselves (ONNX Runtime through ``rapidocr``, Paddle Inference through
``paddleocr``) are imported only when loaded, so importing this package needs
nothing but pydantic.
"""

from __future__ import annotations

from jobs.ocr.cleanup import DEFAULT_SHOT_PATTERN, clean_counter, clean_shot_name, clean_timecode
from jobs.ocr.engine import (
    OcrEngine,
    OcrInfo,
    OcrSettings,
    OcrSettingsError,
    OcrUnavailableError,
    TextBox,
)
from jobs.ocr.factory import load_engine

__all__ = [
    "DEFAULT_SHOT_PATTERN",
    "OcrEngine",
    "OcrInfo",
    "OcrSettings",
    "OcrSettingsError",
    "OcrUnavailableError",
    "TextBox",
    "clean_counter",
    "clean_shot_name",
    "clean_timecode",
    "load_engine",
]
