"""Integrations with systems outside the API: object storage, Kubernetes."""
