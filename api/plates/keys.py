"""Object keys: always made by the server from ids, never taken from a client."""

from __future__ import annotations

from api.plates.models import Plate
from api.validation import key_safe


def plate_prefix(site: str, project: str, plate_id: str) -> str:
    return f"sites/{site}/projects/{project}/plates/{plate_id}/"


def source_key(prefix: str, name: str) -> str:
    return f"{prefix}source/{key_safe(name)}"


def output_prefix(prefix: str) -> str:
    return f"{prefix}output/"


def prefix_of(plate: Plate) -> str:
    return plate_prefix(plate.site.name, plate.project.name, str(plate.id))


def output_key(plate: Plate, relative_path: str, prefix: str | None = None) -> str:
    """The key of a job output given by its path relative to the output folder (``prefix``, default
    the plate's output prefix; a run's outputs are under its attempt's own prefix)."""
    parts = relative_path.split("/")
    if relative_path.startswith("/") or "\\" in relative_path or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"not a safe relative output path: {relative_path!r}")
    return (plate.output_prefix if prefix is None else prefix) + relative_path
