"""The package boundaries the design fixes: the manifest is light, jobs never imports api."""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from jobs.manifest import (
    Cut,
    DetectorSettings,
    Manifest,
    Outputs,
    PlateInfo,
    Rational,
    Software,
    SplitSettings,
)

ROOT = Path(__file__).resolve().parents[1]


def test_manifest_module_imports_nothing_heavy() -> None:
    code = ("import sys, jobs.manifest; heavy = {'numpy', 'ffmpeg', 'PIL', 'opentimelineio', "
            "'api'} & set(sys.modules); print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_jobs_never_imports_api() -> None:
    offenders = []
    for path in (ROOT / "jobs").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n == "api" or n.startswith("api.")]
    assert offenders == []


def _manifest(**cut_changes: object) -> Manifest:
    plate = PlateInfo(source="p.mov", kind="movie", container="mov", codec="prores", width=1920,
                      height=1080, pixel_aspect="1:1", pix_fmt="yuv422p10le", bit_depth=10,
                      frame_rate=Rational(num=24000, den=1001), frame_count=48,
                      frame_count_counted=False, duration="1001/500", intra_only=True)
    cut = {"index": 1, "name": "p_001", "first_frame": 0, "last_frame": 47, "frame_count": 48,
           "head_in": 1001, "head_out": 1048, "start_time": "0", "duration": "1001/500",
           "record_tc_in": "01:00:00:00", "record_tc_out": "01:00:02:00", "boundary_in": "start",
           "confidence": 1.0, **cut_changes}
    return Manifest(plate_name="p", created_at=datetime(2026, 1, 1, tzinfo=UTC), plate=plate,
                    cuts=[Cut.model_validate(cut)], transitions=[], detector=DetectorSettings(),
                    split=SplitSettings(enabled=False, codec="none", head_in=1001, copied=False),
                    outputs=Outputs(), software=Software(version="0", ffmpeg="5"), timings={})


def test_manifest_round_trips_through_json() -> None:
    m = _manifest()
    assert Manifest.from_json(m.to_json()) == m
    assert '"schema_version": 1' in m.to_json()


@pytest.mark.parametrize("change", [{"boundary_in": "wipe"}, {"frame_count": 0},
                                    {"confidence": 1.5}, {"surprise": True}])
def test_manifest_rejects_what_the_contract_does_not_allow(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _manifest(**change)
