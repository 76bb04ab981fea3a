"""Stage 1, probe: what the plate is, read with ffprobe, frame rate kept exact."""

from __future__ import annotations

import itertools
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from typing import Any

from jobs import ffmpeg_cli
from jobs.errors import BadInputError
from jobs.manifest import AudioStream, PlateInfo, Rational
from jobs.source import PlateSource
from jobs.timecode import FrameRate, TimecodeError, is_drop_frame, timecode_to_frames

_CONTAINERS = {".mov": "mov", ".mp4": "mp4", ".m4v": "mp4", ".mxf": "mxf", ".mkv": "matroska",
               ".webm": "webm", ".avi": "avi"}


def probe(source: PlateSource) -> PlateInfo:
    """Probe a plate; raises BadInputError when it has no readable video."""
    args = [*_input_args(source), "-show_streams", "-show_format", str(source.path)]
    with ThreadPoolExecutor(max_workers=2) as pool:  # FFmpeg's own tables, read meanwhile
        depths = pool.submit(ffmpeg_cli.pixel_format_depths)
        intra = pool.submit(ffmpeg_cli.intra_only_codecs)
        data = ffmpeg_cli.probe_json(args, f"reading {source.display_name}")
        depths.result()
        intra.result()
    video = _video_stream(data, source)
    rate, vfr = _frame_rate(video, source)
    count, counted = _frame_count(video, source)
    if count <= 0:
        raise BadInputError(f"{source.display_name}: the plate has no video frames")
    timecode = _start_timecode(data, rate)
    codec = str(video.get("codec_name") or "unknown")
    if codec in ("unknown", "none"):
        tag = video.get("codec_tag_string") or "?"
        raise BadInputError(f"{source.display_name}: unsupported video codec (tag {tag!r}): "
                            "FFmpeg has no decoder for it")
    profile = video.get("profile")
    pix_fmt = str(video.get("pix_fmt") or "unknown")
    return PlateInfo(
        source=source.display_name, kind="sequence" if source.kind == "sequence" else "movie",
        container=_container(data, source), codec=codec,
        profile=str(profile) if profile not in (None, "unknown") else None,
        width=int(video.get("width", 0)), height=int(video.get("height", 0)),
        pixel_aspect=_sar(video), pix_fmt=pix_fmt,
        bit_depth=ffmpeg_cli.pixel_format_depths().get(pix_fmt, 0)
        or int(video.get("bits_per_raw_sample") or 8),
        frame_rate=Rational(num=rate.num, den=rate.den), frame_count=count,
        frame_count_counted=counted, duration=str(_duration(video, count, rate, vfr)),
        start_timecode=timecode, drop_frame=bool(timecode and is_drop_frame(timecode)),
        variable_frame_rate=vfr,
        intra_only=source.kind == "sequence" or _intra_only(codec, profile),
        first_frame_number=source.first_number, audio=_audio(data),
        size_bytes=_size(data, source),
    )


def _input_args(source: PlateSource) -> list[str]:
    if source.kind != "sequence":
        return []
    return ["-f", "image2", "-start_number", str(source.first_number),
            "-framerate", str(source.sequence_rate)]


def _video_stream(data: dict[str, Any], source: PlateSource) -> dict[str, Any]:
    for stream in data.get("streams", []):
        attached = stream.get("disposition", {}).get("attached_pic", 0)
        if stream.get("codec_type") == "video" and not attached:
            return dict(stream)
    raise BadInputError(f"{source.display_name}: not a video (no video stream found)")


def _rate(text: str | None) -> Fraction | None:
    if not text or text in ("0/0", "0"):
        return None
    value = Fraction(text)
    return value if value > 0 else None


def _frame_rate(video: dict[str, Any], source: PlateSource) -> tuple[FrameRate, bool]:
    """The plate's rate and whether it is variable (measured from packet timestamps)."""
    if source.kind == "sequence":
        return source.sequence_rate, False
    r_rate, avg = _rate(video.get("r_frame_rate")), _rate(video.get("avg_frame_rate"))
    if r_rate and avg and r_rate == avg:
        return FrameRate.from_fraction(r_rate), False
    durations = _packet_durations(source)
    if durations:
        common, _ = Counter(durations).most_common(1)[0]
        time_base = Fraction(str(video.get("time_base", "1/1")))
        rate = _snap_rate(1 / (common * time_base))
        return rate, len(set(durations)) > 1 and _spread(durations) > 1
    measured = r_rate or avg
    if measured is None:
        raise BadInputError(f"{source.display_name}: the frame rate cannot be read")
    return FrameRate.from_fraction(measured), False


def _packet_durations(source: PlateSource) -> list[int]:
    args = ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts",
            "-of", "csv=p=0", str(source.path)]
    out = ffmpeg_cli.run(["ffprobe", *args], f"reading {source.display_name}").stdout.decode()
    pts = sorted(int(x) for x in out.split() if x.strip().lstrip("-").isdigit())
    return [b - a for a, b in itertools.pairwise(pts) if b > a]


def _spread(durations: list[int]) -> int:
    return max(durations) - min(durations)


def _snap_rate(rate: Fraction) -> FrameRate:
    """Snap a measured rate to the nearest standard rate when within 0.1%."""
    standard = [Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001),
                Fraction(30), Fraction(48), Fraction(50), Fraction(60000, 1001), Fraction(60)]
    for std in standard:
        if abs(rate - std) / std < Fraction(1, 1000):
            return FrameRate.from_fraction(std)
    return FrameRate.from_fraction(rate.limit_denominator(1001))


def _duration(video: dict[str, Any], count: int, rate: FrameRate, vfr: bool) -> Fraction:
    """Exact duration: frames over rate, or the stream's own length when the rate varies."""
    ticks, time_base = video.get("duration_ts"), video.get("time_base")
    if vfr and ticks and time_base:
        return int(ticks) * Fraction(str(time_base))
    return count * rate.frame_duration


def _frame_count(video: dict[str, Any], source: PlateSource) -> tuple[int, bool]:
    if source.kind == "sequence":
        return len(source.frame_files), False
    declared = _int(video.get("nb_frames"))
    if declared > 0:
        return declared, False
    args = ["-select_streams", "v:0", "-count_packets", "-show_entries",
            "stream=nb_read_packets", str(source.path)]
    data = ffmpeg_cli.probe_json(args, f"counting frames of {source.display_name}")
    streams = data.get("streams") or [{}]
    return _int(streams[0].get("nb_read_packets")), True


def _int(value: Any) -> int:
    """ffprobe numbers may be missing or 'N/A'."""
    text = str(value or "")
    return int(text) if text.isdigit() else 0


def _start_timecode(data: dict[str, Any], rate: FrameRate) -> str | None:
    candidates = [s.get("tags", {}) for s in data.get("streams", [])]
    candidates.append(data.get("format", {}).get("tags", {}))
    for tags in candidates:
        value = tags.get("timecode")
        if value:
            try:
                timecode_to_frames(value, rate)
            except TimecodeError:
                continue
            return str(value)
    return None


def _container(data: dict[str, Any], source: PlateSource) -> str:
    if source.kind == "sequence":
        return "image2"
    by_ext = _CONTAINERS.get(source.path.suffix.lower())
    name = str(data.get("format", {}).get("format_name", "unknown"))
    return by_ext if by_ext and by_ext in [*name.split(","), "matroska"] else name.split(",")[0]


def _sar(video: dict[str, Any]) -> str:
    sar = video.get("sample_aspect_ratio")
    return str(sar) if sar and sar != "0:1" else "1:1"


def _intra_only(codec: str, profile: Any) -> bool:
    return codec in ffmpeg_cli.intra_only_codecs() or "intra" in str(profile or "").lower()


def _audio(data: dict[str, Any]) -> list[AudioStream]:
    out = []
    for s in data.get("streams", []):
        if s.get("codec_type") == "audio":
            out.append(AudioStream(index=int(s["index"]), codec=str(s.get("codec_name")),
                                   channels=int(s.get("channels", 0)),
                                   sample_rate=int(s.get("sample_rate", 0)),
                                   channel_layout=s.get("channel_layout")))
    return out


def _size(data: dict[str, Any], source: PlateSource) -> int:
    if source.kind == "sequence":
        return sum(p.stat().st_size for p in source.frame_files)
    return int(data.get("format", {}).get("size") or source.path.stat().st_size)
