"""Valid tokens remembered for a few seconds (``PLATECUT_AUTH_CACHE_SECONDS``), by SHA-256."""

from __future__ import annotations

from api.auth.principal import Principal
from api.ttl_cache import TtlCache

PrincipalCache = TtlCache[str, Principal]
