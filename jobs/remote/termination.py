"""The one-line summary a finished (or failed) Job leaves in its termination log.

Kubernetes shows the file's content as the container's termination message
(``kubectl get pod -o jsonpath='{..terminated.message}'``), at most 4096 bytes, so
the control plane learns the outcome without reading logs:
``ok: 12 cuts, 2,400 frames, names from burn-ins 12/12, 95.3 s`` or ``error 65: <message>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import click

from jobs.errors import ExitCode, PlatecutError
from jobs.manifest import Manifest

DEFAULT_PATH = "/dev/termination-log"
LIMIT = 4096  # bytes Kubernetes keeps of a termination message


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def success_line(manifest: Manifest, seconds: float) -> str:
    """``ok: 12 cuts, 2,400 frames, names from burn-ins 12/12, 95.3 s`` (no names part without OCR;
    ``cut version 3`` instead when a cut list gave the cuts)."""
    cuts = manifest.cuts
    parts = [_plural(len(cuts), "cut"), _plural(manifest.plate.frame_count, "frame")]
    if manifest.split.cut_list_version is not None:
        parts.append(f"cut version {manifest.split.cut_list_version}")
    if manifest.burnin is not None:
        named = sum(cut.name_from == "burnin" for cut in cuts)
        parts.append(f"names from burn-ins {named}/{len(cuts)}")
        if manifest.burnin.suspicious:
            parts.append(f"{len(manifest.burnin.suspicious)} suspicious")
    return f"ok: {', '.join(parts)}, {seconds:.1f} s"


def error_line(code: int, message: str) -> str:
    return f"error {int(code)}: {message}"


def fit(line: str, limit: int = LIMIT) -> str:
    """One line of at most ``limit`` bytes of UTF-8, newline included; cut lines end in '...'."""
    text = " ".join(line.split())
    data = text.encode()
    if len(data) < limit:
        return text
    return data[: limit - 4].decode(errors="ignore") + "..."


def write_termination_log(path: str | None, line: str) -> None:
    """Write ``line`` to ``path``; a missing or read-only file (outside Kubernetes) is ignored."""
    if not path:
        return
    with suppress(OSError):
        Path(path).write_text(fit(line) + "\n", encoding="utf-8")


@contextmanager
def reporting_errors(path: str | None) -> Iterator[None]:
    """Leave ``error <code>: <message>`` in the termination log for any error, then re-raise."""
    try:
        yield
    except PlatecutError as exc:
        write_termination_log(path, error_line(exc.exit_code, exc.message))
        raise
    except click.ClickException as exc:
        write_termination_log(path, error_line(ExitCode.USAGE, exc.format_message()))
        raise
    except Exception as exc:
        write_termination_log(path, error_line(ExitCode.INTERNAL,
                                               f"internal error: {type(exc).__name__}: {exc}"))
        raise
