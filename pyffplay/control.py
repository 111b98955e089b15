"""Playback control: pause, frame step, volume, and seek requests (relative, chapter, fraction).

ffplay's stream_seek, stream_toggle_pause, toggle_pause, step_to_next_frame, seek_chapter
and the seek arithmetic of its event loop. A seek is only a request here; the read thread
carries it out (demux.py) and the decoders drop what is older than the new serial.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyffplay.clock import AV_TIME_BASE, startup_volume, update_volume
from pyffplay.sync import Clocks

# A byte seek past the end lands this many seconds (at the bit rate) before it.
END_MARGIN = 2.0


@dataclass
class InputInfo:
    """What seeking needs to know of the opened input (AV_TIME_BASE units)."""

    start_time: int = 0
    duration: int = 0  # 0 when unknown
    chapter_starts: tuple[float, ...] = ()  # seconds
    seek_by_bytes: bool = False  # -bytes, or ffplay's choice for the format
    bit_rate: int = 0  # bits per second, 0 when unknown
    size: int = 0  # bytes, 0 when unknown


class PlaybackControl:
    def __init__(
        self,
        clocks: Clocks,
        volume: int,
        wake_reader: Callable[[], None],
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clocks = clocks
        self.wake_reader = wake_reader
        self.now = now
        self.paused = False
        self.step = False
        self.muted = False
        self.audio_volume = startup_volume(volume)  # 0..SDL_MIX_MAXVOLUME
        self.seek_req = False
        self.seek_pos = 0
        self.seek_rel = 0
        self.seek_request_time = 0.0
        self.seek_accurate = False
        self.seek_bytes = False  # seek_pos/seek_rel are byte offsets
        self.seek_quiet = False  # a seek of our own (after a stream switch): no "seek" event
        self.accurate_default = False  # -accurate_seek
        self.info = InputInfo()
        self.show_mode = "video"  # video, waves or rdft (w)
        self.vfilter_idx = 0  # which -vf the video thread uses (w)
        self.nb_vfilters = 0
        # Where the picture (or sound) on screen came from in the input, for byte seeks.
        self.byte_position: Callable[[], int] = lambda: -1
        # Stream switches the read thread carries out (it owns the demuxer): "audio", ...
        self.cycle_req: deque[str] = deque()
        # Called on resume with the time the clock was paused: the refresh loop moves its
        # frame timer on by that much (ffplay's frame_timer += ... in stream_toggle_pause).
        self.on_resume: Callable[[float], None] = lambda paused_for: None

    # -- pause and step ---------------------------------------------------------------
    def stream_toggle_pause(self) -> None:
        clocks = self.clocks
        if self.paused:
            self.on_resume(self.now() - clocks.vidclk.last_updated)
            # A file cannot pause reading (ENOSYS in ffplay): the clock resumes from its
            # frozen pts, so it is re-set while still flagged paused.
            clocks.vidclk.set(clocks.vidclk.get(), clocks.vidclk.serial)
        clocks.extclk.set(clocks.extclk.get(), clocks.extclk.serial)
        self.paused = not self.paused
        clocks.set_paused(self.paused)

    def toggle_pause(self) -> None:
        self.stream_toggle_pause()
        self.step = False

    def step_to_next_frame(self) -> None:
        if self.paused:
            self.stream_toggle_pause()
        self.step = True

    def cycle_stream(self, kind: str) -> None:
        """ffplay's a / v / t keys; c cycles video, audio and subtitles in turn."""
        kinds = ("video", "audio", "subtitle") if kind == "program" else (kind,)
        self.cycle_req.extend(kinds)
        self.wake_reader()

    def cycle_vfilter(self) -> bool:
        """ffplay's w while showing video: the next -vf; False after the last (wraps to 0)."""
        if self.vfilter_idx < self.nb_vfilters - 1:
            self.vfilter_idx += 1
            return True
        self.vfilter_idx = 0
        return False

    # -- volume -----------------------------------------------------------------------
    def change_volume(self, sign: int) -> None:
        self.audio_volume = update_volume(self.audio_volume, sign)

    def set_volume_percent(self, percent: float) -> None:
        self.audio_volume = startup_volume(int(round(min(max(percent, 0.0), 100.0))))

    # -- seeking ----------------------------------------------------------------------
    def stream_seek(
        self, pos: int, rel: int, accurate: bool | None = None, quiet: bool = False, by_bytes: bool = False
    ) -> None:
        if not self.seek_req:
            self.seek_bytes = by_bytes
            self.seek_pos = pos
            self.seek_rel = rel
            self.seek_accurate = self.accurate_default if accurate is None else accurate
            self.seek_quiet = quiet
            self.seek_request_time = self.now()
            self.seek_req = True
            self.wake_reader()

    def seek_relative(self, incr: float, accurate: bool | None = None) -> None:
        if self.info.seek_by_bytes:
            # ffplay: from the byte position of what is shown, by the bit rate (or 180 kB/s).
            byte_pos = self.byte_position()
            rate = self.info.bit_rate / 8.0 if self.info.bit_rate else 180000.0
            target = byte_pos + incr * rate
            if self.info.size > 0:
                # Past the end FFmpeg lands on the last byte and nothing plays any more
                # (ffplay then shows "nan"): land a little before the end instead.
                target = min(target, self.info.size - END_MARGIN * rate)
            self.stream_seek(max(int(target), 0), int(incr * rate), accurate, by_bytes=True)
            return
        pos = self.clocks.get_master_clock()
        if math.isnan(pos):
            pos = self.seek_pos / AV_TIME_BASE
        pos += incr
        start = self.info.start_time / AV_TIME_BASE
        if pos < start:
            pos = start
        self.stream_seek(int(pos * AV_TIME_BASE), int(incr * AV_TIME_BASE), accurate)

    def seek_to(self, seconds: float, accurate: bool | None = None) -> None:
        """An absolute position on the input's timeline (the API's seek)."""
        start = self.info.start_time / AV_TIME_BASE
        self.stream_seek(int((max(seconds, 0.0) + start) * AV_TIME_BASE), 0, accurate)

    def seek_page(self, direction: int) -> None:
        """Page Up/Down: the next/previous chapter when there are several, else ±600 s."""
        if len(self.info.chapter_starts) > 1:
            self.seek_chapter(direction)
        else:
            self.seek_relative(600.0 * direction)

    def seek_chapter(self, incr: int) -> None:
        starts = self.info.chapter_starts
        if not starts:
            return
        pos = self.clocks.get_master_clock()
        if math.isnan(pos):
            pos = self.seek_pos / AV_TIME_BASE
        i = 0
        while i < len(starts) and starts[i] <= pos:
            i += 1
        i = max(i - 1 + incr, 0)
        if i >= len(starts):
            return
        self.stream_seek(int(starts[i] * AV_TIME_BASE), 0)

    def seek_fraction(self, frac: float) -> None:
        if self.info.seek_by_bytes or self.info.duration <= 0:
            # ffplay: by bytes when seeking by bytes or when the duration is unknown.
            if self.info.size > 0:
                self.stream_seek(int(frac * self.info.size), 0, by_bytes=True)
            return
        self.stream_seek(int(frac * self.info.duration) + self.info.start_time, 0)


# Format flags (libavformat's AVFMT_*) that decide -bytes -1.
AVFMT_TS_DISCONT = 0x0200
AVFMT_NO_BYTE_SEEK = 0x8000


def choose_seek_by_bytes(option: int, fmt: Any, size: int) -> bool:
    """-bytes 1/0, or ffplay's -1: by bytes for formats with discontinuous timestamps
    (MPEG-TS and the like) that allow it, except Ogg; and (beyond ffplay, which cannot seek
    a pipe at all) not when the size is unknown: a pipe or a live source seeks by time."""
    if option >= 0:
        return bool(option)
    if size <= 0:
        return False
    flags = fmt.flags
    return bool(flags & AVFMT_TS_DISCONT) and not flags & AVFMT_NO_BYTE_SEEK and fmt.name != "ogg"
