"""The ``platecut`` command: probe and split plates, make sample plates, run the demo."""

from __future__ import annotations

import os
import sys
import traceback
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from jobs.errors import ExitCode, PlatecutError
from jobs.frame_files import DEFAULT_FRAME_FILES, FRAME_FILES, FrameFiles
from jobs.remote.command import job  # click only: the job's modules load when it runs
from jobs.split_options import build_split_options, ocr_settings, split_options

err_console = Console(stderr=True)


class PlatecutGroup(click.Group):
    """Also the commands other installed parts of platecut register under the
    ``platecut.commands`` entry point group (the control plane's ``serve``, ``token``,
    ``upload``...), each imported only when it is asked for, so ``platecut split`` pays
    nothing for them. The job program never imports them; a part whose extra is not
    installed adds nothing. A part may extend a command of the same name (the control
    plane's ``demo`` runs the whole flow through the API, this one with ``--job-only``)."""

    def _plugins(self) -> dict[str, EntryPoint]:
        return {point.name: point for point in entry_points(group="platecut.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        point = self._plugins().get(cmd_name)
        if point is not None:
            try:
                command = point.load()
            except ImportError:  # that part's extra is not installed in this environment
                command = None
            if isinstance(command, click.Command):
                return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=PlatecutGroup)
@click.version_option(package_name="platecut")
def cli() -> None:
    """Split original plates into frame-exact cuts."""


def _rate(value: str | None) -> Any:
    from jobs.timecode import FrameRate, TimecodeError

    if value is None:
        return None
    try:
        return FrameRate.parse(value)
    except TimecodeError as exc:
        raise click.BadParameter(str(exc), param_hint="--fps") from exc


@cli.command()
@click.argument("plate")
@click.option("--fps", help="Frame rate of an image sequence (default 24), e.g. 24000/1001.")
@click.option("--json", "as_json", is_flag=True, help="Print the probe as JSON.")
def probe(plate: str, fps: str | None, as_json: bool) -> None:
    """Show what a plate is: codec, size, exact frame rate, frame count, timecode."""
    from jobs.probe import probe as run_probe
    from jobs.report import print_probe
    from jobs.source import resolve_source

    info = run_probe(resolve_source(plate, _rate(fps)))
    if as_json:
        click.echo(info.model_dump_json(indent=2))
    else:
        print_probe(info)


@cli.command()
@click.argument("plate")
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Folder for the cuts, thumbnails, contact sheet, EDL, OTIO, review files "
                   "and manifest.")
@split_options
@click.option("--cut-list", type=click.Path(path_type=Path),
              help="A cut version's cut list (JSON, see jobs/cut_list.py): write its cuts, "
                   "named as it names them, instead of detecting; no burn-in is read.")
@click.option("--fps", help="Frame rate of an image sequence (default 24).")
@click.option("--sequence-files", type=click.Choice(FRAME_FILES), default=DEFAULT_FRAME_FILES,
              show_default=True,
              help="How an image sequence's cut frames are made from the plate's: auto clones "
                   "them where the filesystem can (btrfs, XFS) and copies elsewhere; hardlink "
                   "links them (no byte moved, but an edit of a cut's frame in place changes the "
                   "plate's too; copies across filesystems); copy always copies.")
@click.option("--overwrite", is_flag=True, help="Replace a non-empty output folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest instead of a table.")
def split(plate: str, out_dir: Path, no_split: bool, no_review: bool, parts: int, head_in: int,
          plate_kind: str, head_handles: int, tail_handles: int, codec: str, fps: str | None,
          name_template: str, detector_set: tuple[str, ...], no_ocr: bool,
          ocr_engine: str | None, regions: tuple[str, ...], shot_pattern: str | None,
          cut_list: Path | None, sequence_files: FrameFiles, overwrite: bool,
          as_json: bool) -> None:
    """Find every cut in PLATE and write each as its own file (or the cuts of --cut-list)."""
    from jobs.cut_list import read_cut_list
    from jobs.pipeline import run_split
    from jobs.report import RichProgress, print_cuts

    options = build_split_options(no_split, head_in, codec, name_template, detector_set, no_ocr,
                                  ocr_engine, regions, shot_pattern, plate_kind=plate_kind,
                                  head_handles=head_handles, tail_handles=tail_handles,
                                  no_review=no_review, parts=parts, sequence_rate=_rate(fps),
                                  overwrite=overwrite,
                                  frame_files=sequence_files,
                                  cut_list=read_cut_list(cut_list) if cut_list else None)
    with RichProgress(err_console) as bar:
        manifest = run_split(plate, out_dir, options, bar)
    if as_json:
        click.echo(manifest.to_json())
    else:
        print_cuts(manifest, out_dir)


@cli.command()
@click.argument("output", type=click.Path(path_type=Path))
@click.option("--size", default="640x360", show_default=True, help="WIDTHxHEIGHT")
@click.option("--codec", default="h264", show_default=True,
              help="h264, hevc, prores, dnxhr, or png/tiff/dpx/exr for a sequence.")
@click.option("--scale", default=1, show_default=True, type=click.IntRange(min=1),
              help="Multiply every shot's length.")
@click.option("--seed", default=1, show_default=True, type=click.IntRange(min=0),
              help="Of the random pictures (life, cells, noise): one seed, one plate.")
def sample(output: Path, size: str, codec: str, scale: int, seed: int) -> None:
    """Generate a sample plate with known cuts (OUTPUT: file, or name.%04d.ext)."""
    from jobs import synth

    width, _, height = size.partition("x")
    if not (width.isdigit() and height.isdigit()) or codec not in synth.CODECS:
        raise click.BadParameter(f"size {size!r} or codec {codec!r} is not valid")
    truth = synth.make_plate(synth.demo_spec(int(width), int(height), codec, scale, seed),
                              output)
    click.echo(f"{output}: {truth.frame_count} frames, cuts start at {truth.cut_starts}")


@cli.command()
@click.option("--out", "out_dir", default=Path("demo-output"), show_default=True,
              type=click.Path(path_type=Path))
def demo(out_dir: Path) -> None:
    """Generate a sample plate, split it, and show the cuts."""
    from jobs import synth
    from jobs.pipeline import SplitOptions, run_split
    from jobs.report import RichProgress, print_cuts

    plate = out_dir.parent / f"{out_dir.name}-plate" / "demo_plate.mp4"
    err_console.print(f"Generating a sample plate: {plate}", soft_wrap=True)
    truth = synth.make_plate(synth.demo_spec(), plate)
    err_console.print(f"It holds {len(truth.cut_starts) + 1} shots; they start at frames "
                      f"{[0, *truth.cut_starts]}.", soft_wrap=True)
    with RichProgress(err_console) as bar:
        manifest = run_split(str(plate), out_dir, SplitOptions(overwrite=True, ocr=ocr_settings()),
                             bar)
    print_cuts(manifest, out_dir)


cli.add_command(job)  # platecut job run: the per-plate Kubernetes Job (jobs/remote/)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user mistakes get one line and a documented exit code, never a traceback."""
    try:
        cli.main(args=argv, prog_name="platecut", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.USAGE)
    except click.Abort:
        sys.exit(130)
    except PlatecutError as exc:
        err_console.print(f"[bold red]platecut: error:[/] {exc.message}", highlight=False,
                          soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug: say so, keep the traceback for PLATECUT_DEBUG=1
        if os.environ.get("PLATECUT_DEBUG"):
            traceback.print_exc()
        err_console.print(f"[bold red]platecut: internal error:[/] {type(exc).__name__}: {exc}"
                          " (set PLATECUT_DEBUG=1 for details)", highlight=False, soft_wrap=True)
        sys.exit(ExitCode.INTERNAL)


if __name__ == "__main__":
    main()
