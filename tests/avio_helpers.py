"""What the MemoryAVIO tests share: payloads, exact reads, and pipes with a writer thread
(test_file_avio.py, test_pipe_avio.py, test_avio_pyav.py)."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from pyffplay.local_input import open_input
from pyffplay.memory_avio import MemoryAVIO

KiB, MiB = 1 << 10, 1 << 20
JOIN = 10.0  # generous bound for joins that should end at once; never reached when correct


def payload(n: int, seed: int = 1) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def read_all(avio: MemoryAVIO, n: int = 32 * KiB) -> bytes:
    parts = []
    while chunk := avio.read(n):
        assert len(chunk) <= n
        parts.append(chunk)
    return b"".join(parts)


def read_exact(avio: MemoryAVIO, n: int) -> bytes:
    """n bytes (fewer only at EOF): read() may return short."""
    out = bytearray()
    while len(out) < n and (chunk := avio.read(n - len(out))):
        out += chunk
    return bytes(out)


class Pipe:
    """An os.pipe() with a writer thread that sends `parts`, waiting on an event before
    each part that has one, then closes the write end unless keep_open."""

    def __init__(
        self, parts: list[bytes], gates: dict[int, threading.Event] | None = None, keep_open: bool = False
    ) -> None:
        self.r, self.w = os.pipe()
        self.parts, self.gates, self.keep_open = parts, gates or {}, keep_open
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._write, daemon=True)
        self.thread.start()

    def _write(self) -> None:
        try:
            for i, part in enumerate(self.parts):
                if i in self.gates:
                    self.gates[i].wait()
                view = memoryview(part)
                while view:
                    view = view[os.write(self.w, view[: 64 * KiB]) :]
            if self.keep_open:
                self.stop.wait()
        except (BrokenPipeError, OSError):
            pass  # the test closed the read end first
        finally:
            os.close(self.w)

    def close(self) -> None:
        self.stop.set()
        for gate in self.gates.values():
            gate.set()
        os.close(self.r)  # a writer blocked on a full pipe gets EPIPE
        self.thread.join(JOIN)


@pytest.fixture
def pipes():
    made: list[Pipe] = []
    avios: list[MemoryAVIO] = []

    def make(parts, gates=None, keep_open=False, **kw) -> tuple[Pipe, MemoryAVIO]:
        p = Pipe(parts, gates, keep_open)
        made.append(p)
        avio = open_input("-", stdin_fd=p.r, **kw)
        avios.append(avio)
        return p, avio

    yield make
    for avio in avios:
        avio.close()
    for p in made:
        p.close()
