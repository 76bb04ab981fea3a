"""The HMAC URL signatures of DiskStorage: pure functions."""

from __future__ import annotations

import dataclasses

import pytest

from api.integrations.disk import signing
from api.integrations.disk.signing import SignatureExpired, SignatureInvalid, Signed

SECRET = b"0123456789abcdef0123456789abcdef"
NOW = 1_800_000_000
PUT = Signed("PUT", signing.object_path("plates/p1/a.mov"), NOW + 600, size=1234,
             sha256_hex="ab" * 32)


def test_a_signature_verifies_until_it_expires() -> None:
    signature = signing.sign(SECRET, PUT)
    assert len(signature) == 64 and int(signature, 16) >= 0
    signing.verify(SECRET, PUT, signature, now=NOW)
    signing.verify(SECRET, PUT, signature, now=PUT.expires)  # the last valid second
    with pytest.raises(SignatureExpired) as caught:
        signing.verify(SECRET, PUT, signature, now=PUT.expires + 1)
    assert caught.value.code == "signature_expired"


@pytest.mark.parametrize("change", [
    {"method": "GET"},
    {"path": signing.object_path("plates/p1/b.mov")},
    {"expires": NOW + 3600},  # a later expiry is a forgery, not an expired URL
    {"size": 1235},
    {"size": None},
    {"sha256_hex": "cd" * 32},
    {"sha256_hex": None},
    {"filename": "x.mov"},
])
def test_changing_any_signed_field_invalidates(change: dict[str, object]) -> None:
    signature = signing.sign(SECRET, PUT)
    with pytest.raises(SignatureInvalid) as caught:
        signing.verify(SECRET, dataclasses.replace(PUT, **change), signature, now=NOW)  # type: ignore[arg-type]
    assert caught.value.code == "signature_invalid"


@pytest.mark.parametrize("signature", ["", "00" * 32, "zz", "é" * 64])
def test_wrong_or_malformed_signatures_are_invalid(signature: str) -> None:
    with pytest.raises(SignatureInvalid):
        signing.verify(SECRET, PUT, signature, now=NOW)


def test_another_secret_does_not_verify() -> None:
    with pytest.raises(SignatureInvalid):
        signing.verify(b"another-secret-of-32-bytes-long!", PUT, signing.sign(SECRET, PUT), now=NOW)


def test_canonical_string_keeps_fields_apart() -> None:
    a = Signed("GET", "/p", 1, filename="a")
    b = Signed("GET", "/p", 1, sha256_hex="a")
    assert a.canonical() != b.canonical()
    assert Signed("GET", "/p", 1, size=0).canonical() != Signed("GET", "/p", 1).canonical()
    assert Signed("get", "/p", 1).canonical() == Signed("GET", "/p", 1).canonical()


def test_query_round_trips_through_from_query() -> None:
    get = Signed("GET", signing.object_path("k/v.mov"), NOW + 60, filename="plate été.mov")
    for signed in (PUT, get, Signed("PUT", signing.part_path("ab" * 16, 7), NOW + 60)):
        params = signing.query(SECRET, signed)
        parsed, signature = signing.from_query(signed.method, signed.path, params)
        assert parsed == signed
        signing.verify(SECRET, parsed, signature, now=NOW)
    assert set(signing.query(SECRET, PUT)) == {"size", "sha256", "expires", "signature"}


@pytest.mark.parametrize("params", [
    {},
    {"expires": str(NOW)},
    {"signature": "ab"},
    {"expires": "soon", "signature": "ab"},
    {"expires": "-5", "signature": "ab"},
    {"expires": str(NOW), "signature": "ab", "size": "1e3"},
    {"expires": "١٢٣", "signature": "ab"},  # non-ASCII digits
])
def test_from_query_refuses_missing_or_malformed_parameters(params: dict[str, str]) -> None:
    with pytest.raises(SignatureInvalid):
        signing.from_query("PUT", "/p", params)


def test_paths_are_the_routes() -> None:
    assert signing.object_path("a/b c.mov") == "/api/v1/storage/objects/a/b c.mov"
    assert signing.quote_path(signing.object_path("a/b c.mov")) == "/api/v1/storage/objects/a/b%20c.mov"
    assert signing.part_path("f" * 32, 3) == f"/api/v1/storage/multipart/{'f' * 32}/parts/3"
