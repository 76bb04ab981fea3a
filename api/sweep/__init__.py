"""The sweep: what nobody will finish or fetch, removed on the reconcile tick (``tick.sweep_if_due``)."""
