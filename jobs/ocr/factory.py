"""Loading the OCR engine a run's settings name, at start-up.

The engine modules, and through them their packages (``rapidocr``/``onnxruntime`` or
``paddleocr``/``paddlepaddle``), are imported only here and only when an engine is
loaded, so the interface (:mod:`jobs.ocr.engine`) needs nothing but pydantic.
"""

from __future__ import annotations

from jobs.ocr.engine import OcrEngine, OcrSettings


def load_engine(settings: OcrSettings | None = None) -> OcrEngine:
    """Import and load the engine ``settings`` name, models and all, ready to read
    (``None``: the settings of the ``PLATECUT_OCR_*`` environment).

    Raises :class:`~jobs.ocr.engine.OcrUnavailableError` when its package, device or
    models are missing.
    """
    settings = settings or OcrSettings.from_env()
    if settings.engine == "paddle":
        from jobs.ocr.paddle_engine import load as load_paddle

        return load_paddle(settings)
    from jobs.ocr.onnx_engine import load as load_onnx

    return load_onnx(settings)
