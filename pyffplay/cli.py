"""The command line: options -> a Player, plus what belongs to a command.

A command owns the process: signal handlers, keys from the terminal, Ctrl-Z, the status
line and warnings on stderr, one-line errors and the exit code. Playing is the Player's.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

_T_START = time.monotonic()  # as early as the import allows: "start" in the trace

if TYPE_CHECKING:
    from pyffplay.commands import Command
    from pyffplay.options import Options
    from pyffplay.player import Player

AV_LOG_WARNING = 24
AV_LOG_INFO = 32
AV_LOG_DEBUG = 48
# -vo terminal: FFmpeg's lines kept for after exit (the newest, when there are more).
MAX_DEFERRED_LINES = 2000
# The main thread's wait for the player, in slices. A signal interrupts the lock wait
# (POSIX) and its handler runs at once, so the slice only bounds how long a lost wake-up
# could go unseen; each wake-up costs ~0.1 ms of CPU here, so it is long.
WAIT_SLICE = 1.0
# After a quit (q, Ctrl-C, SIGTERM from the command line's side), how long the command
# waits for the player's threads before it gives the terminal back and leaves anyway: a
# thread stuck in a C library (an audio driver, a network call) must not keep a user
# at a dead terminal. Quitting takes milliseconds; this only bounds the worst case.
QUIT_GRACE = 3.0
QUIT_SLICE = 0.05


def main(argv: list[str] | None = None) -> int:
    # NumPy's OpenBLAS starts a thread per core when it loads (~0.08 CPU-s of each start
    # here, measured over whole starts); the player does no linear algebra. Before anything
    # imports NumPy; a value the user set stays. Only the command: a program embedding the
    # Player keeps its own.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # Start-up allocates some 100,000 objects that live as long as the process (modules):
    # no collection while they are made, and none of them scanned again (see _started).
    gc.disable()
    try:
        return _main(sys.argv[1:] if argv is None else argv)
    finally:
        _started()


def _main(argv: list[str]) -> int:
    from pyffplay.errors import PlayerError
    from pyffplay.heap import fix_mmap_threshold
    from pyffplay.options import help_text, parse_args

    fix_mmap_threshold()  # before the first picture buffer is allocated
    # Until the player installs its own handlers, Ctrl-C or SIGTERM ends start-up quietly.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        opts = parse_args(argv)
    except PlayerError as e:
        print(f"pyffplay: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    # A missing file or a directory needs no audio device: no PortAudio scan for it.
    bad_path = opts.input is not None and _local_path_error(opts.input) is not None
    if not (opts.show_help or opts.show_info or bad_path or _stderr_to_pipe(opts)):
        _preload_audio(opts)  # PortAudio's device scan runs while FFmpeg's libraries load
    _start_ffmpeg_log(opts)
    if opts.show_help:
        sys.stdout.write(help_text())
        return 0
    if opts.show_info:
        from pyffplay import ffinfo

        try:
            ffinfo.show(opts.show_info)
        except BrokenPipeError:  # `pyffplay -codecs | head`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            return 0
        except OSError as e:  # PyAV built without its libraries beside it
            print(f"pyffplay: -{opts.show_info}: {e}", file=sys.stderr)
            return 1
        return 0
    try:
        code = _play(opts)
    except KeyboardInterrupt:
        code = 0
    # Worker threads may sit inside FFmpeg or PortAudio calls; everything that matters
    # (terminal, trace, audio device) is closed by now, so leave without waiting on them.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _started() -> None:
    """The input is open (or playback ended first): what start-up made stays for good."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _start_ffmpeg_log(opts: Options) -> None:
    """As ffplay's main: FFmpeg's log at -loglevel on stderr, then the banner (show_banner)."""
    from pyffplay import fflog

    try:
        fflog.enable_stderr_log(opts.loglevel, opts.log_flags)
    except OSError:
        return  # no FFmpeg libraries to bind: FFmpeg stays quiet, pyffplay still plays
    if opts.hide_banner or opts.show_info == "version" or opts.loglevel < AV_LOG_INFO:
        return
    from pyffplay import ffinfo

    try:
        for line in ffinfo.banner_lines():
            fflog.log(AV_LOG_INFO, line + "\n")
    except OSError:
        pass


def _preload_audio(opts: Options) -> None:
    """PortAudio's initialisation started on its own thread, when the device will be wanted."""
    if not opts.audio_disable and opts.ao in (None, "sounddevice"):
        from pyffplay import portaudio

        portaudio.preload()


def _stderr_to_pipe(opts: Options) -> bool:
    """-vo terminal (or the terminal chosen for want of a display): stderr goes into a pipe
    while the picture is shown (Messages.capture_stderr)."""
    if not (os.isatty(1) and os.isatty(2)) or opts.display_disable:
        return False
    no_display = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return opts.vo == "terminal" or (opts.vo is None and no_display)


def _local_path_error(name: str) -> str | None:
    """A missing file or a directory, said before any window or terminal mode."""
    if name in ("-",) or ":" in name.split("/")[0]:
        return None  # stdin, pipe:N, fd:N, file:..., URLs: the input code says
    if os.path.isdir(name):
        return f"{name}: Is a directory"
    if not os.path.exists(name):
        return f"{name}: No such file or directory"
    return None


def _play(opts: Options) -> int:
    for w in opts.warnings:
        print(f"pyffplay: warning: {w}", file=sys.stderr)
    assert opts.input is not None
    problem = _local_path_error(opts.input)
    if problem:
        print(f"pyffplay: {problem}", file=sys.stderr)
        return 1
    messages = Messages(opts)
    messages.capture_stderr()
    _preload_audio(opts)  # (once) after stderr went to the pipe: ALSA may print while it scans
    from pyffplay.errors import PlayerError
    from pyffplay.player import Player

    player = Player._for_command_line(
        opts, messages.on_event, messages.status if opts.status_enabled else None, _T_START
    )
    messages.player = player
    console = Console(player)
    overdue = False
    # Signals and keys first: a Ctrl-C during start-up is a quit the player sees at once.
    console.start()
    try:
        try:
            player.play()
        except PlayerError as e:
            messages.finish()
            print(f"pyffplay: {e}", file=sys.stderr)
            return 1
        overdue = wait_for_player(player, console)
    finally:
        console.stop()
        if overdue:
            console.abandon()  # the loop thread is stuck: no player.close(), which joins it
        else:
            player.close()
        messages.finish()
    if overdue:
        print(
            f"pyffplay: warning: playback did not stop within {QUIT_GRACE:g} s of the quit; leaving anyway",
            file=sys.stderr,
        )
        return 0
    if player.error:
        sys.stderr.write(f"pyffplay: {player.error}\n")
    return 1 if player.error else 0


def wait_for_player(player: Player, console: Console, grace: float = QUIT_GRACE) -> bool:
    """Until playback ends (False), or until a quit asked ``grace`` seconds ago has still
    not stopped the player's threads (True)."""
    while player.wait(WAIT_SLICE if console.quit_time is None else QUIT_SLICE) is None:
        if console.quit_time is None and player.quitting:
            console.quit_time = time.monotonic()  # a quit from the window or the player
        if console.quit_time is not None and time.monotonic() - console.quit_time > grace:
            return True
    return False


class Messages:
    """The status line, warnings and FFmpeg's log: on the terminal output's bottom row (and
    after exit), else on stderr through FFmpeg's log, whose lock keeps lines whole."""

    def __init__(self, opts: Options) -> None:
        from pyffplay import fflog

        self.opts = opts
        self.player: Player | None = None
        self.deferred: deque[str] = deque(maxlen=MAX_DEFERRED_LINES)  # shown after exit
        self.dropped = 0
        self._ffmpeg_log = fflog.enabled()
        self._status_shown = False
        self._lock = threading.Lock()
        self._pipe: Any = None
        self._partial = b""

    def capture_stderr(self) -> None:
        """-vo terminal (or the terminal chosen for want of a display): fd 2 into a pipe."""
        if _stderr_to_pipe(self.opts):
            from pyffplay.stderr_pipe import StderrPipe

            pipe = StderrPipe(self._stderr_data)
            if pipe.start():
                self._pipe = pipe

    def _status_row(self) -> Any:
        out = self.player.video_output if self.player is not None else None
        return out if out is not None and out.has_status_row else None

    def status(self, line: str) -> None:
        row = self._status_row()
        if row is not None:
            row.show_status(line)
            return
        self._status_shown = True
        if self._ffmpeg_log and self.opts.loglevel >= AV_LOG_INFO:
            from pyffplay import fflog

            fflog.log(AV_LOG_INFO, line)  # ffplay: av_log(NULL, AV_LOG_INFO, ...)
            return
        with self._lock:
            sys.stderr.write(line)  # -stats below -loglevel info: straight to stderr, as ffplay
            sys.stderr.flush()

    def on_event(self, name: str, data: dict[str, Any]) -> None:
        if name in ("open", "end"):
            _started()
        if name == "warning" and self.opts.loglevel >= AV_LOG_WARNING:
            self._message(f"pyffplay: warning: {data['message']}")
        elif name == "thread_error" and self.opts.loglevel >= AV_LOG_DEBUG:
            self._message(data["detail"])  # the exception and stack behind a one-line error
        elif name == "stream" and self.opts.loglevel >= AV_LOG_INFO:
            self._message(f"Switch {data['type']} stream from #{data['old']} to #{data['new']}")

    def _message(self, line: str) -> None:
        """A line between status lines: on stderr, or on the terminal output's status row."""
        row = self._status_row()
        if row is not None:
            self.deferred.append(line)
            row.show_status(line)
            return
        if self._ffmpeg_log:
            from pyffplay import fflog

            fflog.log(AV_LOG_WARNING, line + "\n")
            self._status_shown = False
            return
        with self._lock:
            sys.stderr.write(("\n" if self._status_shown else "") + line + "\n")
            sys.stderr.flush()
            self._status_shown = False

    def _stderr_data(self, data: bytes) -> None:
        """What was written to fd 2 while it is a pipe (FFmpeg's log, Python's own)."""
        pipe = self._pipe
        if pipe is not None and self._status_row() is None and not self.deferred and not self._partial:
            pipe.write_through(data)  # no picture on the terminal: as it came
            return
        text = self._partial + data
        *lines, self._partial = text.replace(b"\r", b"\n").split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                if len(self.deferred) == self.deferred.maxlen:
                    self.dropped += 1
                # Kept for after exit: the status row is the status line's (and pyffplay's
                # warnings'), and a burst of decoder errors would hide it for good.
                self.deferred.append(line)

    def finish(self) -> None:
        if self._pipe is not None:
            self._pipe.stop()
            self._pipe = None
            if self._partial.strip():
                self.deferred.append(self._partial.decode("utf-8", "replace").rstrip())
        if self._status_shown:
            sys.stderr.write("\n")
        if self.dropped:
            sys.stderr.write(f"pyffplay: {self.dropped} earlier log lines not kept\n")
        for line in self.deferred:
            sys.stderr.write(line + "\n")
        self.deferred.clear()
        sys.stderr.flush()


class Console:
    """The terminal around the player: keys from /dev/tty, signals, Ctrl-Z and fg."""

    def __init__(self, player: Player) -> None:
        self.player = player
        self.keys: Any = None
        self._paused_by_stop = False
        self.quit_time: float | None = None  # when a quit came from a key or a signal

    def send(self, command: Command) -> None:
        """A command from a key or a signal (signal handlers run on the main thread)."""
        from pyffplay.commands import Quit

        if isinstance(command, Quit) and self.quit_time is None:
            self.quit_time = time.monotonic()
        self.player.send(command)

    def abandon(self) -> None:
        """The player did not stop: give the terminal back without it (it is left to
        os._exit)."""
        out = self._terminal_output()
        if out is not None:
            out.close()

    def start(self) -> None:
        from pyffplay.commands import Quit

        quit_cmd = Quit("signal")
        signal.signal(signal.SIGINT, lambda signum, frame: self.send(quit_cmd))
        signal.signal(signal.SIGTERM, lambda signum, frame: self.send(quit_cmd))
        # Keys from the controlling terminal, as mpv: only when our output goes to it
        # (so that `pyffplay x | less` leaves the keys to less).
        if os.isatty(1) or os.isatty(2):
            from pyffplay.term_keys import TtyKeyReader

            reader = TtyKeyReader(self.send, self.player._opts.seek_interval)
            if reader.start():
                self.keys = reader
        if self._terminal_output() or self._may_use_terminal():
            signal.signal(signal.SIGWINCH, self._on_resize)
        if self.keys is not None or self._may_use_terminal():
            signal.signal(signal.SIGTSTP, self._on_stop)
            signal.signal(signal.SIGCONT, self._on_continue)

    def _may_use_terminal(self) -> bool:
        """The output is made on the player's thread: expect the terminal when it may be."""
        opts = self.player._opts
        return os.isatty(1) and not opts.display_disable and opts.vo in (None, "terminal")

    def _terminal_output(self) -> Any:
        out = self.player.video_output
        return out if out is not None and out.uses_terminal else None

    def stop(self) -> None:
        if self.keys is not None:
            self.keys.stop()
            self.keys = None

    def _on_resize(self, signum: int, frame: object) -> None:
        from pyffplay.commands import Refresh

        out = self.player.video_output
        if out is not None:
            out.notice_resize()
            self.player.send(Refresh())

    def _on_stop(self, signum: int, frame: object) -> None:
        """Ctrl-Z: pause, give the terminal back, then really stop."""
        from pyffplay.commands import SetPause

        player = self.player
        if not player.paused and player.position is not None:
            player.send(SetPause(True))
            self._paused_by_stop = True
        if self.keys is not None:
            self.keys.suspend()
        out = self._terminal_output()
        if out is not None:
            out.suspend()
        os.kill(os.getpid(), signal.SIGSTOP)
        # Continued: take the terminal back here, before the interrupted code goes on
        # (SIGCONT's own handler may run later than that).
        self._on_continue(signal.SIGCONT, None)

    def _on_continue(self, signum: int, frame: object) -> None:
        """fg: take the terminal again, redraw, play on (once, whoever calls first)."""
        from pyffplay.commands import Refresh, SetPause

        out = self._terminal_output()
        if out is not None and not out.resume():
            return  # `bg`: stay off the terminal until `fg`
        if self.keys is not None:
            self.keys.resume()
        if self._paused_by_stop:
            self._paused_by_stop = False
            self.player.send(SetPause(False))
        self.player.send(Refresh())
