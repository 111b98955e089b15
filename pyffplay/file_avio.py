"""A regular file as a memory AVIO: a window of chunks around the read position, filled by
the reader thread with pread (the page cache reads ahead too, so the window is small)."""

from __future__ import annotations

import collections
import os

from pyffplay.errors import inject_fault
from pyffplay.memory_avio import MemoryAVIO


class FileAVIO(MemoryAVIO):
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
