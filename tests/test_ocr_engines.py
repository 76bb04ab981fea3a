"""Both OCR engines, one suite: burn-in bands drawn by FFmpeg must read back exactly.

Each engine is loaded once per session, with the network refused while it loads;
every test in this module runs with the network refused too.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from jobs.errors import ExitCode
from jobs.ocr import (
    OcrEngine,
    OcrSettings,
    OcrUnavailableError,
    clean_counter,
    clean_shot_name,
    clean_timecode,
    load_engine,
)
from tests.ocr_fixtures import (
    BANDS,
    ONNX_PACKAGES,
    PADDLE_PACKAGES,
    Band,
    draw,
    draw_band,
    network_guard,
    skip_without,
)

ENGINES = ("onnx", "paddle")


@dataclass
class Loaded:
    engine: OcrEngine
    settings: OcrSettings
    network_attempts: list[str] = field(default_factory=list)
    load_seconds: float = 0.0


@pytest.fixture(scope="session")
def paddle_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    skip_without(PADDLE_PACKAGES)
    from jobs.ocr.models import assemble_paddle_models

    return assemble_paddle_models(tmp_path_factory.mktemp("paddle-models"))


def _settings(name: str, request: pytest.FixtureRequest) -> OcrSettings:
    if name == "onnx":
        skip_without(ONNX_PACKAGES)
        return OcrSettings(engine="onnx")
    det, rec = request.getfixturevalue("paddle_models")
    return OcrSettings(engine="paddle", det_model_dir=det, rec_model_dir=rec)


@pytest.fixture(scope="session", params=ENGINES)
def loaded(request: pytest.FixtureRequest) -> Loaded:
    settings = _settings(request.param, request)
    with network_guard() as attempts:
        start = time.perf_counter()
        engine = load_engine(settings)
    return Loaded(engine, settings, list(attempts), time.perf_counter() - start)


@pytest.fixture(scope="session")
def images() -> dict[str, NDArray[np.uint8]]:
    return {band.id: draw(band) for band in BANDS}


@pytest.fixture(autouse=True)
def _offline() -> Iterator[None]:
    with network_guard() as attempts:
        yield
    assert attempts == [], f"network used: {attempts}"


@pytest.mark.parametrize("band", BANDS, ids=[b.id for b in BANDS])
def test_reads_burn_ins_exactly(loaded: Loaded, images: dict[str, NDArray[np.uint8]], band: Band) -> None:
    boxes = loaded.engine.read(images[band.id])
    texts = [b.text for b in boxes]
    assert len(boxes) == band.fields, texts
    assert clean_shot_name(texts[0]) == band.shot, texts
    assert clean_timecode(texts[1], drop_frame=band.drop_frame) == band.timecode, texts
    if band.counter is not None:
        assert clean_counter(texts[2]) == band.counter, texts


@pytest.mark.parametrize("band", BANDS[:3], ids=[b.id for b in BANDS[:3]])
def test_boxes_lie_in_the_crop_left_to_right(loaded: Loaded, images: dict[str, NDArray[np.uint8]],
                                             band: Band) -> None:
    boxes = loaded.engine.read(images[band.id])
    for b in boxes:
        x0, y0, x1, y1 = b.box
        assert 0 <= x0 < x1 <= band.width and 0 <= y0 < y1 <= band.height, b
        assert 0.5 <= b.confidence <= 1.0, b
    assert [b.box[0] for b in boxes] == sorted(b.box[0] for b in boxes)


def test_two_lines_read_top_to_bottom(loaded: Loaded) -> None:
    top = draw_band(640, 40, "SH030_0010", "black", "white")
    bottom = draw_band(640, 40, "01:00:10:00", "black", "white")
    texts = [b.text for b in loaded.engine.read(np.concatenate([top, bottom]))]
    assert texts == ["SH030_0010", "01:00:10:00"]


def test_blank_band_reads_nothing(loaded: Loaded) -> None:
    assert loaded.engine.read(np.zeros((80, 1920, 3), dtype=np.uint8)) == []


def test_load_and_read_make_no_network_connection(loaded: Loaded,
                                                  images: dict[str, NDArray[np.uint8]]) -> None:
    assert loaded.network_attempts == []
    with network_guard() as attempts:
        assert loaded.engine.read(images[BANDS[0].id])
        with pytest.raises(OSError, match="must not use the network"):
            socket.create_connection(("127.0.0.1", 9), timeout=1)
    assert attempts == ["create_connection ('127.0.0.1', 9)"]  # the guard's own check, only


def test_info_names_engine_models_and_packages(loaded: Loaded) -> None:
    info = loaded.engine.info()
    assert info.engine == loaded.settings.engine and info.device == "cpu"
    assert info.det_model_name and info.rec_model_name and Path(info.det_model).exists()
    expected = {"onnx": {"rapidocr", "onnxruntime"}, "paddle": {"paddleocr", "paddlex", "paddlepaddle"}}
    assert expected[info.engine] <= set(info.packages)
    assert type(info).model_validate_json(info.model_dump_json()) == info


def test_rejects_what_is_not_an_rgb_uint8_image(loaded: Loaded) -> None:
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        loaded.engine.read(np.zeros((40, 640), dtype=np.uint8))
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        loaded.engine.read(np.zeros((40, 640, 3), dtype=np.float32))


@pytest.mark.parametrize("engine", ENGINES)
def test_missing_model_folder_stops_at_load(engine: str, tmp_path: Path) -> None:
    if engine == "onnx":
        skip_without(ONNX_PACKAGES)
    settings = OcrSettings(engine=engine, det_model_dir=tmp_path / "nowhere",  # type: ignore[arg-type]
                           rec_model_dir=tmp_path)
    with pytest.raises(OcrUnavailableError) as caught:
        load_engine(settings)
    assert caught.value.exit_code == ExitCode.ENVIRONMENT
    assert f"{tmp_path / 'nowhere'} (PLATECUT_OCR_DET_DIR) does not exist" in caught.value.message
    assert "\n" not in caught.value.message


def test_onnx_unreadable_model_stops_at_load(tmp_path: Path) -> None:
    skip_without(ONNX_PACKAGES)
    (tmp_path / "det.onnx").write_bytes(b"not a model")
    with pytest.raises(OcrUnavailableError, match=r"OCR engine 'onnx' cannot load .*det\.onnx"):
        load_engine(OcrSettings(det_model_dir=tmp_path))


def test_onnx_threads_sleep_when_idle(loaded: Loaded) -> None:
    """Spinning pool threads took the CPU that decoding needed (jobs/ocr/onnx_engine.py)."""
    if loaded.settings.engine != "onnx":
        pytest.skip("ONNX Runtime's sessions only")
    ocr = loaded.engine._ocr  # type: ignore[attr-defined]
    for step in (ocr.text_det, ocr.text_rec):
        options = step.session.session.get_session_options()
        assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
        assert options.get_session_config_entry("session.inter_op.allow_spinning") == "0"
