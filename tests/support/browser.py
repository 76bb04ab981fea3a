"""A real browser confined to one server: Debian's Chromium driven by Playwright (no pytest needed;
the fixtures are in ``tests/browser_fixtures.py``).

- ``launch_chromium``: headless ``/usr/bin/chromium`` (``make system-deps`` installs it). Never
  Playwright's own browsers: ``playwright install`` downloads them, which a studio network, CI and
  the project's machines cannot.
- ``Confinement``: what a browser context may reach is one origin, the server under test. Every
  request to another URL is aborted and recorded (as is every WebSocket), so a page that would
  load a script, a font or a picture from the internet fails its test, as it would be broken on a
  network cut off from it. Console errors and uncaught page errors are recorded too; ``report()``
  says what went wrong, or nothing.
- ``save_screenshot``: a page's picture under a folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Route,
    WebError,
    WebSocketRoute,
)

CHROMIUM = Path("/usr/bin/chromium")
# the browser resolves no host name but loopback: what the routes below would not see (the browser's
# own traffic) cannot leave the machine either
CHROMIUM_ARGS = ["--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1, EXCLUDE localhost"]
LOCAL_SCHEMES = ("data", "blob", "about")  # what a page makes itself: no request leaves it


def launch_chromium(playwright: Playwright, executable: Path = CHROMIUM) -> Browser:
    return playwright.chromium.launch(executable_path=str(executable), headless=True, args=CHROMIUM_ARGS)


def origin(url: str) -> str:
    """``scheme://host:port`` of a URL, the port always written (``http://a`` is ``http://a:80``); a
    WebSocket's is its HTTP one (``ws://a:1/x`` is ``http://a:1``)."""
    parts = urlsplit(url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    port = parts.port or {"http": 80, "https": 443}.get(scheme, 0)
    return f"{scheme}://{parts.hostname}:{port}"


@dataclass
class Confinement:
    """Confines browser contexts to ``allowed`` (an origin: ``http://127.0.0.1:8123``) and records
    what their pages did wrong. Lists are plain: a test that provoked something may check it and
    ``clear()`` it."""

    allowed: str
    blocked: list[str] = field(default_factory=list)  # "METHOD url (resource type)"
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return origin(self.allowed)

    def attach(self, context: BrowserContext) -> BrowserContext:
        """Route every request and WebSocket of ``context``; listen to its pages' consoles and errors."""
        context.route("**/*", self._route)
        context.route_web_socket(re.compile(".*"), self._web_socket)
        context.on("console", self._console)
        context.on("weberror", self._web_error)
        return context

    def new_page(self, browser: Browser) -> Page:
        """A page in a new context of its own (no service workers: they would bypass the routes)."""
        context = self.attach(browser.new_context(service_workers="block", base_url=self.allowed))
        return context.new_page()

    def _route(self, route: Route) -> None:
        request = route.request
        if urlsplit(request.url).scheme in LOCAL_SCHEMES or origin(request.url) == self.origin:
            route.continue_()
        else:
            self.blocked.append(f"{request.method} {request.url} ({request.resource_type})")
            route.abort("blockedbyclient")

    def _web_socket(self, socket: WebSocketRoute) -> None:
        if origin(socket.url) == self.origin:
            socket.connect_to_server()
        else:
            self.blocked.append(f"WebSocket {socket.url}")
            socket.close(code=1008, reason="the test allows no other server")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location
            self.console_errors.append(f"{message.text} ({where['url']}:{where['lineNumber']})")

    def _web_error(self, error: WebError) -> None:
        self.page_errors.append(f"{error.error.name}: {error.error.message}")

    def clear(self) -> None:
        self.blocked.clear()
        self.console_errors.clear()
        self.page_errors.clear()

    def report(self, allowed_errors: tuple[str, ...] | None = ()) -> str:
        """What went wrong, one line each, or ``""``. ``allowed_errors``: patterns (``re.search``) of
        console and page errors expected; ``None`` allows any. A blocked request is never allowed."""
        def unexpected(errors: list[str]) -> list[str]:
            if allowed_errors is None:
                return []
            return [error for error in errors if not any(re.search(p, error) for p in allowed_errors)]

        sections = [(f"requests to another server than {self.allowed} (aborted)", self.blocked),
                    ("console errors", unexpected(self.console_errors)),
                    ("page errors (uncaught)", unexpected(self.page_errors))]
        return "\n".join(f"{title}:\n" + "".join(f"  {line}\n" for line in lines)
                         for title, lines in sections if lines)


def save_screenshot(page: Page, name: str, folder: Path, full_page: bool = False) -> Path:
    """``folder/NAME.png``: the page as its window shows it (its whole height with ``full_page``)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
