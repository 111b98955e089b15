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
    try:
        opts = parse_args(argv)
    except PlayerError as e:
        print(f"pyffplay: {e}", file=sys.stderr)
        return 1
    if opts.show_help:
        sys.stdout.write(help_text())
        return 0
    code = _play(opts)
    # Worker threads may sit inside FFmpeg or PortAudio calls; everything that matters
    # (terminal, trace, audio device) is closed by now, so leave without waiting on them.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


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
    try:
        from pyffplay.player import VideoState, make_output

        title = opts.window_title or opts.input
        output = make_output(opts, title)
        vs = VideoState(opts, output, trace)
    except PlayerError as e:
        print(f"pyffplay: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # SDL could not start, and the like
        print(f"pyffplay: cannot start video output: {e}", file=sys.stderr)
        return 1

    def on_signal(signum: int, frame: object) -> None:
        vs.commands.append(("quit", "signal"))

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        code = vs.run()
    except KeyboardInterrupt:
        vs.request_quit("signal")
        vs.do_exit()
        code = 0
    if vs.error:
        sys.stderr.write(f"pyffplay: {vs.error}\n")
    return code
