"""MemoryAVIO on pipes (PipeAVIO): reads, seeks, aborts, and the bound on an endless pipe."""

from __future__ import annotations

import errno
import fcntl
import os
import termios
import threading
import time

import numpy as np
import pytest

from pyffplay.local_input import open_input
from pyffplay.memory_avio import MemoryAVIO
from tests import avio_helpers
from tests.avio_helpers import JOIN, KiB, MiB, Pipe, payload, read_all, read_exact

pipes = avio_helpers.pipes  # the fixture


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
