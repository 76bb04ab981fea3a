"""Stage 5, split: write each cut as its own file with exactly its frames.

Intra-only movies (ProRes, DNx...) are stream-copied with the default codec or
``copy``, so every frame is bit-identical to the plate; asking for another
intermediate (prores4444, dnxhr, h264) re-encodes them to it. Long-GOP movies
(H.264, HEVC) are re-encoded to the intermediate (ProRes 422 HQ by default). Image
sequences are always copied file by file (cloned or hard-linked where asked and possible:
:mod:`jobs.frame_files`) and renumbered from the cut's ``media_in``:
``cut_in`` on a reference plate (1009 with head-in 1001 and 8 handles), ``head_in`` on a
scan, whose segments hold their handles (:mod:`jobs.cut_fields`). A movie's timecode is the
source timecode of its first frame; its frames are numbered ``media_in``.. in the manifest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg

from jobs import ffmpeg_cli
from jobs.decode import Timestamps
from jobs.errors import BadInputError, UsageError
from jobs.frame_files import DEFAULT_FRAME_FILES, FrameFiles, Placed, place_frame
from jobs.manifest import FramePlacement, PlateInfo
from jobs.segments import CutPlan
from jobs.source import PlateSource

# FFmpeg's "prores" encoder (prores_aw): on busy 1080p pictures prores_ks ran at 0.6
# frames/s on this machine's two cores against 10 for prores_aw (see docs/BENCHMARKS.md)
INTERMEDIATES: dict[str, dict[str, Any]] = {
    "prores": {"vcodec": "prores", "profile:v": 3, "pix_fmt": "yuv422p10le",
               "vendor": "apl0"},  # ProRes 422 HQ
    "prores4444": {"vcodec": "prores", "profile:v": 4, "pix_fmt": "yuva444p10le",
                   "vendor": "apl0"},
    "dnxhr": {"vcodec": "dnxhd", "profile:v": "dnxhr_hqx", "pix_fmt": "yuv422p10le"},
    "h264": {"vcodec": "libx264", "preset": "medium", "crf": 12, "pix_fmt": "yuv420p"},
}
DEFAULT_CODEC = "prores"
CODECS = ("copy", *INTERMEDIATES)  # what --codec takes


@dataclass(frozen=True)
class SplitResult:
    path: Path  # a movie file, or the first file of a cut's image sequence
    pattern: str  # relative path: the file, or the printf pattern of the sequence
    files: tuple[Path, ...]
    frames: int
    placed: Placed | None = None  # a sequence cut's frame files: how they were made


def check_codec(codec: str) -> None:
    """Raise :class:`UsageError` unless ``codec`` is one of :data:`CODECS`."""
    if codec not in CODECS:
        raise UsageError(f"unknown output codec {codec!r}: use one of {', '.join(CODECS)}")


def output_kind(source: PlateSource, info: PlateInfo, codec: str) -> str:
    """"copy" (bit-exact) for image sequences, and for intra-only movies when ``codec`` is
    the default or "copy"; otherwise ``codec``, an intermediate to re-encode to (a
    long-GOP movie cannot be copied: bad input)."""
    check_codec(codec)
    if source.kind == "sequence" or (info.intra_only and codec in ("copy", DEFAULT_CODEC)):
        return "copy"
    if codec == "copy":
        raise BadInputError(f"{info.codec} is long-GOP: it cannot be cut on every frame by "
                            "copying; choose an intermediate codec (--codec prores)")
    return codec


def split_cut(source: PlateSource, info: PlateInfo, cut: CutPlan, stamps: Timestamps,
              out_dir: Path, kind: str, frame_files: FrameFiles = DEFAULT_FRAME_FILES) -> SplitResult:
    if source.kind == "sequence":
        return _copy_sequence(source, cut, out_dir, frame_files)
    return _write_movie(source, info, cut, stamps, out_dir, kind)


def _write_movie(source: PlateSource, info: PlateInfo, cut: CutPlan, stamps: Timestamps,
                 out_dir: Path, kind: str) -> SplitResult:
    out = out_dir / f"{cut.name}.mov"
    seek = stamps.seek_point(cut.first_frame)
    inp = ffmpeg.input(str(source.path), ss=f"{float(seek):.6f}")
    streams = [inp["v:0"]]
    opts: dict[str, Any] = {"frames:v": cut.frame_count, "timecode": cut.source_tc_in}
    if kind == "copy":
        opts.update(vcodec="copy", copypriorss=0)
    else:
        opts.update(INTERMEDIATES[kind])
        if info.variable_frame_rate:
            opts["fps_mode"] = "passthrough"
    if info.audio:
        # -frames:v would close the audio early too; the cut's exact duration ends both
        # (the first frame sits a quarter frame after the seek point, the next cut's a
        # quarter frame after the end)
        lead = float(stamps.seconds(cut.first_frame) - seek)
        length = f"{float(cut.end_time - cut.start_time):.6f}"
        streams.append(inp["a:0"].filter("atrim", start=f"{lead:.6f}", duration=length)
                       .filter("asetpts", "PTS-STARTPTS"))
        opts.update(acodec="pcm_s24le", t=length)
        del opts["frames:v"]
    cmd = ffmpeg.output(*streams, str(out), **opts).overwrite_output()
    ffmpeg_cli.run(cmd.global_args("-v", "error", "-nostdin").compile(),
                   f"writing cut {cut.name}", bad_input=False)
    return SplitResult(out, out.name, (out,), cut.frame_count)


def _copy_sequence(source: PlateSource, cut: CutPlan, out_dir: Path,
                   frame_files: FrameFiles) -> SplitResult:
    """Plate frames first_frame..last_frame (0-based) as files numbered media_in..media_out."""
    folder = out_dir / cut.name
    folder.mkdir(parents=True, exist_ok=True)
    ext = source.frame_files[0].suffix
    first_number = cut.fields.media_in
    width = max(4, len(str(cut.fields.media_out)))
    files, placed = [], Placed()
    for offset, frame in enumerate(range(cut.first_frame, cut.last_frame + 1)):
        dest = folder / f"{cut.name}.{first_number + offset:0{width}d}{ext}"
        place_frame(source.frame_files[frame], dest, frame_files, placed)
        files.append(dest)
    pattern = f"{cut.name}/{cut.name}.%0{width}d{ext}"
    return SplitResult(files[0], pattern, tuple(files), len(files), placed)


def placement(media: list[SplitResult]) -> FramePlacement | None:
    """How the cuts' frame files were made, all cuts together; None for a movie's cuts."""
    placed = [m.placed for m in media if m.placed is not None]
    if not placed:
        return None
    total = Placed()
    for one in placed:
        total.add(one)
    return FramePlacement(cloned=total.cloned, linked=total.linked, copied=total.copied,
                          copied_bytes=total.copied_bytes)


def split_all(source: PlateSource, info: PlateInfo, cuts: list[CutPlan], stamps: Timestamps,
              out_dir: Path, codec: str,
              progress: Callable[[int], None] | None = None,
              frame_files: FrameFiles = DEFAULT_FRAME_FILES) -> list[SplitResult]:
    kind = output_kind(source, info, codec)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for done, cut in enumerate(cuts, start=1):
        results.append(split_cut(source, info, cut, stamps, out_dir, kind, frame_files))
        if progress:
            progress(done)
    return results
