"""Publishing a cut version and detecting a plate again: the corrections, plates and runs services
composed in the request's unit of work.

Both start a new attempt of the plate (``uploaded`` again, attempt + 1, then launched): a publish
attempt reads the version's cut list, written to storage here before the commit (an immutable
object per version, so writing it twice is harmless); a detection attempt takes the plate's detector
options. The job is submitted after the commit, as every launch is.
"""

from __future__ import annotations

import uuid

from pydantic import ValidationError

from api.auth.principal import Principal
from api.config import Settings
from api.corrections import service
from api.corrections.models import CutVersion
from api.corrections.schemas import RedetectIn
from api.corrections.state import cut_list_json
from api.db.unit_of_work import UnitOfWork
from api.errors import Conflict, Unprocessable
from api.integrations.launcher import Launcher
from api.integrations.storage import Storage
from api.plates import service as plates
from api.plates.models import Plate
from api.runs import service as runs
from api.runs import uris
from jobs.manifest import DetectorSettings


def publish(uow: UnitOfWork, storage: Storage, launcher: Launcher, settings: Settings,
            principal: Principal, plate_id: uuid.UUID, number: int) -> tuple[Plate, CutVersion]:
    """A job writes version ``number``'s outputs; the cut routes serve them once it succeeded."""
    _check_launcher(settings)
    plate, version = service.start_publish(uow.session, principal, plate_id, number)
    plates.prepare_rerun(storage, plate)
    storage.put_bytes(uris.cut_list_key(plate, number), cut_list_json(version), "application/json")
    runs.launch(uow, launcher, settings, plate)
    return plate, version


def redetect(uow: UnitOfWork, storage: Storage, launcher: Launcher, settings: Settings,
             principal: Principal, plate_id: uuid.UUID, body: RedetectIn) -> Plate:
    """Detect the plate's cuts again with these settings (kept for its later detections); the
    result is saved as a new cut version once the job succeeded."""
    _check_launcher(settings)
    args = detector_args(body)
    plate = service.start_redetect(uow.session, principal, plate_id)
    plates.prepare_rerun(storage, plate)
    plate.detector_args = args
    runs.launch(uow, launcher, settings, plate)
    return plate


def detector_args(body: RedetectIn) -> list[str]:
    """The job's options for ``body`` (422 for a detector setting it does not know or take)."""
    try:
        detector = DetectorSettings(**body.detector)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise Unprocessable(f"Detector setting {where}: {first['msg']}.",
                            code="invalid_detector_setting") from exc
    args = [arg for name in sorted(body.detector)
            for arg in ("--set", f"{name}={getattr(detector, name)}")]
    for x, y, w, h in body.burnin_regions:
        if w <= 0 or h <= 0 or x + w > 1 or y + h > 1:
            raise Unprocessable(f"Burn-in region {x},{y},{w},{h} is not inside the picture.",
                                code="invalid_burnin_region")
        args += ["--burnin-region", f"{x:.4f},{y:.4f},{w:.4f},{h:.4f}"]
    return args if body.ocr else [*args, "--no-ocr"]


def _check_launcher(settings: Settings) -> None:
    if settings.launcher == "none":
        raise Conflict("This site runs no jobs (PLATECUT_LAUNCHER=none).", code="no_launcher")
