"""The pages' Jinja2 templates (``api/web/templates``), autoescaped, and the signed-in user a page
is rendered for."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.auth.principal import Principal
from api.errors import Problem

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # everything comes from the server itself: no CDN, no inline script
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob: *; media-src 'self' blob: *; "
                               "connect-src 'self' *; style-src 'self'; script-src 'self'; "
                               "frame-ancestors 'none'; form-action 'self'",
}


@dataclass(frozen=True)
class WebUser:
    principal: Principal
    csrf: str


def render(request: Request, name: str, user: WebUser | None, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, name, {"user": user, **context}, status_code=status_code,
                                      headers=PAGE_HEADERS)


def problem_page(request: Request, problem: Problem) -> HTMLResponse:
    """A problem of a page (a plate that is not there, one of another site's) as a page."""
    return render(request, "problem.html", None, problem.status, title=problem.title, detail=problem.detail,
                  status=problem.status, code=problem.code)
