"""A pipe, FIFO or tty as a memory AVIO: what it gave is kept (pipe_ring.PipeRing) so that
FFmpeg can seek back in it, and the pipe is read no further ahead than the bound allows."""

from __future__ import annotations

import os
import select
from typing import Any

from pyffplay.errors import inject_fault
from pyffplay.memory_avio import WAIT_FOREVER, MemoryAVIO, format_size
from pyffplay.pipe_ring import PipeRing


class PipeAVIO(MemoryAVIO):
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
        self._want = WAIT_FOREVER
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
