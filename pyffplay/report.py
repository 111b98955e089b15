"""What the player tells the outside: warnings, the status line, the trace, events.

The library prints nothing itself: warnings and events go to ``on_event`` and the status
line to ``status_sink``, both given by the client (the command line writes them to stderr
or to the terminal output's bottom row).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pyffplay.status import StatusPrinter, format_status, status_label
from pyffplay.trace import Trace

EventCallback = Callable[[str, dict[str, Any]], None]


class Reporter:
    def __init__(
        self,
        trace: Trace,
        on_event: EventCallback | None = None,
        status_sink: Callable[[str], None] | None = None,
    ) -> None:
        self.trace = trace
        self._on_event = on_event
        self.status = StatusPrinter(status_sink) if status_sink is not None else None

    def event(self, name: str, **data: Any) -> None:
        """An API event ("end", "error", "seek", "warning", ...) for the client's on_event."""
        if self._on_event is not None:
            try:
                self._on_event(name, data)
            except Exception:  # a client's callback must not stop playback
                pass

    def warn(self, message: str) -> None:
        self.trace.event("warning", message=message)
        self.event("warning", message=message)

    def status_due(self, force: bool = False) -> bool:
        return self.status is not None and (force or self.status.due(time.monotonic()))

    def status_wait(self) -> float | None:
        """Seconds until the status line is due again; None without a status line."""
        if self.status is None:
            return None
        return self.status.wait(time.monotonic())

    def print_status(
        self,
        master: float,
        av_diff: float,
        has_audio: bool,
        has_video: bool,
        frame_drops: int,
        aq: int,
        vq: int,
        sq: int,
    ) -> None:
        if self.status is not None:
            self.status.print(
                format_status(master, av_diff, status_label(has_audio, has_video), frame_drops, aq, vq, sq),
                time.monotonic(),
            )
