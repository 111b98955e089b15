"""FrameQueue: ffplay's fixed ring of decoded frames, with keep_last.

One producer (a decoder thread) and one consumer (video_refresh or the audio callback).
``windex`` belongs to the producer, ``rindex``/``rindex_shown`` to the consumer; only
``size`` is shared, under the mutex. With keep_last the frame on screen stays at
``rindex`` (peek_last) until the next ``next()`` releases it.
"""

from __future__ import annotations

import math
from typing import Any

from pyffplay.packet_queue import PacketQueue
from pyffplay.sdl_sync import Cond, Mutex

VIDEO_PICTURE_QUEUE_SIZE = 3
SUBPICTURE_QUEUE_SIZE = 16
SAMPLE_QUEUE_SIZE = 9
FRAME_QUEUE_SIZE = max(SAMPLE_QUEUE_SIZE, VIDEO_PICTURE_QUEUE_SIZE, SUBPICTURE_QUEUE_SIZE)
# The audio decoder, once sampq is full, sleeps until this many slots are free and then
# decodes them in one go: a wake-up costs more CPU here than decoding a frame, and five
# frames (~100 ms) are still queued when it wakes.
SAMPLE_QUEUE_REFILL = 4
# -untimed (no clock, pictures as fast as they decode): a deeper picture queue handed over
# in batches, so that neither thread wakes for every picture.
UNTIMED_PICTURE_QUEUE_SIZE = FRAME_QUEUE_SIZE
UNTIMED_BATCH = 8


class Frame:
    """One slot of the ring: a decoded picture, audio buffer or subtitle plus its timing."""

    __slots__ = (
        "frame",
        "sub",
        "serial",
        "pts",
        "duration",
        "pos",
        "width",
        "height",
        "format",
        "sar",
        "rotation",
        "uploaded",
    )

    def __init__(self) -> None:
        self.frame: Any = None  # av.VideoFrame, a NumPy audio buffer, ...
        self.sub: Any = None
        self.serial = -1
        self.pts = math.nan
        self.duration = 0.0
        self.pos = -1
        self.width = 0
        self.height = 0
        self.format: Any = None
        self.sar: tuple[int, int] = (0, 1)
        self.rotation = 0.0
        self.uploaded = False

    def unref(self) -> None:
        self.frame = None
        self.sub = None


class FrameQueue:
    def __init__(self, pktq: PacketQueue, max_size: int, keep_last: bool, refill: int = 1) -> None:
        self.pktq = pktq
        self.max_size = min(max_size, FRAME_QUEUE_SIZE)
        # A producer that found the queue full waits for this many free slots (ffplay: 1).
        self.refill = max(1, min(refill, self.max_size))
        # Unshown frames that wake a consumer waiting in wait_ready (ffplay: 1).
        self.ready_batch = 1
        self.keep_last = bool(keep_last)
        self.queue = [Frame() for _ in range(self.max_size)]
        self.rindex = 0
        self.windex = 0
        self.size = 0
        self.rindex_shown = 0
        self.mutex = Mutex()
        self.cond = Cond()

    def signal(self) -> None:
        with self.mutex:
            self.cond.broadcast()

    def peek(self) -> Frame:
        """The next frame to present."""
        return self.queue[(self.rindex + self.rindex_shown) % self.max_size]

    def peek_next(self) -> Frame:
        return self.queue[(self.rindex + self.rindex_shown + 1) % self.max_size]

    def peek_last(self) -> Frame:
        """The frame on screen (or last shown)."""
        return self.queue[self.rindex]

    def peek_writable(self) -> Frame | None:
        """Wait for a free slot; None if the packet queue was aborted."""
        with self.mutex:
            if self.size >= self.max_size:
                while self.size > self.max_size - self.refill and not self.pktq.abort_request:
                    self.cond.wait(self.mutex)
            if self.pktq.abort_request:
                return None
        return self.queue[self.windex]

    def peek_readable(self, timeout_ms: int | None = None) -> Frame | None:
        """Wait for an unshown frame; None on abort (or when ``timeout_ms`` runs out)."""
        with self.mutex:
            while self.size - self.rindex_shown <= 0 and not self.pktq.abort_request:
                if timeout_ms is None:
                    self.cond.wait(self.mutex)
                elif not self.cond.wait_timeout(self.mutex, timeout_ms):
                    return None
            if self.pktq.abort_request:
                return None
        return self.peek()

    def wait_ready(self, timeout_ms: int) -> int:
        """Wait until ``ready_batch`` frames are unshown (or ``timeout_ms`` passes, or an
        abort); the number of unshown frames."""
        with self.mutex:
            while self.size - self.rindex_shown < self.ready_batch and not self.pktq.abort_request:
                if not self.cond.wait_timeout(self.mutex, timeout_ms):
                    break
            return self.size - self.rindex_shown

    def push(self) -> None:
        self.windex += 1
        if self.windex == self.max_size:
            self.windex = 0
        with self.mutex:
            self.size += 1
            if self.size - self.rindex_shown >= self.ready_batch:  # else the consumer sleeps on
                self.cond.signal()

    def next(self) -> None:
        if self.keep_last and not self.rindex_shown:
            self.rindex_shown = 1
            return
        self.queue[self.rindex].unref()
        self.rindex += 1
        if self.rindex == self.max_size:
            self.rindex = 0
        with self.mutex:
            self.size -= 1
            if self.size <= self.max_size - self.refill:  # else a waiting producer sleeps on
                self.cond.signal()

    def nb_remaining(self) -> int:
        """Frames not yet shown."""
        return self.size - self.rindex_shown

    def last_pos(self) -> int:
        fp = self.queue[self.rindex]
        if self.rindex_shown and fp.serial == self.pktq.serial:
            return fp.pos
        return -1
