"""VideoState: wires the threads, queues and clocks, and runs ffplay's main loop.

The main thread owns the video output: it pumps events, executes commands and calls
``video_refresh`` at least every 10 ms (REFRESH_RATE).
"""

from __future__ import annotations

import contextlib
import math
import sys
import threading
import time
from collections import deque
from functools import partial
from typing import Any, Iterator

from pyffplay.audio_output import AudioUnavailable, open_audio
from pyffplay.clock import (AV_SYNC_AUDIO_MASTER, AV_SYNC_EXTERNAL_CLOCK, AV_SYNC_THRESHOLD_MAX,
                            AV_SYNC_VIDEO_MASTER, Clock, compute_target_delay, external_clock_speed,
                            master_sync_type, startup_volume, update_volume, vp_duration)
from pyffplay.decoders import Decoder, audio_thread, subtitle_thread, video_thread
from pyffplay.errors import thread_failed
from pyffplay.frame_queue import (SAMPLE_QUEUE_SIZE, SUBPICTURE_QUEUE_SIZE, VIDEO_PICTURE_QUEUE_SIZE,
                                  FrameQueue)
from pyffplay.options import Options
from pyffplay.packet_queue import PacketQueue
from pyffplay.sdl_sync import Cond, Mutex
from pyffplay.status import StatusPrinter, format_status, status_label
from pyffplay.trace import Trace
from pyffplay.video_output import VideoOutput

REFRESH_RATE = 0.01
# How long the first picture waits for the audio clock: at start (device start-up) and
# after a seek (new audio decoded).
START_AUDIO_WAIT = 3.0
SEEK_AUDIO_WAIT = 0.5
# ffplay leaves A-V errors below 40 ms alone for good; we take this fraction of the error
# off each frame's delay, a few ms at most, so video converges on the audio clock.
SYNC_SMOOTHING = 0.1
AV_TIME_BASE = 1_000_000


class VideoState:
    def __init__(self, opts: Options, output: VideoOutput, trace: Trace) -> None:
        self.opts = opts
        self.output = output
        self.trace = trace
        self.ic: Any = None
        self.avio: Any = None
        self.audio_st: Any = None
        self.video_st: Any = None
        self.subtitle_st: Any = None
        self.audioq = PacketQueue()
        self.videoq = PacketQueue()
        self.subtitleq = PacketQueue()
        self.pictq = FrameQueue(self.videoq, VIDEO_PICTURE_QUEUE_SIZE, True)
        self.subpq = FrameQueue(self.subtitleq, SUBPICTURE_QUEUE_SIZE, False)
        self.sampq = FrameQueue(self.audioq, SAMPLE_QUEUE_SIZE, True)
        self.vidclk = Clock(lambda: self.videoq.serial)
        self.audclk = Clock(lambda: self.audioq.serial)
        self.extclk = Clock()
        self.viddec: Any = None
        self.auddec: Any = None
        self.subdec: Any = None
        self.audio: Any = None  # AudioOutput
        self.audio_tgt_rate = 0
        self.audio_tgt_channels = 0
        self.continue_read_thread = Cond()
        self.wait_mutex = Mutex()
        self.read_tid: threading.Thread | None = None
        self.abort_request = False
        self.paused = False
        self.step = False
        self.muted = False
        self.audio_volume = startup_volume(opts.volume)
        self.seek_req = False
        self.seek_pos = 0
        self.seek_rel = 0
        self.seek_request_time = 0.0
        self.pending_seeks: dict[int, tuple[float, float]] = {}  # serial -> (t_req, target)
        self.eof = False
        self.frame_timer = 0.0
        self.frame_drops_early = 0
        self.frame_drops_late = 0
        self.frame_last_filter_delay = 0.0
        self.max_frame_duration = 3600.0
        self.force_refresh = False
        self.commands: deque[tuple[Any, ...]] = deque()
        self.quit_reason: str | None = None
        self.error: str | None = None
        self.is_open = False
        self.status = StatusPrinter(self._write_status)
        self._last_vis_time = 0.0
        self.serial_shown_at: float | None = None
        self.deferred_messages: list[str] = []
        self.last_picture_shape: tuple[Any, ...] | None = None

    # -- messages ----------------------------------------------------------------------
    def warn(self, message: str) -> None:
        if self.opts.loglevel < 24:
            return
        line = f"pyffplay: warning: {message}"
        show = getattr(self.output, "show_status", None)
        if show is not None:
            # The terminal shows the picture: say it on the status row, repeat it at exit.
            self.deferred_messages.append(line)
            show(line)
            return
        sys.stderr.write(("\n" if self.status._last_line else "") + line + "\n")
        sys.stderr.flush()

    def _write_status(self, line: str) -> None:
        show = getattr(self.output, "show_status", None)
        if show is not None:
            show(line)
            return
        sys.stderr.write(line)
        sys.stderr.flush()

    def fail(self, message: str) -> None:
        """A fatal error from any thread: main() prints it and exits 1."""
        if self.error is None and not self.abort_request:
            self.error = message
        self.request_quit("error")

    def request_quit(self, reason: str) -> None:
        if self.quit_reason is None:
            self.quit_reason = reason

    # -- stream opening (called by the read thread) ---------------------------------------
    def stream_component_open(self, st: Any) -> None:
        cc = st.codec_context
        if cc is None:
            self.warn(f"no decoder for stream #{st.index} ({st.type})")
            return
        cc.copy_opaque = True
        if st.type == "audio":
            channels = cc.layout.nb_channels if cc.layout else 2
            try:
                self.audio = open_audio(self, cc.sample_rate, channels)
            except AudioUnavailable as e:
                self.warn(f"audio output unavailable ({e}); playing without sound")
                return
            self.audio_tgt_rate = self.audio.rate
            self.audio_tgt_channels = self.audio.channels
            self.audio_st = st
            self.auddec = Decoder(cc, self.audioq, self.continue_read_thread, self.wait_mutex)
            self.auddec.start(lambda: audio_thread(self), "audio_decoder",
                              partial(thread_failed, self, "audio"))
        elif st.type == "video":
            cc.thread_type = "AUTO"
            self.video_st = st
            self.viddec = Decoder(cc, self.videoq, self.continue_read_thread, self.wait_mutex)
            self.viddec.start(lambda: video_thread(self), "video_decoder",
                              partial(thread_failed, self, "video"))
        elif st.type == "subtitle":
            self.subtitle_st = st
            self.subdec = Decoder(cc, self.subtitleq, self.continue_read_thread, self.wait_mutex)
            self.subdec.start(lambda: subtitle_thread(self), "subtitle_decoder",
                              partial(thread_failed, self, "subtitle"))

    def opened(self, ic: Any) -> None:
        self.max_frame_duration = 10.0 if ic.format.flags & 0x0200 else 3600.0  # AVFMT_TS_DISCONT
        if ic.duration and ic.duration > 0:
            # No picture lasts longer than the whole file: a longer gap between two pictures
            # is a damaged timestamp, timed by the frame rate instead (ffplay freezes on it).
            self.max_frame_duration = min(self.max_frame_duration, max(1.0, ic.duration / AV_TIME_BASE))
        self.is_open = True
        self.trace.event("open", duration=ic.duration / AV_TIME_BASE if ic.duration else None,
                         video=self.video_st is not None, audio=self.audio_st is not None)

    @contextlib.contextmanager
    def codec_locks(self) -> Iterator[None]:
        """Hold every decoder's codec lock (container.seek flushes the codec contexts)."""
        decs = [d for d in (self.viddec, self.auddec, self.subdec) if d is not None]
        for d in decs:
            d.codec_lock.acquire()
        try:
            yield
        finally:
            for d in reversed(decs):
                d.codec_lock.release()

    def wait_for_read_request(self, ms: int) -> None:
        with self.wait_mutex:
            self.continue_read_thread.wait_timeout(self.wait_mutex, ms)

    # -- clocks -----------------------------------------------------------------------
    def get_master_sync_type(self) -> str:
        return master_sync_type(self.opts.sync, self.video_st is not None, self.audio_st is not None)

    def get_master_clock(self) -> float:
        sync = self.get_master_sync_type()
        if sync == AV_SYNC_VIDEO_MASTER:
            return self.vidclk.get()
        if sync == AV_SYNC_AUDIO_MASTER:
            return self.audclk.get()
        return self.extclk.get()

    def framedrop_active(self) -> bool:
        fd = self.opts.framedrop
        return fd > 0 or (fd != 0 and self.get_master_sync_type() != AV_SYNC_VIDEO_MASTER)

    # -- commands (ffplay's stream_seek, toggle_pause, ...) ------------------------------
    def stream_seek(self, pos: int, rel: int) -> None:
        if not self.seek_req:
            self.seek_pos = pos
            self.seek_rel = rel
            self.seek_request_time = time.monotonic()
            self.seek_req = True
            with self.wait_mutex:
                self.continue_read_thread.signal()

    def seek_done(self, target: float) -> None:
        """Called by the read thread after the queues were flushed for a seek."""
        serial = self.videoq.serial if self.video_st is not None else self.audioq.serial
        self.pending_seeks[serial] = (self.seek_request_time, target)

    def stream_toggle_pause(self) -> None:
        if self.paused:
            self.frame_timer += time.monotonic() - self.vidclk.last_updated
            # A file cannot pause reading (ENOSYS in ffplay): the clock resumes from its
            # frozen pts, so it is re-set while still flagged paused.
            self.vidclk.set(self.vidclk.get(), self.vidclk.serial)
        self.extclk.set(self.extclk.get(), self.extclk.serial)
        self.paused = not self.paused
        self.audclk.paused = self.vidclk.paused = self.extclk.paused = self.paused

    def toggle_pause(self) -> None:
        self.stream_toggle_pause()
        self.step = False
        self.trace.event("pause", paused=self.paused)

    def step_to_next_frame(self) -> None:
        if self.paused:
            self.stream_toggle_pause()
        self.step = True

    def seek_relative(self, incr: float) -> None:
        pos = self.get_master_clock()
        if math.isnan(pos):
            pos = self.seek_pos / AV_TIME_BASE
        pos += incr
        start = self.ic.start_time if self.ic is not None else None
        if start is not None and pos < start / AV_TIME_BASE:
            pos = start / AV_TIME_BASE
        self.stream_seek(int(pos * AV_TIME_BASE), int(incr * AV_TIME_BASE))

    def seek_chapter(self, incr: int) -> None:
        chapters = self.ic.chapters if self.ic is not None else []
        if not chapters:
            return
        pos = self.get_master_clock()
        i = 0
        while i < len(chapters) and chapters[i].start * float(chapters[i].time_base) <= pos:
            i += 1
        i = max(i - 1 + incr, 0)
        if i >= len(chapters):
            return
        ch = chapters[i]
        self.stream_seek(int(ch.start * float(ch.time_base) * AV_TIME_BASE), 0)

    def seek_fraction(self, frac: float) -> None:
        ic = self.ic
        if ic is None or not ic.duration or ic.duration <= 0:
            return
        ts = int(frac * ic.duration) + (ic.start_time or 0)
        self.stream_seek(ts, 0)

    def execute(self, cmd: tuple[Any, ...]) -> None:
        name = cmd[0]
        if name != "refresh":
            self.trace.event("command", command=list(cmd))
        if name == "quit":
            self.request_quit(cmd[1] if len(cmd) > 1 else "quit")
            return
        if name == "refresh":
            self.force_refresh = True
            return
        if not self.is_open:
            return  # ffplay ignores keys other than quit until the stream is open
        if name == "pause":
            self.toggle_pause()
        elif name == "step":
            self.step_to_next_frame()
        elif name == "mute":
            self.muted = not self.muted
        elif name == "volume":
            self.audio_volume = update_volume(self.audio_volume, cmd[1])
        elif name == "fullscreen":
            self.output.toggle_full_screen()
            self.force_refresh = True
        elif name == "seek":
            self.seek_relative(cmd[1])
        elif name == "seek_page":
            if self.ic is not None and len(self.ic.chapters) > 1:
                self.seek_chapter(cmd[1])
            else:
                self.seek_relative(600.0 * cmd[1])
        elif name == "seek_frac":
            self.seek_fraction(cmd[1])

    # -- video_refresh ----------------------------------------------------------------
    def video_refresh(self, remaining_time: float) -> float:
        now = time.monotonic()
        if (not self.paused and self.get_master_sync_type() == AV_SYNC_EXTERNAL_CLOCK
                and self.opts.infinite_buffer == 1 and self.is_open):
            self.extclk.set_speed(external_clock_speed(
                self.extclk.speed,
                self.videoq.nb_packets if self.video_st is not None else None,
                self.audioq.nb_packets if self.audio_st is not None else None))
        if self.video_st is None and self.is_open and (self.force_refresh or now - self._last_vis_time > 0.5):
            self.output.display(None)  # audio only: keep the (black) window alive for keys
            self._last_vis_time = now
        if self.video_st is not None:
            remaining_time = self._refresh_picture(remaining_time)
        self.force_refresh = False
        # While paused this runs only on a redraw (a step, a paused seek): show it at once.
        self._show_status(force=self.paused)
        return remaining_time

    def _refresh_picture(self, remaining_time: float) -> float:
        pictq = self.pictq
        while True:
            if pictq.nb_remaining() == 0:
                break  # nothing to do, no picture to display in the queue
            lastvp = pictq.peek_last()
            vp = pictq.peek()
            if vp.serial != self.videoq.serial:
                pictq.next()
                continue
            now = time.monotonic()
            if lastvp.serial != vp.serial:
                self.frame_timer = now
            if self.paused:
                break
            if self.opts.untimed:
                self._untimed_advance(vp)
                remaining_time = 0.0
                break
            if pictq.rindex_shown and lastvp.serial == vp.serial and self._waiting_for_audio(now):
                # Hold the first picture until the audio clock runs, so both start together.
                self.vidclk.set(lastvp.pts, lastvp.serial)
                self.frame_timer = now
                break
            last_duration = vp_duration(lastvp.pts, lastvp.serial, lastvp.duration, vp.pts, vp.serial,
                                        self.max_frame_duration)
            diff = 0.0
            if self.get_master_sync_type() != AV_SYNC_VIDEO_MASTER:
                diff = self.vidclk.get() - self.get_master_clock()
            delay = compute_target_delay(last_duration, diff, self.max_frame_duration, SYNC_SMOOTHING)
            if now < self.frame_timer + delay:
                remaining_time = min(self.frame_timer + delay - now, remaining_time)
                break
            self.frame_timer += delay
            if delay > 0 and now - self.frame_timer > AV_SYNC_THRESHOLD_MAX:
                self.frame_timer = now
            with pictq.mutex:
                if not math.isnan(vp.pts):
                    self.vidclk.set(vp.pts, vp.serial)
                    self.extclk.sync_to_slave(self.vidclk)
            if pictq.nb_remaining() > 1:
                nextvp = pictq.peek_next()
                duration = vp_duration(vp.pts, vp.serial, vp.duration, nextvp.pts, nextvp.serial,
                                       self.max_frame_duration)
                if not self.step and self.framedrop_active() and now > self.frame_timer + duration:
                    self.frame_drops_late += 1
                    self.trace.event("drop", pts=vp.pts, serial=vp.serial, kind="late")
                    pictq.next()
                    continue
            self._expire_subtitles()
            pictq.next()
            self.force_refresh = True
            if self.step and not self.paused:
                self.stream_toggle_pause()
            break
        if self.force_refresh and pictq.rindex_shown:
            vp = pictq.peek_last()
            self.output.display(vp)
            self._trace_frame(vp)
        return remaining_time

    def _untimed_advance(self, vp: Any) -> None:
        """-untimed: every picture is shown as soon as it is decoded."""
        if not math.isnan(vp.pts):
            self.vidclk.set(vp.pts, vp.serial)
            self.extclk.sync_to_slave(self.vidclk)
        self.pictq.next()
        self.force_refresh = True
        if self.step and not self.paused:
            self.stream_toggle_pause()

    def _waiting_for_audio(self, now: float) -> bool:
        """ffplay lets video run free until the audio clock is set; we wait (bounded)."""
        if self.audio_st is None or self.get_master_sync_type() != AV_SYNC_AUDIO_MASTER:
            return False
        if not math.isnan(self.audclk.get()) or self.auddec.finished == self.audioq.serial:
            self.serial_shown_at = None
            return False
        if self.pictq.peek_last().serial != self.videoq.serial:
            return False
        if self.serial_shown_at is None:
            self.serial_shown_at = now
        limit = SEEK_AUDIO_WAIT if self.audio.running else START_AUDIO_WAIT
        return now - self.serial_shown_at < limit

    def _trace_frame(self, vp: Any) -> None:
        seek = self.pending_seeks.pop(vp.serial, None) if self.pending_seeks else None
        if not self.trace.enabled:
            return
        t = time.monotonic()
        master = self.get_master_clock()
        av_diff = (self.audclk.get() - self.vidclk.get()) if self.audio_st is not None \
            else master - self.vidclk.get()
        self.trace.event("frame", t=t, pts=vp.pts, serial=vp.serial, master=master, av_diff=av_diff)
        if seek is not None:
            self.trace.event("seek", t=t, t_req=seek[0], target=seek[1], serial=vp.serial)

    def _expire_subtitles(self) -> None:
        if self.subtitle_st is None:
            return
        subpq = self.subpq
        while subpq.nb_remaining() > 0:
            sp = subpq.peek()
            sp2 = subpq.peek_next() if subpq.nb_remaining() > 1 else None
            end = sp.pts + (getattr(sp.sub, "end_display_time", 0) or 0) / 1000
            if (sp.serial != self.subtitleq.serial or self.vidclk.pts > end
                    or (sp2 is not None and self.vidclk.pts > sp2.pts
                        + (getattr(sp2.sub, "start_display_time", 0) or 0) / 1000)):
                subpq.next()
            else:
                break

    def _show_status(self, force: bool = False) -> None:
        if not self.opts.status_enabled or not self.is_open:
            return
        now = time.monotonic()
        if not self.status.due(now) and not force:
            return
        has_a, has_v = self.audio_st is not None, self.video_st is not None
        if has_a and has_v:
            av_diff = self.audclk.get() - self.vidclk.get()
        elif has_v:
            av_diff = self.get_master_clock() - self.vidclk.get()
        elif has_a:
            av_diff = self.get_master_clock() - self.audclk.get()
        else:
            av_diff = 0.0
        line = format_status(self.get_master_clock(), av_diff, status_label(has_a, has_v),
                             self.frame_drops_early + self.frame_drops_late,
                             self.audioq.size if has_a else 0, self.videoq.size if has_v else 0,
                             self.subtitleq.size if self.subtitle_st is not None else 0)
        self.status.print(line, now)

    # -- main loop --------------------------------------------------------------------
    def run(self) -> int:
        from pyffplay.demux import read_thread

        self.read_tid = threading.Thread(target=read_thread, args=(self,), name="read_thread", daemon=True)
        self.read_tid.start()
        emit = self.commands.append
        while self.quit_reason is None:
            self.output.poll_events(emit)
            while self.commands:
                self.execute(self.commands.popleft())
            if self.quit_reason is not None:
                break
            remaining_time = REFRESH_RATE
            if not self.paused or self.force_refresh:
                remaining_time = self.video_refresh(remaining_time)
            else:
                self._show_status()  # the audio clock may settle after a paused seek
            if self.opts.untimed and not self.paused:
                # No clock to wait for: wake as soon as the decoder queues a picture.
                self.pictq.peek_readable(timeout_ms=int(REFRESH_RATE * 1000))
            elif remaining_time > 0 and self.quit_reason is None:
                time.sleep(remaining_time)
        self.do_exit()
        return 1 if self.error else 0

    def do_exit(self) -> None:
        """Stop every thread promptly; never wait long on a thread blocked in I/O."""
        self.abort_request = True
        if self.avio is not None:
            self.avio.abort()
        for q in (self.audioq, self.videoq, self.subtitleq):
            q.abort()
        for fq in (self.pictq, self.sampq, self.subpq):
            fq.signal()
        with self.wait_mutex:
            self.continue_read_thread.signal()
        if self.audio is not None:
            self.audio.close()
        if self.read_tid is not None:
            self.read_tid.join(timeout=0.3)
        for d in (self.viddec, self.auddec, self.subdec):
            if d is not None and d.thread is not None:
                d.thread.join(timeout=0.3)
        self.output.close()
        self.trace.event("exit", reason=self.quit_reason)
        self.trace.close()
        if self.opts.status_enabled and self.status._last_line and not hasattr(self.output, "show_status"):
            sys.stderr.write("\n")
        for line in self.deferred_messages:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()
