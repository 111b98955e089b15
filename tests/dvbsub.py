"""A tiny DVB subtitle (ETSI EN 300 743) encoder for test media.

FFmpeg encodes DVB subtitles only from bitmap AVSubtitles, which PyAV cannot make, so the
tests write the packets: segments ``0x0F type(1) page_id(2) length(2) payload`` then
``0xFF`` (the MPEG-TS muxer adds the PES data identifier ``0x20 0x00``). A display set is a
display definition (the canvas), a page composition (time-out, regions), a region
composition (size, depth 8 bits, its object), a CLUT (YCrCb + transparency), the object's
pixels (8-bit pixel code strings, top field = even lines, bottom field = odd lines) and an
end of display set. A page without regions clears the screen.
"""

from __future__ import annotations

import struct

import numpy as np

from tests.pgs import Palette, _ycrcb

PAGE, REGION, CLUT, OBJECT, DISPLAY, END = 0x10, 0x11, 0x12, 0x13, 0x14, 0x80
MODE_CHANGE = 2  # page_state: a new epoch, everything is sent


def _segment(kind: int, payload: bytes, page_id: int = 1) -> bytes:
    return struct.pack(">BBHH", 0x0F, kind, page_id, len(payload)) + payload


def _pixels_8bit(rows: np.ndarray) -> bytes:
    out = bytearray()
    for row in rows:
        out.append(0x12)  # 8-bit/pixel code string
        x, n = 0, len(row)
        while x < n:
            c = int(row[x])
            run = 1
            while x + run < n and row[x + run] == c and run < 127:
                run += 1
            if c == 0:
                out += bytes([0, run])  # switch_1 = 0: run of colour 0
            elif run >= 3:
                out += bytes([0, 0x80 | run, c])
            else:
                out += bytes([c]) * run
            x += run
        out += b"\x00\x00"  # end of string
        out.append(0xF0)  # end of object line
    return bytes(out)


def display_set(
    canvas: tuple[int, int],
    version: int,
    x: int = 0,
    y: int = 0,
    indices: np.ndarray | None = None,
    palette: Palette | None = None,
    timeout: int = 10,
) -> bytes:
    """One PES payload: the bitmap (palette indices, 0 transparent) at (x, y), or a clear."""
    w, h = canvas
    v = version & 0xF
    out = bytearray()
    out += _segment(DISPLAY, struct.pack(">BHH", v << 4, w - 1, h - 1))
    if indices is None:
        out += _segment(PAGE, struct.pack(">BB", timeout, v << 4 | MODE_CHANGE << 2))
        out += _segment(END, b"") + b"\xff"
        return bytes(out)
    rh, rw = indices.shape
    page = struct.pack(">BB", timeout, v << 4 | MODE_CHANGE << 2) + struct.pack(">BBHH", 0, 0, x, y)
    out += _segment(PAGE, page)
    region = struct.pack(">BBHHBBBB", 0, v << 4, rw, rh, (3 << 5) | (3 << 2), 0, 0, 0)
    region += struct.pack(">HHH", 0, 0 << 14 | 0 << 12 | 0, 0)  # object 0, bitmap, at (0, 0)
    out += _segment(REGION, region)
    clut = struct.pack(">BB", 0, v << 4)
    for i, (r, g, b, a) in sorted((palette or {}).items()):
        yy, cr, cb = _ycrcb(r, g, b)
        # an 8-bit entry in full range; T is transparency (0: opaque)
        clut += struct.pack(">BBBBBB", i, 0x20 | 0x01, yy, cr, cb, 255 - a)
    out += _segment(CLUT, clut)
    top, bottom = _pixels_8bit(indices[0::2]), _pixels_8bit(indices[1::2])
    obj = struct.pack(">HBHH", 0, v << 4, len(top), len(bottom)) + top + bottom
    out += _segment(OBJECT, obj)
    out += _segment(END, b"") + b"\xff"
    return bytes(out)
