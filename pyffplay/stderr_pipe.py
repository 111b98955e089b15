"""Stderr through a pipe while the picture is drawn in the terminal.

FFmpeg's default log callback writes to file descriptor 2 from any thread; on a terminal
that also shows the picture (``-vo terminal``) those lines would scribble over it. While
the terminal output may be in use, fd 2 is a pipe: a reader thread hands what arrives to
``on_data`` (the command line keeps the lines and shows them after exit, or passes them
through when no picture is on the terminal). FFmpeg keeps its C callback (no Python in the
log path, no GIL taken from FFmpeg's threads).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable

READ_SIZE = 65536
JOIN_TIMEOUT = 1.0


class StderrPipe:
    def __init__(self, on_data: Callable[[bytes], None]) -> None:
        self.on_data = on_data
        self.saved_fd: int | None = None  # the real stderr, while fd 2 is the pipe
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        try:
            r, w = os.pipe()
            self.saved_fd = os.dup(2)
            os.dup2(w, 2)
            os.close(w)
        except OSError:
            return False
        self._thread = threading.Thread(target=self._read, args=(r,), name="stderr_pipe", daemon=True)
        self._thread.start()
        return True

    def write_through(self, data: bytes) -> None:
        """To the real stderr (the terminal), bypassing the pipe."""
        fd = self.saved_fd if self.saved_fd is not None else 2
        view = memoryview(data)
        with contextlib.suppress(OSError):
            while view:
                view = view[os.write(fd, view) :]

    def _read(self, fd: int) -> None:
        try:
            while data := os.read(fd, READ_SIZE):
                self.on_data(data)
        except OSError:
            pass
        finally:
            os.close(fd)

    def stop(self) -> None:
        """fd 2 is stderr again; what was still in the pipe is handed over first."""
        if self.saved_fd is None:
            return
        os.dup2(self.saved_fd, 2)  # closes the pipe's last write end: the reader sees EOF
        if self._thread is not None:
            self._thread.join(JOIN_TIMEOUT)
        os.close(self.saved_fd)
        self.saved_fd = None
