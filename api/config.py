"""All of the control plane's configuration: one settings class, from ``PLATECUT_*`` variables.

With nothing set at all the API runs embedded: SQLite and object files under the data
folder (``./platecut-data``), URLs signed with a secret generated once and kept there.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.integrations.storage import MAX_PRESIGN_SECONDS, MAX_SINGLE_PUT, MIN_PART_SIZE, S3_MIN_PART

MiB = 1024 * 1024
TiB = 1024 * 1024 * MiB
SECRET_FILE = "signing.key"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PLATECUT_", extra="ignore")

    data_dir: Path = Field(Path("platecut-data"), description="Embedded database, objects and secret")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite in data_dir")
    storage: Literal["disk", "s3"] = "disk"
    s3_endpoint: str | None = Field(None, description="Endpoint the API talks to (None: AWS)")
    s3_public_endpoint: str | None = Field(None, description="Endpoint presigned URLs point at")
    s3_bucket: str = "platecut"
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_addressing_style: Literal["path", "virtual"] = "path"
    s3_create_bucket: bool = Field(False, description="Create the bucket when missing (development)")
    public_url: str = Field("http://127.0.0.1:8000", description="Base URL clients reach the API at")
    max_plate_size: int = Field(5 * TiB, gt=0)
    single_put_max: int = Field(64 * MiB, gt=0, le=MAX_SINGLE_PUT,
                                description="Larger plates are uploaded in parts")
    min_part_size: int = Field(MIN_PART_SIZE, ge=S3_MIN_PART, le=MAX_SINGLE_PUT,
                               description="Floor of the multipart part size (lower it only in tests)")
    url_ttl: int = Field(3600, ge=60, le=MAX_PRESIGN_SECONDS, description="Presigned URL lifetime, seconds")
    upload_expiry: int = Field(7 * 24 * 3600, ge=60, description="Seconds an upload stays open")
    verify_sha256_max: int = Field(64 * MiB, ge=0, description="Largest plate whose SHA-256 is checked")
    max_request_body: int = Field(MiB, gt=0, description="Largest JSON body the API accepts")
    auth_cache_seconds: float = Field(10.0, ge=0, le=300,
                                      description="A valid token is remembered this long (0: off)")
    signing_secret: SecretStr | None = Field(None, description="Default: generated in data_dir")
    log_level: str = "INFO"
    log_json: bool = True

    @property
    def embedded_database(self) -> bool:
        return self.database_url is None

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir.resolve() / 'platecut.db'}"

    def storage_dir(self) -> Path:
        return self.data_dir / "storage"

    def secret_bytes(self) -> bytes:
        """The URL signing secret: configured, or generated once and kept in the data folder."""
        if self.signing_secret is not None:
            return self.signing_secret.get_secret_value().encode()
        path = self.data_dir / SECRET_FILE
        if not path.exists():
            _write_secret_once(path)
        return path.read_text().strip().encode()


def _write_secret_once(path: Path) -> None:
    """Several workers may start at once: write aside, then link into place atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32))
    try:
        os.link(temp, path)
    except FileExistsError:
        pass  # another process won the race: its secret is the one
    finally:
        temp.unlink()
