"""The C heap's behaviour for a long-running player.

glibc serves large allocations (picture buffers, window surfaces) with mmap and, each
time one is freed, raises its mmap threshold to that size, so later buffers of up to that
size come from the heap and stay resident after they are freed. After one fullscreen
toggle (a 9 MiB window surface) a player's resident memory drifts up by tens of MiB and
does not come back. A fixed threshold keeps returning big buffers to the system; FFmpeg's
frame pools reuse their buffers anyway, so the cost in page faults is not measurable.
"""

from __future__ import annotations

import ctypes
import os

M_MMAP_THRESHOLD = -3  # glibc's malloc.h
MMAP_THRESHOLD = 256 * 1024


def fix_mmap_threshold() -> bool:
    """Pin glibc's mmap threshold (unless MALLOC_MMAP_THRESHOLD_ says otherwise); True
    when it was set. Does nothing where there is no glibc mallopt."""
    if "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
