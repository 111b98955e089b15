"""MemoryAVIO: files, pipes, the bound on a pipe (PipeRing), and PyAV reading through it."""

from __future__ import annotations

import errno
import fcntl
import fractions
import os
import termios
import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest

from pyffplay.errors import InputError
from pyffplay.local_input import open_input
from pyffplay.memory_avio import DEFAULT_MAX_MEMORY, MemoryAVIO, format_size, parse_size
from pyffplay.pipe_ring import PipeRing

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


# -- sizes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value",
    [
        ("1000", 1000),
        ("64k", 64 * KiB),
        ("64K", 64 * KiB),
        ("256M", 256 * MiB),
        ("1G", 1 << 30),
        ("1.5M", 3 * MiB // 2),
        ("256MiB", 256 * MiB),
        ("2MB", 2 * MiB),
        (" 8m ", 8 * MiB),
        ("0", 0),
        ("100b", 100),
    ],
)
def test_parse_size(text, value):
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["", "M", "abc", "-5M", "12Q", "1.2.3k", "5 M M", "1ib"])
def test_parse_size_rejects_junk(text):
    with pytest.raises(ValueError):
        parse_size(text)


def test_format_size_round_trips():
    assert format_size(DEFAULT_MAX_MEMORY) == "256M"
    assert format_size(1 << 30) == "1G"
    assert format_size(64 * KiB) == "64k"
    assert format_size(1000) == "1000"
    assert format_size(3 * MiB // 2) == "1.5M"
    for n in (1, 5 * KiB, 768 * MiB, 3 << 30):
        assert parse_size(format_size(n)) == n


# -- files -----------------------------------------------------------------------------


@pytest.fixture
def data_file(tmp_path) -> tuple[Path, bytes]:
    data = payload(3 * MiB + 12345)
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    return path, data


def test_file_reads_whole_content(data_file):
    path, data = data_file
    avio = open_input(str(path))
    try:
        assert not avio.is_pipe and avio.name == str(path)
        assert avio.seekable() and avio.size == len(data)
        assert read_all(avio) == data
        assert avio.tell() == len(data)
        assert avio.read(100) == b""
        assert avio.error is None
    finally:
        avio.close()
    assert avio.read(10) == b""  # closed reads like EOF


def test_file_seek_whence_and_tell(data_file):
    path, data = data_file
    avio = open_input(str(path))
    try:
        assert avio.seek(1000) == 1000 and avio.tell() == 1000
        assert read_exact(avio, 500) == data[1000:1500]
        assert avio.seek(-200, os.SEEK_CUR) == 1300
        assert read_exact(avio, 100) == data[1300:1400]
        assert avio.seek(-10, os.SEEK_END) == len(data) - 10
        assert read_all(avio) == data[-10:]
        assert avio.seek(0, os.SEEK_END) == len(data)
        assert avio.read(10) == b""
        assert avio.seek(len(data) + 5 * MiB) == len(data) + 5 * MiB  # past EOF: allowed
        assert avio.read(10) == b""
        with pytest.raises(OSError):
            avio.seek(-1)
        assert avio.seek(0) == 0 and read_exact(avio, 10) == data[:10]
    finally:
        avio.close()


def test_file_seeks_outside_the_window(data_file):
    path, data = data_file
    avio = open_input(str(path), chunk_size=16 * KiB, readahead=64 * KiB, keep_behind=32 * KiB)
    try:
        assert read_exact(avio, 100 * KiB) == data[: 100 * KiB]
        for target in (2 * MiB + 7, 10, 3 * MiB, 1 * MiB + 1, len(data) - 3):  # far both ways
            avio.seek(target)
            assert read_exact(avio, 40 * KiB) == data[target : target + 40 * KiB]
            assert avio.bytes_buffered <= 64 * KiB + 32 * KiB + 16 * KiB
        # a short step back stays inside what was kept: no restart of the window
        avio.seek(1 * MiB)
        assert read_exact(avio, 30 * KiB) == data[1 * MiB : 1 * MiB + 30 * KiB]
        restarts = avio._gen
        avio.seek(1 * MiB + 10 * KiB)
        assert read_exact(avio, 10 * KiB) == data[1 * MiB + 10 * KiB : 1 * MiB + 20 * KiB]
        assert avio._gen == restarts
    finally:
        avio.close()


def test_file_memory_stays_bounded(tmp_path):
    data = payload(8 * MiB, seed=2)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    chunk, bound = 64 * KiB, 1 * MiB
    avio = open_input(str(path), max_memory=bound, chunk_size=chunk, readahead=16 * MiB)
    try:
        out = bytearray()
        peak = 0
        while piece := avio.read(32 * KiB):
            out += piece
            peak = max(peak, avio.bytes_buffered)
        assert bytes(out) == data
        assert 0 < peak <= bound + chunk
    finally:
        avio.close()
    assert avio._thread.join(JOIN) is None and not avio._thread.is_alive()


def test_stdin_that_is_a_regular_file_reads_as_a_file(data_file):
    path, data = data_file
    fd = os.open(path, os.O_RDONLY)
    try:
        avio = open_input("-", stdin_fd=fd)
        assert avio.name == "pipe:" and avio.size == len(data)
        avio.seek(len(data) - 100)
        assert read_all(avio) == data[-100:]
        avio.close()
    finally:
        os.close(fd)  # still ours: the AVIO read a duplicate


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"^nothere\.mp4: No such file or directory$"):
        open_input("nothere.mp4")


def test_directory(tmp_path):
    with pytest.raises(InputError, match=r": Is a directory$") as info:
        open_input(str(tmp_path))
    assert str(info.value) == f"{tmp_path}: Is a directory"


def test_permission_denied(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(b"abc")
    path.chmod(0)
    if os.geteuid() != 0:
        with pytest.raises(InputError, match=r": Permission denied$"):
            open_input(str(path))
        return
    # Root reads anything: check as the unprivileged user "nobody" in a forked child.
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: drop privileges, try, report, leave without pytest's cleanup
        try:
            os.setuid(65534)
            open_input(str(path))
            msg = "opened"
        except InputError as e:
            msg = str(e)
        except BaseException as e:  # noqa: BLE001 - anything else is reported to the parent
            msg = repr(e)
        os.write(w, msg.encode())
        os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    with os.fdopen(r, "rb") as f:
        assert f.read().decode() == f"{path}: Permission denied"


def test_closed_stdin():
    with pytest.raises(InputError, match=r"^pipe:: Bad file descriptor$"):
        open_input("-", stdin_fd=987654)  # a descriptor nobody has open


def test_empty_file_is_not_an_error(tmp_path):
    path = tmp_path / "empty"
    path.write_bytes(b"")
    avio = open_input(str(path))
    assert avio.read(100) == b"" and avio.size == 0
    avio.close()


def test_file_read_error_is_eof_with_a_message():
    avio = open_input("/proc/self/mem")  # a regular file whose offset 0 gives EIO
    try:
        assert avio.read(100) == b""
        assert avio.error == "/proc/self/mem: read error: Input/output error"
    finally:
        avio.close()


# -- pipes -----------------------------------------------------------------------------


def test_pipe_read_error_is_eof_with_a_message(tmp_path):
    fd = os.open(tmp_path, os.O_RDONLY)  # read() on it fails with EISDIR
    try:
        avio = open_input("-", stdin_fd=fd)
        assert avio.read(100) == b""
        assert avio.error == "pipe:: read error: Is a directory"
        avio.close()
    finally:
        os.close(fd)


def test_pipe_names_and_reader_thread(pipes, tmp_path):
    _, avio = pipes([b"abc"])
    assert avio._thread.name == "avio_reader" and avio._thread.daemon
    r, w = os.pipe()
    os.write(w, b"abc")
    os.close(w)
    other = open_input(f"fd:{r}")  # "pipe:N" / "fd:N" read descriptor N
    assert other.name == f"fd:{r}" and other.is_pipe
    assert read_all(other) == b"abc"
    other.close()
    os.close(r)  # not the AVIO's to close

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(b"through a fifo"))
    writer.start()
    avio = open_input(str(fifo))  # opening waits for the writer, as ffplay does
    assert avio.is_pipe and avio.name == str(fifo)
    assert read_all(avio) == b"through a fifo"
    avio.close()
    writer.join(JOIN)


def test_pipe_reads_all_then_seeks_back(pipes):
    data = payload(2 * MiB + 17, seed=3)
    _, avio = pipes([data[i : i + 100 * KiB] for i in range(0, len(data), 100 * KiB)])
    assert avio.is_pipe and avio.name == "pipe:" and avio.seekable()
    assert read_all(avio) == data
    assert avio.size == len(data)
    avio.seek(12345)  # backwards, inside what was kept
    assert read_exact(avio, 1000) == data[12345:13345]
    avio.seek(-50, os.SEEK_CUR)
    assert read_exact(avio, 50) == data[13295:13345]
    avio.seek(0)
    assert read_all(avio) == data


def test_pipe_seek_forward_waits_for_the_writer(pipes):
    first, second = payload(100 * KiB, seed=4), payload(300 * KiB, seed=5)
    gate = threading.Event()
    _, avio = pipes([first, second], gates={1: gate})
    assert read_exact(avio, len(first)) == first
    target = len(first) + 200 * KiB
    assert avio.seek(target) == target  # past the end of what the pipe gave so far
    result: list[bytes] = []
    reader = threading.Thread(target=lambda: result.append(read_exact(avio, 1000)))
    reader.start()
    reader.join(0.05)
    assert reader.is_alive() and not result  # blocked: the writer has not sent it yet
    gate.set()
    reader.join(JOIN)
    assert result == [second[200 * KiB : 200 * KiB + 1000]]
    avio.seek(10)
    assert read_exact(avio, 10) == first[10:20]


def test_pipe_seek_end_reads_to_eof(pipes):
    data = payload(1 * MiB + 3, seed=6)
    _, avio = pipes([data[:1000], data[1000:]])
    assert avio.size is None or avio.size == len(data)
    assert avio.seek(0, os.SEEK_END) == len(data)
    assert avio.size == len(data)
    assert avio.seek(-1, os.SEEK_END) == len(data) - 1  # what FFmpeg's avio_size() asks
    assert avio.read(10) == data[-1:]
    assert avio.seek(len(data) + 100) == len(data) + 100
    assert avio.read(10) == b""
    avio.seek(0)
    assert read_all(avio) == data
    with pytest.raises(OSError):
        avio.seek(-1, os.SEEK_SET)


def test_pipe_seek_end_can_leave_the_size_unknown(pipes):
    pipe, avio = pipes([b"abc"], keep_open=True, pipe_seek_end=False)
    assert avio.seek(0, os.SEEK_END) < 0  # an AVERROR for FFmpeg: size unknown
    assert avio.tell() == 0 and avio.read(10) == b"abc"


def test_abort_unblocks_a_waiting_read(pipes):
    pipe, avio = pipes([b"hello"], keep_open=True)  # then nothing more, never closed
    assert avio.read(100) == b"hello"
    result: list[bytes] = []
    reader = threading.Thread(target=lambda: result.append(avio.read(100)))
    reader.start()
    reader.join(0.05)
    assert reader.is_alive()
    avio.abort()
    reader.join(JOIN)
    assert result == [b""]
    avio._thread.join(JOIN)
    assert not avio._thread.is_alive()  # the reader thread left its poll() too
    assert avio.read(100) == b"" and avio.seek(0) == 0 and avio.read(1) == b""


def test_abort_unblocks_seek_end(pipes):
    _, avio = pipes([b"x" * 1000], keep_open=True)
    result: list[int] = []
    seeker = threading.Thread(target=lambda: result.append(avio.seek(0, os.SEEK_END)))
    seeker.start()
    seeker.join(0.05)
    assert seeker.is_alive()
    avio.abort()
    seeker.join(JOIN)
    assert len(result) == 1


def test_pipe_closed_early_is_eof(pipes):
    _, avio = pipes([b"0123456789" * 100])
    assert read_all(avio) == b"0123456789" * 100
    assert avio.read(10) == b"" and avio.size == 1000 and avio.error is None


def test_empty_pipe_is_eof(pipes):
    _, avio = pipes([])
    assert avio.read(10) == b"" and avio.size == 0


# -- PipeRing: the window a pipe is kept in (pure: bytes in, no threads) -----------------


def ring_feed(ring: PipeRing, data: bytes, pos: int, step: int) -> int:
    """Append data in pieces of at most step (and room); return how many were taken
    before room() said wait."""
    done = 0
    while done < len(data):
        room = ring.room(pos)
        if room == 0:
            break
        piece = data[done : done + min(step, room)]
        ring.append(piece, pos)
        done += len(piece)
    return done


def ring_bytes(ring: PipeRing, pos: int, end: int) -> bytes:
    out = bytearray()
    while pos < end:
        piece = ring.read(pos, end - pos)
        assert piece
        out += piece
        pos += len(piece)
    return bytes(out)


def test_ring_keeps_everything_under_the_bound():
    ring = PipeRing(max_memory=64 * KiB, max_disk=128 * KiB, chunk_size=16 * KiB)
    assert (ring.chunk, ring.memory_slots, ring.disk_slots) == (16 * KiB, 4, 8)
    assert ring.capacity == 192 * KiB
    data = payload(ring.capacity, seed=20)
    assert ring_feed(ring, data[:5000], pos=0, step=1) == 5000  # one byte at a time
    assert ring_feed(ring, data[5000:], pos=0, step=10_000) == len(data) - 5000
    assert (ring.start, ring.end) == (0, len(data))
    assert ring.memory_bytes == 64 * KiB and ring.disk_bytes == 128 * KiB and ring.spilled
    assert ring_bytes(ring, 0, len(data)) == data  # from disk, then from memory
    assert ring.read(100, 50) == data[100:150]
    assert ring.read(16 * KiB - 3, 100) == data[16 * KiB - 3 : 16 * KiB]  # short at a chunk end
    assert ring.room(0) == 0  # full, and the oldest chunk is not behind position 0
    ring.close()


def test_ring_drops_the_oldest_and_stays_flat():
    ring = PipeRing(max_memory=64 * KiB, max_disk=64 * KiB, chunk_size=16 * KiB)
    data = payload(50 * ring.capacity + 123, seed=21)
    pos = 0
    while pos < len(data):  # the consumer follows 100 KiB behind the pipe
        ring_feed(ring, data[ring.end : min(len(data), pos + 100 * KiB)], pos, 7 * KiB)
        assert ring.start <= pos <= ring.end
        assert ring.memory_bytes <= 64 * KiB and ring.disk_bytes <= 64 * KiB
        assert ring.end - ring.start <= ring.capacity
        assert os.fstat(ring._disk.fileno()).st_size <= 64 * KiB if ring.spilled else True
        got = ring.read(pos, 5 * KiB)
        assert got == data[pos : pos + len(got)]
        pos += len(got)
    assert ring.end == len(data) and ring.start == (len(data) // ring.chunk - 7) * ring.chunk
    assert ring_bytes(ring, ring.start, ring.end) == data[ring.start :]
    ring.close()


def test_ring_room_is_the_back_pressure():
    """Nothing at or after the position is dropped: room() is 0 until it moves on."""
    ring = PipeRing(max_memory=4 * KiB, max_disk=0, chunk_size=1 * KiB)
    data = payload(10 * KiB, seed=22)
    assert ring_feed(ring, data, pos=0, step=3000) == 4 * KiB
    assert ring.room(0) == ring.room(1023) == 0
    with pytest.raises(ValueError):
        ring.append(b"x", 0)
    assert ring.room(1024) == 1024  # the oldest chunk is wholly behind: it may go
    assert ring_feed(ring, data[4 * KiB :], pos=1500, step=4096) == 1024
    assert ring.start == 1024 and ring.room(1500) == 0
    assert not ring.spilled  # max_disk 0: never a temporary file
    with pytest.raises(ValueError):
        ring.read(1023, 1)  # dropped
    assert ring.read(1024, 10) == data[1024:1034]


def test_ring_far_ahead_position_drops_everything_before_it():
    """A seek past what the pipe gave: the window behind it may go, what follows is kept."""
    ring = PipeRing(max_memory=4 * KiB, max_disk=4 * KiB, chunk_size=1 * KiB)
    data = payload(40 * KiB, seed=23)
    assert ring_feed(ring, data, pos=30 * KiB + 5, step=4096) == 38 * KiB
    assert ring.start == 30 * KiB and ring.disk_bytes == 4 * KiB
    assert ring_bytes(ring, 30 * KiB + 5, 38 * KiB) == data[30 * KiB + 5 : 38 * KiB]


def test_ring_chunks_shrink_for_a_small_memory():
    ring = PipeRing(max_memory=1000, max_disk=1000, chunk_size=256 * KiB)
    assert ring.chunk == 250 and ring.memory_slots == 4 and ring.disk_slots == 4
    ring = PipeRing(max_memory=3, max_disk=0, chunk_size=64)
    assert ring.chunk == 1 and ring.memory_slots == 3 and ring.capacity == 3
    with pytest.raises(ValueError):
        PipeRing(max_memory=0, max_disk=0, chunk_size=64)


def test_ring_temporary_file_is_anonymous_in_its_directory(tmp_path):
    ring = PipeRing(max_memory=4 * KiB, max_disk=8 * KiB, chunk_size=1 * KiB, tmpdir=str(tmp_path))
    ring_feed(ring, payload(100 * KiB, seed=24), pos=100 * KiB, step=4096)
    assert ring.spilled and list(tmp_path.iterdir()) == []  # deleted at once: nothing left behind
    fd = ring._disk.fileno()
    link = os.readlink(f"/proc/self/fd/{fd}")
    assert link.startswith(f"{tmp_path}/") and link.endswith(" (deleted)")
    assert os.fstat(fd).st_size == 8 * KiB
    ring.close()


# -- the bound on a pipe: memory, then a temporary file, then the oldest bytes dropped -----


def fill(avio: MemoryAVIO, at_least: int) -> None:
    """Wait until the reader thread holds bytes up to at_least."""
    with avio._cond:
        assert avio._cond.wait_for(lambda: avio._end >= at_least or avio._eof, JOIN)


def test_pipe_spills_to_a_temporary_file(pipes):
    data = payload(5 * MiB, seed=7)
    chunk, bound = 64 * KiB, 1 * MiB
    _, avio = pipes(
        [data[i : i + 256 * KiB] for i in range(0, len(data), 256 * KiB)], max_memory=bound, chunk_size=chunk
    )  # default -avio_disk: 1G
    out, peak = bytearray(), 0
    while piece := avio.read(32 * KiB):
        out += piece
        peak = max(peak, avio.bytes_buffered)
    assert bytes(out) == data
    assert peak <= bound and avio.bytes_buffered <= bound
    assert avio.spilled and avio.bytes_on_disk + avio.bytes_buffered >= len(data)
    avio.seek(0)  # all of it kept: under the bound
    assert read_exact(avio, 100 * KiB) == data[: 100 * KiB]
    avio.seek(3 * MiB + 5)
    assert read_exact(avio, 10) == data[3 * MiB + 5 : 3 * MiB + 15]
    avio.seek(0)
    assert read_all(avio, 256 * KiB) == data


@pytest.mark.parametrize("disk", [2 * MiB, 0])
def test_endless_pipe_stays_bounded(pipes, disk):
    """20 MiB through a window of 1 MiB memory (+ 2 MiB disk): all bytes arrive in order,
    memory and disk never pass their bounds, the oldest bytes are dropped."""
    data = payload(20 * MiB, seed=8)
    mem = 1 * MiB
    _, avio = pipes(
        [data[i : i + 100 * KiB] for i in range(0, len(data), 100 * KiB)],
        max_memory=mem,
        max_disk=disk,
        chunk_size=64 * KiB,
    )
    out, peak_mem, peak_disk = bytearray(), 0, 0
    while piece := avio.read(48 * KiB):
        out += piece
        peak_mem = max(peak_mem, avio.bytes_buffered)
        peak_disk = max(peak_disk, avio.bytes_on_disk)
    assert bytes(out) == data
    assert peak_mem <= mem and peak_disk <= disk
    assert avio.spilled == (disk > 0)
    if disk:
        assert peak_disk == disk  # the ring was used, and its file is just that large
        assert os.fstat(avio._ring._disk.fileno()).st_size <= disk
    kept = avio._kept_from()
    assert len(data) - (mem + disk) <= kept < len(data) - (mem + disk) // 2
    avio.seek(kept)  # the oldest byte still kept reads back right
    assert read_exact(avio, 1000) == data[kept : kept + 1000]


def test_pipe_reader_stops_at_the_bound_until_the_position_moves(pipes):
    """Back-pressure: with nothing read, the reader takes half the window and stops; the
    writer is left blocked on a full pipe, not buffered without end."""
    data = payload(8 * MiB, seed=9)
    pipe, avio = pipes([data], keep_open=True, max_memory=1 * MiB, max_disk=1 * MiB, chunk_size=64 * KiB)
    ahead = avio._readahead
    assert ahead == 1 * MiB  # half of the 2 MiB window, so the other half stays behind
    fill(avio, ahead)
    with avio._cond:
        assert avio._end == ahead and avio._room() == 0  # the reader waits, the pipe stays full
    assert _observe_pipe_fill(pipe) > 0
    assert read_exact(avio, 1536 * KiB) == data[: 1536 * KiB]
    fill(avio, 1536 * KiB + ahead)
    with avio._cond:
        assert avio._end == 1536 * KiB + ahead and avio._room() == 0
        assert avio._kept_from() == 512 * KiB  # what lies more than 1.5 MiB back is gone


def _observe_pipe_fill(pipe: Pipe) -> int:
    """Bytes waiting in the OS pipe, once the writer has filled it (it blocks then)."""

    def waiting() -> int:
        buf = bytearray(4)
        fcntl.ioctl(pipe.r, termios.FIONREAD, buf)
        return int.from_bytes(buf, "little")

    deadline = time.monotonic() + JOIN
    while waiting() == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    return waiting()


def test_seek_to_dropped_bytes_fails_with_one_warning(pipes):
    data = payload(6 * MiB, seed=10)
    warnings: list[str] = []
    _, avio = pipes(
        [data], max_memory=1 * MiB, max_disk=1 * MiB, chunk_size=64 * KiB, on_warning=warnings.append
    )
    assert read_exact(avio, 5 * MiB) == data[: 5 * MiB]
    assert avio._kept_from() > 0
    assert avio.seek(100) == -errno.ESPIPE  # an AVERROR for FFmpeg: its seek fails
    assert avio.tell() == 5 * MiB  # the position stays: reading goes on
    assert read_exact(avio, 1000) == data[5 * MiB : 5 * MiB + 1000]
    assert avio.seek(-4 * MiB, os.SEEK_CUR) == -errno.ESPIPE
    assert avio.dropped_seeks == 2
    assert warnings == [
        (
            "pipe:: cannot seek back to byte 100: only the last 2M of the pipe are kept "
            "(-avio_mem 1M + -avio_disk 1M); playing on"
        )
    ]
    back = avio._kept_from()
    assert avio.seek(back) == back  # the oldest kept byte still works
    assert read_exact(avio, 10) == data[back : back + 10]
    assert read_all(avio) == data[back + 10 :]


def test_seek_end_past_the_bound_answers_size_unknown(pipes):
    """SEEK_END would have to drop the bytes at the position: size unknown, no hang."""
    data = payload(6 * MiB, seed=11)
    _, avio = pipes([data], keep_open=True, max_memory=1 * MiB, max_disk=1 * MiB, chunk_size=64 * KiB)
    assert read_exact(avio, 1000) == data[:1000]
    assert avio.seek(0, os.SEEK_END) == -errno.ENOSYS
    assert avio.tell() == 1000 and read_exact(avio, 1000) == data[1000:2000]


def test_random_seeks_inside_the_window(pipes):
    """Seeks back and forth while the reader fills and drops: every byte read is right."""
    data = payload(12 * MiB, seed=12)
    _, avio = pipes(
        [data[i : i + 37 * KiB] for i in range(0, len(data), 37 * KiB)],
        max_memory=512 * KiB,
        max_disk=1 * MiB,
        chunk_size=32 * KiB,
    )
    rng = np.random.default_rng(13)
    pos = 0
    while pos < len(data):  # reads of 50 KiB on average, a seek back of 1 MiB every tenth
        got = read_exact(avio, int(rng.integers(1, 100 * KiB)))
        assert got == data[pos : pos + len(got)]
        pos += len(got)
        if not got or rng.random() > 0.1:
            continue
        target = max(0, pos - int(rng.integers(0, 2 * MiB)))  # back, sometimes past the bound
        if avio.seek(target) == target:
            pos = target
        else:  # dropped: refused, the position stays
            assert target < avio._kept_from() and avio.tell() == pos
    assert pos == len(data)


def test_one_byte_at_a_time_and_pauses(pipes):
    data = payload(20 * KiB, seed=14)
    parts = [data[i : i + 1] for i in range(8 * KiB)] + [data[8 * KiB : 12 * KiB], data[12 * KiB :]]
    gate = threading.Event()
    _, avio = pipes(parts, gates={len(parts) - 1: gate}, max_memory=16 * KiB, max_disk=0, chunk_size=4 * KiB)
    assert read_exact(avio, 12 * KiB) == data[: 12 * KiB]
    result: list[bytes] = []
    reader = threading.Thread(target=lambda: result.append(read_all(avio)))
    reader.start()
    reader.join(0.05)
    assert reader.is_alive()  # a pause: waiting, not EOF
    gate.set()  # data comes back
    reader.join(JOIN)
    assert result == [data[12 * KiB :]]


def test_abort_ends_a_reader_held_back_by_the_bound(pipes):
    _, avio = pipes(
        [payload(4 * MiB, seed=15)], keep_open=True, max_memory=256 * KiB, max_disk=0, chunk_size=16 * KiB
    )
    fill(avio, avio._readahead)
    avio.abort()
    avio._thread.join(JOIN)
    assert not avio._thread.is_alive()


# -- PyAV reading through it ------------------------------------------------------------

FRAMES, SIZE, FPS = 25, 64, 25


def make_media(
    path: Path, fmt: str | None = None, options: dict | None = None, frames: int = FRAMES
) -> bytes:
    with av.open(str(path), "w", format=fmt, options=options or {}) as out:
        video = out.add_stream("libx264", rate=FPS, options={"preset": "ultrafast"})
        video.width = video.height = SIZE
        video.pix_fmt = "yuv420p"
        audio = out.add_stream("aac", rate=48000)
        audio.layout = "mono"
        ramp = np.linspace(0, 255, SIZE * SIZE * 3).reshape(SIZE, SIZE, 3)
        for i in range(frames):
            picture = ((ramp + 10 * i) % 256).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts, frame.time_base = i, fractions.Fraction(1, FPS)
            out.mux(video.encode(frame))
            for k in range(2):  # about 1 s of silence alongside
                samples = av.AudioFrame.from_ndarray(
                    np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
                )
                samples.sample_rate, samples.pts = 48000, (2 * i + k) * 1024
                samples.time_base = fractions.Fraction(1, 48000)
                out.mux(audio.encode(samples))
        out.mux(video.encode(None))
        out.mux(audio.encode(None))
    return path.read_bytes()


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, tuple[Path, bytes]]:
    root = tmp_path_factory.mktemp("media")
    made = {}
    for name, fmt, options, frames in (
        ("end.mp4", None, None, FRAMES),
        ("fast.mp4", None, {"movflags": "faststart"}, FRAMES),
        ("clip.ts", "mpegts", None, FRAMES),
        ("long.ts", "mpegts", None, 10 * FRAMES),
        ("long_end.mp4", None, None, 10 * FRAMES),
    ):
        made[name] = (root / name, make_media(root / name, fmt, options, frames))
    end, fast = made["end.mp4"][1], made["fast.mp4"][1]
    assert end.find(b"moov") > end.find(b"mdat") > 0  # the case ffplay fails on a pipe
    assert 0 < fast.find(b"moov") < fast.find(b"mdat")
    return made


def decode_video(container) -> list[np.ndarray]:
    return [f.to_ndarray(format="gray") for f in container.decode(video=0)]


@pytest.mark.parametrize("name", ["end.mp4", "fast.mp4", "clip.ts"])
def test_pyav_decodes_a_file(media, name):
    path, _ = media[name]
    avio = open_input(str(path), chunk_size=4 * KiB)
    with av.open(avio, buffer_size=4 * KiB) as container:
        assert len(decode_video(container)) == FRAMES
    avio.close()


@pytest.mark.parametrize("seek_end", [True, False])
def test_pyav_plays_moov_at_end_from_a_pipe(media, pipes, seek_end):
    _, data = media["end.mp4"]
    _, avio = pipes(
        [data[i : i + 1000] for i in range(0, len(data), 1000)], chunk_size=4 * KiB, pipe_seek_end=seek_end
    )
    with av.open(avio, buffer_size=4 * KiB) as container:
        assert container.streams.video[0].frames == FRAMES
        assert len(decode_video(container)) == FRAMES


def test_pyav_plays_and_rewinds_mpegts_from_a_pipe(media, pipes):
    _, data = media["clip.ts"]
    _, avio = pipes([data[i : i + 4096] for i in range(0, len(data), 4096)], chunk_size=4 * KiB)
    with av.open(avio, buffer_size=4 * KiB) as container:
        frames = decode_video(container)
        assert len(frames) == FRAMES
        container.seek(0)
        again = next(container.decode(video=0)).to_ndarray(format="gray")
        assert np.array_equal(again, frames[0])


def test_pyav_plays_a_ts_larger_than_the_bound(media, pipes):
    _, data = media["long.ts"]
    bound = 16 * KiB + 16 * KiB
    assert len(data) > 4 * bound
    _, avio = pipes(
        [data[i : i + 1000] for i in range(0, len(data), 1000)],
        max_memory=16 * KiB,
        max_disk=16 * KiB,
        chunk_size=4 * KiB,
    )
    with av.open(avio, buffer_size=4 * KiB) as container:
        assert len(decode_video(container)) == 10 * FRAMES
    assert avio._kept_from() > len(data) - bound - 4 * KiB  # it played through a window
    assert avio.dropped_seeks == 0


def test_pyav_on_moov_at_end_larger_than_the_bound(media, pipes):
    """The moov atom is read, the samples before it were dropped: one warning, no hang."""
    _, data = media["long_end.mp4"]
    assert data.find(b"moov") > 8 * KiB
    warnings: list[str] = []
    _, avio = pipes([data], max_memory=8 * KiB, max_disk=0, chunk_size=4 * KiB, on_warning=warnings.append)
    frames = -1
    try:
        with av.open(avio, buffer_size=4 * KiB) as container:
            frames = len(decode_video(container))
    except av.error.FFmpegError:
        pass
    assert frames < 10 * FRAMES
    assert len(warnings) == 1 and "cannot seek back" in warnings[0]
    assert avio.dropped_seeks >= 1


def test_abort_ends_a_demux_blocked_on_a_stalled_pipe(media, pipes):
    _, data = media["clip.ts"]
    half = len(data) // 2 // 188 * 188
    _, avio = pipes(
        [data[:half]], keep_open=True, chunk_size=4 * KiB, pipe_seek_end=False
    )  # a live pipe: do not wait for its end
    outcome: list[str] = []

    def demux() -> None:  # av.open itself waits for more than half the clip to probe
        try:
            with av.open(avio, buffer_size=4 * KiB) as container:
                for _ in container.demux():
                    pass
            outcome.append("ended")
        except av.error.FFmpegError as exc:
            outcome.append(type(exc).__name__)

    thread = threading.Thread(target=demux)
    thread.start()
    with avio._cond:
        assert avio._cond.wait_for(lambda: avio._end >= half, JOIN)
    thread.join(0.05)
    assert thread.is_alive()  # everything sent was read: FFmpeg waits for more
    avio.abort()
    thread.join(JOIN)
    assert not thread.is_alive() and outcome  # "ended": av.open and demux saw EOF
