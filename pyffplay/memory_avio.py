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

import collections
import errno
import os
import re
import select
import stat
import threading
from collections.abc import Callable
from typing import Any

from pyffplay.errors import InputError, inject_fault
from pyffplay.pipe_ring import PipeRing

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
_PIPE_RE = re.compile(r"(?:pipe|fd):(\d*)")
_WAIT_FOREVER = 1 << 62  # an offset no input reaches: "read all" / "read the pipe to EOF"


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
        n = n if n > 0 else _WAIT_FOREVER
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


class _FileAVIO(MemoryAVIO):
    """A regular file: chunks from keep_behind before the position to readahead after it."""

    is_pipe = False

    def __init__(
        self,
        fd: int,
        name: str,
        size: int,
        *,
        max_memory: int,
        chunk_size: int,
        readahead: int,
        keep_behind: int,
    ) -> None:
        total = readahead + keep_behind
        if total > max_memory:  # share the bound in proportion
            readahead = max_memory * readahead // total
            keep_behind = max_memory * keep_behind // total
        super().__init__(
            fd, name, owns_fd=True, max_memory=max_memory, chunk_size=chunk_size, readahead=readahead
        )
        self._keep_behind = keep_behind
        self._chunks: collections.deque[bytes] = collections.deque()  # all full but one at EOF
        self._start = 0  # source offset of _chunks[0]
        self._gen = 0  # bumped on reposition, so a pread in flight is dropped
        self._size = size
        self._thread.start()

    @property
    def bytes_buffered(self) -> int:
        with self._cond:
            return self._end - self._start

    @property
    def size(self) -> int | None:
        return self._size

    def _take(self, n: int) -> bytes | None:
        pos = self._pos
        if self._start <= pos < self._end:
            i, skip = divmod(pos - self._start, self._chunk)
            return self._chunks[i][skip : skip + n]  # the chunk itself when it is all wanted
        if (self._eof and pos >= self._end) or self._reader_done:
            return b""
        self._moved()
        return None

    def _moved(self) -> None:
        pos = self._pos
        if pos < self._start or pos > self._end + self._chunk:  # outside: restart the window
            self._chunks.clear()
            self._start = self._end = pos
            self._eof = False
            self._gen += 1
        self._consumed()
        self._cond.notify_all()

    def _consumed(self) -> None:  # drop what lies more than keep_behind behind the position
        chunks = self._chunks
        while chunks and self._start + len(chunks[0]) + self._keep_behind <= self._pos:
            self._start += len(chunks.popleft())
        if not self._eof and self._end - self._pos < self._readahead:
            self._cond.notify_all()

    def _size_for_seek_end(self) -> int | None:
        return self._size

    def _wants_more(self) -> bool:
        if self._eof:
            return False  # a consumer waiting at the end overrides the memory bound
        return self._pos >= self._end or (
            self._end - self._pos < self._readahead and self._end - self._start < self._max_memory
        )

    def _pread(self, n: int, offset: int) -> bytes:
        """Up to n bytes at offset (net_avio reads a URL with range requests here)."""
        return os.pread(self._fd, n, offset)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._aborted and not self._wants_more():
                    self._cond.wait()
                if self._aborted:
                    return
                gen, offset = self._gen, self._end
            data, err = b"", None
            try:  # fill a whole chunk: the window's index arithmetic relies on it
                while len(data) < self._chunk:
                    piece = self._pread(self._chunk - len(data), offset + len(data))
                    if not piece:
                        break
                    data += piece
            except OSError as exc:
                err = exc
            inject_fault("input", len(data))
            with self._cond:
                if gen != self._gen:
                    continue
                if data:
                    self._chunks.append(data)
                    self._end += len(data)
                if err is not None:
                    self._fail("read error: ", err)
                elif len(data) < self._chunk:
                    self._eof = True
                self._consumed()
                self._cond.notify_all()

    def _release(self) -> None:
        self._chunks.clear()


class _PipeAVIO(MemoryAVIO):
    """A pipe (or FIFO, tty): what it gave is kept in a PipeRing, memory then a temporary
    file, up to max_memory + max_disk; past that the oldest bytes are dropped."""

    is_pipe = True

    def __init__(
        self,
        fd: int,
        name: str,
        *,
        owns_fd: bool,
        max_memory: int,
        max_disk: int,
        chunk_size: int,
        readahead: int,
        pipe_seek_end: bool,
        tmpdir: str | None = None,
    ) -> None:
        super().__init__(
            fd, name, owns_fd=owns_fd, max_memory=max_memory, chunk_size=chunk_size, readahead=readahead
        )
        self._ring = PipeRing(max_memory, max_disk, chunk_size, tmpdir)
        # Read ahead at most half the window, so the other half stays behind the position
        # for FFmpeg's short seeks back.
        self._readahead = max(self._ring.chunk, min(readahead, self._ring.capacity // 2))
        self._max_disk = max_disk
        self._want = 0  # a consumer waits for bytes up to here
        self._stuck = False  # the bound stops the reader short of what a consumer wants
        self._pending = b""  # read from the pipe, not stored yet (the position moved back)
        self._seek_end = pipe_seek_end
        self._wake_r, self._wake_w = os.pipe()  # abort() wakes the reader out of poll()
        self._poller: Any = None
        self._thread.start()

    @property
    def bytes_buffered(self) -> int:
        """Bytes held in memory."""
        return self._ring.memory_bytes

    @property
    def bytes_on_disk(self) -> int:
        return self._ring.disk_bytes

    @property
    def size(self) -> int | None:
        return self._end if self._eof else None

    @property
    def spilled(self) -> bool:
        return self._ring.spilled

    def _kept_from(self) -> int:
        return self._ring.start

    def _dropped_message(self, offset: int) -> str:
        return (
            f"{self.name}: cannot seek back to byte {offset}: only the last "
            f"{format_size(self._ring.capacity)} of the pipe are kept (-avio_mem "
            f"{format_size(self._max_memory)} + -avio_disk {format_size(self._max_disk)}); "
            "playing on"
        )

    def _take(self, n: int) -> bytes | None:
        pos = self._pos
        if pos < self._end:
            try:  # under the lock so that close() cannot close the file meanwhile
                return self._ring.read(pos, n)
            except OSError as exc:
                self._fail("temporary file: ", exc)
                return b""
        if self._eof or self._reader_done:
            return b""
        self._want = max(self._want, pos + 1)
        self._cond.notify_all()
        return None

    def _consumed(self) -> None:
        if self._end < self._pos + self._readahead or self._pending:
            self._cond.notify_all()

    def _moved(self) -> None:
        self._want = 0  # the next read asks the reader for what it needs
        self._cond.notify_all()

    def _size_for_seek_end(self) -> int | None:
        if not self._eof and not self._seek_end:
            return None
        self._want = _WAIT_FOREVER
        self._stuck = False
        self._cond.notify_all()
        while not (self._eof or self._aborted or self._reader_done or self._stuck):
            self._cond.wait()
        self._want = 0
        return self._end if self._eof else None  # the end is past the bound: unknown

    def _wake_reader(self) -> None:
        if not self._reader_done:
            os.write(self._wake_w, b"x")

    def _room(self) -> int:
        """Bytes the reader may read now (0: wait). Lock held."""
        if self._pending:
            self._store()  # what could not be stored while the position was further back
            if self._pending:
                return 0
        if self._end >= max(self._pos + self._readahead, self._want):
            return 0
        room = self._ring.room(self._pos)
        if room == 0 and not self._stuck:
            self._stuck = True  # a SEEK_END waiting for the end gives up
            self._cond.notify_all()
        return room

    def _store(self) -> None:
        """Move pending bytes into the ring as far as it takes them. Lock held."""
        while self._pending:
            room = self._ring.room(self._pos)
            if room == 0:
                return
            part, self._pending = self._pending[:room], self._pending[room:]
            try:
                self._ring.append(part, self._pos)
            except OSError as exc:
                self._pending = b""
                self._fail("cannot spill to a temporary file: ", exc)
                return
            self._end = self._ring.end
            self._stuck = False
            self._cond.notify_all()

    def _read_some(self, room: int) -> bytes | None:
        """Up to room bytes from the source, b"" at its end, None when abort() woke the
        reader; OSError on failure. net_avio reads a URL here."""
        if self._poller is None:
            self._poller = select.poll()
            self._poller.register(self._fd, select.POLLIN)
            self._poller.register(self._wake_r, select.POLLIN)
        if any(fd == self._wake_r for fd, _ in self._poller.poll()):  # GIL released while waiting
            return None
        return os.read(self._fd, room)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._aborted and not self._eof and (room := self._room()) == 0:
                    self._cond.wait()
                if self._aborted or self._eof:  # _eof: the temporary file failed
                    return
            try:
                data = self._read_some(room)
            except BlockingIOError:  # an O_NONBLOCK stdin: poll again
                continue
            except OSError as exc:
                with self._cond:
                    self._fail("read error: ", exc)
                return
            if data is None:
                return
            inject_fault("input", len(data))
            with self._cond:
                if not data:
                    self._eof = True
                    self._cond.notify_all()
                    return
                self._pending = data
                self._store()

    def _reader_exited(self) -> None:
        os.close(self._wake_r)
        os.close(self._wake_w)

    def _release(self) -> None:
        self._ring.close()


def open_input(
    url: str,
    max_memory: int = DEFAULT_MAX_MEMORY,
    max_disk: int = DEFAULT_MAX_DISK,
    stdin_fd: int = 0,
    chunk_size: int = 256 * 1024,
    *,
    readahead: int | None = None,
    keep_behind: int | None = None,
    pipe_seek_end: bool = True,
    on_warning: Callable[[str], None] | None = None,
    tmpdir: str | None = None,
) -> MemoryAVIO:
    """Open a path, or stdin for "-", "pipe:" and "fd:" ("pipe:N"/"fd:N": descriptor N).

    max_memory: bytes held in memory; max_disk: bytes of a pipe kept in a temporary file
    (in tmpdir) past that, 0 for none; the oldest bytes of a pipe beyond both are dropped.
    readahead: bytes read beyond the position (both kinds; default FILE_READAHEAD for a
    file, DEFAULT_READAHEAD for a pipe); keep_behind: bytes of a file kept before it
    (FILE_KEEP_BEHIND); pipe_seek_end=False makes SEEK_END on a pipe not yet at EOF answer
    -ENOSYS (size unknown, as ffplay on a pipe) instead of reading the pipe to its end.
    on_warning: called once, with one line, when FFmpeg seeks to bytes that were dropped.
    """
    if max_memory <= 0 or chunk_size <= 0 or max_disk < 0:
        raise ValueError("max_memory and chunk_size must be positive, max_disk >= 0")
    avio = _open(
        url,
        stdin_fd,
        pipe_seek_end,
        FILE_KEEP_BEHIND if keep_behind is None else keep_behind,
        tmpdir,
        {"max_memory": max_memory, "chunk_size": chunk_size, "readahead": readahead},
        max_disk,
    )
    avio.on_warning = on_warning
    return avio


def _open(
    url: str,
    stdin_fd: int,
    pipe_seek_end: bool,
    keep_behind: int,
    tmpdir: str | None,
    limits: dict,
    max_disk: int,
) -> MemoryAVIO:
    readahead = limits.pop("readahead")
    pipe = dict(
        pipe_seek_end=pipe_seek_end,
        max_disk=max_disk,
        tmpdir=tmpdir,
        readahead=DEFAULT_READAHEAD if readahead is None else readahead,
        **limits,
    )
    limits["readahead"] = FILE_READAHEAD if readahead is None else readahead
    m = _PIPE_RE.fullmatch(url) if url != "-" else None
    if url == "-" or m:
        fd = int(m.group(1)) if m and m.group(1) else stdin_fd
        name = "pipe:" if fd == stdin_fd else url
        try:
            st = os.fstat(fd)
        except OSError as exc:  # e.g. stdin closed
            raise InputError(f"{name}: {exc.strerror or exc}") from None
        if stat.S_ISREG(st.st_mode):  # "- < movie.mp4": a file after all, bounded window
            return _FileAVIO(os.dup(fd), name, st.st_size, keep_behind=keep_behind, **limits)
        return _PipeAVIO(fd, name, owns_fd=False, **pipe)
    path = url.removeprefix("file:")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(f"{url}: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{url}: {os.strerror(errno.EISDIR)}")
    except BaseException:
        os.close(fd)
        raise
    if stat.S_ISREG(st.st_mode):
        return _FileAVIO(fd, url, st.st_size, keep_behind=keep_behind, **limits)
    return _PipeAVIO(fd, url, owns_fd=True, **pipe)
