"""The per-plate Kubernetes Job's entrypoint: ``platecut job run``.

Download one plate from object storage (or a local folder), split it with the
engine of :mod:`jobs.pipeline`, upload every output with ``manifest.json`` last,
and leave a one-line summary in the termination log. Nothing here imports
``boto3`` until an ``s3://`` location is used, so ``platecut --help`` stays fast.
"""
