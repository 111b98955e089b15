"""Which video output to use: -vo from the driver table, or what the environment offers."""

from __future__ import annotations

import os
from collections.abc import Callable

from pyffplay.errors import PlayerError
from pyffplay.options import Options
from pyffplay.video_output import NullOutput, VideoOutput


def _sdl(opts: Options, title: str) -> VideoOutput:
    from pyffplay.video_output.sdl import SDLInitError, SDLOutput

    try:
        return SDLOutput(opts, title)
    except SDLInitError as e:
        raise PlayerError(f"cannot open a window: {e}") from None


def _terminal(opts: Options, title: str) -> VideoOutput:
    from pyffplay.video_output.terminal import TerminalOutput, choose_colors

    if not os.isatty(1):
        raise PlayerError("-vo terminal needs a terminal on stdout")
    return TerminalOutput(choose_colors(opts.term_colors, dict(os.environ)))


def _null(opts: Options, title: str) -> VideoOutput:
    return NullOutput()


# -vo: name -> driver (as mpv's vo table). Each driver is a VideoOutput.
VIDEO_DRIVERS: dict[str, Callable[[Options, str], VideoOutput]] = {
    "sdl": _sdl,
    "terminal": _terminal,
    "null": _null,
}


def make_output(opts: Options, title: str, warn: Callable[[str], None]) -> VideoOutput:
    """-vo, or: SDL when a display is there, else the terminal when stdout is one."""
    if opts.display_disable:
        return NullOutput()
    if opts.vo is not None:
        return VIDEO_DRIVERS[opts.vo](opts, title)
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        try:
            return _sdl(opts, title)
        except PlayerError:
            if not os.isatty(1):
                raise
    if os.isatty(1):
        return _terminal(opts, title)
    if not opts.video_disable:
        warn("no display and no terminal: playing without video (-vo terminal / -nodisp)")
    return NullOutput()
