"""What a pipe gave, kept in a bounded sliding window (pure storage, no threads, no locks).

A pipe cannot be read twice, so the memory AVIO keeps what it read for FFmpeg's seeks
(an MP4 whose moov atom is at the end reads the end, then seeks back to the start). An
endless pipe (an encoder, a TV stream, a camera) must not keep everything, though: the
window holds at most ``max_memory`` bytes in memory (the newest) plus ``max_disk`` bytes in
a temporary file (older ones) and drops the oldest past that.

The source is cut into chunks at fixed offsets (chunk ``k`` holds ``[k*C, (k+1)*C)``), so
finding a byte is arithmetic. The newest chunks live in memory; when memory is full the
oldest memory chunk moves to the temporary file, into slot ``k % disk_slots``: the file is
a ring of fixed size and disk use stays flat however long the pipe plays. Nothing at or
after the read position is ever dropped: ``room()`` answers 0 instead, which is the
back-pressure the reader thread waits on. Both bounds count whole chunks (rounded down).
"""

from __future__ import annotations

import collections
import os
import tempfile
from typing import IO

# Memory holds at least this many chunks, so a small -avio_mem still keeps some bytes
# behind the read position while the newest chunk fills.
MIN_MEMORY_CHUNKS = 4


class PipeRing:
    """Source bytes ``[start, end)``: newest in memory, older in a temporary file ring."""

    def __init__(self, max_memory: int, max_disk: int, chunk_size: int, tmpdir: str | None = None) -> None:
        if max_memory <= 0 or chunk_size <= 0 or max_disk < 0:
            raise ValueError("max_memory and chunk_size must be positive, max_disk >= 0")
        self.chunk = max(1, min(chunk_size, max_memory // MIN_MEMORY_CHUNKS))
        self.memory_slots = max(1, max_memory // self.chunk)
        self.disk_slots = max_disk // self.chunk  # 0: never spill, drop from memory
        self._tmpdir = tmpdir
        self._mem: collections.deque[bytearray] = collections.deque()  # chunks [_mem_first, ...)
        self._mem_first = 0  # index of the oldest chunk in memory
        self._first = 0  # index of the oldest chunk kept (on disk when < _mem_first)
        self._disk: IO[bytes] | None = None
        self.end = 0  # source offset of the next byte the pipe gives

    # -- where things are ------------------------------------------------------------

    @property
    def start(self) -> int:
        """Source offset of the oldest byte still kept (0 until something was dropped)."""
        return self._first * self.chunk

    @property
    def capacity(self) -> int:
        """Bytes the window holds at most."""
        return (self.memory_slots + self.disk_slots) * self.chunk

    @property
    def memory_bytes(self) -> int:
        return len(self._mem) * self.chunk

    @property
    def disk_bytes(self) -> int:
        """Bytes of the temporary file in use (it never grows past disk_slots chunks)."""
        return (self._mem_first - self._first) * self.chunk

    @property
    def spilled(self) -> bool:
        return self._disk is not None

    # -- the reader's side -----------------------------------------------------------

    def room(self, pos: int) -> int:
        """Bytes append() takes now (up to the end of the current chunk) without dropping
        anything at or after ``pos``, the consumer's position; 0 means wait for it."""
        fill = self.end % self.chunk
        if fill:
            return self.chunk - fill
        chunks = self.end // self.chunk - self._first
        if chunks < self.memory_slots + self.disk_slots:
            return self.chunk
        # Full: a new chunk drops the oldest, allowed once it lies wholly before pos.
        return self.chunk if (self._first + 1) * self.chunk <= pos else 0

    def append(self, data: bytes, pos: int) -> None:
        """Store the pipe's next bytes; ``len(data) <= room(pos)``. OSError: temporary file."""
        if len(data) > self.room(pos):
            raise ValueError("append() past room()")
        if not data:
            return
        fill = self.end % self.chunk
        if not fill:
            self._new_chunk()
        self._mem[-1][fill : fill + len(data)] = data
        self.end += len(data)

    def _new_chunk(self) -> None:
        if self.end // self.chunk - self._first == self.memory_slots + self.disk_slots:
            self._first += 1  # drop the oldest (room() checked it is behind the position)
            if self._first > self._mem_first:  # no disk: it was in memory
                self._mem.popleft()
                self._mem_first += 1
        if len(self._mem) == self.memory_slots:  # memory full: its oldest chunk to disk
            self._spill(self._mem[0], self._mem_first)
            self._mem.popleft()
            self._mem_first += 1
        self._mem.append(bytearray(self.chunk))

    def _spill(self, chunk: bytearray, index: int) -> None:
        if self._disk is None:
            # Deleted at once (anonymous); closed by close().
            self._disk = tempfile.TemporaryFile(prefix="pyffplay-avio-", dir=self._tmpdir)  # noqa: SIM115
        offset = (index % self.disk_slots) * self.chunk
        view = memoryview(chunk)
        while view:
            written = os.pwrite(self._disk.fileno(), view, offset)
            view, offset = view[written:], offset + written

    # -- the consumer's side ---------------------------------------------------------

    def read(self, pos: int, n: int) -> bytes:
        """Up to n bytes at ``pos`` (``start <= pos < end``), short at a chunk boundary.
        OSError: the temporary file failed."""
        if not self.start <= pos < self.end:
            raise ValueError(f"read at {pos} outside [{self.start}, {self.end})")
        index, skip = divmod(pos, self.chunk)
        count = min(n, self.chunk - skip, self.end - pos)
        if index >= self._mem_first:
            with memoryview(self._mem[index - self._mem_first]) as view:
                return bytes(view[skip : skip + count])
        assert self._disk is not None
        return os.pread(self._disk.fileno(), count, (index % self.disk_slots) * self.chunk + skip)

    def close(self) -> None:
        if self._disk is not None:
            self._disk.close()
        self._mem.clear()
