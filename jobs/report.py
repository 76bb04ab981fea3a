"""What the CLI shows people: progress bars, probe and cut tables."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from jobs.manifest import MANIFEST_NAME, FramePlacement, Manifest, PlateInfo

# Tables stay readable when piped to a file or a CI log (no terminal width to go by).
console = Console() if sys.stdout.isatty() else Console(width=160)


class RichProgress:
    """One bar per stage, shown on terminals only."""

    def __init__(self, out: Console) -> None:
        self._bars = Progress(TextColumn("{task.description:<11}"), BarColumn(),
                              MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                              console=out, disable=not out.is_terminal, transient=False)
        self._task: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self._bars.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._bars.stop()

    def stage(self, name: str, total: int | None) -> Callable[[int], None]:
        task = self._bars.add_task(name, total=total)

        def advance(done: int) -> None:
            self._bars.update(task, completed=done)

        return advance


def print_probe(info: PlateInfo) -> None:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    rows = [
        ("source", info.source), ("kind", info.kind), ("container", info.container),
        ("codec", f"{info.codec}" + (f" ({info.profile})" if info.profile else "")),
        ("intra-only", "yes" if info.intra_only else "no (long-GOP)"),
        ("resolution", f"{info.width}x{info.height}  pixel aspect {info.pixel_aspect}"),
        ("pixels", f"{info.pix_fmt}, {info.bit_depth}-bit"),
        ("frame rate", f"{info.frame_rate}" + ("  VARIABLE" if info.variable_frame_rate else "")),
        ("frames", f"{info.frame_count}" + ("  (counted)" if info.frame_count_counted else "")),
        ("duration", f"{float(_fraction(info.duration)):.3f} s"),
        ("timecode", (info.start_timecode or "none")
         + ("  drop-frame" if info.drop_frame else "")),
        ("audio", ", ".join(f"#{a.index} {a.codec} {a.channels}ch {a.sample_rate} Hz"
                            for a in info.audio) or "none"),
    ]
    if info.first_frame_number is not None:
        rows.insert(2, ("first frame", str(info.first_frame_number)))
    for key, value in rows:
        table.add_row(key, value)
    console.print(table)


def _fraction(text: str) -> float:
    from fractions import Fraction

    return float(Fraction(text))


def placement_line(placed: FramePlacement) -> str:
    """How the cut frames were made, e.g. "316 hard-linked, 12 copied (24.1 MB)"."""
    parts = [f"{n} {how}" for n, how in ((placed.cloned, "cloned"), (placed.linked, "hard-linked"))
             if n]
    if placed.copied or not parts:
        parts.append(f"{placed.copied} copied ({placed.copied_bytes / 1e6:.1f} MB)")
    return ", ".join(parts)


def print_cuts(m: Manifest, out_dir: Path) -> None:
    table = Table(title=f"{m.plate_name}: {len(m.cuts)} cuts, {m.plate.frame_count} frames "
                        f"at {m.plate.frame_rate}", title_justify="left")
    for col in ("#", "name", "plate frames", "cut in-out", "frames", "source TC in",
                "source TC out", "starts with", "found by", "conf."):
        table.add_column(col, justify="right" if col in ("#", "frames", "conf.") else "left")
    for c in m.cuts:
        start: str = c.boundary_in
        if c.transition_in:
            start += f" {c.transition_in.first_frame}-{c.transition_in.last_frame}"
        table.add_row(str(c.index), c.name, f"{c.first_frame}-{c.last_frame}",
                      f"{c.cut_in}-{c.cut_out}", str(c.cut_duration), c.source_tc_in or "",
                      c.source_tc_out or "", start, c.detected_by, f"{c.confidence:.2f}")
    console.print(table)
    if m.burnin and m.burnin.suspicious:
        for s in m.burnin.suspicious:
            console.print(f"[yellow]suspicious, not split:[/] plate frame {s.frame}: {s.reason}")
    if m.split.frame_files:
        console.print(f"Cut frames: {placement_line(m.split.frame_files)}")
    total = sum(m.timings.values())
    console.print(f"Outputs in [bold]{out_dir}[/]: {MANIFEST_NAME}, contact_sheet.png, "
                  f"{m.plate_name}.edl, {m.plate_name}.otio, cuts.csv"
                  + (", cuts/" if m.split.enabled else "") + (", review/" if m.review else "")
                  + f"  ({total:.1f} s)")
