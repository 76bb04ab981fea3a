"""Settings: the embedded default, the signing secret kept in the data folder, the env prefix."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from api.config import Settings
from api.integrations.disk import DiskStorage
from api.integrations.factory import build_storage


def test_embedded_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.embedded_database and settings.storage == "disk"
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path / 'platecut-data' / 'platecut.db'}"
    assert settings.single_put_max == 64 * 2**20 and settings.url_ttl == 3600
    storage = build_storage(settings)
    assert isinstance(storage, DiskStorage) and storage.root == Path("platecut-data/storage")


def test_signing_secret_is_made_once(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).secret_bytes()
    assert len(first) == 64 and Settings(data_dir=tmp_path).secret_bytes() == first
    assert (tmp_path / "signing.key").stat().st_mode & 0o777 == 0o600
    assert Settings(data_dir=tmp_path, signing_secret="configured-secret-123").secret_bytes() == \
        b"configured-secret-123"


def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLATECUT_DATABASE_URL", "postgresql+psycopg://db/platecut")
    monkeypatch.setenv("PLATECUT_STORAGE", "s3")
    monkeypatch.setenv("PLATECUT_S3_BUCKET", "plates")
    monkeypatch.setenv("PLATECUT_SINGLE_PUT_MAX", "1048576")
    settings = Settings()
    assert settings.resolved_database_url() == "postgresql+psycopg://db/platecut"
    assert not settings.embedded_database
    assert (settings.storage, settings.s3_bucket, settings.single_put_max) == ("s3", "plates", 2**20)
    monkeypatch.setenv("PLATECUT_SINGLE_PUT_MAX", str(6 * 2**30))  # over S3's largest single PUT
    with pytest.raises(ValidationError):
        Settings()


def test_s3_storage_from_settings() -> None:
    from api.integrations.s3 import S3Storage

    storage = build_storage(Settings(storage="s3", s3_bucket="b", s3_endpoint="http://minio:9000",
                                     s3_public_endpoint="https://s3.example.com", s3_access_key_id="k",
                                     s3_secret_access_key="s"))
    assert isinstance(storage, S3Storage)
    assert (storage.bucket, storage.endpoint_url, storage.public_endpoint_url) == (
        "b", "http://minio:9000", "https://s3.example.com")
