"""-vf / -af: libavfilter graphs through PyAV, with ffplay's semantics.

PyAV has no parser for filter strings, so a chain such as ``hflip,scale=w=320:h=-2`` is
split here (FFmpeg's quoting: ``\\`` escapes, ``'...'`` quotes) and its filters linked one by
one. Labels and ``;`` (graphs with several chains) are refused with one clear line.

A video graph is rebuilt whenever the decoded size, format or aspect changes, or ``w``
picks another -vf (ffplay's configure_video_filters with last_w/last_h/last_format/
last_vfilter_idx). Autorotation is done with transpose/hflip/vflip/rotate filters placed
first, as ffplay does, so mirrored display matrices are honoured. Without filters and
rotation, frames pass through untouched (no graph at all).
"""

from __future__ import annotations

import math
import struct
from fractions import Fraction
from typing import Any

import av
import numpy as np

from pyffplay.errors import PlayerError

Filter = tuple[str, str | None]  # (name, args)


class FilterError(PlayerError):
    pass


def _token(text: str, i: int, stops: str) -> tuple[str, int]:
    """av_get_token: up to a stop character outside quotes, one level of quoting removed,
    surrounding whitespace dropped."""
    out: list[str] = []
    end_of_text = len(text)
    while i < end_of_text and text[i].isspace():
        i += 1
    trailing_ok = 0  # characters of `out` that came quoted/escaped (never stripped)
    while i < end_of_text and text[i] not in stops:
        c = text[i]
        if c == "\\" and i + 1 < end_of_text:
            out.append(text[i + 1])
            i += 2
            trailing_ok = len(out)
        elif c == "'":
            j = text.find("'", i + 1)
            if j < 0:
                j = end_of_text
            out.append(text[i + 1 : j])
            i = j + 1
            trailing_ok = len(out)
        else:
            out.append(c)
            i += 1
    token = "".join(out)
    kept = len("".join(out[:trailing_ok]))
    return token[:kept] + token[kept:].rstrip(), i


def split_chain(text: str) -> list[Filter]:
    """``"hflip,scale=320:-2"`` -> ``[("hflip", None), ("scale", "320:-2")]``."""
    filters: list[Filter] = []
    i = 0
    n = len(text)
    while i < n:
        while i < n and text[i].isspace():
            i += 1
        if i < n and text[i] == "[":
            raise FilterError(
                f"filter graphs with link labels are not supported: {text!r} (use a chain: a,b,c)"
            )
        j = i
        while j < n and (text[j].isalnum() or text[j] in "_@"):
            j += 1
        name = text[i:j].split("@")[0]
        if not name:
            raise FilterError(f"No filter name in {text!r}")
        args = None
        if j < n and text[j] == "=":
            args, j = _token(text, j + 1, "[],;")
        while j < n and text[j].isspace():
            j += 1
        if j < n and text[j] in ";[":
            raise FilterError(
                f"filter graphs with several chains are not supported: {text!r} (use a chain: a,b,c)"
            )
        if j < n and text[j] not in ",":
            raise FilterError(f"Invalid filter description at {text[j:]!r}")
        filters.append((name, args))
        i = j + 1
        if j < n and i >= n:
            raise FilterError(f"Invalid filter description {text!r}: it ends with ','")
    return filters


# -- autorotation (ffplay's get_rotation and the filters it inserts) -----------------


def display_matrix(frame: Any) -> tuple[int, ...] | None:
    """The frame's display matrix (9 int32), if it has one."""
    for sd in getattr(frame, "side_data", ()):
        if getattr(sd.type, "name", "") == "DISPLAYMATRIX":
            data = bytes(sd)
            if len(data) >= 36:
                return struct.unpack("<9i", data[:36])
    return None


def rotation_of(matrix: tuple[int, ...] | None) -> float:
    """ffplay's get_rotation: clockwise degrees in [0, 360), from av_display_rotation_get."""
    if matrix is None:
        return 0.0
    m0, m1, m3, m4 = (x / 65536.0 for x in (matrix[0], matrix[1], matrix[3], matrix[4]))
    s0, s1 = math.hypot(m0, m3), math.hypot(m1, m4)
    if not s0 or not s1:
        return 0.0
    theta = -round(-math.degrees(math.atan2(m1 / s1, m0 / s0)))
    theta -= 360 * math.floor(theta / 360 + 0.9 / 360)
    return float(theta)


def autorotate_filters(matrix: tuple[int, ...] | None) -> list[Filter]:
    """What ffplay inserts before -vf for a display matrix (mirroring included)."""
    if matrix is None:
        return []
    theta = rotation_of(matrix)
    if abs(theta - 90) < 1.0:
        return [("transpose", "cclock_flip" if matrix[3] > 0 else "clock")]
    if abs(theta - 180) < 1.0:
        flips: list[Filter] = [("hflip", None)] if matrix[0] < 0 else []
        return flips + ([("vflip", None)] if matrix[4] < 0 else [])
    if abs(theta - 270) < 1.0:
        return [("transpose", "clock_flip" if matrix[3] < 0 else "cclock")]
    if abs(theta) > 1.0:
        return [("rotate", f"{theta:f}*PI/180")]
    return [("vflip", None)] if matrix[4] < 0 else []


def _build(graph: Any, source: Any, chain: list[Filter], tail: list[Filter], sink_name: str) -> Any:
    chain = list(chain)
    last = source
    for name, args in chain + tail:
        try:
            ctx = graph.add(name, args) if args is not None else graph.add(name)
        except (ValueError, KeyError, av.error.FFmpegError) as e:
            reason = getattr(e, "strerror", None) or str(e)
            raise FilterError(
                f"Error initializing filter '{name}'{f' with args {args!r}' if args else ''}: {reason}"
            ) from None
        last.link_to(ctx)
        last = ctx
    sink = graph.add(sink_name)
    last.link_to(sink)
    try:
        graph.configure()
    except (ValueError, av.error.FFmpegError) as e:
        reason = getattr(e, "strerror", None) or str(e)
        raise FilterError(
            f"Error configuring the filter graph {','.join(n for n, _ in chain)}: {reason}"
        ) from None
    return sink


def _pull_all(graph: Any, video: bool) -> list[Any]:
    out = []
    while True:
        try:
            out.append(graph.vpull() if video else graph.pull())
        except (BlockingIOError, av.error.BlockingIOError, EOFError, av.error.EOFError):
            return out


class VideoFilters:
    """The -vf chains (``w`` picks one: ``index``), autorotation, yuv420p at the end."""

    def __init__(self, chains: list[str], autorotate: bool, threads: int = 0) -> None:
        self.chains = [split_chain(c) for c in chains]
        self.autorotate = autorotate
        self.threads = threads
        self.index = 0
        self._graph: Any = None
        self._key: tuple[Any, ...] | None = None
        self._matrix: tuple[int, ...] | None = None
        self._matrix_rotation: float | None = None

    def _display_matrix(self, frame: Any) -> tuple[int, ...] | None:
        """The frame's display matrix, read again only when its rotation changes: reading
        PyAV's frame.side_data on every frame leaks (PyAV 18), frame.rotation does not."""
        rotation = frame.rotation
        if rotation != self._matrix_rotation:
            self._matrix_rotation = rotation
            self._matrix = display_matrix(frame)
        return self._matrix

    def process(self, frame: Any, sar: tuple[int, int], time_base: Fraction) -> list[Any]:
        matrix = self._display_matrix(frame) if self.autorotate else None
        chain = self.chains[self.index % len(self.chains)] if self.chains else []
        rotate = autorotate_filters(matrix)
        if not chain and not rotate:
            self._graph = self._key = None
            return [frame]
        key = (frame.width, frame.height, frame.format.name, sar, self.index, matrix, time_base)
        if key != self._key:
            self._graph = self._make(frame, sar, time_base, rotate + chain)
            self._key = key
        self._graph.vpush(frame)
        return _pull_all(self._graph, True)

    def _make(self, frame: Any, sar: tuple[int, int], time_base: Fraction, chain: list[Filter]) -> Any:
        graph = av.filter.Graph()
        if self.threads:
            graph.threads = self.threads
        num, den = sar if sar[0] > 0 and sar[1] > 0 else (1, 1)
        src = graph.add(
            "buffer",
            f"video_size={frame.width}x{frame.height}:pix_fmt={frame.format.name}"
            f":time_base={time_base.numerator}/{time_base.denominator}"
            f":pixel_aspect={num}/{den}",
        )
        _build(graph, src, chain, [("format", "pix_fmts=yuv420p")], "buffersink")
        return graph


class AudioFilters:
    """The -af chain, ending in the device's format: packed float32, its rate and layout."""

    def __init__(self, chain: str, rate: int, layout: str, threads: int = 0) -> None:
        self.chain = split_chain(chain)
        self.rate = rate
        self.layout = layout
        self.threads = threads
        self._graph: Any = None
        self._key: tuple[Any, ...] | None = None

    def reset(self) -> None:
        """After a seek: drop what the filters hold (atempo, echo, ... keep state)."""
        self._graph = self._key = None

    def process(self, frame: Any) -> list[tuple[np.ndarray, float | None]]:
        """[(samples as (n, channels) float32, pts in seconds or None)]."""
        key = (frame.format.name, frame.layout.name, frame.sample_rate)
        if key != self._key:
            self._graph = self._make(frame)
            self._key = key
        self._graph.push(frame)
        out = []
        for f in _pull_all(self._graph, False):
            pts = float(f.pts * f.time_base) if f.pts is not None and f.time_base else None
            out.append((f.to_ndarray().reshape(-1, len(f.layout.channels)), pts))
        return out

    def _make(self, frame: Any) -> Any:
        graph = av.filter.Graph()
        if self.threads:
            graph.threads = self.threads
        src = graph.add(
            "abuffer",
            f"sample_rate={frame.sample_rate}:sample_fmt={frame.format.name}"
            f":channel_layout={frame.layout.name}:time_base=1/{frame.sample_rate}",
        )
        _build(
            graph,
            src,
            self.chain,
            [("aformat", f"sample_fmts=flt:sample_rates={self.rate}:channel_layouts={self.layout}")],
            "abuffersink",
        )
        return graph
