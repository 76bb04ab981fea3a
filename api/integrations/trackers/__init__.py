"""Production trackers the cuts of a plate are published to: the ``Tracker`` interface, and Kitsu
(``kitsu.py``, through gazu, imported only when used)."""

from api.integrations.trackers.base import (
    PublishedShot,
    PublishRequest,
    PublishResult,
    Tracker,
    TrackerError,
    TrackerRefused,
    TrackerUnavailable,
)

__all__ = ["PublishRequest", "PublishResult", "PublishedShot", "Tracker", "TrackerError", "TrackerRefused",
           "TrackerUnavailable"]
