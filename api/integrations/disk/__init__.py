"""Object storage in a local folder, served and signed by the API itself (one machine)."""

from api.integrations.disk.storage import DiskStorage

__all__ = ["DiskStorage"]
