"""The object storage the settings ask for: ``DiskStorage`` (embedded) or ``S3Storage``."""

from __future__ import annotations

from api.config import Settings
from api.integrations.storage import Storage


def build_storage(settings: Settings) -> Storage:
    if settings.storage == "s3":
        from api.integrations.s3 import S3Storage

        secret = settings.s3_secret_access_key
        return S3Storage(bucket=settings.s3_bucket, endpoint_url=settings.s3_endpoint,
                         public_endpoint_url=settings.s3_public_endpoint, region=settings.s3_region,
                         access_key=settings.s3_access_key_id,
                         secret_key=secret.get_secret_value() if secret else None,
                         addressing_style=settings.s3_addressing_style,
                         create_bucket=settings.s3_create_bucket)
    from api.integrations.disk import DiskStorage

    return DiskStorage(settings.storage_dir(), settings.public_url, settings.secret_bytes())
