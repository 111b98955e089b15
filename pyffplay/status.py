"""The status line ffplay prints on stderr while playing."""

from __future__ import annotations

import math


def format_status(
    master: float, av_diff: float, label: str, frame_drops: int, aq_bytes: int, vq_bytes: int, sq_bytes: int
) -> str:
    """ffplay's ``%7.2f %s:%7.3f fd=%4d aq=%5dKB vq=%5dKB sq=%5dB \\r``."""
    # ffplay's printf format, kept as written there so the two can be compared.
    return "%7s %s:%7s fd=%4d aq=%5dKB vq=%5dKB sq=%5dB \r" % (  # noqa: UP031
        _num(master, 2),
        label,
        _num(av_diff, 3),
        frame_drops,
        aq_bytes // 1024,
        vq_bytes // 1024,
        sq_bytes,
    )


def status_label(has_audio: bool, has_video: bool) -> str:
    if has_audio and has_video:
        return "A-V"
    if has_video:
        return "M-V"
    if has_audio:
        return "M-A"
    return "   "


def _num(value: float, decimals: int) -> str:
    # C's printf prints NaN as "nan"; Python's % does too, but keep the width explicit.
    if math.isnan(value):
        return "nan"
    return f"{value:.{decimals}f}"


class StatusPrinter:
    """Rate-limits the line to one every 30 ms and collapses identical repeats."""

    INTERVAL = 0.030

    def __init__(self, write) -> None:
        self._write = write
        self._last_time = 0.0
        self._last_line = ""

    def due(self, now: float) -> bool:
        return not self._last_time or now - self._last_time >= self.INTERVAL

    def wait(self, now: float) -> float:
        """Seconds until ``due`` turns true (0: due now)."""
        return 0.0 if not self._last_time else max(self._last_time + self.INTERVAL - now, 0.0)

    def print(self, line: str, now: float) -> None:
        self._last_time = now
        if line != self._last_line:
            self._last_line = line
            self._write(line)
