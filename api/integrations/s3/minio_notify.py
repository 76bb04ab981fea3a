"""MinIO's bucket notification of the drop prefix, set with the ``minio`` SDK.

MinIO sends each ``s3:ObjectCreated:*`` event of the bucket's keys under the drop prefix to a webhook
target the MinIO server was started with (``MINIO_NOTIFY_WEBHOOK_ENABLE_<ID>=on``,
``MINIO_NOTIFY_WEBHOOK_ENDPOINT_<ID>=https://platecut.example/api/v1/drop/minio-events``,
``MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_<ID>=<PLATECUT_DROP_SECRET>``), known to the bucket by its ARN
``arn:minio:sqs::<ID>:webhook``. ``platecut drop notify`` sets it (docs/DEPLOY.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from minio.notificationconfig import NotificationConfig

CREATED_EVENTS = ["s3:ObjectCreated:*"]
CONFIG_ID = "platecut-drop"


def webhook_arn(target_id: str, region: str = "") -> str:
    """The ARN of MinIO's webhook target ``<target_id>`` (``MINIO_NOTIFY_WEBHOOK_*_<target_id>``)."""
    return f"arn:minio:sqs:{region}:{target_id}:webhook"


def drop_notification(arn: str, prefix: str,
                      existing: NotificationConfig | None = None) -> NotificationConfig:
    """The bucket's notification configuration with the drop prefix's created objects sent to ``arn``,
    the other rules of ``existing`` kept (the drop's own, by its id, replaced)."""
    from minio.notificationconfig import NotificationConfig, PrefixFilterRule, QueueConfig

    queues: list[Any] = [q for q in (existing.queue_config_list or []) if q.config_id != CONFIG_ID] \
        if existing is not None else []
    queues.append(QueueConfig(list(CREATED_EVENTS), config_id=CONFIG_ID,
                              prefix_filter_rule=PrefixFilterRule(prefix), queue=arn))
    if existing is None:
        return NotificationConfig(queue_config_list=queues)
    return NotificationConfig(cloud_func_config_list=existing.cloud_func_config_list,
                              queue_config_list=queues, topic_config_list=existing.topic_config_list)


def set_drop_notification(endpoint: str, access_key: str | None, secret_key: str | None, bucket: str,
                          arn: str, prefix: str, region: str | None = None) -> NotificationConfig:
    """Set (replace) the drop rule of ``bucket`` on the MinIO server at ``endpoint``; what was set."""
    from minio import Minio

    parts = urlsplit(endpoint if "://" in endpoint else f"http://{endpoint}")
    client = Minio(parts.netloc, access_key=access_key, secret_key=secret_key, secure=parts.scheme == "https",
                   region=region)
    config = drop_notification(arn, prefix, client.get_bucket_notification(bucket))
    client.set_bucket_notification(bucket, config)
    return config
