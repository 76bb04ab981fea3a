"""Production trackers the cuts of a plate are published to: the ``Tracker`` interface, Kitsu
(``kitsu.py``, through gazu) and Flow Production Tracking, formerly ShotGrid (``shotgrid.py``, through
shotgun_api3: Shots, a Cut per reel version and its CutItems, as Import Cut writes them), each imported
only when used."""

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
