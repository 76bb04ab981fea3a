"""Who is calling: a token's site, admin flag and (optionally) the projects it is limited to."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    token_id: uuid.UUID
    site_id: uuid.UUID
    site_name: str
    is_admin: bool
    project_ids: frozenset[uuid.UUID] | None  # None: every project of the site

    def sees_project(self, project_id: uuid.UUID) -> bool:
        return self.project_ids is None or project_id in self.project_ids
