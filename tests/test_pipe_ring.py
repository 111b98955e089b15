"""PipeRing, the window a pipe is kept in: pure, bytes in, no threads."""

from __future__ import annotations

import os

import pytest

from pyffplay.pipe_ring import PipeRing
from tests.avio_helpers import KiB, payload


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
