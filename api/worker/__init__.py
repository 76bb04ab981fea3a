"""The Celery side of the control plane: a worker and a beat schedule that reconcile runs."""
