"""Split jobs as subprocesses on this machine: the embedded default launcher."""

from api.integrations.local.launcher import LocalLauncher, default_command, job_arguments

__all__ = ["LocalLauncher", "default_command", "job_arguments"]
