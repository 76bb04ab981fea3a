"""``/docs``: Swagger UI, its script and styles served by the app itself (``api.web.assets``).
FastAPI's own page loads them from a CDN, and is blank on a network cut off from the internet; the
app is created without FastAPI's pages (``docs_url=None, redoc_url=None``).

There is no ``/redoc``: ReDoc's script (2.5) always shows Redocly's logo from its CDN, whatever its
options, so the page would reach for the internet every time it is opened.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

from api.web.assets import docs_asset

DOCS = "/docs"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
# no online validator badge (an image from validator.swagger.io)
SWAGGER_UI_PARAMETERS: dict[str, Any] = {"validatorUrl": None}

router = APIRouter(include_in_schema=False)


@router.get(DOCS)
def swagger_ui(request: Request) -> HTMLResponse:
    app: FastAPI = request.app
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return get_swagger_ui_html(
        openapi_url=root + (app.openapi_url or "/openapi.json"), title=f"{app.title} - Swagger UI",
        swagger_js_url=docs_asset(request, "swagger-ui-bundle.js"),
        swagger_css_url=docs_asset(request, "swagger-ui.css"),
        swagger_favicon_url=docs_asset(request, "favicon.png"),
        oauth2_redirect_url=root + OAUTH2_REDIRECT, init_oauth=app.swagger_ui_init_oauth,
        swagger_ui_parameters={**SWAGGER_UI_PARAMETERS, **(app.swagger_ui_parameters or {})})


@router.get(OAUTH2_REDIRECT)
def swagger_ui_oauth2_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()

