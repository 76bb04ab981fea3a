"""HMAC-signed storage URLs for ``DiskStorage``: pure functions, no I/O.

A URL's query carries ``expires`` (unix seconds) and ``signature``: HMAC-SHA256 (hex)
with the server's secret over a canonical string of the method, the path (decoded, as
the route sees it: ``/api/v1/storage/objects/<key>``), ``expires`` and, where they
apply, the declared ``size`` and ``sha256`` of a PUT and the ``filename`` of a GET.
Every one of them is signed, so a client can change none (a larger size, another key,
a later expiry) without the signature failing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

PREFIX = "/api/v1/storage"
_SCHEME = "platecut-storage-v1"  # versions the canonical string (and separates its uses)


class SignatureError(Exception):
    """The request's signature does not allow it; ``code`` says why (the API's error code)."""

    code = "signature_invalid"


class SignatureInvalid(SignatureError):
    """Missing, malformed or wrong: the URL was not made by us or was changed."""

    code = "signature_invalid"


class SignatureExpired(SignatureError):
    """Made by us, unchanged, but past its ``expires``."""

    code = "signature_expired"


@dataclass(frozen=True)
class Signed:
    """What a signature covers, besides the secret."""

    method: str
    path: str
    expires: int
    size: int | None = None
    sha256_hex: str | None = None
    filename: str | None = None

    def canonical(self) -> bytes:
        """The signed bytes: a JSON array, so no field can bleed into the next."""
        fields = [_SCHEME, self.method.upper(), self.path, self.expires, self.size, self.sha256_hex,
                  self.filename]
        return json.dumps(fields, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def object_path(key: str) -> str:
    """The route path (decoded) of an object: what the signature covers."""
    return f"{PREFIX}/objects/{key}"


def part_path(upload_id: str, number: int) -> str:
    """The route path of one part of a multipart upload."""
    return f"{PREFIX}/multipart/{upload_id}/parts/{number}"


def quote_path(path: str) -> str:
    """The path as it goes into a URL (each key segment percent-encoded, slashes kept)."""
    return quote(path, safe="/")


def sign(secret: bytes, signed: Signed) -> str:
    """The hex HMAC-SHA256 of ``signed`` with ``secret``."""
    return hmac.new(secret, signed.canonical(), hashlib.sha256).hexdigest()


def query(secret: bytes, signed: Signed) -> dict[str, str]:
    """The query parameters of a URL for ``signed``: its optional fields, expiry, signature."""
    params: dict[str, str] = {}
    if signed.size is not None:
        params["size"] = str(signed.size)
    if signed.sha256_hex is not None:
        params["sha256"] = signed.sha256_hex
    if signed.filename is not None:
        params["filename"] = signed.filename
    params["expires"] = str(signed.expires)
    params["signature"] = sign(secret, signed)
    return params


def _int_param(params: Mapping[str, str], name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 20:
        raise SignatureInvalid(f"the {name!r} parameter is not a whole number")
    return int(value)


def from_query(method: str, path: str, params: Mapping[str, str]) -> tuple[Signed, str]:
    """What a request with the query ``params`` claims to be signed for, and its signature.

    Raises ``SignatureInvalid`` when ``expires`` or ``signature`` is missing or malformed.
    """
    expires = _int_param(params, "expires")
    signature = params.get("signature")
    if expires is None or not signature:
        raise SignatureInvalid("the URL carries no expires and signature: it is not a signed URL")
    signed = Signed(method=method, path=path, expires=expires, size=_int_param(params, "size"),
                    sha256_hex=params.get("sha256"), filename=params.get("filename"))
    return signed, signature


def verify(secret: bytes, signed: Signed, signature: str, now: float) -> None:
    """Raise ``SignatureInvalid`` unless ``signature`` signs ``signed``, then
    ``SignatureExpired`` when ``now`` is past its expiry. Constant-time comparison."""
    expected = sign(secret, signed)
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
        raise SignatureInvalid("the signature does not match the request")
    if now > signed.expires:
        raise SignatureExpired(f"the URL expired at {signed.expires} (unix seconds)")
