"""Which plate an interrupted upload of a file belongs to, so the same command resumes it.

A small JSON file (``$XDG_CACHE_HOME/platecut/uploads.json`` or ``PLATECUT_UPLOAD_STATE``)
maps (API, absolute path, size, modification time) to a plate id. A file that changed
since is a new upload.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def default_state_file() -> Path:
    if os.environ.get("PLATECUT_UPLOAD_STATE"):
        return Path(os.environ["PLATECUT_UPLOAD_STATE"])
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "platecut" / "uploads.json"


class ResumeState:
    def __init__(self, file: Path | None = None) -> None:
        self.file = file or default_state_file()

    @staticmethod
    def _key(api: str, path: Path) -> str:
        stat = path.stat()
        return f"{api}|{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self.file.read_text())
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _save(self, data: dict[str, str]) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=self.file.parent, delete=False) as tmp:
            json.dump(data, tmp, indent=1)
        os.replace(tmp.name, self.file)

    def get(self, api: str, path: Path) -> str | None:
        return self._load().get(self._key(api, path))

    def put(self, api: str, path: Path, plate_id: str) -> None:
        data = self._load()
        data[self._key(api, path)] = plate_id
        self._save(data)

    def drop(self, api: str, path: Path) -> None:
        data = self._load()
        if data.pop(self._key(api, path), None) is not None:
            self._save(data)
