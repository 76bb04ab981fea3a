"""Dependencies on what the app factory wires: settings, object storage, the job launcher and
the project memory.

They only read ``app.state``: ``async`` so FastAPI calls them on the event loop instead of
handing each one to the thread pool (a thread hop per dependency per request).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.config import Settings
from api.integrations.launcher import Launcher
from api.integrations.storage import Storage
from api.projects.service import ProjectCache
from api.runs.context import RunContext


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_storage(request: Request) -> Storage:
    storage: Storage = request.app.state.storage
    return storage


async def get_launcher(request: Request) -> Launcher:
    launcher: Launcher = request.app.state.launcher
    return launcher


async def get_project_cache(request: Request) -> ProjectCache | None:
    cache: ProjectCache | None = getattr(request.app.state, "project_cache", None)
    return cache


async def get_run_context(request: Request) -> RunContext:
    """What a tick works with, for a route that works as one (its own units of work, a network call
    between them)."""
    context: RunContext = request.app.state.run_context
    return context


SettingsDep = Annotated[Settings, Depends(get_settings)]
StorageDep = Annotated[Storage, Depends(get_storage)]
LauncherDep = Annotated[Launcher, Depends(get_launcher)]
ProjectCacheDep = Annotated[ProjectCache | None, Depends(get_project_cache)]
RunContextDep = Annotated[RunContext, Depends(get_run_context)]
