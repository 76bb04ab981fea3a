"""The browser pages under ``/ui``: sign in and out, plates, a plate, a reel. They render what the
JSON API's services return and add no rules of their own; the pages' scripts call the JSON API with
the session cookie and its CSRF token."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from api.auth import sessions
from api.auth.principal import Principal
from api.config import Settings
from api.cuts.service import list_cuts
from api.db.unit_of_work import DbSession, Uow
from api.dependencies import ProjectCacheDep, SettingsDep
from api.errors import Conflict, Unauthorized
from api.plates import flows as plates
from api.plates.models import PlateState
from api.plates.repository import get_plate
from api.projects.service import project_ref, visible_projects
from api.reels import service as reels
from api.reels.changes import Category
from api.reels.report import ChangeReport, ChangeRow
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
    message = "Your session has expired: sign in again." if expired else None
    return _sign_in_form(request, settings, next, message, 200)


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(request: Request, uow: Uow, settings: SettingsDep, token: Annotated[str, Form(max_length=200)],
            form_csrf: Annotated[str, Form(max_length=100)],
            next: Annotated[str, Form(max_length=2000)] = "/ui/plates") -> Response:
    expected = request.cookies.get(SIGN_IN_COOKIE)
    if not expected or not secrets.compare_digest(expected, form_csrf):
        return _sign_in_form(request, settings, next, "The sign-in form was stale; try again.", 403)
    try:
        signed_in = sessions.sign_in(uow.session, token, settings.web.session_hours)
    except Unauthorized as exc:
        return _sign_in_form(request, settings, next, exc.detail, 401)
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(sessions.COOKIE, signed_in.secret, httponly=True, samesite="strict", path="/",
                        max_age=int(settings.web.session_hours * 3600),
                        secure=_secure(request, settings.web.secure_cookies))
    response.delete_cookie(SIGN_IN_COOKIE, path=SIGN_IN)
    return response


def _sign_in_form(request: Request, settings: Settings, next_url: str | None, message: str | None,
                  status: int) -> Response:
    """The sign-in form, with a fresh value of its own CSRF cookie (double submit)."""
    form_csrf = secrets.token_urlsafe(24)
    response = render(request, "sign_in.html", None, status, next=_local(next_url), form_csrf=form_csrf,
                      message=message)
    response.set_cookie(SIGN_IN_COOKIE, form_csrf, httponly=True, samesite="strict", path=SIGN_IN,
                        secure=_secure(request, settings.web.secure_cookies))
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
                                  cursor=None, limit=PAGE_SIZE, reel=reel or None)
    projects = [p.name for p in visible_projects(uow.session, user.principal)]
    filters = {"project": project or "", "reel": reel or "", "state": state.value if state else ""}
    return render(request, "plates.html", user, plates=items, projects=projects, states=list(PlateState),
                  filters=filters)


@router.get("/plates/{plate_id}", response_class=HTMLResponse)
def plate_page(request: Request, plate_id: uuid.UUID, session: DbSession, user: CurrentUser) -> Response:
    plate = get_plate(session, user.principal, plate_id)
    return render(request, "plate.html", user, plate=plate)


@router.get("/reels", response_class=HTMLResponse)
def reels_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    """The reels of the projects the token sees: versions of each and the newest."""
    return render(request, "reels.html", user, reels=reels.list_reels(session, user.principal, None))


@router.get("/reels/{project}/{reel}", response_class=HTMLResponse)
def reel_page(request: Request, project: str, reel: str, session: DbSession, user: CurrentUser,
              projects: ProjectCacheDep,
              old: Annotated[str | None, Query(alias="from", max_length=12)] = None,
              new: Annotated[str | None, Query(alias="to", max_length=12)] = None,
              changed: Annotated[str | None, Query(max_length=8)] = None) -> Response:
    """A reel's versions, newest first, and the cut changes between two of them (by default the
    previous and the newest): a 404 page for a project or reel the token does not see."""
    ref = project_ref(session, user.principal, project, projects)
    found = reels.reel_versions(session, user.principal, ref.id, ref.name, reel)
    by_number = {v.version: v for v in found.items}
    newest = found.items[0].version
    previous = found.items[1].version if len(found.items) > 1 else newest
    comparison = Comparison(old=_version_number(old, previous), new=_version_number(new, newest),
                            changed_only=bool(changed))
    older, newer = by_number.get(comparison.old), by_number.get(comparison.new)
    if len(found.items) < 2:
        comparison.message = f"Reel {reel} has one version only: there is nothing to compare it with yet."
    elif older is None or newer is None:
        comparison.message = f"Reel {reel} has no version {old if older is None else new}."
    elif older.version == newer.version:
        comparison.message = (f"From and to are the same version (v{newer.version:02d}): choose two "
                              "different versions to compare.")
    else:
        try:
            comparison.report = reels.cut_changes(session, user.principal, newer.plate_id, older.plate_id)
        except Conflict as exc:  # a version whose cuts are not there yet
            comparison.message = exc.detail
        else:
            comparison.thumbnails = {"old": _thumbnails(session, user.principal, older.plate_id),
                                     "new": _thumbnails(session, user.principal, newer.plate_id)}
    return render(request, "reel.html", user, project=ref.name, reel=found, comparison=comparison,
                  categories=list(Category))


@dataclass
class Comparison:
    """What the reel page compares: the chosen versions, and the report or why there is none."""

    old: int
    new: int
    changed_only: bool
    message: str | None = None
    report: ChangeReport | None = None
    thumbnails: dict[str, set[int]] = field(default_factory=dict)

    @property
    def rows(self) -> list[ChangeRow]:
        items = self.report.items if self.report else []
        return [row for row in items if not (self.changed_only and row.category is Category.UNCHANGED
                                              and not row.reordered)]


def _version_number(text: str | None, default: int) -> int:
    """A version as the form sends it (``3`` or ``v03``); ``default`` when none is sent, -1 (no
    version) for what is not a number."""
    if not text:
        return default
    digits = text.strip().lower().removeprefix("v")
    return int(digits) if digits.isdecimal() else -1


def _thumbnails(session: Session, principal: Principal, plate_id: uuid.UUID) -> set[int]:
    """The plate's cuts that have a thumbnail: the others get no ``<img>``."""
    return {cut.index for cut in list_cuts(session, principal, plate_id) if cut.thumbnail_key}
