"""Uploads of plates into object storage: one presigned PUT, or multipart."""
