"""The command-line options of a split, shared by ``platecut split`` and ``platecut job run``.

Declared here once (same names, defaults and environment variables for both
commands) and turned into :class:`~jobs.pipeline.SplitOptions` by
:func:`build_split_options`. Only click is imported here: the job's modules load
when a command runs, so ``platecut --help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from jobs.cut_fields import DEFAULT_HANDLES, DEFAULT_PLATE_KIND, PLATE_KINDS
from jobs.manifest import MAX_PARTS, PARTS_ENV

if TYPE_CHECKING:
    from jobs.manifest import DetectorSettings
    from jobs.ocr.engine import OcrSettings
    from jobs.pipeline import SplitOptions

F = TypeVar("F", bound=Callable[..., Any])

_SPLIT_OPTIONS = [
    click.option("--no-split", is_flag=True, help="Detect and describe only; write no cut media."),
    click.option("--no-review", is_flag=True,
                 help="Write no review/ folder (the proxy, thumbnail strip and detector scores "
                      "a review page shows)."),
    click.option("--parts", default=1, show_default=True, type=click.IntRange(min=1, max=MAX_PARTS),
                 envvar=PARTS_ENV,
                 help="Decode and detect the plate in this many parts at once, each a process of "
                      "its own (for a long plate on a node with cores to spare); the result is "
                      "the same as in one part."),
    click.option("--head-in", default=1001, show_default=True, type=click.IntRange(min=0),
                 envvar="PLATECUT_HEAD_IN",
                 help="Frame number of each cut's first frame, head handles included."),
    click.option("--plate-kind", type=click.Choice(PLATE_KINDS), default=DEFAULT_PLATE_KIND,
                 show_default=True,
                 help="reference: each segment of the plate is a cut alone (handles are "
                      "virtual; its media is numbered from cut_in = head_in + head handles); "
                      "scan: each segment holds its handles too (numbered from head_in)."),
    click.option("--head-handles", default=DEFAULT_HANDLES, show_default=True,
                 type=click.IntRange(min=0), envvar="PLATECUT_HEAD_HANDLES",
                 help="Frames of handles before each cut."),
    click.option("--tail-handles", default=DEFAULT_HANDLES, show_default=True,
                 type=click.IntRange(min=0), envvar="PLATECUT_TAIL_HANDLES",
                 help="Frames of handles after each cut."),
    click.option("--codec", default="prores", show_default=True,
                 help="Intermediate for long-GOP plates: prores, prores4444, dnxhr, h264; "
                      "'copy' refuses to re-encode. Intra-only movies are copied with prores or "
                      "copy, re-encoded with the others; image sequences are always copied."),
    click.option("--name-template", default="{plate}_{index:03d}", show_default=True,
                 envvar="PLATECUT_NAME_TEMPLATE",
                 help="Names of cuts without a burned-in name; fields {plate} and {index}."),
    click.option("--set", "detector_set", multiple=True, metavar="NAME=VALUE",
                 help="Detector setting, e.g. --set cut_ratio=3 (see docs/DETECTION.md)."),
    click.option("--no-ocr", is_flag=True, help="Do not read burn-ins."),
    click.option("--ocr-engine", type=click.Choice(["onnx", "paddle"]),
                 help="OCR engine for burn-ins (default: PLATECUT_OCR_ENGINE, else onnx)."),
    click.option("--burnin-region", "regions", multiple=True, metavar="X,Y,W,H",
                 envvar="PLATECUT_BURNIN_REGIONS",
                 help="A burn-in band as fractions of the picture (repeatable; env: "
                      "PLATECUT_BURNIN_REGIONS, space-separated); default: found automatically."),
    click.option("--shot-pattern", envvar="PLATECUT_SHOT_PATTERN",
                 help="Regular expression of the site's shot names (env: PLATECUT_SHOT_PATTERN)."),
]


def split_options(command: F) -> F:
    """Add the split options of :data:`_SPLIT_OPTIONS` to ``command``."""
    for option in reversed(_SPLIT_OPTIONS):
        command = option(command)
    return command


def detector_settings(pairs: tuple[str, ...]) -> DetectorSettings:
    """The detector settings of ``--set NAME=VALUE`` pairs (the defaults for the others)."""
    from pydantic import ValidationError

    from jobs.manifest import DetectorSettings

    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r}: use NAME=VALUE", param_hint="--set")
        values[key.strip()] = value.strip()
    try:
        return DetectorSettings.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise click.BadParameter(f"{where}: {first['msg']}", param_hint="--set") from exc


def ocr_settings(engine: str | None = None) -> OcrSettings:
    """The OCR settings of the ``PLATECUT_OCR_*`` environment, ``engine`` (``--ocr-engine``)
    replacing its engine: ``SplitOptions`` reads no environment, the commands pass these."""
    from jobs.ocr.engine import OcrSettings

    settings = OcrSettings.from_env()
    return settings.model_copy(update={"engine": engine}) if engine else settings


def burnin_options(no_ocr: bool, engine: str | None, regions: tuple[str, ...],
                   pattern: str | None) -> dict[str, Any]:
    """The ``SplitOptions`` fields of the burn-in options: ``ocr``, ``burnin_regions`` and
    ``shot_pattern``."""
    import re

    from jobs.burnin.regions import Region
    from jobs.ocr.cleanup import DEFAULT_SHOT_PATTERN

    try:
        bands = [Region.parse(r) for r in regions] or None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--burnin-region") from exc
    try:
        re.compile(pattern or DEFAULT_SHOT_PATTERN)
    except re.error as exc:
        raise click.BadParameter(f"not a regular expression: {exc}",
                                 param_hint="--shot-pattern") from exc
    return {"ocr": None if no_ocr else ocr_settings(engine), "burnin_regions": bands,
            "shot_pattern": pattern or DEFAULT_SHOT_PATTERN}


def check_output_options(codec: str, name_template: str) -> None:
    """An unknown ``--codec`` or a ``--name-template`` that names no cut is a usage error."""
    from jobs.errors import UsageError
    from jobs.segments import check_name_template
    from jobs.split import check_codec

    for check, value, hint in ((check_codec, codec, "--codec"),
                               (check_name_template, name_template, "--name-template")):
        try:
            check(value)
        except UsageError as exc:
            raise click.BadParameter(exc.message, param_hint=hint) from exc


def numbering_options(head_in: int, plate_kind: str, head_handles: int,
                      tail_handles: int) -> dict[str, Any]:
    """The ``SplitOptions`` fields of ``--head-in``, ``--plate-kind`` and the handles; a value
    they cannot take is a usage error."""
    from jobs.cut_fields import Handles, Numbering

    try:
        Numbering(plate_kind, head_in, Handles(head_handles, tail_handles))  # type: ignore[arg-type]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--plate-kind/--head-in/--*-handles") from exc
    return {"head_in": head_in, "plate_kind": plate_kind, "head_handles": head_handles,
            "tail_handles": tail_handles}


def build_split_options(no_split: bool, head_in: int, codec: str, name_template: str,
                        detector_set: tuple[str, ...], no_ocr: bool, ocr_engine: str | None,
                        regions: tuple[str, ...], shot_pattern: str | None,
                        plate_kind: str = DEFAULT_PLATE_KIND, head_handles: int = DEFAULT_HANDLES,
                        tail_handles: int = DEFAULT_HANDLES, no_review: bool = False,
                        parts: int = 1, **extra: Any) -> SplitOptions:
    """``SplitOptions`` from the split options (OCR on by default), for ``platecut split``
    and ``platecut job run`` alike; ``extra``: further ``SplitOptions`` fields.

    A wrong value is a usage error (``click.BadParameter``), found before any work."""
    from jobs.pipeline import SplitOptions

    check_output_options(codec, name_template)
    return SplitOptions(split=not no_split, review=not no_review, codec=codec,
                        name_template=name_template, parts=parts,
                        detector=detector_settings(detector_set),
                        **numbering_options(head_in, plate_kind, head_handles, tail_handles),
                        **burnin_options(no_ocr, ocr_engine, regions, shot_pattern), **extra)
