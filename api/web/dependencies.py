"""What a page needs: the signed-in user of the session cookie, or a trip to the sign-in page."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from api.auth import sessions
from api.db.unit_of_work import DbSession
from api.errors import Unauthorized
from api.web.templating import WebUser

SIGN_IN = "/ui/sign-in"


class SignInRequired(Exception):
    """No valid session: the page redirects to the sign-in page, saying why."""

    def __init__(self, next_url: str, code: str) -> None:
        super().__init__(code)
        self.next_url = next_url
        self.code = code


def web_user(request: Request, session: DbSession) -> WebUser:
    try:
        found = sessions.current(session, request.cookies.get(sessions.COOKIE))
    except Unauthorized as exc:
        raise SignInRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""),
                             exc.code) from exc
    return WebUser(found.principal, found.csrf)


CurrentUser = Annotated[WebUser, Depends(web_user)]


async def sign_in_redirect(request: Request, exc: Exception) -> RedirectResponse:
    assert isinstance(exc, SignInRequired)
    reason = "&expired=1" if exc.code == "session_expired" else ""
    return RedirectResponse(f"{SIGN_IN}?next={quote(exc.next_url, safe='')}{reason}", status_code=303)
