"""The SDL window's input: keys, mouse and window events turned into commands, the cursor
hidden after a second of stillness, redraws while a new window settles, and waiting in
SDL or on the X socket (not polling) until one of these is due or another thread wakes the
loop."""

from __future__ import annotations

import ctypes
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from pyffplay.commands import QUIT, Command, Refresh
from pyffplay.keys import MouseState, sdl_key_table
from pyffplay.sdl_lib import sdl2

if TYPE_CHECKING:
    from pyffplay.options import Options
    from pyffplay.video_output.sdl import SDLOutput

CURSOR_HIDE_DELAY = 1.0
# Window events after which what was drawn may be gone (a still picture is not redrawn
# otherwise): shown (the first present can come before the window is mapped), exposed, ...
_REDRAW_EVENTS = frozenset({sdl2.SDL_WINDOWEVENT_EXPOSED, sdl2.SDL_WINDOWEVENT_RESTORED})
# Presents made before X has mapped a new window are lost, and no expose follows under every
# window manager (none at all under Xvfb): a still picture (cover art, paused, the end) is
# drawn again a few times while the window settles.
SETTLE_TIME = 1.0
SETTLE_REDRAW = 0.1


class WindowEvents:
    def __init__(self, opts: Options) -> None:
        self.opts = opts
        self.keys = sdl_key_table(opts.seek_interval)
        self.mouse = MouseState()
        self.cursor_hidden = False
        self.cursor_last_shown = time.monotonic()
        self._settle_until = 0.0
        self._next_settle_redraw = 0.0
        self._event = sdl2.SDL_Event()

    def window_shown(self) -> None:
        now = time.monotonic()
        self._settle_until = now + SETTLE_TIME
        self._next_settle_redraw = now + SETTLE_REDRAW

    def wait(self, timeout: float, sleep: Callable[[float], None] | None = None) -> None:
        """Sleep until an event, ``timeout`` s or poll's next timer: in ``sleep`` (X11Wait's,
        which other threads can end), else in SDL_WaitEventTimeout (a key ends it at once,
        commands from other threads wait for the timeout, which SDLOutput keeps short)."""
        now = time.monotonic()
        timeout = min(timeout, self._next_timer(now) - now)
        ms = math.ceil(timeout * 1000)  # never early: a picture due in 2.5 ms waits 3
        if ms <= 0:
            return
        if sleep is not None:
            sleep(ms / 1000)
        else:
            sdl2.SDL_WaitEventTimeout(None, ms)

    def _next_timer(self, now: float) -> float:
        """When poll has something to do without an event (hide the cursor, redraw while
        the window settles)."""
        t = math.inf
        if not self.cursor_hidden:
            t = self.cursor_last_shown + CURSOR_HIDE_DELAY + 0.001
        if now < self._settle_until:
            t = min(t, self._next_settle_redraw)
        return t

    def poll(self, emit: Callable[[Command], None], out: SDLOutput) -> None:
        """Every pending event as a command; a resize updates ``out``'s size."""
        ev = self._event
        now = time.monotonic()
        if now < self._settle_until and now >= self._next_settle_redraw:
            self._next_settle_redraw = now + SETTLE_REDRAW
            emit(Refresh())
        if not self.cursor_hidden and now - self.cursor_last_shown > CURSOR_HIDE_DELAY:
            sdl2.SDL_ShowCursor(0)
            self.cursor_hidden = True
        while sdl2.SDL_PollEvent(ctypes.byref(ev)):
            t = ev.type
            if t == sdl2.SDL_KEYDOWN:
                if self.opts.exit_on_keydown:
                    emit(QUIT)
                    continue
                cmd = self.keys.get(ev.key.keysym.sym)
                if cmd is not None and (cmd == QUIT or out.width):
                    emit(cmd)
            elif t == sdl2.SDL_MOUSEBUTTONDOWN:
                if self.opts.exit_on_mousedown:
                    emit(QUIT)
                    continue
                self._show_cursor(now)
                # The event's own time: a busy loop must not split a double click.
                cmd = self.mouse.button_down(
                    ev.button.button, ev.button.x, out.width, ev.button.timestamp / 1000.0
                )
                if cmd is not None:
                    emit(cmd)
            elif t == sdl2.SDL_MOUSEMOTION:
                self._show_cursor(now)
                cmd = self.mouse.motion(bool(ev.motion.state & sdl2.SDL_BUTTON_RMASK), ev.motion.x, out.width)
                if cmd is not None:
                    emit(cmd)
            elif t == sdl2.SDL_WINDOWEVENT:
                we = ev.window.event
                if we == sdl2.SDL_WINDOWEVENT_SIZE_CHANGED:
                    out.width, out.height = ev.window.data1, ev.window.data2
                    emit(Refresh())
                elif we in _REDRAW_EVENTS:
                    emit(Refresh())
            elif t == sdl2.SDL_QUIT:
                emit(QUIT)

    def _show_cursor(self, now: float) -> None:
        if self.cursor_hidden:
            sdl2.SDL_ShowCursor(1)
            self.cursor_hidden = False
        self.cursor_last_shown = now
