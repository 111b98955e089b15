"""Sleeping on an X11 window until an X event, SDL event, another thread's wake-up or a
timeout: a poll() on the display's socket and on a pipe of our own.

SDL's own wait (SDL_WaitEventTimeout) is woken from other threads by SDL_PushEvent, which
on X11 sends an event on a second connection; that event can reach the server after the
window is destroyed, and Xlib's BadWindow handler ends the process. A pipe cannot do that,
so the loop can sleep until the next picture is due instead of polling every 10 ms as
ffplay does. Used only on the loop thread (wait) and from any thread (wakeup).
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import select
import threading
from typing import Any

from pyffplay.sdl_lib import sdl2

_QUEUED_AFTER_FLUSH = 2  # Xlib's XEventsQueued mode: flush requests, then read what is there


def _load_xlib() -> Any:
    # SDL has loaded it already (it dlopens libX11 for its x11 driver): the same library.
    lib = ctypes.CDLL("libX11.so.6")
    lib.XEventsQueued.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.XEventsQueued.restype = ctypes.c_int
    lib.XConnectionNumber.argtypes = [ctypes.c_void_p]
    lib.XConnectionNumber.restype = ctypes.c_int
    return lib


class X11Wait:
    """wait() for the loop thread, wakeup() for any thread; see the module's text."""

    def __init__(self, xlib: Any, display: int) -> None:
        self._xlib = xlib
        self._display = display
        self._x_fd = xlib.XConnectionNumber(display)
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        # close() and wakeup() under one lock: a write after the close could reach
        # whatever file reused the descriptor's number.
        self._lock = threading.Lock()
        self._closed = False
        self._poll = select.poll()  # not select(): no limit on the descriptors' numbers
        self._poll.register(self._x_fd, select.POLLIN)
        self._poll.register(self._wake_r, select.POLLIN)

    @classmethod
    def for_window(cls, window: Any) -> X11Wait | None:
        """For an SDL window on X11; None elsewhere (the caller polls as ffplay does)."""
        from sdl2 import syswm

        info = syswm.SDL_SysWMinfo()
        sdl2.SDL_GetVersion(ctypes.byref(info.version))
        if not syswm.SDL_GetWindowWMInfo(window, ctypes.byref(info)):
            return None
        if info.subsystem != syswm.SDL_SYSWM_X11 or not info.info.x11.display:
            return None
        try:
            return cls(_load_xlib(), info.info.x11.display)
        except OSError:
            return None

    def wait(self, timeout: float) -> None:
        """Sleep until something is to be handled or ``timeout`` s have passed."""
        if sdl2.SDL_HasEvents(sdl2.SDL_FIRSTEVENT, sdl2.SDL_LASTEVENT):
            return  # already in SDL's queue (the window's own events from a resize)
        # Xlib may hold events it read while waiting for a reply (a present's XSync): they
        # are in no socket any more, and poll() would sleep over them.
        if self._xlib.XEventsQueued(self._display, _QUEUED_AFTER_FLUSH) > 0:
            return
        try:
            ready = self._poll.poll(max(math.ceil(timeout * 1000 - 1e-6), 0))  # ms, never early
        except OSError:  # EINTR is retried by Python; anything else: wake, the loop goes on
            return
        if any(fd == self._wake_r for fd, _ in ready):
            with contextlib.suppress(OSError):
                os.read(self._wake_r, 4096)

    def wakeup(self) -> None:
        with self._lock:
            if self._closed:
                return
            with contextlib.suppress(OSError):  # the pipe is full: a wake-up is pending
                os.write(self._wake_w, b"w")

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            os.close(self._wake_r)
            os.close(self._wake_w)
