"""The browser pages under ``/ui``: sign in and out, plates, a plate, a reel. They render what the
JSON API's services return and add no rules of their own; the pages' scripts call the JSON API with
the session cookie and its CSRF token."""

from __future__ import annotations

import secrets
import uuid
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import sessions
from api.db.unit_of_work import DbSession, Uow
from api.dependencies import SettingsDep
from api.errors import Unauthorized
from api.plates import flows as plates
from api.plates.models import PlateState
from api.plates.repository import get_plate
from api.projects.service import visible_projects
from api.web.dependencies import SIGN_IN, CurrentUser
from api.web.templating import render

router = APIRouter(prefix="/ui", include_in_schema=False)
SIGN_IN_COOKIE = "platecut_sign_in"  # the sign-in form's own CSRF value (double submit)
PAGE_SIZE = 100


def _secure(request: Request, configured: bool | None) -> bool:
    if configured is not None:
        return configured
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def _local(next_url: str | None) -> str:
    """Only a path of this server: never a redirect elsewhere."""
    if not next_url or not next_url.startswith("/") or next_url.startswith("//") or urlsplit(next_url).netloc:
        return "/ui/plates"
    return next_url


@router.get("", response_class=RedirectResponse)
def home() -> RedirectResponse:
    return RedirectResponse("/ui/plates", status_code=303)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, settings: SettingsDep, next: str | None = None,
                 expired: bool = False) -> Response:
    form_csrf = secrets.token_urlsafe(24)
    message = "Your session has expired: sign in again." if expired else None
    response = render(request, "sign_in.html", None, next=_local(next), form_csrf=form_csrf, message=message)
    response.set_cookie(SIGN_IN_COOKIE, form_csrf, httponly=True, samesite="strict", path=SIGN_IN,
                        secure=_secure(request, settings.web.secure_cookies))
    return response


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(request: Request, uow: Uow, settings: SettingsDep, token: Annotated[str, Form(max_length=200)],
            form_csrf: Annotated[str, Form(max_length=100)],
            next: Annotated[str, Form(max_length=2000)] = "/ui/plates") -> Response:
    expected = request.cookies.get(SIGN_IN_COOKIE)
    if not expected or not secrets.compare_digest(expected, form_csrf):
        return _sign_in_again(request, next, "The sign-in form was stale; try again.", 403)
    try:
        signed_in = sessions.sign_in(uow.session, token, settings.web.session_hours)
    except Unauthorized as exc:
        return _sign_in_again(request, next, exc.detail, 401)
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(sessions.COOKIE, signed_in.secret, httponly=True, samesite="strict", path="/",
                        max_age=int(settings.web.session_hours * 3600),
                        secure=_secure(request, settings.web.secure_cookies))
    response.delete_cookie(SIGN_IN_COOKIE, path=SIGN_IN)
    return response


def _sign_in_again(request: Request, next_url: str, message: str, status: int) -> Response:
    form_csrf = secrets.token_urlsafe(24)
    response = render(request, "sign_in.html", None, status, next=_local(next_url), form_csrf=form_csrf,
                      message=message)
    response.set_cookie(SIGN_IN_COOKIE, form_csrf, httponly=True, samesite="strict", path=SIGN_IN)
    return response


@router.post("/sign-out", response_class=RedirectResponse)
def sign_out(request: Request, uow: Uow, user: CurrentUser,
             csrf: Annotated[str, Form(max_length=100)]) -> Response:
    sessions.check_csrf(user.csrf, csrf)
    sessions.sign_out(uow.session, request.cookies.get(sessions.COOKIE))
    response = RedirectResponse(SIGN_IN, status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/")
    return response


@router.get("/plates", response_class=HTMLResponse)
def plates_page(request: Request, uow: Uow, user: CurrentUser,
                project: Annotated[str | None, Query(max_length=64)] = None,
                reel: Annotated[str | None, Query(max_length=120)] = None,
                state: Annotated[PlateState | None, Query()] = None) -> Response:
    """Plates of the projects the token sees, newest first, filtered by project, reel and state."""
    project = project or None
    items, _ = plates.list_plates(uow, user.principal, project=project, states_in=[state] if state else [],
                                  cursor=None, limit=PAGE_SIZE)
    if reel:
        items = [plate for plate in items if plate.reel == reel]
    projects = [p.name for p in visible_projects(uow.session, user.principal)]
    filters = {"project": project or "", "reel": reel or "", "state": state.value if state else ""}
    return render(request, "plates.html", user, plates=items, projects=projects, states=list(PlateState),
                  filters=filters)


@router.get("/plates/{plate_id}", response_class=HTMLResponse)
def plate_page(request: Request, plate_id: uuid.UUID, session: DbSession, user: CurrentUser) -> Response:
    plate = get_plate(session, user.principal, plate_id)
    return render(request, "plate.html", user, plate=plate)
