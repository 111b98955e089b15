"""PyAV's own FFmpeg libraries (``av.libs/``), loaded with ctypes for what PyAV does not
expose: the log's flags, ``av_dump_format``, the lists behind ``-protocols``, ``-pix_fmts``...

The libraries are the very ones PyAV runs on (same files, already mapped by ``import av``),
so both sides share one FFmpeg: one log level, one log callback, one set of formats.
"""

from __future__ import annotations

import ctypes
import functools
import glob
import os

import av

_LIB_DIRS = (
    os.path.join(os.path.dirname(os.path.dirname(av.__file__)), "av.libs"),
    os.path.join(os.path.dirname(av.__file__), ".dylibs"),
)


class LibraryNotFound(OSError):
    pass


@functools.cache
def load(name: str) -> ctypes.CDLL:
    """``load("avformat")`` -> PyAV's bundled libavformat; LibraryNotFound when PyAV was
    built against system libraries (then the process already has them: use the soname)."""
    for d in _LIB_DIRS:
        found = sorted(
            glob.glob(os.path.join(d, f"lib{name}-*.so*")) + glob.glob(os.path.join(d, f"lib{name}.*"))
        )
        if found:
            return ctypes.CDLL(found[0])
    major = av.library_versions.get(f"lib{name}", (None,))[0]
    if major is not None:
        try:
            return ctypes.CDLL(f"lib{name}.so.{major}")
        except OSError:
            pass
    raise LibraryNotFound(f"lib{name} of PyAV not found")


def version_triplet(packed: int) -> tuple[int, int, int]:
    """AV_VERSION_MAJOR/MINOR/MICRO of a packed ``<lib>_version()`` value."""
    return packed >> 16, (packed >> 8) & 0xFF, packed & 0xFF


def cstr(value: bytes | None) -> str:
    return value.decode("utf-8", "replace") if value is not None else ""
