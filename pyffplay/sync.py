"""The three clocks and which one is the master (ffplay's get_master_sync_type/clock)."""

from __future__ import annotations

import time
from collections.abc import Callable

from pyffplay.clock import AV_SYNC_AUDIO_MASTER, AV_SYNC_VIDEO_MASTER, Clock, TimeSource, master_sync_type


class Clocks:
    """audclk, vidclk and extclk; the master follows -sync and the streams that are open."""

    def __init__(
        self,
        sync: str,
        video_serial: Callable[[], int],
        audio_serial: Callable[[], int],
        now: TimeSource = time.monotonic,
    ) -> None:
        self.sync = sync
        self.vidclk = Clock(video_serial, now)
        self.audclk = Clock(audio_serial, now)
        self.extclk = Clock(now=now)
        self.has_video = False
        self.has_audio = False

    def master_sync_type(self) -> str:
        return master_sync_type(self.sync, self.has_video, self.has_audio)

    def get_master_clock(self) -> float:
        sync = self.master_sync_type()
        if sync == AV_SYNC_VIDEO_MASTER:
            return self.vidclk.get()
        if sync == AV_SYNC_AUDIO_MASTER:
            return self.audclk.get()
        return self.extclk.get()

    def set_paused(self, paused: bool) -> None:
        self.audclk.paused = self.vidclk.paused = self.extclk.paused = paused

    def av_diff(self) -> float:
        """What the status line shows: audio minus video, or master minus the one stream."""
        if self.has_audio and self.has_video:
            return self.audclk.get() - self.vidclk.get()
        if self.has_video:
            return self.get_master_clock() - self.vidclk.get()
        if self.has_audio:
            return self.get_master_clock() - self.audclk.get()
        return 0.0
