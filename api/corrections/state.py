"""A cut version's row to the pure :class:`~api.corrections.edits.CutState` and back, and a
manifest's cuts as a cut state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from api.corrections.edits import CutState, Edit, ListedCut
from api.corrections.models import CutVersion
from jobs.cut_list import CutList
from jobs.manifest import Manifest


def state_of(version: CutVersion) -> CutState:
    cuts = tuple(ListedCut(int(c["first_frame"]), str(c["name"]), str(c["detected_by"]))
                 for c in version.cuts)
    return CutState(cuts, version.frame_count, frozenset(int(f) for f in version.dismissed))


def state_of_manifest(manifest: Manifest) -> CutState:
    cuts = tuple(ListedCut(cut.first_frame, cut.name, cut.detected_by) for cut in manifest.cuts)
    return CutState(cuts, manifest.plate.frame_count)


def suspicious_of(manifest: Manifest) -> list[dict[str, Any]]:
    found = manifest.burnin.suspicious if manifest.burnin else []
    return [{"frame": s.frame, "reason": s.reason} for s in found]


def suspicious_frames(version: CutVersion) -> frozenset[int]:
    return frozenset(int(s["frame"]) for s in version.suspicious)


def cuts_json(state: CutState) -> list[dict[str, Any]]:
    return [{"first_frame": c.first_frame, "name": c.name, "detected_by": c.detected_by}
            for c in state.cuts]


def dismissed_json(state: CutState) -> list[int]:
    return sorted(state.dismissed)


def edits_json(edits: Sequence[Edit]) -> list[dict[str, Any]]:
    return [{key: value for key, value in vars(edit).items()} for edit in edits]


def cut_list_json(version: CutVersion) -> bytes:
    """The cut list a publish job reads (``jobs.cut_list``)."""
    cut_list = CutList.model_validate({"version": version.number, "cuts": version.cuts})
    return cut_list.model_dump_json().encode()
