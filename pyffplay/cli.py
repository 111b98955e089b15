"""Entry point: options -> VideoState -> exit code, with one-line errors and no tracebacks."""

from __future__ import annotations

import os
import signal
import sys
import time

_T_START = time.monotonic()  # as early as the import allows: "start" in the trace


def main(argv: list[str] | None = None) -> int:
    from pyffplay.errors import PlayerError
    from pyffplay.options import help_text, parse_args

    argv = sys.argv[1:] if argv is None else argv
    # Until the player installs its own handlers, Ctrl-C or SIGTERM ends start-up quietly.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        opts = parse_args(argv)
    except PlayerError as e:
        print(f"pyffplay: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    if opts.show_help:
        sys.stdout.write(help_text())
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


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _play(opts) -> int:
    from pyffplay.errors import PlayerError
    from pyffplay.trace import Trace

    for w in opts.warnings:
        print(f"pyffplay: warning: {w}", file=sys.stderr)
    if opts.input not in ("-", "pipe:", "fd:") and os.path.isdir(opts.input):
        print(f"pyffplay: {opts.input}: Is a directory", file=sys.stderr)
        return 1
    if opts.input not in ("-", "pipe:", "fd:") and not os.path.exists(opts.input):
        print(f"pyffplay: {opts.input}: No such file or directory", file=sys.stderr)
        return 1
    try:
        trace = Trace(opts.trace_file)
    except OSError as e:
        print(f"pyffplay: {opts.trace_file}: {e.strerror}", file=sys.stderr)
        return 1
    trace.event("start", t=_T_START)
    from pyffplay.player import VideoState
    from pyffplay.video_output.select import make_output

    def early_warning(message: str) -> None:
        print(f"pyffplay: warning: {message}", file=sys.stderr)

    try:
        output = make_output(opts, opts.window_title or opts.input, early_warning)
    except PlayerError as e:
        print(f"pyffplay: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # SDL could not start, and the like
        print(f"pyffplay: cannot start video output: {e}", file=sys.stderr)
        return 1
    vs = VideoState(opts, output, trace)
    console = Console(vs)
    try:
        console.start()
        code = vs.run()
    except KeyboardInterrupt:
        vs.request_quit("signal")
        vs.do_exit()
        code = 0
    finally:
        console.stop()
        output.close()  # idempotent; gives the terminal back even after an exception
    if vs.error:
        sys.stderr.write(f"pyffplay: {vs.error}\n")
    return code


class Console:
    """The terminal around the player: keys from /dev/tty, signals, Ctrl-Z and fg."""

    def __init__(self, vs) -> None:
        self.vs = vs
        self.keys = None
        self._paused_by_stop = False

    def start(self) -> None:
        vs = self.vs
        signal.signal(signal.SIGINT, self._on_quit)
        signal.signal(signal.SIGTERM, self._on_quit)
        # Keys from the controlling terminal, as mpv: only when our output goes to it
        # (so that `pyffplay x | less` leaves the keys to less).
        if os.isatty(1) or os.isatty(2):
            from pyffplay.term_keys import TtyKeyReader

            reader = TtyKeyReader(vs.commands.append, vs.opts.seek_interval)
            if reader.start():
                self.keys = reader
        if hasattr(vs.output, "notice_resize"):
            from pyffplay.video_output.terminal import install_resize_handler

            install_resize_handler(vs.output, vs.commands.append)
        if self.keys is not None or hasattr(vs.output, "enter"):
            signal.signal(signal.SIGTSTP, self._on_stop)
            signal.signal(signal.SIGCONT, self._on_continue)

    def stop(self) -> None:
        if self.keys is not None:
            self.keys.stop()
            self.keys = None

    def _on_quit(self, signum: int, frame: object) -> None:
        self.vs.commands.append(("quit", "signal"))

    def _on_stop(self, signum: int, frame: object) -> None:
        """Ctrl-Z: pause, give the terminal back, then really stop."""
        vs = self.vs
        if not vs.paused and vs.is_open:
            vs.toggle_pause()
            self._paused_by_stop = True
        if self.keys is not None:
            self.keys.suspend()
        leave = getattr(vs.output, "leave", None)
        if leave is not None:
            leave()
        os.kill(os.getpid(), signal.SIGSTOP)
        # Continued: take the terminal back here, before the interrupted code goes on
        # (SIGCONT's own handler may run later than that).
        self._on_continue(signal.SIGCONT, None)

    def _on_continue(self, signum: int, frame: object) -> None:
        """fg: take the terminal again, redraw, play on (once, whoever calls first)."""
        vs = self.vs
        out = vs.output
        if hasattr(out, "enter") and not out.active:
            if not out.in_foreground():
                return  # `bg`: stay off the terminal until `fg`
            out.enter()
        if self.keys is not None:
            self.keys.resume()
        if self._paused_by_stop:
            self._paused_by_stop = False
            vs.commands.append(("pause",))
        vs.commands.append(("refresh",))
