"""Errors a user can cause, and the exit codes the CLI and the Kubernetes Job use.

The codes follow sysexits(3). A Job's ``podFailurePolicy`` fails at once on the codes
no retry can help (``NOT_RETRIED``) and lets every other failure retry; of those, the
plate's own faults (``REJECTING``) reject the plate, the others (the job's command, its
image, its scratch space or its credentials) fail it.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    USAGE = 2  # wrong command-line arguments
    BAD_INPUT = 65  # the plate is unreadable, not a video, truncated, empty or unsupported
    NO_INPUT = 66  # the plate file or sequence does not exist
    ENVIRONMENT = 69  # a required tool (ffmpeg, ffprobe) is missing
    INTERNAL = 70  # a bug in platecut: report it
    CANT_CREATE = 73  # the output folder cannot be written
    TRANSIENT = 75  # storage or network trouble: retrying may help
    NO_PERMISSION = 77  # the API refused the token (missing, wrong or revoked)


# the plate is at fault: it is rejected, never retried
REJECTING = frozenset({ExitCode.BAD_INPUT, ExitCode.NO_INPUT})
# the same command would fail the same way again: the plate or the site's set-up is at fault
NOT_RETRIED = REJECTING | {ExitCode.USAGE, ExitCode.ENVIRONMENT, ExitCode.CANT_CREATE,
                           ExitCode.NO_PERMISSION}


class PlatecutError(Exception):
    """An error with a one-line message meant for the user, and its exit code."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(PlatecutError):
    """A wrong option or setting (e.g. an unknown output codec): not the plate's fault."""

    exit_code = ExitCode.USAGE


class BadInputError(PlatecutError):
    exit_code = ExitCode.BAD_INPUT


class InputMissingError(PlatecutError):
    exit_code = ExitCode.NO_INPUT


class ToolMissingError(PlatecutError):
    exit_code = ExitCode.ENVIRONMENT


class OutputError(PlatecutError):
    exit_code = ExitCode.CANT_CREATE


class TransientError(PlatecutError):
    exit_code = ExitCode.TRANSIENT


class NoPermissionError(PlatecutError):
    exit_code = ExitCode.NO_PERMISSION
