"""VideoState: ffplay's player state, wired from the parts that each do one job.

    pipelines (pipeline.py)   video / audio / subtitle: stream, PacketQueue, Decoder, FrameQueue
    clocks (sync.py)          audclk, vidclk, extclk and the master
    control (control.py)      pause, step, volume, seek requests
    refresh (refresh.py)      video_refresh: which picture is due
    reporter (report.py)      warnings, events, the status line, the trace

``run`` is ffplay's event loop: it executes commands, calls ``video_refresh`` and sleeps
until the next picture is due (at most REFRESH_RATE), on the thread that owns the video
output. The read thread (demux.py) and the decoder threads are started from here.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from pyffplay import commands as cmd
from pyffplay import libav
from pyffplay.audio_output import AudioOutput, AudioUnavailable, open_audio
from pyffplay.av_options import codec_options
from pyffplay.clock import AV_TIME_BASE
from pyffplay.codec_setup import decoder_context
from pyffplay.control import PlaybackControl, choose_seek_by_bytes
from pyffplay.decoders import audio_thread, subtitle_thread, video_thread
from pyffplay.errors import thread_failed
from pyffplay.external_subs import ExternalSubtitles
from pyffplay.frame_queue import SAMPLE_QUEUE_SIZE, SUBPICTURE_QUEUE_SIZE, VIDEO_PICTURE_QUEUE_SIZE
from pyffplay.handlers import execute
from pyffplay.options import Options
from pyffplay.pipeline import StreamPipeline
from pyffplay.refresh import VideoRefresh
from pyffplay.report import Reporter
from pyffplay.sdl_sync import Cond, Mutex
from pyffplay.sync import Clocks
from pyffplay.video_output import VideoOutput
from pyffplay.visualize import SHOW_MODE_RDFT, SHOW_MODE_VIDEO, SampleTap

REFRESH_RATE = 0.01
AVFMT_TS_DISCONT = 0x0200
# How long quitting waits for each worker thread; a thread stuck in I/O is left behind.
JOIN_TIMEOUT = 0.3


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
        self.video = StreamPipeline("video", VIDEO_PICTURE_QUEUE_SIZE, True)
        self.audio = StreamPipeline("audio", SAMPLE_QUEUE_SIZE, True)
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
        self.eof = False
        self.is_open = False
        # What changes while playing (the options stay as parsed).
        self.loop_left = opts.loop
        self.infinite_buffer = opts.infinite_buffer > 0
        self.control.accurate_default = opts.accurate_seek
        self.control.nb_vfilters = len(opts.vfilters)
        self.commands: deque[cmd.Command] = deque()
        self.wake = threading.Event()  # set when a command is queued: the loop stops sleeping
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
        than quit wait for the input to open."""
        if not isinstance(command, cmd.Refresh):
            self.trace.event("command", command=cmd.trace_form(command))
        if isinstance(command, cmd.Quit) and not self.is_open:
            self.request_quit(command.reason)  # at once: other commands wait for the open
        self.commands.append(command)
        self.wake.set()

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
        self.wake.set()

    # -- stream opening (called by the read thread) ---------------------------------------
    def stream_component_open(self, st: Any) -> None:
        cc = decoder_context(st, self.opts, self.warn)
        if cc is None:
            self.warn(f"no decoder for stream #{st.index} ({st.type})")
            return
        cc.copy_opaque = True
        if st.type in self.last_stream:
            self.last_stream[st.type] = self.stream_number(st)
        if self.opts.codec_opts:  # ffplay's filter_codec_opts: -threads, -threads:v 2, ...
            cc.options = {**dict(cc.options or {}), **codec_options(self.opts.codec_opts, st)}
        if st.type == "audio":
            self._open_audio(st, cc)
        elif st.type == "video":
            cc.thread_type = "AUTO"
            self.video.open(st, cc, self.continue_read_thread, self.wait_mutex)
            self.clocks.has_video = True
            refresh, opts = self.refresh, self.opts
            self.video.start(
                lambda: video_thread(
                    self.video,
                    refresh,
                    self.clocks,
                    self.control,
                    self.trace,
                    opts.autorotate,
                    self.output.set_default_window_size,
                    opts.decoder_reorder_pts,
                    opts.vfilters,
                    opts.filter_threads,
                ),
                partial(thread_failed, self, "video"),
            )
        elif st.type == "subtitle":
            self.subtitle.open(st, cc, self.continue_read_thread, self.wait_mutex)
            canvas = libav.stream_dimensions(st.container, st.index)
            ext = self.external_subs
            offset = ext.pts_offset if ext is not None and ext.is_stream(st) else 0.0
            self.subtitle.start(
                lambda: subtitle_thread(self.subtitle, canvas, offset),
                partial(thread_failed, self, "subtitle"),
            )

    # -- stream numbers: the main input's, then -sub FILE's -------------------------------
    def is_external(self, st: Any) -> bool:
        return self.external_subs is not None and self.external_subs.is_stream(st)

    def stream_number(self, st: Any) -> int:
        """The index the user sees (trace, API, t): an external file's comes after the input's."""
        assert st is not None
        ext = self.external_subs
        return ext.index if ext is not None and ext.is_stream(st) else st.index

    def stream_by_number(self, index: int) -> Any:
        if self.external_subs is not None and index == self.external_subs.index:
            return self.external_subs.stream
        return self.ic.streams[index]

    def stream_component_close(self, pipeline: StreamPipeline) -> None:
        """Stop a stream's decoder and drop what it queued (a stream switch). The audio
        device stays open: the next audio stream is resampled to its format."""
        if not pipeline.is_open:
            return
        pipeline.abort()
        pipeline.join(1.0)
        pipeline.pktq.flush()  # a new serial: whatever is left in the frame queue is stale
        pipeline.st = None
        pipeline.decoder = None
        if pipeline is self.video:
            self.clocks.has_video = False
        elif pipeline is self.audio:
            self.clocks.has_audio = False

    def stream_switched(self, kind: str, old: int, new: int) -> None:
        if kind == "subtitle":
            self.post(cmd.Refresh())  # a subtitle on screen goes (or changes) at once, paused too
        self.trace.event("stream", type=kind, **{"from": old, "to": new})
        self.reporter.event("stream", type=kind, old=old, new=new)
        self.streams = [
            dict(s, selected=(s["index"] == new) if s["type"] == kind else s["selected"])
            for s in self.streams
        ]

    def _open_audio(self, st: Any, cc: Any) -> None:
        channels = cc.layout.nb_channels if cc.layout else 2
        if self.audio_out is not None:  # a switch: the device is already open
            self._start_audio(st, cc, self.audio_out)
            return
        if self.opts.ao:
            drivers = [self.opts.ao]
        else:
            # Without a sound device the picture still plays, timed by a null device so the
            # audio clock leads as it would (mpv's ao_null); with no picture it is an error.
            drivers = ["sounddevice", "null"] if self._video_wanted() else ["sounddevice"]
        for driver in drivers:
            try:
                self.audio_out = open_audio(
                    driver, self.audio, self.clocks, self.control, self.trace, cc.sample_rate, channels
                )
                break
            except AudioUnavailable as e:
                self.audio_failure = self.audio_failure or f"audio output unavailable ({e})"
        if self.audio_out is None:
            return
        self.audio_out.on_error = partial(thread_failed, self, "audio_output")
        if self.audio_failure:
            self.warn(f"{self.audio_failure}; playing without sound")
        self._start_audio(st, cc, self.audio_out)

    def _start_audio(self, st: Any, cc: Any, out: AudioOutput) -> None:
        self.audio.open(st, cc, self.continue_read_thread, self.wait_mutex)
        self.clocks.has_audio = True
        self.audio.start(
            lambda: audio_thread(
                self.audio, out.rate, out.channels, self.opts.afilters, self.opts.filter_threads
            ),
            partial(thread_failed, self, "audio"),
        )

    def _video_wanted(self) -> bool:
        return (
            not self.opts.video_disable and self.ic is not None and any(True for _ in self.ic.streams.video)
        )

    def opened(self, ic: Any) -> None:
        self.ic = ic
        self.refresh.max_frame_duration = 10.0 if ic.format.flags & AVFMT_TS_DISCONT else 3600.0
        if ic.duration and ic.duration > 0:
            # No picture lasts longer than the whole file: a longer gap between two pictures
            # is a damaged timestamp, timed by the frame rate instead (ffplay freezes on it).
            self.refresh.max_frame_duration = min(
                self.refresh.max_frame_duration, max(1.0, ic.duration / AV_TIME_BASE)
            )
        chapters = ic.chapters() if callable(ic.chapters) else ic.chapters
        starts = tuple(sorted(float(c["start"] * c["time_base"]) for c in chapters)) if chapters else ()
        self.control.info.start_time = ic.start_time or 0
        self.control.info.duration = ic.duration or 0
        self.control.info.chapter_starts = starts
        self.control.info.bit_rate = ic.bit_rate or 0
        self.control.info.size = (self.avio.size if self.avio is not None else None) or 0
        self.control.info.seek_by_bytes = choose_seek_by_bytes(
            self.opts.seek_by_bytes, ic.format, self.control.info.size
        )
        self.refresh.infinite_buffer = self.infinite_buffer
        # ffplay: the picture when there is one, else the spectrum; -showmode when given.
        mode = self.opts.show_mode or (SHOW_MODE_VIDEO if self.video.is_open else SHOW_MODE_RDFT)
        if mode != SHOW_MODE_VIDEO and not self.audio.is_open:
            mode = SHOW_MODE_VIDEO
        self.control.show_mode = mode
        if self.audio_out is not None and self.audio.is_open:
            tap = SampleTap(self.audio_out.channels, self.audio_out.rate)
            self.audio_out.tap = tap
            self.refresh.sample_tap = tap
        # Kept for the API: the container itself is closed on exit.
        self.duration = ic.duration / AV_TIME_BASE if ic.duration else None
        self.metadata = dict(ic.metadata)
        if not self.opts.window_title:
            # ffplay: "<title> - <input>" when the input has a title, else the input's name.
            title = self.metadata.get("title")
            name = self.opts.input or ""
            self.output.set_title(f"{title} - {name}" if title else name)
        playing = {self.stream_number(p.st) for p in self.pipelines if p.is_open}
        all_streams = list(ic.streams)
        if self.external_subs is not None:
            all_streams.append(self.external_subs.stream)
        self.streams = [
            {
                "index": self.stream_number(s),
                "type": s.type,
                "codec": s.codec_context.name if s.codec_context else None,
                "language": s.metadata.get("language"),
                "selected": self.stream_number(s) in playing,
            }
            for s in all_streams
        ]
        self.is_open = True
        self.trace.event(
            "open",
            duration=ic.duration / AV_TIME_BASE if ic.duration else None,
            video=self.video.is_open,
            audio=self.audio.is_open,
            ao=self.audio_out.driver if self.audio_out is not None else None,
        )
        self.reporter.event("open", duration=ic.duration / AV_TIME_BASE if ic.duration else None)

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
                remaining_time = REFRESH_RATE
                if not self.control.paused or refresh.force_refresh:
                    remaining_time = refresh.video_refresh(remaining_time, self.is_open)
                    self.show_status(force=self.control.paused)
                else:
                    self.show_status()  # the audio clock may settle after a paused seek
                if self.opts.untimed and not self.control.paused:
                    # No clock to wait for: wake as soon as the decoder queues a picture.
                    self.video.frameq.peek_readable(timeout_ms=int(REFRESH_RATE * 1000))
                elif remaining_time > 0 and self.quit_reason is None:
                    self.wake.wait(remaining_time)
                    self.wake.clear()
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
        if self.read_tid is not None and self.read_tid is not threading.current_thread():
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
