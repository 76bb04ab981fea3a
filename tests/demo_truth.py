"""The names the demo plate's cuts must get: each shot's burned-in name, a repeated name
made unique the way the manifest does it (``_2``, ``_3``...)."""

from __future__ import annotations

from jobs.synth import PlateSpec


def cut_names(spec: PlateSpec) -> list[str]:
    names: list[str] = []
    seen: dict[str, int] = {}
    for shot in spec.shots:
        assert shot.burnin is not None and shot.burnin.name is not None
        count = seen[shot.burnin.name] = seen.get(shot.burnin.name, 0) + 1
        names.append(shot.burnin.name if count == 1 else f"{shot.burnin.name}_{count}")
    return names
