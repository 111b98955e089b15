"""-sub FILE: an external subtitle file as one more subtitle stream (mpv's --sub-file).

The file is a second input: opened through the memory AVIO like the main one, its first
subtitle stream's packets read once (subtitle files are small), kept as bytes. It appears
after the main input's streams (index ``len(ic.streams)``), so ``t`` cycles to it. Whenever
it starts playing (open, seek, stream switch) its packets from the playback position on go
into the subtitle packet queue; their times are put on the main input's clock by adding the
main input's start time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import av

from pyffplay.errors import InputError
from pyffplay.packet_queue import PacketQueue
from pyffplay.sources import open_source


class ExternalSubtitles:
    def __init__(
        self, path: str, index: int, start_time: float, interrupt: Callable[[], bool] | None = None
    ) -> None:
        self.path = path
        self.index = index  # the stream number it is known by (after the main input's)
        self.pts_offset = start_time  # seconds added to put its times on the main clock
        self.avio = open_source(path, path, interrupt=interrupt)  # a URL gives up on quit
        try:
            self.container = av.open(self.avio, mode="r")
        except (av.error.FFmpegError, EOFError, OSError, ValueError) as e:
            self.avio.close()
            why = getattr(e, "strerror", None) or e or "cannot read subtitles"
            raise InputError(f"{path}: {why}") from None
        subs = list(self.container.streams.subtitles)
        if not subs:
            self.close()
            raise InputError(f"{path}: no subtitle stream")
        self.stream = subs[0]
        tb = self.stream.time_base
        self.time_base = tb
        # (start, end) in seconds on the main clock, pts, duration, data of each packet.
        self.packets: list[tuple[float, float, int, int, bytes]] = []
        try:
            for p in self.container.demux(self.stream):
                if p.size and p.pts is not None:
                    start = float(p.pts * tb) + self.pts_offset
                    end = start + float((p.duration or 0) * tb)
                    self.packets.append((start, end, p.pts, p.duration or 0, bytes(p)))
        except (av.error.FFmpegError, OSError, ValueError) as e:
            self.close()
            raise InputError(f"{self.path}: {e}") from None
        self.packets.sort(key=lambda item: item[0])

    def is_stream(self, st: Any) -> bool:
        return st is self.stream

    def queue_from(self, pktq: PacketQueue, position: float) -> int:
        """Put the packets still to be shown at ``position`` (seconds, main clock; NaN: all)
        into ``pktq``. A packet without a duration (PGS) lasts until the next one."""
        queued = 0
        n = len(self.packets)
        for i, (start, end, pts, duration, data) in enumerate(self.packets):
            if position == position:  # not NaN
                until = end if end > start else (self.packets[i + 1][0] if i + 1 < n else float("inf"))
                if until < position:
                    continue
            packet = av.Packet(data)
            packet.pts = packet.dts = pts
            packet.duration = duration
            packet.time_base = self.time_base
            pktq.put(packet)
            queued += 1
        return queued

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.container.close()
        with contextlib.suppress(Exception):
            self.avio.close()
