"""platecut's per-plate job program: probe, detect, split and describe one plate.

This package never imports ``api``: it is what runs inside each Kubernetes Job.
"""

__version__ = "0.1.0"
