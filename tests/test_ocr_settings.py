"""OCR settings from the environment, the engine-independent helpers, and load-time errors."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from jobs.errors import ExitCode, ToolMissingError
from jobs.ocr import OcrSettings, OcrSettingsError, OcrUnavailableError, TextBox, load_engine
from jobs.ocr.engine import box_from_points, reading_order, to_bgr
from tests.ocr_fixtures import ONNX_PACKAGES, paddle_model_folder, skip_without


def test_defaults_need_nothing_set() -> None:
    settings = OcrSettings.from_env({})
    assert settings == OcrSettings()
    assert (settings.engine, settings.device, settings.gpu_id) == ("onnx", "cpu", None)
    assert settings.det_limit_type == "max"
    assert (settings.det_limit_side_len, settings.det_unclip_ratio) == (960, 2.0)
    assert settings.threads >= 1


def test_from_env_reads_every_variable(tmp_path: Path) -> None:
    env = {
        "PLATECUT_OCR_ENGINE": "paddle", "PLATECUT_OCR_DEVICE": "gpu:1",
        "PLATECUT_OCR_DET_DIR": str(tmp_path / "det"), "PLATECUT_OCR_REC_DIR": str(tmp_path / "rec"),
        "PLATECUT_OCR_DET_NAME": "PP-OCRv5_server_det", "PLATECUT_OCR_REC_NAME": "PP-OCRv5_server_rec",
        "PLATECUT_OCR_DET_LIMIT_TYPE": "min", "PLATECUT_OCR_DET_SIDE": "736",
        "PLATECUT_OCR_DET_UNCLIP": "1.6", "PLATECUT_OCR_MIN_SCORE": "0.7", "PLATECUT_OCR_THREADS": "3",
        "PLATECUT_OCR_REC_BATCH": "ignored: not a setting", "PATH": "/bin",
    }
    s = OcrSettings.from_env(env)
    assert (s.engine, s.device, s.gpu_id) == ("paddle", "gpu:1", 1)
    assert (s.det_model_dir, s.rec_model_dir) == (tmp_path / "det", tmp_path / "rec")
    assert (s.det_model_name, s.rec_model_name) == ("PP-OCRv5_server_det", "PP-OCRv5_server_rec")
    assert (s.det_limit_type, s.det_limit_side_len, s.det_unclip_ratio) == ("min", 736, 1.6)
    assert (s.min_score, s.threads) == (0.7, 3)


def test_from_env_ignores_empty_variables() -> None:
    assert OcrSettings.from_env({"PLATECUT_OCR_ENGINE": "", "PLATECUT_OCR_DET_DIR": " "}) == OcrSettings()


@pytest.mark.parametrize(("variable", "value"), [
    ("PLATECUT_OCR_ENGINE", "tesseract"), ("PLATECUT_OCR_DEVICE", "cuda"),
    ("PLATECUT_OCR_DET_SIDE", "big"), ("PLATECUT_OCR_MIN_SCORE", "2"), ("PLATECUT_OCR_THREADS", "0"),
])
def test_from_env_names_the_bad_variable(variable: str, value: str) -> None:
    with pytest.raises(OcrSettingsError) as caught:
        OcrSettings.from_env({variable: value})
    assert caught.value.message.startswith(f"{variable}={value!r}: ")
    assert caught.value.exit_code == ExitCode.USAGE


def test_split_options_read_no_environment_the_commands_do(monkeypatch: pytest.MonkeyPatch) -> None:
    from jobs.pipeline import SplitOptions
    from jobs.split_options import build_split_options, ocr_settings

    monkeypatch.setenv("PLATECUT_OCR_ENGINE", "paddle")
    monkeypatch.setenv("PLATECUT_OCR_MIN_SCORE", "0.7")
    assert SplitOptions().ocr == OcrSettings()
    assert ocr_settings() == OcrSettings(engine="paddle", min_score=0.7)
    assert ocr_settings("onnx") == OcrSettings(engine="onnx", min_score=0.7)
    built = build_split_options(False, 1001, "prores", "{plate}_{index:03d}", (), False, None, (), None)
    assert built.ocr == OcrSettings(engine="paddle", min_score=0.7)


def test_plain_gpu_is_gpu_0() -> None:
    assert OcrSettings(device="gpu").gpu_id == 0


def test_unavailable_is_a_missing_tool() -> None:
    assert issubclass(OcrUnavailableError, ToolMissingError)
    assert OcrUnavailableError("x").exit_code == ExitCode.ENVIRONMENT


def test_reading_order_is_lines_then_left_to_right() -> None:
    boxes = [TextBox("c", 1, (300, 0, 400, 30)), TextBox("d", 1, (0, 42, 90, 70)),
             TextBox("a", 1, (10, 2, 100, 28)), TextBox("b", 1, (150, 4, 250, 33)),
             TextBox("e", 1, (120, 40, 200, 72))]
    assert [b.text for b in reading_order(boxes)] == ["a", "b", "c", "d", "e"]


def test_box_from_points_is_clipped_to_the_crop() -> None:
    assert box_from_points([[-2.4, 1.6], [641.0, 0.2], [640, 41], [3.5, 39.5]], 640, 40) == (0, 0, 640, 40)
    assert box_from_points(np.array([[10.4, 5.5], [20.6, 5], [20, 30], [10, 30]]), 640, 40) == (10, 5, 21, 30)


def test_to_bgr_swaps_channels_of_a_copy() -> None:
    rgb = np.zeros((2, 3, 3), dtype=np.uint8)
    rgb[..., 0] = 200
    bgr = to_bgr(rgb)
    assert bgr[0, 0].tolist() == [0, 0, 200] and rgb[0, 0].tolist() == [200, 0, 0]
    with pytest.raises(ValueError, match="empty"):
        to_bgr(np.zeros((0, 3, 3), dtype=np.uint8))


@pytest.mark.parametrize(("engine", "module", "package"), [
    ("onnx", "rapidocr", "rapidocr=="), ("paddle", "paddleocr", "paddleocr=="),
])
def test_missing_package_says_what_to_install(engine: str, module: str, package: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # import raises ImportError
    settings = OcrSettings(engine=engine,  # type: ignore[arg-type]
                           det_model_dir=paddle_model_folder(tmp_path / "det", "PP-OCRv4_mobile_det"),
                           rec_model_dir=paddle_model_folder(tmp_path / "rec", "PP-OCRv4_mobile_rec"))
    if engine == "paddle":
        monkeypatch.setitem(sys.modules, "paddle", None)
    with pytest.raises(OcrUnavailableError, match=f"OCR engine '{engine}' needs .* pip install .*{package}"):
        load_engine(settings)


def test_paddle_needs_its_model_folders() -> None:
    with pytest.raises(OcrUnavailableError, match=r"needs PLATECUT_OCR_DET_DIR .*-m jobs\.ocr\.models"):
        load_engine(OcrSettings(engine="paddle"))


def test_paddle_model_folder_without_config(tmp_path: Path) -> None:
    det = paddle_model_folder(tmp_path / "det", "PP-OCRv4_mobile_det")
    (det / "inference.yml").unlink()
    with pytest.raises(OcrUnavailableError, match=r"det \(PLATECUT_OCR_DET_DIR\) lacks inference\.yml"):
        load_engine(OcrSettings(engine="paddle", det_model_dir=det, rec_model_dir=det))


def test_paddle_model_name_must_match_the_folder(tmp_path: Path) -> None:
    skip_without(("yaml",))
    det = paddle_model_folder(tmp_path / "det", "PP-OCRv4_mobile_det")
    rec = paddle_model_folder(tmp_path / "rec", "PP-OCRv4_mobile_rec")
    settings = OcrSettings(engine="paddle", det_model_dir=det, rec_model_dir=rec,
                           rec_model_name="PP-OCRv5_mobile_rec")
    with pytest.raises(OcrUnavailableError, match="holds 'PP-OCRv4_mobile_rec', not 'PP-OCRv5_mobile_rec'"):
        load_engine(settings)


def test_onnx_gpu_needs_the_cuda_provider() -> None:
    skip_without(ONNX_PACKAGES)
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this onnxruntime has CUDA")
    with pytest.raises(OcrUnavailableError, match="gpu:0 needs onnxruntime-gpu"):
        load_engine(OcrSettings(device="gpu:0"))


def test_onnx_model_folder_must_hold_one_model(tmp_path: Path) -> None:
    skip_without(ONNX_PACKAGES)
    with pytest.raises(OcrUnavailableError, match=r"holds 0 \.onnx files, not 1"):
        load_engine(OcrSettings(rec_model_dir=tmp_path))
