"""Where a job reads its plate and writes its outputs, as the job program takes them.

S3 storage: ``s3://<bucket>/<key>``; disk storage: the object's absolute file path (the job and the
API share the machine). Every attempt writes under its own prefix, ``<output_prefix>a<attempt>/``, so
the outputs of a failed attempt are never mistaken for those of a later one.
"""

from __future__ import annotations

from pathlib import Path

from api.config import Settings
from api.plates.models import Plate
from jobs.manifest import MANIFEST_NAME


def object_uri(settings: Settings, key: str) -> str:
    """The URI of object ``key`` (a trailing ``/`` is kept: a prefix stays a prefix)."""
    if settings.storage == "s3":
        return f"s3://{settings.s3.bucket}/{key}"
    path = str(Path(settings.storage_dir()).resolve() / "objects" / key)
    return path + "/" if key.endswith("/") else path


def attempt_prefix(plate: Plate, attempt: int) -> str:
    """The storage key prefix of one attempt's outputs."""
    return f"{plate.output_prefix}a{attempt}/"


def manifest_key(plate: Plate, attempt: int) -> str:
    return attempt_prefix(plate, attempt) + MANIFEST_NAME


def cut_list_key(plate: Plate, version: int) -> str:
    """The cut list a publish of ``version`` reads (``jobs.cut_list``), written by the API."""
    return f"{plate.output_prefix}cut-lists/v{version:04d}.json"


def cut_list_uri(settings: Settings, plate: Plate) -> str | None:
    """The cut list of the version the plate's current attempt publishes; None: it detects."""
    version = plate.publishing_cut_version
    return None if version is None else object_uri(settings, cut_list_key(plate, version))


def source_uri(settings: Settings, plate: Plate) -> str:
    return object_uri(settings, plate.source_key)


def output_uri(settings: Settings, plate: Plate, attempt: int) -> str:
    return object_uri(settings, attempt_prefix(plate, attempt))
