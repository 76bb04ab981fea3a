"""platecut's control plane: HTTP API, database, storage, launching and reconciliation."""
