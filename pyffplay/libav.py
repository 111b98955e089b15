"""PyAV's own FFmpeg libraries through ctypes, for what PyAV does not expose.

PyAV ships libavformat and libavutil in ``av.libs``; binding them (as sdl_sync.py binds SDL)
reaches functions such as ``av_find_program_from_stream``. ``format_context`` finds the
AVFormatContext behind a PyAV container: PyAV keeps it as the first field after the object
header and the Cython vtable; the pointer is checked (stream count and format name) before
it is used, so a PyAV with another layout gives None, not a crash.
"""

from __future__ import annotations

import ctypes
import functools
import glob
import os
from typing import Any

_PTR_OFFSET = 24  # PyObject_HEAD (16) + the Cython vtable pointer (8)
_IFORMAT_OFFSET = 8  # AVFormatContext.iformat, after av_class
_NB_STREAMS_OFFSET = 44  # AVFormatContext.nb_streams (FFmpeg 5.1 ... 8.x)


@functools.cache
def library(name: str) -> ctypes.CDLL | None:
    """``library("avformat")``: PyAV's bundled copy, or None when it cannot be found."""
    import av

    here = os.path.dirname(av.__file__)
    for pattern in (os.path.join(here, "..", "av.libs", f"lib{name}-*.so*"),
                    os.path.join(here, ".dylibs", f"lib{name}.*.dylib")):
        for path in sorted(glob.glob(pattern)):
            try:
                return ctypes.CDLL(path)
            except OSError:
                continue
    return None


def format_context(container: Any) -> int | None:
    """The AVFormatContext* of an open PyAV container, or None when it cannot be trusted."""
    try:
        ptr = ctypes.c_void_p.from_address(id(container) + _PTR_OFFSET).value
        if not ptr:
            return None
        nb_streams = ctypes.c_uint.from_address(ptr + _NB_STREAMS_OFFSET).value
        iformat = ctypes.c_void_p.from_address(ptr + _IFORMAT_OFFSET).value
        name = ctypes.c_char_p.from_address(iformat).value if iformat else None
    except (ValueError, OSError):
        return None
    if nb_streams != len(container.streams) or name is None or name.decode() != container.format.name:
        return None
    return ptr


class _AVProgram(ctypes.Structure):
    # The head of AVProgram, stable since FFmpeg 1.x.
    _fields_ = [("id", ctypes.c_int), ("flags", ctypes.c_int), ("discard", ctypes.c_int),
                ("stream_index", ctypes.POINTER(ctypes.c_uint)), ("nb_stream_indexes", ctypes.c_uint)]


def program_streams(container: Any, stream_index: int) -> tuple[int, frozenset[int]] | None:
    """(program id, indexes of its streams) of the first program holding ``stream_index``
    (ffplay's av_find_program_from_stream), or None (no programs, or unknown layout)."""
    lib = library("avformat")
    ic = format_context(container)
    if lib is None or ic is None:
        return None
    find = lib.av_find_program_from_stream
    find.restype = ctypes.POINTER(_AVProgram)
    find.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
    prog = find(ic, None, stream_index)
    if not prog:
        return None
    p = prog.contents
    return p.id, frozenset(p.stream_index[i] for i in range(p.nb_stream_indexes))


def stream_programs(container: Any, stream_index: int) -> list[int]:
    """Ids of every program that holds ``stream_index`` (for the ``p:`` stream specifier)."""
    lib = library("avformat")
    ic = format_context(container)
    if lib is None or ic is None:
        return []
    find = lib.av_find_program_from_stream
    find.restype = ctypes.c_void_p
    find.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
    ids: list[int] = []
    last = None
    while True:
        last = find(ic, last, stream_index)
        if not last:
            return ids
        ids.append(_AVProgram.from_address(last).id)
