"""PacketQueue: the demuxer -> decoder hand-over, as in ffplay.

Every packet is stamped with the queue's serial when it is put. A flush (seek) bumps the
serial, so everything downstream can tell stale data from new data without being told.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from pyffplay.sdl_sync import Cond, Mutex

# sizeof(MyAVPacketList) on 64-bit: ffplay adds it per packet to the byte count.
PACKET_OVERHEAD = 16

# Read-thread throttle (ffplay's constants).
MAX_QUEUE_SIZE = 15 * 1024 * 1024
MIN_FRAMES = 25


class PacketQueue:
    """A FIFO of (packet, serial); ``None`` as a packet is the EOF/drain marker."""

    def __init__(self) -> None:
        self._items: deque[tuple[Any, int]] = deque()
        self.nb_packets = 0
        self.size = 0  # bytes, including PACKET_OVERHEAD per packet
        self.duration = 0  # stream time_base units
        self.abort_request = True  # inactive until start(), like packet_queue_init
        self.serial = 0
        self.mutex = Mutex()
        self.cond = Cond()

    def start(self) -> None:
        with self.mutex:
            self.abort_request = False
            self.serial += 1

    def abort(self) -> None:
        with self.mutex:
            self.abort_request = True
            self.cond.broadcast()

    def put(self, packet: Any) -> bool:
        """Queue ``packet`` (or None for EOF) with the current serial; False if aborted."""
        with self.mutex:
            if self.abort_request:
                return False
            self._items.append((packet, self.serial))
            self.nb_packets += 1
            if packet is not None:
                self.size += packet.size + PACKET_OVERHEAD
                self.duration += packet.duration or 0
            else:
                self.size += PACKET_OVERHEAD
            self.cond.signal()
            return True

    def put_nullpacket(self) -> bool:
        return self.put(None)

    def flush(self) -> None:
        """Drop every packet and bump the serial: all queued data becomes stale."""
        with self.mutex:
            self._items.clear()
            self.nb_packets = 0
            self.size = 0
            self.duration = 0
            self.serial += 1
            self.cond.broadcast()

    def get(self, block: bool = True) -> tuple[int, Any, int]:
        """Return (status, packet, serial): status 1 got one, 0 empty (non-blocking), -1 aborted."""
        with self.mutex:
            while True:
                if self.abort_request:
                    return -1, None, 0
                if self._items:
                    packet, serial = self._items.popleft()
                    self.nb_packets -= 1
                    if packet is not None:
                        self.size -= packet.size + PACKET_OVERHEAD
                        self.duration -= packet.duration or 0
                    else:
                        self.size -= PACKET_OVERHEAD
                    return 1, packet, serial
                if not block:
                    return 0, None, 0
                self.cond.wait(self.mutex)


def stream_has_enough_packets(queue: PacketQueue, time_base: float, attached_pic: bool = False) -> bool:
    """ffplay's test: more than MIN_FRAMES packets and more than 1 s queued (or no durations)."""
    return (
        queue.abort_request
        or attached_pic
        or (queue.nb_packets > MIN_FRAMES and (not queue.duration or time_base * queue.duration > 1.0))
    )


def stream_needs_packets(queue: PacketQueue, time_base: float) -> bool:
    """Half of stream_has_enough_packets's mark. The read thread sleeps while every queue has
    enough and is woken when one falls this low: one refill every half second, where
    ffplay's 10 ms poll woke it a hundred times a second."""
    return queue.nb_packets <= MIN_FRAMES // 2 or bool(queue.duration and time_base * queue.duration < 0.5)
