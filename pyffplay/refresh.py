"""ffplay's video_refresh: which picture is due, which is late, when to look again.

Runs on the loop thread. Pure decisions against an injected time source and a video output,
so it is unit-tested with a fake clock and a fake output (tests/test_refresh.py).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from pyffplay.clock import (
    AV_SYNC_AUDIO_MASTER,
    AV_SYNC_EXTERNAL_CLOCK,
    AV_SYNC_THRESHOLD_MAX,
    AV_SYNC_VIDEO_MASTER,
    compute_target_delay,
    external_clock_speed,
    vp_duration,
)
from pyffplay.control import PlaybackControl
from pyffplay.frame_queue import Frame
from pyffplay.pipeline import StreamPipeline
from pyffplay.subtitle_timing import due_subtitle, expire_subtitles
from pyffplay.sync import Clocks
from pyffplay.trace import Trace
from pyffplay.visualize import SHOW_MODE_VIDEO, SHOW_MODE_WAVES, SampleTap, Spectrogram, waves_picture

# ffplay's REFRESH_RATE: how often the loop looks again when it cannot know when the next
# picture is due (none queued yet, waiting for the audio clock, a window to poll).
REFRESH_RATE = 0.01
# How long the first picture waits for the audio clock: at start (device start-up) and
# after a seek (new audio decoded).
START_AUDIO_WAIT = 3.0
SEEK_AUDIO_WAIT = 0.5
# ffplay leaves A-V errors below 40 ms alone for good; we take this fraction of the error
# off each frame's delay, a few ms at most, so video converges on the audio clock.
SYNC_SMOOTHING = 0.1
# An audio-only window is redrawn this often, so it stays alive for keys.
AUDIO_ONLY_REDRAW = 0.5
# -untimed shows every decoded picture in one refresh for at most this long, then lets the
# loop poll the window and run commands.
UNTIMED_BUDGET = 0.01


class VideoRefresh:
    def __init__(
        self,
        video: StreamPipeline,
        audio: StreamPipeline,
        subtitle: StreamPipeline,
        clocks: Clocks,
        control: PlaybackControl,
        output: Any,
        trace: Trace,
        *,
        framedrop: int,
        untimed: bool,
        rdftspeed: float = 0.02,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.video = video
        self.audio = audio
        self.subtitle = subtitle
        self.clocks = clocks
        self.control = control
        self.output = output
        self.trace = trace
        self.framedrop = framedrop
        self.untimed = untimed
        self.now = now
        self.frame_timer = 0.0
        self.frame_drops_early = 0  # written by the video decoder thread
        self.frame_drops_late = 0
        self.frame_last_filter_delay = 0.0
        self.max_frame_duration = 3600.0
        self.force_refresh = False
        self.infinite_buffer = False  # the external clock's speed follows the queues
        self.audio_running: Callable[[], bool] = lambda: True
        self.on_picture: Callable[[Frame], None] = lambda vp: None  # each new picture shown
        self.on_seek_shown: Callable[[float, float], None] = lambda t_req, target: None
        self.pending_seeks: dict[int, tuple[float, float]] = {}  # serial -> (t_req, target)
        self._serial_shown_at: float | None = None
        self.shown_serial = -1  # the serial of the last picture on screen (any thread reads)
        self._last_vis_time = 0.0
        self.rdftspeed = rdftspeed
        self.sample_tap: SampleTap | None = None  # what the audio callback played
        self.spectrogram = Spectrogram()
        control.on_resume = self._resume

    def _resume(self, paused_for: float) -> None:
        self.frame_timer += paused_for

    def framedrop_active(self) -> bool:
        fd = self.framedrop
        return fd > 0 or (fd != 0 and self.clocks.master_sync_type() != AV_SYNC_VIDEO_MASTER)

    @property
    def frame_drops(self) -> int:
        return self.frame_drops_early + self.frame_drops_late

    def video_refresh(self, remaining_time: float, is_open: bool) -> float:
        now = self.now()
        clocks = self.clocks
        if (
            not self.control.paused
            and clocks.master_sync_type() == AV_SYNC_EXTERNAL_CLOCK
            and self.infinite_buffer
            and is_open
        ):
            clocks.extclk.set_speed(
                external_clock_speed(
                    clocks.extclk.speed,
                    self.video.pktq.nb_packets if self.video.is_open else None,
                    self.audio.pktq.nb_packets if self.audio.is_open else None,
                )
            )
        shows = self.output.shows_pictures
        show_audio = shows and is_open and self.control.show_mode != SHOW_MODE_VIDEO and self.audio.is_open
        if show_audio:
            # ffplay: a new waveform or spectrum column every -rdftspeed.
            if self.force_refresh or now >= self._last_vis_time + self.rdftspeed:
                self._audio_display(now)
                self._last_vis_time = now
            remaining_time = min(remaining_time, max(self._last_vis_time + self.rdftspeed - now, 0.0))
        elif (
            shows
            and not self.video.is_open
            and is_open
            and (self.force_refresh or now - self._last_vis_time > AUDIO_ONLY_REDRAW)
        ):
            self.output.display(None, None)  # keep the (black) window alive for keys
            self._last_vis_time = now
        if shows and not self.video.is_open and is_open and not show_audio:
            remaining_time = min(remaining_time, max(self._last_vis_time + AUDIO_ONLY_REDRAW - now, 0.0))
        if self.video.is_open:
            remaining_time = self._refresh_picture(remaining_time, draw=not show_audio)
        self.force_refresh = False
        return remaining_time

    def _audio_display(self, now: float) -> None:
        """ffplay's video_audio_display: the samples heard now as waves or a spectrum."""
        width, height = self.output.canvas_size()
        tap = self.sample_tap
        if not width or not height or tap is None:
            return
        if self.control.show_mode == SHOW_MODE_WAVES:
            picture = waves_picture(tap.recent(width, now), width, height)
        else:
            samples = tap.recent(Spectrogram.samples_needed(height), now)
            picture = self.spectrogram.update(samples, width, height, advance=not self.control.paused)
        self.output.display_rgb(picture)

    def _refresh_picture(self, remaining_time: float, draw: bool = True) -> float:
        pictq = self.video.frameq
        videoq = self.video.pktq
        control = self.control
        clocks = self.clocks
        shown_new = False
        untimed_until = self.now() + UNTIMED_BUDGET if self.untimed else 0.0
        while True:
            if pictq.nb_remaining() == 0:
                # Nothing to display; the decoder does not wake us when one comes.
                remaining_time = min(remaining_time, REFRESH_RATE)
                break
            lastvp = pictq.peek_last()
            vp = pictq.peek()
            if vp.serial != videoq.serial:
                pictq.next()
                continue
            now = self.now()
            if lastvp.serial != vp.serial:
                self.frame_timer = now
            if control.paused:
                break
            if self.untimed:
                self._untimed_advance(vp)
                shown_new = True
                remaining_time = 0.0
                if draw and pictq.nb_remaining() > 0 and self.now() < untimed_until:
                    # More are decoded: show this one now and go on (one wake, a batch).
                    self._display_last(shown_new)
                    self.force_refresh = shown_new = False
                    continue
                break
            if pictq.rindex_shown and lastvp.serial == vp.serial and self._waiting_for_audio(now):
                # Hold the first picture until the audio clock runs, so both start together.
                clocks.vidclk.set(lastvp.pts, lastvp.serial)
                self.frame_timer = now
                remaining_time = min(remaining_time, REFRESH_RATE)
                break
            delay = self._target_delay(lastvp, vp)
            if now < self.frame_timer + delay:
                remaining_time = min(self.frame_timer + delay - now, remaining_time)
                break
            self.frame_timer += delay
            if delay > 0 and now - self.frame_timer > AV_SYNC_THRESHOLD_MAX:
                self.frame_timer = now
            with pictq.mutex:
                if not math.isnan(vp.pts):
                    clocks.vidclk.set(vp.pts, vp.serial)
                    clocks.extclk.sync_to_slave(clocks.vidclk)
            if pictq.nb_remaining() > 1:
                nextvp = pictq.peek_next()
                duration = vp_duration(
                    vp.pts, vp.serial, vp.duration, nextvp.pts, nextvp.serial, self.max_frame_duration
                )
                if not control.step and self.framedrop_active() and now > self.frame_timer + duration:
                    self.frame_drops_late += 1
                    self.trace.event("drop", pts=vp.pts, serial=vp.serial, kind="late")
                    pictq.next()
                    continue
            expire_subtitles(self.subtitle, self.clocks.vidclk.pts)
            pictq.next()
            self.force_refresh = True
            shown_new = True
            remaining_time = min(remaining_time, self._next_due(vp, now))
            if control.step and not control.paused:
                control.stream_toggle_pause()
            break
        if self.force_refresh and pictq.rindex_shown and draw:
            self._display_last(shown_new)
        return remaining_time

    def _target_delay(self, lastvp: Frame, vp: Frame) -> float:
        """How long after ``lastvp`` was due ``vp`` is (ffplay's compute_target_delay)."""
        last_duration = vp_duration(
            lastvp.pts, lastvp.serial, lastvp.duration, vp.pts, vp.serial, self.max_frame_duration
        )
        clocks = self.clocks
        diff = 0.0
        if clocks.master_sync_type() != AV_SYNC_VIDEO_MASTER:
            diff = clocks.vidclk.get() - clocks.get_master_clock()
        return compute_target_delay(last_duration, diff, self.max_frame_duration, SYNC_SMOOTHING)

    def _next_due(self, shown: Frame, now: float) -> float:
        """Seconds from ``now`` until the picture after ``shown`` (just shown) is due, so
        the loop sleeps until then instead of looking every REFRESH_RATE."""
        pictq = self.video.frameq
        if pictq.nb_remaining() == 0:
            return REFRESH_RATE
        vp = pictq.peek()
        if vp.serial != shown.serial:
            return 0.0
        return max(self.frame_timer + self._target_delay(shown, vp) - now, 0.0)

    def _display_last(self, shown_new: bool) -> None:
        vp = self.video.frameq.peek_last()
        self.output.display(vp, due_subtitle(self.subtitle, vp))
        self._shown(vp)
        self.shown_serial = vp.serial  # after the trace's "frame": the preroll's comes later
        if shown_new:
            self.on_picture(vp)

    def _untimed_advance(self, vp: Frame) -> None:
        """-untimed: every picture is shown as soon as it is decoded."""
        if not math.isnan(vp.pts):
            self.clocks.vidclk.set(vp.pts, vp.serial)
            self.clocks.extclk.sync_to_slave(self.clocks.vidclk)
        self.video.frameq.next()
        self.force_refresh = True
        if self.control.step and not self.control.paused:
            self.control.stream_toggle_pause()

    def _waiting_for_audio(self, now: float) -> bool:
        """ffplay lets video run free until the audio clock is set; we wait (bounded)."""
        audio = self.audio
        if not audio.is_open or self.clocks.master_sync_type() != AV_SYNC_AUDIO_MASTER:
            return False
        assert audio.decoder is not None
        if not math.isnan(self.clocks.audclk.get()) or audio.decoder.finished == audio.pktq.serial:
            self._serial_shown_at = None
            return False
        if self.video.frameq.peek_last().serial != self.video.pktq.serial:
            return False
        if self._serial_shown_at is None:
            self._serial_shown_at = now
        limit = SEEK_AUDIO_WAIT if self.audio_running() else START_AUDIO_WAIT
        return now - self._serial_shown_at < limit

    def _shown(self, vp: Frame) -> None:
        seek = self.pending_seeks.pop(vp.serial, None) if self.pending_seeks else None
        if seek is not None:
            self.on_seek_shown(*seek)
        if not self.trace.enabled:
            return
        t = self.now()
        clocks = self.clocks
        master = clocks.get_master_clock()
        av_diff = (
            (clocks.audclk.get() - clocks.vidclk.get())
            if self.audio.is_open
            else master - clocks.vidclk.get()
        )
        self.trace.event("frame", t=t, pts=vp.pts, serial=vp.serial, master=master, av_diff=av_diff)
        if seek is not None:
            self.trace.event("seek", t=t, t_req=seek[0], target=seek[1], serial=vp.serial)
