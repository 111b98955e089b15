"""VideoState: ffplay's player state, wired from the parts that each do one job.

    pipelines (pipeline.py)   video / audio / subtitle: stream, PacketQueue, Decoder, FrameQueue
    clocks (sync.py)          audclk, vidclk, extclk and the master
    control (control.py)      pause, step, volume, seek requests
    refresh (refresh.py)      video_refresh: which picture is due
    reporter (report.py)      warnings, events, the status line, the trace

``run`` is ffplay's event loop: it executes commands, calls ``video_refresh`` and sleeps
until the next picture, audio view or status line is due, on the thread that owns the video
output. Window events (SDL_WaitEventTimeout) and posted commands end the sleep; only where
the next due time is unknown (no picture queued yet, a window that cannot wait) does it look
again every REFRESH_RATE, as ffplay always does. The read thread (demux.py) and the decoder
threads are started from here.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from pyffplay import commands as cmd
from pyffplay.audio_output import AudioOutput
from pyffplay.control import PlaybackControl
from pyffplay.external_subs import ExternalSubtitles
from pyffplay.frame_queue import (
    SAMPLE_QUEUE_REFILL,
    SAMPLE_QUEUE_SIZE,
    SUBPICTURE_QUEUE_SIZE,
    UNTIMED_BATCH,
    UNTIMED_PICTURE_QUEUE_SIZE,
    VIDEO_PICTURE_QUEUE_SIZE,
)
from pyffplay.handlers import execute
from pyffplay.options import Options
from pyffplay.pipeline import StreamPipeline
from pyffplay.refresh import REFRESH_RATE, VideoRefresh
from pyffplay.report import Reporter
from pyffplay.sdl_sync import Cond, Mutex
from pyffplay.sync import Clocks
from pyffplay.video_output import VideoOutput

# The longest the loop sleeps when nothing is timed (no picture, no window to poll, no
# status line): commands, quit and the input's open wake it at once anyway.
IDLE_WAIT = 1.0
# Never spin: a status line due "now" still leaves this much sleep.
MIN_WAIT = 0.001
AVFMT_TS_DISCONT = 0x0200
# How long quitting waits for each worker thread; a thread stuck in I/O is left behind.
JOIN_TIMEOUT = 0.3


class Wakeup:
    """threading.Event's set and wait-then-clear on one bare lock (released: set): the loop
    wakes up to a hundred times a second, and each wake through an Event (a Condition and a
    new lock per wait) cost ~40 us more CPU here."""

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()

    def set(self) -> None:
        with contextlib.suppress(RuntimeError):  # already set
            self._lock.release()

    def wait(self, timeout: float) -> bool:
        """Sleep until set or ``timeout`` s; True (and cleared) when it was set."""
        return self._lock.acquire(timeout=timeout)


class VideoState:
    def __init__(self, opts: Options, source: Any, output: VideoOutput, reporter: Reporter) -> None:
        self.opts = opts
        self.source = source  # what memory_avio.open_source reads: a path, "-", bytes, a file object
        self.output = output
        output.set_warn(self.warn)
        self.reporter = reporter
        self.trace = reporter.trace
        self.ic: Any = None
        self.avio: Any = None
        if opts.untimed:
            self.video = StreamPipeline("video", UNTIMED_PICTURE_QUEUE_SIZE, True, UNTIMED_BATCH)
            self.video.frameq.ready_batch = UNTIMED_BATCH
        else:
            self.video = StreamPipeline("video", VIDEO_PICTURE_QUEUE_SIZE, True)
        self.audio = StreamPipeline("audio", SAMPLE_QUEUE_SIZE, True, SAMPLE_QUEUE_REFILL)
        self.subtitle = StreamPipeline("subtitle", SUBPICTURE_QUEUE_SIZE, False)
        self.pipelines = (self.audio, self.video, self.subtitle)
        self.clocks = Clocks(opts.sync, lambda: self.video.pktq.serial, lambda: self.audio.pktq.serial)
        self.continue_read_thread = Cond()
        self.wait_mutex = Mutex()
        self.control = PlaybackControl(self.clocks, opts.volume, self.wake_reader)
        self.control.byte_position = self._byte_position
        self.refresh = VideoRefresh(
            self.video,
            self.audio,
            self.subtitle,
            self.clocks,
            self.control,
            output,
            self.trace,
            framedrop=opts.framedrop,
            untimed=opts.untimed,
            rdftspeed=opts.rdftspeed,
        )
        self.refresh.audio_running = lambda: self.audio_out is not None and self.audio_out.running
        self.refresh.on_seek_shown = self._seek_shown
        self.audio_out: AudioOutput | None = None
        self.last_stream = {"video": -1, "audio": -1, "subtitle": -1}  # for stream_cycle_channel
        self.audio_failure: str | None = None  # why audio could not be played, for messages
        self.read_tid: threading.Thread | None = None
        self.abort_request = False
        # The read thread is inside FFmpeg's own open of rtsp:// and the like, which only
        # its -timeout ends: nothing to wait for at exit.
        self.in_direct_open = False
        self.eof = False
        self.is_open = False
        # What changes while playing (the options stay as parsed).
        self.loop_left = opts.loop
        self.infinite_buffer = opts.infinite_buffer > 0
        self.control.accurate_default = opts.accurate_seek
        self.control.nb_vfilters = len(opts.vfilters)
        self.commands: deque[cmd.Command] = deque()
        self._quit_posted = False
        self._loop_thread: threading.Thread | None = None  # run's: it needs no output wakeup
        self.wake = Wakeup()  # set when a command is queued: the loop stops sleeping
        self.quit_reason: str | None = None
        self.error: str | None = None
        self.finished = threading.Event()  # run() returned and every thread was stopped
        self.duration: float | None = None
        self.metadata: dict[str, str] = {}
        self.streams: list[dict[str, Any]] = []
        self.external_subs: ExternalSubtitles | None = None  # -sub FILE (opened by the read thread)

    # -- requests from any thread -------------------------------------------------------
    def post(self, command: cmd.Command) -> None:
        """Queue a command for the loop (any thread). Traced as it arrives: commands other
        than quit wait for the input to open; nothing is taken after a quit."""
        if self._quit_posted or self.quit_reason is not None:
            return
        if isinstance(command, cmd.Quit):
            self._quit_posted = True
            self.output.interrupt()  # the loop may be in a long write to a slow terminal
        if not isinstance(command, cmd.Refresh):
            self.trace.event("command", command=cmd.trace_form(command))
        if isinstance(command, cmd.Quit) and not self.is_open:
            self.request_quit(command.reason)  # at once: other commands wait for the open
        self.commands.append(command)
        self.wake_loop()

    def wake_loop(self) -> None:
        """End the loop's sleep (any thread), whether it sleeps on the output or not."""
        self.wake.set()
        if threading.current_thread() is not self._loop_thread:
            self.output.wakeup()

    def warn(self, message: str) -> None:
        self.reporter.warn(message)

    def fail(self, message: str) -> None:
        """A fatal error from any thread: playback ends with this one line."""
        if self.error is None and not self.abort_request:
            self.error = message
        self.request_quit("error")

    def request_quit(self, reason: str) -> None:
        if self.quit_reason is None:
            self.quit_reason = reason
            self.output.interrupt()
        self.wake_loop()

    # -- stream numbers: the main input's, then -sub FILE's -------------------------------

    @contextlib.contextmanager
    def codec_locks(self) -> Iterator[None]:
        """Hold every decoder's codec lock (container.seek flushes the codec contexts)."""
        decs = [p.decoder for p in self.pipelines if p.decoder is not None]
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

    def wake_reader(self) -> None:
        with self.wait_mutex:
            self.continue_read_thread.signal()

    def seek_done(self, target: float) -> None:
        """Called by the read thread after the queues were flushed for a seek."""
        if self.control.seek_quiet:
            return
        serial = self.video.pktq.serial if self.video.is_open else self.audio.pktq.serial
        self.refresh.pending_seeks[serial] = (self.control.seek_request_time, target)
        if not self.video.is_open:
            self.reporter.event("seek", target=None if math.isnan(target) else target)

    def _byte_position(self) -> int:
        """ffplay's: the picture's packet position, else the sound's, else the demuxer's."""
        pos = self.video.frameq.last_pos() if self.video.is_open else -1
        if pos < 0 and self.audio.is_open:
            pos = self.audio.frameq.last_pos()
        if pos < 0 and self.avio is not None:
            pos = self.avio.tell()
        return pos

    def _seek_shown(self, t_req: float, target: float) -> None:
        self.reporter.event("seek", target=None if math.isnan(target) else target)

    # -- commands: one handler each, in handlers.py ---------------------------------------
    def execute(self, command: cmd.Command) -> None:
        execute(self, command)

    # -- the loop -----------------------------------------------------------------------
    def run(self, status: Callable[[], None] | None = None) -> None:
        """ffplay's event_loop until quit; ``status`` is called after each refresh."""
        from pyffplay.demux import read_thread

        self._loop_thread = threading.current_thread()
        self.read_tid = threading.Thread(target=read_thread, args=(self,), name="read_thread", daemon=True)
        self.read_tid.start()
        refresh = self.refresh
        try:
            while self.quit_reason is None:
                self.output.poll_events(self.post)
                # Commands wait for the input to open (ffplay ignores keys until then).
                while self.commands and (
                    self.is_open or isinstance(self.commands[0], (cmd.Quit, cmd.Refresh))
                ):
                    self.execute(self.commands.popleft())
                if self.quit_reason is not None:
                    break
                # video_refresh shortens this to when the next picture or audio view is due,
                # or to REFRESH_RATE where it must look again.
                remaining_time = IDLE_WAIT
                if not self.control.paused or refresh.force_refresh:
                    remaining_time = refresh.video_refresh(remaining_time, self.is_open)
                    self.show_status(force=self.control.paused)
                else:
                    self.show_status()  # the audio clock may settle after a paused seek
                if self.opts.untimed and not self.control.paused:
                    # No clock to wait for: wake when the decoder queued a batch of pictures
                    # (the timeout shows the last ones, and polls the window).
                    self.video.frameq.wait_ready(int(REFRESH_RATE * 1000))
                elif remaining_time > 0 and self.quit_reason is None:
                    if self.is_open and not (self.video.is_open and not self.control.paused):
                        # Pictures wake the loop often enough for the status line.
                        remaining_time = loop_wait(remaining_time, self.reporter.status_wait())
                    if not self.output.wait_events(remaining_time):
                        if self.output.polls_events:
                            remaining_time = min(remaining_time, REFRESH_RATE)
                        self.wake.wait(remaining_time)
        except Exception as e:  # a bug in the loop ends playback with one line, not a hang
            self.fail(f"internal error: {type(e).__name__}: {e}")
        finally:
            self.do_exit()

    def show_status(self, force: bool = False) -> None:
        if not self.is_open or not self.reporter.status_due(force):
            return
        clocks = self.clocks
        has_a, has_v = self.audio.is_open, self.video.is_open
        self.reporter.print_status(
            clocks.get_master_clock(),
            clocks.av_diff(),
            has_a,
            has_v,
            self.refresh.frame_drops,
            self.audio.pktq.size if has_a else 0,
            self.video.pktq.size if has_v else 0,
            self.subtitle.pktq.size if self.subtitle.is_open else 0,
        )

    def position(self) -> float | None:
        pos = self.clocks.get_master_clock()
        return None if math.isnan(pos) else pos

    def do_exit(self) -> None:
        """Stop every thread promptly; never wait long on a thread blocked in I/O."""
        self.abort_request = True
        if self.avio is not None:
            self.avio.abort()
        for p in self.pipelines:
            p.abort()
        self.wake_reader()
        if self.audio_out is not None:
            self.audio_out.close()
        deadline = time.monotonic() + JOIN_TIMEOUT
        if (
            self.read_tid is not None
            and self.read_tid is not threading.current_thread()
            and not self.in_direct_open
        ):
            self.read_tid.join(max(deadline - time.monotonic(), 0.01))
        for p in self.pipelines:
            p.join(max(deadline - time.monotonic(), 0.01))
        threads = [self.read_tid] + [p.decoder.thread for p in self.pipelines if p.decoder is not None]
        if self.ic is not None and not any(t is not None and t.is_alive() for t in threads):
            with contextlib.suppress(Exception):
                self.ic.close()
        if self.avio is not None:
            with contextlib.suppress(Exception):
                self.avio.close()
        if self.external_subs is not None and not (
            self.subtitle.decoder is not None
            and self.subtitle.decoder.thread is not None
            and self.subtitle.decoder.thread.is_alive()
        ):
            self.external_subs.close()
        self.output.close()
        self.trace.event("exit", reason=self.quit_reason)
        self.finished.set()


def loop_wait(remaining_time: float, status_wait: float | None) -> float:
    """How long the loop sleeps: until the next picture or audio view is due
    (``remaining_time``) or the status line is due again (``status_wait``; None: none)."""
    if status_wait is None:
        return remaining_time
    return min(remaining_time, max(status_wait, MIN_WAIT))
