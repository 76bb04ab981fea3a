"""Burn-in bands drawn by FFmpeg for the OCR tests, and a guard that refuses the network."""

from __future__ import annotations

import errno
import importlib
import importlib.util
import os
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
ONNX_PACKAGES = ("rapidocr", "onnxruntime")
PADDLE_PACKAGES = ("paddleocr", "paddle", "rapidocr_paddle")


@dataclass(frozen=True)
class Band:
    """A burn-in bar and what it says: shot name, timecode, counter (None: not drawn)."""

    id: str
    width: int
    height: int
    background: str
    color: str
    shot: str | None
    timecode: str | None
    counter: int | None = None
    drop_frame: bool = False  # what the plate's probe would say
    gap: str = "   "

    @property
    def text(self) -> str:
        fields = [self.shot, self.timecode, None if self.counter is None else str(self.counter)]
        return self.gap.join(f for f in fields if f is not None)

    @property
    def fields(self) -> int:
        return sum(f is not None for f in (self.shot, self.timecode, self.counter))


BANDS = (
    Band("640x40-white-on-black", 640, 40, "black", "white", "SH010_0040", "01:00:02:13", 1001),
    Band("960x48-yellow-on-grey", 960, 48, "gray", "yellow", "EP01_S023_C012", "00:59:59;28",
         drop_frame=True, gap="  "),
    Band("1920x80-black-on-white", 1920, 80, "white", "black", "sq010_sh0020", "10:23:45:07", 1187),
    Band("1920x80-grey-on-dark", 1920, 80, "0x181818", "0xd0d0d0", "ABC_0100", "23:59:59:23", 86400),
    Band("1280x56-green-on-black", 1280, 56, "black", "0x40ff40", "SH020_0110", "01:00:00;02", 1042,
         drop_frame=True),
)


def draw_band(width: int, height: int, text: str, background: str = "black", color: str = "white",
              size: int | None = None) -> NDArray[np.uint8]:
    """One ``height`` x ``width`` RGB frame: ``text`` centred on a plain bar, by FFmpeg drawtext."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8") as f:
        f.write(text)  # a text file: no filtergraph escaping of ':' and ';'
        f.flush()
        draw = (f"drawtext=fontfile={FONT}:textfile={f.name}:expansion=none:fontcolor={color}"
                f":fontsize={size or round(height * 0.6)}:x=(w-text_w)/2:y=(h-text_h)/2")
        cmd = ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"color=c={background}:s={width}x{height}",
               "-vf", draw, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
        raw = subprocess.run(cmd, capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3).copy()


def draw(band: Band) -> NDArray[np.uint8]:
    return draw_band(band.width, band.height, band.text, band.background, band.color)


def missing(modules: tuple[str, ...]) -> list[str]:
    return [m for m in modules if importlib.util.find_spec(m) is None]


def skip_without(modules: tuple[str, ...]) -> None:
    """Skip on a developer's partial install; in CI (``make test``) every engine must run."""
    absent = missing(modules)
    if absent and os.environ.get("CI"):
        pytest.fail(f"not installed in CI: {', '.join(absent)} (make test installs them)")
    if absent:
        pytest.skip(f"not installed: {', '.join(absent)}")


_LOCAL_HOSTS = {None, "localhost", "127.0.0.1", "::1", b"localhost"}


@contextmanager
def network_guard() -> Iterator[list[str]]:
    """Refuse (and record) every internet connection and host-name look-up made inside.

    Records too, because libraries often catch the error and carry on quietly.
    Unix-domain sockets are left alone.
    """
    attempts: list[str] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def refuse(what: str) -> OSError:
        attempts.append(what)
        return OSError(errno.ENETUNREACH, f"OCR must not use the network: {what}")

    def connect(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            raise refuse(f"connect {address!r}")
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            raise refuse(f"connect_ex {address!r}")
        return real_connect_ex(sock, address)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        raise refuse(f"create_connection {address!r}")

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in _LOCAL_HOSTS:
            raise refuse(f"getaddrinfo {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", connect)
        mp.setattr(socket.socket, "connect_ex", connect_ex)
        mp.setattr(socket, "create_connection", create_connection)
        mp.setattr(socket, "getaddrinfo", getaddrinfo)
        yield attempts


def paddle_model_folder(root: Path, name: str) -> Path:
    """A folder that passes the model-folder check (weights are empty files)."""
    root.mkdir(parents=True, exist_ok=True)
    for file in ("inference.pdmodel", "inference.pdiparams"):
        (root / file).write_bytes(b"")
    (root / "inference.yml").write_text(f"Global:\n  model_name: {name}\n", encoding="utf-8")
    return root
