"""Request ids, structured JSON logs and Prometheus metrics."""
