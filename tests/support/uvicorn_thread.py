"""An ASGI app served by uvicorn on a thread of this process, on a loopback port (no pytest needed).

The socket is bound first (``loopback_socket``), so the app can be built knowing its own URL (the
public URL its signed requests point at), then served on it::

    sock = loopback_socket()
    app = make_app(url_of(sock))
    with serving_in_thread(app, sock) as url:
        ...

Tests and the code under test share the process: a test reads the app's state (its database, its
storage) directly while a real client (httpx, a browser) talks to it over HTTP.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import uvicorn
from starlette.types import ASGIApp

from tests.support.wait import wait_until


def loopback_socket() -> socket.socket:
    """A TCP socket bound to a free port of 127.0.0.1 (not listening yet: uvicorn does that)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def url_of(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def serving_in_thread(app: ASGIApp, sock: socket.socket,
                      lifespan: Literal["auto", "on", "off"] = "auto") -> Iterator[str]:
    """Serve ``app`` on ``sock`` until the block ends (its lifespan run, unless ``"off"``); yields its
    URL. The socket is closed at the end."""
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan=lifespan))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name=f"uvicorn {url_of(sock)}")
    thread.start()
    try:
        wait_until(lambda: server.started or not thread.is_alive(), timeout=30, what="uvicorn to start")
        assert server.started, "uvicorn did not start (its error is in the log above)"
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
