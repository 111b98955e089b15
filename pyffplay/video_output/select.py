"""Which video output to use: -vo, or what the environment offers."""

from __future__ import annotations

import os
from typing import Any

from pyffplay.errors import PlayerError
from pyffplay.options import Options
from pyffplay.video_output import NullOutput, VideoOutput


def make_output(opts: Options, title: str, warn: Any) -> VideoOutput:
    """-vo, or: SDL when a display is there, else the terminal when stdout is one."""
    if opts.display_disable or opts.vo == "null":
        return NullOutput()
    if opts.vo == "terminal":
        if not os.isatty(1):
            raise PlayerError("-vo terminal needs a terminal on stdout")
        return _terminal_output(opts)
    if opts.vo == "sdl" or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        from pyffplay.video_output.sdl import SDLInitError, SDLOutput
        try:
            return SDLOutput(opts, title)
        except SDLInitError as e:
            if opts.vo == "sdl" or not os.isatty(1):
                raise PlayerError(f"cannot open a window: {e}") from None
    if os.isatty(1):
        return _terminal_output(opts)
    warn("no display and no terminal: playing without video (-vo terminal / -nodisp)")
    return NullOutput()


def _terminal_output(opts: Options) -> VideoOutput:
    from pyffplay.video_output.terminal import TerminalOutput, choose_colors

    return TerminalOutput(choose_colors(opts.term_colors, dict(os.environ)))
