"""FrameQueue: ffplay's ring of decoded frames with keep_last (ffplay-internals.md section 3).

The keep_last walkthrough follows the seed article (seeds/004): max_size 3, keep_last=1,
frames F0..F2. The article claims that the second ``frame_queue_next()`` resets
``rindex_shown`` to 0 (so "the current frame is still F1"). That is not what ffplay does:
ffplay's ``frame_queue_next`` never clears ``rindex_shown`` once set, so after the second
``next()`` the queue is rindex=1 (F1, the frame now on screen, ``peek_last``),
rindex_shown=1 and ``peek()`` is F2. The port follows ffplay, and so do these tests.
"""

from __future__ import annotations

import threading

import pytest

from pyffplay.frame_queue import (
    FRAME_QUEUE_SIZE,
    SAMPLE_QUEUE_SIZE,
    SUBPICTURE_QUEUE_SIZE,
    VIDEO_PICTURE_QUEUE_SIZE,
    FrameQueue,
)
from pyffplay.packet_queue import PacketQueue

JOIN_TIMEOUT = 5.0  # only bounds a hang
STILL_BLOCKED = 0.05  # how long a negative "has not returned yet" check waits


class Waiter:
    def __init__(self, fn):
        self.result = "not returned"
        self.done = threading.Event()

        def run():
            self.result = fn()
            self.done.set()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def still_blocked(self) -> bool:
        return not self.done.wait(STILL_BLOCKED)

    def join(self):
        self.thread.join(JOIN_TIMEOUT)
        assert not self.thread.is_alive(), "the waiting thread was never woken"
        return self.result


def make_queue(max_size=VIDEO_PICTURE_QUEUE_SIZE, keep_last=True):
    pktq = PacketQueue()
    pktq.start()
    return pktq, FrameQueue(pktq, max_size, keep_last)


def push(fq: FrameQueue, name: str, pos: int = -1, serial: int | None = None):
    slot = fq.peek_writable()
    assert slot is not None
    slot.frame = name
    slot.pos = pos
    slot.serial = fq.pktq.serial if serial is None else serial
    fq.push()
    return slot


def state(fq: FrameQueue):
    return fq.rindex, fq.rindex_shown, fq.windex, fq.size, fq.nb_remaining()


# --- construction ---------------------------------------------------------------------


def test_ffplay_sizes():
    assert (VIDEO_PICTURE_QUEUE_SIZE, SUBPICTURE_QUEUE_SIZE, SAMPLE_QUEUE_SIZE) == (3, 16, 9)
    assert FRAME_QUEUE_SIZE == 16


@pytest.mark.parametrize("wanted, actual", [(3, 3), (9, 9), (16, 16), (17, 16), (100, 16)])
def test_max_size_is_clamped_to_frame_queue_size(wanted, actual):
    _, fq = make_queue(wanted)
    assert fq.max_size == actual
    assert len(fq.queue) == actual
    assert len({id(f) for f in fq.queue}) == actual  # distinct slots


def test_keep_last_is_normalised_to_bool():
    pktq = PacketQueue()
    assert FrameQueue(pktq, 3, 5).keep_last is True
    assert FrameQueue(pktq, 3, 0).keep_last is False


def test_new_queue_is_empty():
    _, fq = make_queue()
    assert state(fq) == (0, 0, 0, 0, 0)
    assert fq.last_pos() == -1


# --- the seed article's walkthrough (max_size 3, keep_last 1) ---------------------------


def test_keep_last_walkthrough():
    _, fq = make_queue(3, keep_last=True)
    for i in range(3):
        push(fq, f"F{i}")
    # queue = [F0, F1, F2], windex wrapped to 0
    assert state(fq) == (0, 0, 0, 3, 3)
    assert fq.peek().frame == "F0"
    assert fq.peek_next().frame == "F1"
    assert fq.peek_last().frame == "F0"

    # first next(): only marks F0 as shown; nothing is released
    fq.next()
    assert state(fq) == (0, 1, 0, 3, 2)
    assert fq.peek_last().frame == "F0"  # F0 is kept as the frame on screen (lastvp)
    assert fq.peek().frame == "F1"
    assert fq.peek_next().frame == "F2"

    # second next(): F0 is released, rindex moves to F1. ffplay keeps rindex_shown == 1
    # (the seed article says it goes back to 0; ffplay's code never clears it).
    fq.next()
    assert fq.queue[0].frame is None  # F0's slot was unref'd
    assert state(fq) == (1, 1, 0, 2, 1)
    assert fq.peek_last().frame == "F1"
    assert fq.peek().frame == "F2"

    # third next(): F1 released; F2 is on screen and nothing is pending
    fq.next()
    assert fq.queue[1].frame is None
    assert state(fq) == (2, 1, 0, 1, 0)
    assert fq.peek_last().frame == "F2"
    assert fq.peek_readable(timeout_ms=1) is None  # nothing unshown

    # a new frame goes into the freed slot 0 and becomes the next to present
    push(fq, "F3")
    assert state(fq) == (2, 1, 1, 2, 1)
    assert fq.peek().frame == "F3"
    assert fq.peek_readable(timeout_ms=1) is fq.queue[0]
    assert fq.peek_last().frame == "F2"


def test_keep_last_one_frame_stays_on_screen():
    """The last frame is never released by next() alone: it waits for a successor."""
    _, fq = make_queue(3, keep_last=True)
    push(fq, "A")
    fq.next()
    assert state(fq) == (0, 1, 1, 1, 0)
    assert fq.peek_last().frame == "A"
    push(fq, "B")
    assert fq.nb_remaining() == 1
    fq.next()  # releases A, B is now on screen
    assert fq.peek_last().frame == "B"
    assert state(fq) == (1, 1, 2, 1, 0)


def test_peek_next_wraps_around_the_ring():
    _, fq = make_queue(3, keep_last=True)
    for name in ("F0", "F1", "F2"):
        push(fq, name)
    fq.next()
    fq.next()
    fq.next()
    push(fq, "F3")  # slot 0
    push(fq, "F4")  # slot 1
    # rindex 2 (F2 on screen), peek = slot 0, peek_next = slot 1
    assert fq.peek().frame == "F3"
    assert fq.peek_next().frame == "F4"
    assert fq.nb_remaining() == 2


# --- keep_last = 0 (subpq) --------------------------------------------------------------


def test_without_keep_last_next_releases_at_once():
    _, fq = make_queue(SUBPICTURE_QUEUE_SIZE, keep_last=False)
    push(fq, "S0")
    push(fq, "S1")
    assert state(fq) == (0, 0, 2, 2, 2)
    assert fq.peek().frame == "S0"
    assert fq.peek_next().frame == "S1"
    fq.next()
    assert fq.queue[0].frame is None
    assert state(fq) == (1, 0, 2, 1, 1)
    assert fq.peek().frame == "S1"
    fq.next()
    assert state(fq) == (2, 0, 2, 0, 0)
    assert fq.peek_readable(timeout_ms=1) is None


def test_without_keep_last_last_pos_is_always_minus_one():
    _, fq = make_queue(SUBPICTURE_QUEUE_SIZE, keep_last=False)
    push(fq, "S0", pos=100)
    push(fq, "S1", pos=200)
    fq.next()
    assert fq.last_pos() == -1  # rindex_shown never becomes 1


def test_full_ring_of_sixteen_wraps():
    _, fq = make_queue(SUBPICTURE_QUEUE_SIZE, keep_last=False)
    for i in range(16):
        push(fq, f"S{i}")
    assert fq.size == 16 and fq.windex == 0
    for i in range(16):
        assert fq.peek().frame == f"S{i}"
        fq.next()
    assert (fq.rindex, fq.size) == (0, 0)


# --- last_pos -------------------------------------------------------------------------


def test_last_pos():
    pktq, fq = make_queue(3, keep_last=True)
    push(fq, "F0", pos=1000)
    push(fq, "F1", pos=2000)
    assert fq.last_pos() == -1  # nothing shown yet
    fq.next()
    assert fq.last_pos() == 1000  # F0 shown and of the current serial
    fq.next()
    assert fq.last_pos() == 2000
    pktq.flush()  # a seek: the shown frame is now from an old serial
    assert fq.last_pos() == -1


def test_last_pos_of_a_stale_frame_is_minus_one():
    pktq, fq = make_queue(3, keep_last=True)
    push(fq, "F0", pos=1000, serial=pktq.serial - 1)
    fq.next()
    assert fq.last_pos() == -1


# --- blocking -------------------------------------------------------------------------


def test_peek_writable_blocks_when_full_until_next_releases_a_slot():
    _, fq = make_queue(3, keep_last=True)
    for name in ("F0", "F1", "F2"):
        push(fq, name)
    writer = Waiter(fq.peek_writable)
    assert writer.still_blocked()
    fq.next()  # keep_last: only marks F0 shown, size stays 3
    assert fq.size == 3
    assert writer.still_blocked()
    fq.next()  # releases F0's slot
    slot = writer.join()
    assert slot is fq.queue[0]
    assert slot is fq.queue[fq.windex]


def test_a_full_queue_with_refill_waits_for_that_many_free_slots():
    pktq = PacketQueue()
    pktq.start()
    fq = FrameQueue(pktq, 5, keep_last=False, refill=3)
    for i in range(5):
        push(fq, f"F{i}")
    writer = Waiter(fq.peek_writable)
    assert writer.still_blocked()  # waiting in the full queue
    fq.next()
    fq.next()
    assert fq.size == 3
    assert writer.still_blocked()  # two free slots: not yet
    fq.next()
    assert writer.join() is fq.queue[fq.windex]
    # Not full: a slot is given at once, as ffplay.
    push(fq, "F5")
    assert fq.peek_writable() is fq.queue[fq.windex]


def test_a_waiting_refill_writer_sees_the_abort():
    pktq = PacketQueue()
    pktq.start()
    fq = FrameQueue(pktq, 4, keep_last=False, refill=2)
    for i in range(4):
        push(fq, f"F{i}")
    writer = Waiter(fq.peek_writable)
    assert writer.still_blocked()  # waiting in the full queue
    fq.next()
    assert writer.still_blocked()
    pktq.abort()
    fq.signal()
    assert writer.join() is None


def test_peek_readable_blocks_until_push():
    _, fq = make_queue(3, keep_last=True)
    reader = Waiter(fq.peek_readable)
    assert reader.still_blocked()
    push(fq, "F0")
    got = reader.join()
    assert got is fq.queue[0]
    assert got.frame == "F0"


def test_peek_writable_returns_none_when_packet_queue_aborted():
    pktq, fq = make_queue(3, keep_last=True)
    pktq.abort()
    assert fq.peek_writable() is None  # even with free slots


def test_peek_readable_returns_none_when_packet_queue_aborted():
    pktq, fq = make_queue(3, keep_last=True)
    push(fq, "F0")
    pktq.abort()
    assert fq.peek_readable() is None  # even with a frame ready
    assert fq.peek_readable(timeout_ms=1) is None


def test_frame_queue_of_a_never_started_packet_queue_is_aborted():
    fq = FrameQueue(PacketQueue(), 3, True)
    assert fq.peek_writable() is None
    assert fq.peek_readable() is None


def test_abort_and_signal_wake_a_blocked_writer():
    pktq, fq = make_queue(3, keep_last=True)
    for name in ("F0", "F1", "F2"):
        push(fq, name)
    writer = Waiter(fq.peek_writable)
    assert writer.still_blocked()
    pktq.abort()  # like decoder_abort: packet_queue_abort + frame_queue_signal
    fq.signal()
    assert writer.join() is None


def test_abort_and_signal_wake_a_blocked_reader():
    pktq, fq = make_queue(3, keep_last=True)
    reader = Waiter(fq.peek_readable)
    assert reader.still_blocked()
    pktq.abort()
    fq.signal()
    assert reader.join() is None


def test_peek_readable_times_out_on_an_empty_queue():
    _, fq = make_queue(3, keep_last=True)
    assert fq.peek_readable(timeout_ms=0) is None
    assert fq.peek_readable(timeout_ms=5) is None


def test_peek_readable_with_timeout_returns_a_ready_frame():
    _, fq = make_queue(9, keep_last=True)
    push(fq, "A0")
    assert fq.peek_readable(timeout_ms=5) is fq.queue[0]
    fq.next()  # shown: nothing unshown is left
    assert fq.peek_readable(timeout_ms=5) is None
    push(fq, "A1")
    assert fq.peek_readable(timeout_ms=5).frame == "A1"


def test_producer_and_consumer_threads():
    """A decoder-like producer and a display-like consumer through a 3-slot ring."""
    pktq, fq = make_queue(3, keep_last=True)
    names = [f"F{i}" for i in range(100)]

    def produce():
        for name in names:
            slot = fq.peek_writable()
            if slot is None:
                return
            slot.frame = name
            slot.serial = pktq.serial
            fq.push()

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    shown = []
    while len(shown) < len(names):
        vp = fq.peek_readable()
        assert vp is not None
        shown.append(vp.frame)
        fq.next()
        assert fq.peek_last().frame == shown[-1]
    producer.join(JOIN_TIMEOUT)
    assert not producer.is_alive()
    assert shown == names
    assert fq.size == 1 and fq.nb_remaining() == 0  # the last frame is kept


def test_wait_ready_waits_for_a_batch_or_the_timeout():
    _, fq = make_queue(8, keep_last=False)
    fq.ready_batch = 3
    assert fq.wait_ready(1) == 0  # nothing: the timeout
    reader = Waiter(lambda: fq.wait_ready(5000))
    assert reader.still_blocked()
    push(fq, "F0")
    push(fq, "F1")
    assert reader.still_blocked()  # two of three: the producer did not wake it
    push(fq, "F2")
    assert reader.join() == 3
    assert fq.wait_ready(1) == 3  # a batch is ready: no wait
