"""The file-like object FFmpeg reads every input through.

``av.open(obj)`` wraps an object with ``read``/``seek``/``tell``/``seekable`` in a custom
AVIOContext and calls it, GIL held, from the demux thread. A reader thread ("avio_reader")
fills memory from the source so that those calls only copy bytes, and waits on a condition
when they must. Files keep a window around the read position; pipes keep what they read
(pipe_ring.PipeRing: memory, then a temporary file, then the oldest bytes are dropped), so
seeks work on a pipe and an MP4 whose moov atom is at the end plays from one, while an
endless pipe stays within its bound.
"""

from __future__ import annotations

import errno
import os
import re
import threading
from collections.abc import Callable

DEFAULT_MAX_MEMORY = 256 * 1024 * 1024
DEFAULT_READAHEAD = 16 * 1024 * 1024
DEFAULT_KEEP_BEHIND = 4 * 1024 * 1024
# A local regular file: the page cache reads ahead as well and a read costs little, so a
# small window will do (ffplay keeps 32 KiB); 16 MiB would hold a whole short clip in memory.
FILE_READAHEAD = 2 * 1024 * 1024
FILE_KEEP_BEHIND = 1024 * 1024
DEFAULT_MAX_DISK = 1 << 30

_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_SIZE_RE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:([kmgt])(?:i?b)?|b)?\s*", re.IGNORECASE)
WAIT_FOREVER = 1 << 62  # an offset no input reaches: "read all" / "read the pipe to EOF"


def parse_size(text: str) -> int:
    """Parse "256M", "1G", "64k", "1.5M", "1000" into bytes (binary units; "MiB"/"MB" too)."""
    m = _SIZE_RE.fullmatch(text)
    if not m:
        raise ValueError(f"invalid size: {text!r}")
    number, unit = m.group(1), _UNITS[(m.group(2) or "").lower()]
    return int(float(number) * unit) if "." in number else int(number) * unit


def format_size(n: int) -> str:
    """Bytes -> the shortest parse_size spelling: 268435456 -> "256M"."""
    for suffix, unit in (("G", 1 << 30), ("M", 1 << 20), ("k", 1 << 10)):
        if n >= unit:
            return f"{n // unit}{suffix}" if n % unit == 0 else f"{n / unit:.1f}{suffix}"
    return str(n)


class MemoryAVIO:
    """The file-like object FFmpeg reads from. Use open_input() to make one."""

    name: str
    is_pipe: bool
    error: str | None  # a source error after open (treated as EOF), for a message
    dropped_seeks: int  # seeks refused because the bytes there were dropped (pipes)
    on_warning: Callable[[str], None] | None  # told once, on the first such seek

    def __init__(
        self, fd: int, name: str, *, owns_fd: bool, max_memory: int, chunk_size: int, readahead: int
    ) -> None:
        self.name = name
        self.error = None
        self.exception: BaseException | None = None  # what ended the reader, if it failed
        self.dropped_seeks = 0
        self.on_warning = None
        self._fd = fd
        self._owns_fd = owns_fd
        self._max_memory = max_memory
        self._chunk = chunk_size
        self._readahead = max(1, min(readahead, max_memory))
        self._cond = threading.Condition(threading.Lock())
        self._pos = 0
        self._end = 0  # source offset the data held (or spilled) reaches
        self._eof = False  # the reader met the end of the source at _end
        self._aborted = False
        self._closed = False
        self._reader_done = False
        self._thread = threading.Thread(target=self._run_reader, name="avio_reader", daemon=True)

    # -- the file-like interface PyAV uses -------------------------------------------

    def read(self, n: int = -1) -> bytes:
        """Up to n bytes at the position, as soon as any are there; b"" at EOF or after abort()."""
        if n == 0:
            return b""
        n = n if n > 0 else WAIT_FOREVER
        with self._cond:
            while True:
                if self._aborted:
                    return b""
                data = self._take(n)  # None: wait for the reader
                if data is not None:
                    self._pos += len(data)
                    self._consumed()
                    return data
                self._cond.wait()

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move the position; SEEK_END on a pipe reads it to EOF first (see pipe_seek_end).

        A place a pipe no longer keeps answers -ESPIPE (an AVERROR: FFmpeg's seek fails,
        its position stays, playback goes on) and, the first time, calls on_warning."""
        warning = None
        with self._cond:
            new = self._seek_target(offset, whence)
            if new >= self._kept_from():
                self._pos = new
                self._moved()
            elif new >= 0:
                self.dropped_seeks += 1
                if self.dropped_seeks == 1:
                    warning = self._dropped_message(new)
                new = -errno.ESPIPE
        if warning is not None and self.on_warning is not None:
            self.on_warning(warning)  # outside the lock: it may print
        return new

    def _seek_target(self, offset: int, whence: int) -> int:
        """The position asked for, or -ENOSYS for a size not known. Lock held."""
        if whence == os.SEEK_SET:
            new = offset
        elif whence == os.SEEK_CUR:
            new = self._pos + offset
        elif whence == os.SEEK_END:
            end = self._size_for_seek_end()
            if end is None:  # FFmpeg wants an AVERROR, not an exception: size unknown
                return -errno.ENOSYS
            new = end + offset
        else:
            raise OSError(errno.EINVAL, f"bad whence {whence}")
        if new < 0:
            raise OSError(errno.EINVAL, "seek before the start of the input")
        return new

    def tell(self) -> int:
        return self._pos

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def abort(self) -> None:
        """From any thread: blocked and future reads return b"" at once; the reader stops."""
        with self._cond:
            self._aborted = True
            self._wake_reader()
            self._cond.notify_all()

    def close(self) -> None:
        self.abort()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)
        with self._cond:
            self._closed = True
            if self._reader_done:
                self._release()

    @property
    def bytes_buffered(self) -> int:
        raise NotImplementedError

    @property
    def size(self) -> int | None:
        raise NotImplementedError

    @property
    def spilled(self) -> bool:
        """True once a pipe's data moved to the temporary file."""
        return False

    # -- the reader thread -----------------------------------------------------------

    def _run_reader(self) -> None:
        try:
            self._run()
        except Exception as exc:  # a bug here ends the input like a read error (errors.py)
            with self._cond:
                self.exception = exc
                self.error = f"{self.name}: reading the input failed (internal error)"
                self._eof = True
        finally:
            with self._cond:
                self._reader_done = True  # consumers stop waiting for it
                if self._owns_fd:
                    os.close(self._fd)
                self._reader_exited()
                if self._closed:
                    self._release()
                self._cond.notify_all()

    def _fail(self, what: str, exc: OSError) -> None:
        """A source error after open ends the input like EOF; keep the message. Lock held."""
        self.error = f"{self.name}: {what}{exc.strerror or exc}"
        self._eof = True
        self._cond.notify_all()

    # -- per-source hooks (lock held unless noted) -----------------------------------

    def _kept_from(self) -> int:
        return 0  # a file can read any offset again

    def _dropped_message(self, offset: int) -> str:
        return f"{self.name}: cannot seek to byte {offset}"

    def _take(self, n: int) -> bytes | None: ...
    def _consumed(self) -> None: ...
    def _moved(self) -> None: ...
    def _size_for_seek_end(self) -> int | None: ...
    def _run(self) -> None: ...  # the reader loop, lock not held
    def _wake_reader(self) -> None: ...
    def _reader_exited(self) -> None: ...
    def _release(self) -> None: ...  # free what close() and the reader both had to be done with
