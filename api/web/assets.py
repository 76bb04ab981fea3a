"""Static files under ``/static``: the project's own (``api/web/static/``) and the script and styles of
the API documentation page, Swagger UI's, from the ``fastapi-offline`` package, so that ``/docs``
loads nothing from the internet.

The documentation's files are served under their package's version
(``/static/docs/1.7.7/swagger-ui-bundle.js``): a new version is a new URL, so browsers may keep
them for a year. The project's own files keep Starlette's defaults (ETag, Last-Modified).
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

STATIC = "/static"
OWN = Path(__file__).parent / "static"
DOCS_PACKAGE = "fastapi_offline"  # its static/: swagger-ui-bundle.js, swagger-ui.css, favicon.png
DOCS_ASSETS = f"{STATIC}/docs/{version('fastapi-offline')}"
IMMUTABLE = "public, max-age=31536000, immutable"


class MountedFiles(StaticFiles):
    """Static files mounted at ``path``, which they give as the request's route: the metrics label
    their requests by it (``api.observability.middleware.route_template``), not as unmatched."""

    def __init__(self, path: str, **options: Any) -> None:
        super().__init__(**options)
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self
        await super().__call__(scope, receive, send)


class VersionedFiles(MountedFiles):
    """Files whose URL changes with their content: cached for a year, never revalidated."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = IMMUTABLE
        return response


def mount_static(app: FastAPI) -> None:
    """Mount the documentation's files, then the project's own under ``/static``."""
    app.mount(DOCS_ASSETS, VersionedFiles(DOCS_ASSETS, packages=[(DOCS_PACKAGE, "static")]),
              name="docs-assets")
    app.mount(STATIC, MountedFiles(STATIC, directory=OWN), name="static")


def docs_asset(request: Request, name: str) -> str:
    """The URL path of one of the documentation's files, under the app's root path."""
    return f"{request.scope.get('root_path', '').rstrip('/')}{DOCS_ASSETS}/{name}"
