"""pyffplay.Player: the public API. The command line (cli.py) is its first client.

    with pyffplay.Player("movie.mp4", vo="null", autoexit=True) as p:
        p.play()
        p.wait()

The player runs ffplay's loop on a thread of its own ("pyffplay_loop"), which also owns the
video output (SDL wants its window and renderer used from one thread). Every method posts a
command to that loop, so calls are safe from any thread. A Player touches no process-wide
state: no signal handlers, terminal modes, exit calls or printing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyffplay import commands as cmd
from pyffplay.clock import SDL_MIX_MAXVOLUME
from pyffplay.errors import PlayerError
from pyffplay.options import Options, options_from_keywords
from pyffplay.report import EventCallback, Reporter
from pyffplay.sources import source_name
from pyffplay.trace import Trace
from pyffplay.video_output import VideoOutput

if TYPE_CHECKING:
    from pyffplay.core import VideoState

# close(): how long to wait for the loop thread, which itself bounds each worker's join.
CLOSE_TIMEOUT = 2.0
# What wait() returns for each way playback ended.
_REASONS = {"eof": "eof", "error": "error", "quit": "quit", "signal": "quit"}

FrameCallback = Callable[[Any, float], None]


def _import_player_modules() -> None:
    try:
        import pyffplay.core
        import pyffplay.demux  # noqa: F401 - the read thread's
    except Exception:
        pass  # raised again where the loop thread imports it


class Player:
    """Plays one source: a path, a URL, ``"-"`` (stdin), bytes, or a binary file object.

    ``options`` are the command line's, named without the dash (``vo="null"``, ``an=True``,
    ``ss=30``, ``t=5``, ``autoexit=True``, ``volume=50``, ``sync="ext"``); a bad one raises
    ValueError with the command line's message. ``on_frame(frame, pts)`` is called with each
    picture shown (an ``av.VideoFrame``); ``on_event(name, data)`` with "open", "seek",
    "warning", "error" and "end". Both are called from the player's thread.

    FFmpeg's own log is left as the process has it (PyAV turns it off; an application may
    route it to Python's logging with ``av.logging.set_level``): a Player prints nothing.
    """

    def __init__(
        self,
        source: Any,
        *,
        on_frame: FrameCallback | None = None,
        on_event: EventCallback | None = None,
        **options: Any,
    ) -> None:
        self._source = source
        self._name = source_name(source)
        self._opts = options_from_keywords(self._name, options)
        self._on_frame = on_frame
        self._on_event = on_event
        self._status_sink: Callable[[str], None] | None = None
        self._start_time: float | None = None
        self._vs: VideoState | None = None
        self._output: VideoOutput | None = None
        self._thread: threading.Thread | None = None
        self._pending: list[cmd.Command] = []  # commands sent before play()
        self._error: str | None = None
        self._reason: str | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def _for_command_line(
        cls,
        opts: Options,
        on_event: EventCallback,
        status_sink: Callable[[str], None] | None,
        start_time: float,
    ) -> Player:
        """The command line's player: options already parsed, the status line wanted."""
        self = cls.__new__(cls)
        cls.__init__(self, opts.input, on_event=on_event)
        self._opts = opts
        self._status_sink = status_sink
        self._start_time = start_time
        return self

    # -- lifecycle ----------------------------------------------------------------------
    def play(self) -> None:
        """Start playback and return at once (a second call does nothing)."""
        with self._lock:
            if self._thread is not None or self._closed:
                return
            try:
                trace = Trace(self._opts.trace_file)
            except OSError as e:
                raise PlayerError(f"{self._opts.trace_file}: {e.strerror}") from None
            trace.event("start", t=self._start_time if self._start_time is not None else time.monotonic())
            self._thread = threading.Thread(
                target=self._run, args=(trace,), name="pyffplay_loop", daemon=True
            )
            self._thread.start()

    def _run(self, trace: Trace) -> None:
        from pyffplay.video_output.select import make_output

        reporter = Reporter(trace, self._on_event, self._status_sink)
        # The player's modules are imported while the output starts: SDL's own work
        # (X11, the renderer) runs without the GIL.
        importer = threading.Thread(target=_import_player_modules, name="import", daemon=True)
        importer.start()
        try:
            try:
                self._output = make_output(self._opts, self._opts.window_title or self._name, reporter.warn)
            except PlayerError as e:
                self._finish("error", str(e), reporter)
                return
            except Exception as e:  # SDL could not start, and the like
                self._finish("error", f"cannot start video output: {e}", reporter)
                return
            trace.event("output", None, **self._output.describe())
            importer.join()
            from pyffplay.core import VideoState  # an import error shows here, as it was

            vs = VideoState(self._opts, self._source, self._output, reporter)
            if self._on_frame is not None:
                on_frame = self._on_frame
                vs.refresh.on_picture = lambda vp: on_frame(vp.frame, vp.pts)
            with self._lock:
                self._vs = vs
                for c in self._pending:
                    vs.post(c)
                self._pending.clear()
                if self._closed:
                    vs.request_quit("quit")
            vs.run()
            self._finish(vs.quit_reason or "quit", vs.error, reporter)
        finally:
            trace.close()

    def _finish(self, reason: str, error: str | None, reporter: Reporter) -> None:
        self._error = error
        self._reason = "error" if error else _REASONS.get(reason, "quit")
        if error:
            reporter.event("error", message=error)
        reporter.event("end", reason=self._reason)
        self._done.set()

    def wait(self, timeout: float | None = None) -> str | None:
        """Block until playback ends or the player is closed: "eof", "quit" or "error";
        None when ``timeout`` passes first (or playback was never started)."""
        if self._thread is None:
            return None
        if not self._done.wait(timeout):
            return None
        return self._reason

    def close(self) -> None:
        """Stop everything, release the window and the audio device, join the threads.
        Idempotent."""
        with self._lock:
            self._closed = True
            vs = self._vs
        if vs is not None:
            vs.request_quit("quit")
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(CLOSE_TIMEOUT)

    def __enter__(self) -> Player:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- commands -------------------------------------------------------------------------
    def send(self, command: cmd.Command) -> None:
        """Queue any command of pyffplay.commands (what keys and signals send)."""
        with self._lock:
            vs = self._vs
            if vs is None:
                self._pending.append(command)
                return
        vs.post(command)

    def pause(self) -> None:
        self.send(cmd.SetPause(True))

    def resume(self) -> None:
        self.send(cmd.SetPause(False))

    def toggle_pause(self) -> None:
        self.send(cmd.TogglePause())

    def step(self) -> None:
        """Show the next picture, then stay paused (ffplay's ``s``)."""
        self.send(cmd.Step())

    def seek(self, seconds: float, relative: bool = False, accurate: bool = False) -> None:
        """Seek to ``seconds`` on the input's timeline, or by ``seconds`` when relative.
        ``accurate``: land on the frame asked for, not on the keyframe before it."""
        self.send(cmd.Seek(float(seconds), relative, accurate))

    def cycle_stream(self, kind: str) -> None:
        """The next "audio", "video" or "subtitle" stream (subtitles cycle through off);
        "program" cycles all three, as ffplay's ``c``."""
        if kind not in ("audio", "video", "subtitle", "program"):
            raise ValueError(f"cannot cycle {kind!r} streams")
        self.send(cmd.CycleStream(kind))

    # -- properties ---------------------------------------------------------------------
    @property
    def volume(self) -> float:
        """0..100."""
        vs = self._vs
        if vs is None:
            return float(self._opts.volume)
        return round(100.0 * vs.control.audio_volume / SDL_MIX_MAXVOLUME, 1)

    @volume.setter
    def volume(self, percent: float) -> None:
        self.send(cmd.SetVolume(float(percent)))

    @property
    def muted(self) -> bool:
        vs = self._vs
        return vs.control.muted if vs is not None else False

    @muted.setter
    def muted(self, value: bool) -> None:
        self.send(cmd.SetMute(bool(value)))

    @property
    def paused(self) -> bool:
        vs = self._vs
        return vs.control.paused if vs is not None else False

    @property
    def position(self) -> float | None:
        """The master clock in seconds; None before the first frame."""
        vs = self._vs
        return vs.position() if vs is not None and vs.is_open else None

    @property
    def duration(self) -> float | None:
        """Seconds; None when unknown (or not opened yet)."""
        vs = self._vs
        return vs.duration if vs is not None else None

    @property
    def streams(self) -> list[dict[str, Any]]:
        """Every stream of the input: index, type, codec, language, and whether it plays."""
        vs = self._vs
        return [dict(s) for s in vs.streams] if vs is not None else []

    @property
    def metadata(self) -> dict[str, str]:
        """The input's metadata (title, artist, ...)."""
        vs = self._vs
        return dict(vs.metadata) if vs is not None else {}

    @property
    def stats(self) -> dict[str, Any]:
        """Frames dropped, A-V (seconds; None when unknown) and the packet queues' bytes."""
        vs = self._vs
        if vs is None:
            return {"frame_drops": 0, "av_diff": None, "audioq": 0, "videoq": 0, "subtitleq": 0}
        av_diff = vs.clocks.av_diff()
        return {
            "frame_drops": vs.refresh.frame_drops,
            "av_diff": None if av_diff != av_diff else av_diff,
            "audioq": vs.audio.pktq.size,
            "videoq": vs.video.pktq.size,
            "subtitleq": vs.subtitle.pktq.size,
        }

    @property
    def quitting(self) -> bool:
        """Playback was asked to end (a quit, the end with autoexit, an error) and the
        threads are stopping."""
        vs = self._vs
        return vs is not None and vs.quit_reason is not None and not self._done.is_set()

    @property
    def error(self) -> str | None:
        """Why playback ended with "error" (one line), else None."""
        return self._error

    @property
    def video_output(self) -> VideoOutput | None:
        """The output driver in use (the command line sends it Ctrl-Z and resizes)."""
        return self._output
