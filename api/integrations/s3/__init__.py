"""Object storage on an S3-speaking server (MinIO, AWS S3, Ceph RGW) through boto3."""

from api.integrations.s3.storage import S3Storage

__all__ = ["S3Storage"]
