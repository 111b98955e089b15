"""-trace_file: JSON lines of what the player did, for benchmarks and tests.

Writes go to a buffered file under a lock: a few microseconds per event, no syscall
on the hot path. NaN is written as null.
"""

from __future__ import annotations

import json
import math
import threading
import time
from typing import Any


def _json(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "null"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


# Written many times a second: left in the buffer. Every other event is flushed.
_FREQUENT = frozenset({"frame", "audio", "drop"})


class Trace:
    def __init__(self, path: str | None) -> None:
        self._file = open(path, "w", buffering=1 << 16) if path else None
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self._file is not None

    def event(self, ev: str, t: float | None = None, **fields: Any) -> None:
        if self._file is None:
            return
        # Hand-formatted: this runs in the audio callback and for every frame, and
        # json.dumps of a dict costs several times more than these few f-strings.
        parts = [f'{{"ev":"{ev}","t":{time.monotonic() if t is None else t!r}']
        for key, value in fields.items():
            parts.append(f',"{key}":{_json(value)}')
        parts.append("}\n")
        line = "".join(parts)
        with self._lock:
            if self._file is not None:
                self._file.write(line)
                if ev not in _FREQUENT:
                    self._file.flush()  # rare events are readable at once (tests, tail -f)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
