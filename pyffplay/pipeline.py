"""One stream's path through the player: stream -> PacketQueue -> Decoder -> FrameQueue.

ffplay keeps these as parallel fields of VideoState (audio_st, audioq, auddec, sampq, ...);
here each stream type has one StreamPipeline, so the read thread and the exit path loop over
pipelines instead of over (stream, queue) pairs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import av

from pyffplay.decoders import Decoder
from pyffplay.frame_queue import FrameQueue
from pyffplay.packet_queue import PacketQueue, stream_has_enough_packets
from pyffplay.sdl_sync import Cond, Mutex


class StreamPipeline:
    def __init__(self, kind: str, frame_queue_size: int, keep_last: bool, refill: int = 1) -> None:
        self.kind = kind  # "video", "audio" or "subtitle"
        self.st: Any = None  # the av.Stream being played; None while closed
        self.pktq = PacketQueue()
        self.frameq = FrameQueue(self.pktq, frame_queue_size, keep_last, refill)
        self.decoder: Decoder | None = None
        self._enough_key: Any = None  # (stream, time base, attached picture) for has_enough_packets

    @property
    def is_open(self) -> bool:
        return self.st is not None

    def open(self, st: Any, codec_context: Any, continue_read_thread: Cond, wait_mutex: Mutex) -> Decoder:
        self.st = st
        self.decoder = Decoder(codec_context, self.pktq, continue_read_thread, wait_mutex)
        self.decoder.time_base = float(st.time_base) if st.time_base else 0.0
        return self.decoder

    def start(self, target: Callable[[], None], on_error: Callable[[BaseException], Any]) -> None:
        assert self.decoder is not None
        self.decoder.start(target, f"{self.kind}_decoder", on_error)

    def has_enough_packets(self) -> bool:
        """ffplay's stream_has_enough_packets (a closed stream never asks for more)."""
        st = self.st
        if st is None:
            return True
        key = self._enough_key
        if key is None or key[0] is not st:  # asked on every read: look the stream up once
            attached = bool(st.disposition & av.stream.Disposition.attached_pic)
            key = self._enough_key = (st, float(st.time_base), attached)
        return stream_has_enough_packets(self.pktq, key[1], key[2])

    def finished(self) -> bool:
        """The decoder reached the end of the current serial and every frame was consumed."""
        if self.st is None or self.decoder is None:
            return True
        return self.decoder.finished == self.pktq.serial and self.frameq.nb_remaining() == 0

    def abort(self) -> None:
        """Wake and stop the decoder thread (quit)."""
        self.pktq.abort()
        self.frameq.signal()

    def join(self, timeout: float) -> None:
        thread = self.decoder.thread if self.decoder is not None else None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
