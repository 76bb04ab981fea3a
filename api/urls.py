"""URL prefixes. Routers carry their whole prefix (not one added by an enclosing router), so a
route's ``path`` is its full template: the metrics label requests by it."""

API_V1 = "/api/v1"
STORAGE_PREFIX = "/api/v1/storage/"  # DiskStorage's signed routes (api.integrations.disk.signing)
