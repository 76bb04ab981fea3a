"""One configured HTTP session with the API: base URL, token, problem documents as errors."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import httpx

DEFAULT_API = "http://127.0.0.1:8000"


class ApiError(Exception):
    """The API answered with a problem document (or could not be reached)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class ApiConfig:
    url: str
    token: str | None

    @classmethod
    def resolve(cls, url: str | None, token: str | None) -> ApiConfig:
        return cls((url or os.environ.get("PLATECUT_API") or DEFAULT_API).rstrip("/"),
                   token or os.environ.get("PLATECUT_TOKEN"))


class ApiClient:
    """Calls under ``/api/v1`` with the bearer token; raises ``ApiError`` on any 4xx/5xx."""

    def __init__(self, config: ApiConfig, timeout: float = 30.0) -> None:
        headers = {"Authorization": f"Bearer {config.token}"} if config.token else {}
        self.config = config
        self.http = httpx.Client(base_url=config.url + "/api/v1", headers=headers, timeout=timeout)

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._send(method, path, **kwargs)
        return response.json() if response.content else None

    def call_text(self, method: str, path: str, **kwargs: Any) -> str:
        """A route that answers text (CSV), not JSON."""
        return self._send(method, path, **kwargs).text

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:  # refused, timed out, reset: worth retrying later (exit 75)
            raise unreachable(self.config.url, exc) from exc
        if response.status_code >= 400:
            raise problem_error(response)
        return response


def unreachable(url: str | httpx.URL, exc: httpx.HTTPError) -> ApiError:
    """A failure to talk to ``url`` (the API, or the storage a signed URL points at), named by its
    origin alone: a signed URL's query is long and holds its signature."""
    where = httpx.URL(url)
    origin = f"{where.scheme}://{where.netloc.decode()}"
    reason = str(exc) or "no answer"
    return ApiError(0, "unreachable", f"cannot reach {origin}: {type(exc).__name__}: {reason}")


def problem_error(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = str(body.get("code") or f"http_{response.status_code}")
    detail = body.get("detail") or body.get("title") or response.reason_phrase
    return ApiError(response.status_code, code, f"{detail} ({response.status_code} {code})")
