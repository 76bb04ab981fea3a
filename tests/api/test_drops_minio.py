"""The drop folders' pieces that need no database: the storage's listing and server-side copy (moto's
S3 and the disk), and MinIO's bucket notification as the ``minio`` SDK builds and sends it (no MinIO
server runs here: the XML is checked, and ``platecut drop notify`` against a stand-in client)."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pytest
from click.testing import CliRunner
from minio.notificationconfig import NotificationConfig, QueueConfig, SuffixFilterRule

from api import cli
from api.integrations.disk import DiskStorage
from api.integrations.s3 import minio_notify
from api.integrations.s3.minio_notify import drop_notification, webhook_arn
from api.integrations.storage import Storage

if TYPE_CHECKING:
    from api.integrations.s3 import S3Storage

pytest_plugins = ["tests.api.storage_fixtures"]
NS = ""  # the SDK writes the namespace as an xmlns attribute: the tags are plain


@pytest.fixture(params=["s3", "disk"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "s3":
        s3: S3Storage = request.getfixturevalue("s3")
        return s3
    return DiskStorage(tmp_path / "objects", "http://testserver", b"test-secret-of-at-least-16-bytes")


def test_list_objects_lists_the_prefix_in_key_order(storage: Storage) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    for key, data in (("drop/s/p/b.mov", b"bb"), ("drop/s/p/a.mov", b"a"), ("dropped/x.mov", b"x"),
                      ("other/c.mov", b"ccc")):
        storage.put_bytes(key, data, "video/quicktime")
    listed = storage.list_objects("drop/")
    assert [(item.key, item.size) for item in listed] == [("drop/s/p/a.mov", 1), ("drop/s/p/b.mov", 2)]
    for item in listed:
        info = storage.head(item.key)
        assert info is not None and info.etag.strip('"') == item.etag  # bare
        assert before <= item.last_modified <= datetime.now(UTC) + timedelta(seconds=5)
    assert [item.key for item in storage.list_objects("drop/", limit=1)] == ["drop/s/p/a.mov"]
    assert storage.list_objects("nothing/") == []


def test_copy_object_copies_in_the_storage(storage: Storage) -> None:
    storage.put_bytes("drop/s/p/a.mov", b"payload", "video/quicktime")
    info = storage.copy_object("drop/s/p/a.mov", "sites/s/projects/p/plates/1/source/a.mov")
    assert (info.key, info.size) == ("sites/s/projects/p/plates/1/source/a.mov", 7)
    assert storage.get_bytes(info.key) == b"payload" == storage.get_bytes("drop/s/p/a.mov")


def test_a_file_written_in_place_on_disk_changes_its_listing(tmp_path: Path) -> None:
    disk = DiskStorage(tmp_path / "objects", "http://testserver", b"test-secret-of-at-least-16-bytes")
    path = disk.object_file("drop/s/p/growing.mov")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"a" * 10)
    [first] = disk.list_objects("drop/")
    time.sleep(0.01)
    with path.open("ab") as more:
        more.write(b"b" * 10)
    [second] = disk.list_objects("drop/")
    assert (second.size, first.size) == (20, 10) and second.etag != first.etag


def _queues(config: NotificationConfig) -> list[ET.Element]:
    return config.toxml(None).findall(f"{NS}QueueConfiguration")


def test_the_drop_notification_sends_created_objects_of_the_prefix_to_the_webhook() -> None:
    config = drop_notification(webhook_arn("platecut"), "drop/")
    [queue] = _queues(config)
    assert queue.findtext(f"{NS}Queue") == "arn:minio:sqs::platecut:webhook"
    assert [e.text for e in queue.findall(f"{NS}Event")] == ["s3:ObjectCreated:*"]
    assert queue.findtext(f"{NS}Id") == "platecut-drop"
    rule = queue.find(f"{NS}Filter/{NS}S3Key/{NS}FilterRule")
    assert rule is not None
    assert (rule.findtext(f"{NS}Name"), rule.findtext(f"{NS}Value")) == ("prefix", "drop/")


def test_the_drop_notification_keeps_the_buckets_other_rules_and_replaces_its_own() -> None:
    other = QueueConfig(["s3:ObjectRemoved:*"], config_id="audit", queue="arn:minio:sqs::audit:webhook",
                        suffix_filter_rule=SuffixFilterRule(".log"))
    first = drop_notification(webhook_arn("old"), "drop/", NotificationConfig(queue_config_list=[other]))
    again = drop_notification(webhook_arn("platecut"), "incoming/", first)
    ids = [(q.findtext(f"{NS}Id"), q.findtext(f"{NS}Queue")) for q in _queues(again)]
    assert ids == [("audit", "arn:minio:sqs::audit:webhook"),
                   ("platecut-drop", "arn:minio:sqs::platecut:webhook")]


class StandInMinio:
    """What ``platecut drop notify`` calls of ``minio.Minio``, recorded."""

    made: ClassVar[list[dict[str, Any]]] = []
    sets: ClassVar[list[tuple[str, NotificationConfig]]] = []

    def __init__(self, endpoint: str, **options: Any) -> None:
        self.made.append({"endpoint": endpoint, **options})

    def get_bucket_notification(self, bucket: str) -> NotificationConfig:
        return NotificationConfig()

    def set_bucket_notification(self, bucket: str, config: NotificationConfig) -> None:
        self.sets.append((bucket, config))


def test_platecut_drop_notify_sets_the_buckets_notification(monkeypatch: pytest.MonkeyPatch) -> None:
    import minio

    monkeypatch.setattr(minio, "Minio", StandInMinio)
    for name, value in {"PLATECUT_STORAGE": "s3", "PLATECUT_S3_ENDPOINT": "https://minio.example:9000",
                        "PLATECUT_S3_BUCKET": "plates", "PLATECUT_S3_ACCESS_KEY_ID": "AK",
                        "PLATECUT_S3_SECRET_ACCESS_KEY": "SK", "PLATECUT_DROP_PREFIX": "incoming/"}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli.drop, ["notify", "--target", "site1"])
    assert result.exit_code == 0, result.output
    assert StandInMinio.made[-1] == {"endpoint": "minio.example:9000", "access_key": "AK", "secret_key": "SK",
                                     "secure": True, "region": "us-east-1"}
    bucket, config = StandInMinio.sets[-1]
    [queue] = _queues(config)
    assert bucket == "plates" and queue.findtext(f"{NS}Queue") == "arn:minio:sqs::site1:webhook"
    assert queue.findtext(f"{NS}Id") == minio_notify.CONFIG_ID


def test_platecut_drop_notify_needs_s3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLATECUT_STORAGE", "disk")
    result = CliRunner().invoke(cli.drop, ["notify"])
    assert result.exit_code == 2 and "PLATECUT_STORAGE=s3" in result.output
