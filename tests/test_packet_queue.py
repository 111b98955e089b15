"""PacketQueue: ffplay's demuxer -> decoder FIFO (ffplay-internals.md section 2).

Real ``av.Packet`` objects are queued; the thread tests use real threads blocked on the
SDL condition variable.
"""

from __future__ import annotations

import threading

import av
import pytest

from pyffplay.packet_queue import (
    MIN_FRAMES,
    PACKET_OVERHEAD,
    PacketQueue,
    stream_has_enough_packets,
    stream_needs_packets,
)

JOIN_TIMEOUT = 5.0  # only bounds a hang; a passing run never waits this long


def make_packet(nbytes: int, duration: int = 0) -> av.Packet:
    pkt = av.Packet(b"x" * nbytes)
    pkt.duration = duration
    return pkt


def started_queue() -> PacketQueue:
    q = PacketQueue()
    q.start()
    return q


class Waiter:
    """Runs ``fn`` in a thread and keeps what it returned."""

    def __init__(self, fn):
        self.result = None
        self.done = threading.Event()

        def run():
            self.result = fn()
            self.done.set()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def join(self):
        self.thread.join(JOIN_TIMEOUT)
        assert not self.thread.is_alive(), "the waiting thread was never woken"
        return self.result


# --- life cycle ---------------------------------------------------------------------


def test_constants_are_ffplays():
    assert PACKET_OVERHEAD == 16  # sizeof(MyAVPacketList) on 64-bit
    assert MIN_FRAMES == 25


def test_new_queue_is_aborted_and_refuses_packets():
    q = PacketQueue()
    assert q.abort_request
    assert q.put(make_packet(10)) is False
    assert q.put_nullpacket() is False
    assert (q.nb_packets, q.size, q.duration) == (0, 0, 0)
    # get() on an aborted queue returns -1, blocking or not
    assert q.get(block=False)[0] == -1
    assert q.get(block=True)[0] == -1


def test_start_clears_abort_and_bumps_serial():
    q = PacketQueue()
    serial = q.serial
    q.start()
    assert not q.abort_request
    assert q.serial == serial + 1
    assert q.put(make_packet(10)) is True
    assert q.nb_packets == 1


def test_put_stamps_the_current_serial():
    q = started_queue()
    p1 = make_packet(1)
    q.put(p1)
    first_serial = q.serial
    q.start()  # a restart bumps the serial without flushing
    p2 = make_packet(2)
    q.put(p2)
    assert q.serial == first_serial + 1
    assert q.get(block=False) == (1, p1, first_serial)
    assert q.get(block=False) == (1, p2, first_serial + 1)


def test_get_returns_the_same_packets_in_fifo_order():
    q = started_queue()
    packets = [make_packet(n) for n in (3, 1, 4, 1, 5)]
    for p in packets:
        assert q.put(p)
    got = [q.get(block=False)[1] for _ in packets]
    assert all(a is b for a, b in zip(got, packets))


# --- accounting ---------------------------------------------------------------------


def test_size_counts_packet_bytes_plus_overhead():
    q = started_queue()
    a, b = make_packet(4), make_packet(100)
    assert (a.size, b.size) == (4, 100)
    q.put(a)
    assert q.size == 4 + 16
    q.put(b)
    assert (q.nb_packets, q.size) == (2, 4 + 16 + 100 + 16)
    q.get(block=False)
    assert (q.nb_packets, q.size) == (1, 100 + 16)
    q.get(block=False)
    assert (q.nb_packets, q.size) == (0, 0)


def test_duration_is_the_sum_of_packet_durations():
    q = started_queue()
    q.put(make_packet(10, duration=40))
    q.put(make_packet(10, duration=0))  # no duration: adds nothing
    q.put(make_packet(10, duration=1001))
    assert q.duration == 1041
    q.get(block=False)
    assert q.duration == 1001
    q.get(block=False)
    assert q.duration == 1001
    q.get(block=False)
    assert q.duration == 0


def test_null_packet_counts_as_one_empty_packet():
    q = started_queue()
    q.put(make_packet(10, duration=5))
    assert q.put_nullpacket() is True
    assert q.nb_packets == 2
    assert q.size == (10 + 16) + (0 + 16)  # an empty packet still costs sizeof(MyAVPacketList)
    assert q.duration == 5
    q.get(block=False)
    status, pkt, serial = q.get(block=False)
    assert (status, pkt, serial) == (1, None, q.serial)
    assert (q.nb_packets, q.size, q.duration) == (0, 0, 0)


def test_put_none_is_the_null_packet():
    q = started_queue()
    assert q.put(None) is True
    assert (q.nb_packets, q.size) == (1, 16)
    assert q.get(block=False) == (1, None, q.serial)


def test_flush_empties_and_bumps_serial():
    q = started_queue()
    for n in range(5):
        q.put(make_packet(n + 1, duration=10))
    q.put_nullpacket()
    serial = q.serial
    q.flush()
    assert (q.nb_packets, q.size, q.duration) == (0, 0, 0)
    assert q.serial == serial + 1
    assert not q.abort_request  # a flush is not an abort
    assert q.get(block=False) == (0, None, 0)
    p = make_packet(7)
    q.put(p)
    assert q.get(block=False) == (1, p, serial + 1)


def test_nonblocking_get_on_empty_queue_returns_zero():
    q = started_queue()
    assert q.get(block=False)[0] == 0
    q.put(make_packet(1))
    q.get(block=False)
    assert q.get(block=False)[0] == 0


# --- abort ----------------------------------------------------------------------------


def test_abort_makes_get_fail_even_with_packets_queued():
    q = started_queue()
    q.put(make_packet(1))
    q.abort()
    assert q.abort_request
    assert q.get(block=False)[0] == -1
    assert q.put(make_packet(1)) is False
    # counters are left as they were: only flush() drops packets
    assert q.nb_packets == 1


def test_start_after_abort_reopens_the_queue():
    q = started_queue()
    q.abort()
    serial = q.serial
    q.start()
    assert q.serial == serial + 1
    assert q.put(make_packet(2))


# --- threads --------------------------------------------------------------------------


def test_blocking_get_is_woken_by_put_from_another_thread():
    q = started_queue()
    waiter = Waiter(lambda: q.get(block=True))
    pkt = make_packet(12, duration=3)
    assert q.put(pkt)
    status, got, serial = waiter.join()
    assert status == 1
    assert got is pkt
    assert serial == q.serial
    assert (q.nb_packets, q.size, q.duration) == (0, 0, 0)


def test_blocking_get_is_woken_by_a_null_packet():
    q = started_queue()
    waiter = Waiter(lambda: q.get(block=True))
    q.put_nullpacket()
    assert waiter.join() == (1, None, q.serial)


def test_abort_wakes_a_blocked_get():
    q = started_queue()
    waiter = Waiter(lambda: q.get(block=True))
    # The waiter is blocked on an empty queue (or about to be: abort is checked under
    # the same mutex, so the order does not matter).
    assert not waiter.done.wait(0.05)
    q.abort()
    assert waiter.join()[0] == -1


def test_several_blocked_getters_all_see_the_abort():
    q = started_queue()
    waiters = [Waiter(lambda: q.get(block=True)) for _ in range(3)]
    q.abort()
    assert [w.join()[0] for w in waiters] == [-1, -1, -1]


def test_producer_consumer_threads_keep_order_and_counters():
    q = started_queue()
    packets = [make_packet(n % 7 + 1, duration=n) for n in range(200)]
    received = []

    def consume():
        while True:
            status, pkt, _ = q.get(block=True)
            if status != 1 or pkt is None:
                return
            received.append(pkt)

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    for p in packets:
        q.put(p)
    q.put_nullpacket()
    consumer.join(JOIN_TIMEOUT)
    assert not consumer.is_alive()
    assert len(received) == len(packets)
    assert all(a is b for a, b in zip(received, packets))
    assert (q.nb_packets, q.size, q.duration) == (0, 0, 0)


# --- stream_has_enough_packets ----------------------------------------------------------


def fill(q: PacketQueue, count: int, duration: int) -> None:
    for _ in range(count):
        q.put(make_packet(100, duration=duration))


@pytest.mark.parametrize(
    "count, duration, time_base, enough",
    [
        (25, 1, 1.0, False),  # exactly MIN_FRAMES is not enough (> MIN_FRAMES)
        (26, 1, 1.0, True),  # 26 packets, 26 s
        (26, 1, 1 / 100, False),  # 26 packets but only 0.26 s
        (32, 1, 1 / 32, False),  # exactly 1.0 s is not enough (> 1.0)
        (33, 1, 1 / 32, True),  # 33 packets, 1.03 s
        (100, 1, 1 / 1000, False),  # many short packets: 0.1 s
        (26, 0, 1 / 1000, True),  # no durations: the packet count alone decides
        (25, 0, 1 / 1000, False),
        (0, 0, 1.0, False),
    ],
)
def test_stream_has_enough_packets(count, duration, time_base, enough):
    q = started_queue()
    fill(q, count, duration)
    assert stream_has_enough_packets(q, time_base) is enough


def test_aborted_or_attached_pic_stream_always_has_enough():
    q = started_queue()
    assert stream_has_enough_packets(q, 1 / 90000) is False
    assert stream_has_enough_packets(q, 1 / 90000, attached_pic=True) is True
    q.abort()
    assert stream_has_enough_packets(q, 1 / 90000) is True
    assert stream_has_enough_packets(PacketQueue(), 1.0) is True  # never started = aborted


def test_null_packets_count_toward_min_frames():
    q = started_queue()
    fill(q, 25, 0)
    assert not stream_has_enough_packets(q, 1.0)
    q.put_nullpacket()
    assert stream_has_enough_packets(q, 1.0)


@pytest.mark.parametrize(
    "count, duration, time_base, needs",
    [
        (0, 0, 1.0, True),
        (12, 0, 1.0, True),  # MIN_FRAMES // 2 packets or fewer: refill
        (13, 0, 1.0, False),  # no durations: the packet count alone decides
        (30, 1, 1 / 100, True),  # 30 packets but only 0.3 s
        (30, 1, 1 / 50, False),  # 0.6 s
        (50, 1, 1 / 50, False),  # 1 s: enough for the read thread to stay asleep
    ],
)
def test_stream_needs_packets_below_half_of_enough(count, duration, time_base, needs):
    q = started_queue()
    fill(q, count, duration)
    assert stream_needs_packets(q, time_base) is needs
    if needs:  # what wakes the read thread never counts as enough (no sleep-wake loop)
        assert not stream_has_enough_packets(q, time_base)
