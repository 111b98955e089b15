"""A tiny PGS (HDMV Presentation Graphics, Blu-ray subtitles) encoder for test media.

FFmpeg can decode PGS but not encode it, and its command line cannot turn text into bitmap
subtitles, so the tests write them: a ``.sup`` file is a run of segments, each
``"PG" PTS(4) DTS(4) type(1) size(2) payload``, times in 90 kHz ticks. A display set is
PCS (composition), WDS (windows), PDS (palette, YCrCbA), ODS (the run-length coded bitmap)
and END; a set whose PCS has no objects clears the screen. FFmpeg's ``sup`` demuxer reads
the file, and its packets can be remuxed into Matroska as a hdmv_pgs_subtitle track.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

PDS, ODS, PCS, WDS, END = 0x14, 0x15, 0x16, 0x17, 0x80
EPOCH_START = 0x80


def _segment(kind: int, pts: float, payload: bytes) -> bytes:
    ticks = int(round(pts * 90000)) & 0xFFFFFFFF
    return b"PG" + struct.pack(">IIBH", ticks, ticks, kind, len(payload)) + payload


def rle(indices: np.ndarray) -> bytes:
    """PGS run-length coding of rows of palette indices (each row ends with 00 00)."""
    out = bytearray()
    for row in indices:
        x, n = 0, len(row)
        while x < n:
            c = int(row[x])
            run = 1
            while x + run < n and row[x + run] == c and run < 16383:
                run += 1
            if c != 0 and run < 3:
                out += bytes([c]) * run
            elif c == 0:
                out += bytes([0, run]) if run < 64 else bytes([0, 0x40 | run >> 8, run & 0xFF])
            else:
                out += bytes([0, 0x80 | run, c]) if run < 64 else bytes([0, 0xC0 | run >> 8, run & 0xFF, c])
            x += run
        out += b"\x00\x00"
    return bytes(out)


def _ycrcb(r: int, g: int, b: int) -> tuple[int, int, int]:
    """BT.601 limited range, as FFmpeg's PGS decoder reads the palette."""
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    cb = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    cr = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
    return round(y), round(cr), round(cb)


def display_set(
    pts: float,
    canvas: tuple[int, int],
    number: int,
    x: int = 0,
    y: int = 0,
    indices: np.ndarray | None = None,
    palette: dict[int, tuple[int, int, int, int]] | None = None,
) -> bytes:
    """One display set: a bitmap (palette indices, index 0 transparent) at (x, y) on the
    canvas, or, without ``indices``, an empty set that clears the screen."""
    w, h = canvas
    if indices is None:
        pcs = struct.pack(">HHBHBBBB", w, h, 0x10, number, 0, 0, 0, 0)
        wds = struct.pack(">B", 0)
        return _segment(PCS, pts, pcs) + _segment(WDS, pts, wds) + _segment(END, pts, b"")
    oh, ow = indices.shape
    pcs = struct.pack(">HHBHBBBB", w, h, 0x10, number, EPOCH_START, 0, 0, 1)
    pcs += struct.pack(">HBBHH", 0, 0, 0, x, y)
    wds = struct.pack(">BBHHHH", 1, 0, x, y, ow, oh)
    pds = struct.pack(">BB", 0, 0)
    for i, (r, g, b, a) in sorted((palette or {}).items()):
        yy, cr, cb = _ycrcb(r, g, b)
        pds += struct.pack(">BBBBB", i, yy, cr, cb, a)
    data = struct.pack(">HH", ow, oh) + rle(indices)
    ods = struct.pack(">HBB", 0, 0, 0xC0) + struct.pack(">I", len(data))[1:] + data
    return (
        _segment(PCS, pts, pcs)
        + _segment(WDS, pts, wds)
        + _segment(PDS, pts, pds)
        + _segment(ODS, pts, ods)
        + _segment(END, pts, b"")
    )


Palette = dict[int, tuple[int, int, int, int]]  # index -> (R, G, B, A)


def write_sup(
    path, canvas: tuple[int, int], cues: list[tuple[float, float, int, int, np.ndarray, Palette]]
) -> Path:
    """A .sup file: each cue (start, end, x, y, indices, palette) shown, then cleared."""
    out = bytearray()
    for n, (start, end, x, y, indices, palette) in enumerate(cues):
        out += display_set(start, canvas, 2 * n, x, y, indices, palette)
        out += display_set(end, canvas, 2 * n + 1)
    path = Path(path)
    path.write_bytes(bytes(out))
    return path


def box(width: int, height: int, border: int = 0) -> np.ndarray:
    """A filled rectangle of index 1, with a ``border`` of index 2 around it."""
    a = np.full((height, width), 1, np.uint8)
    if border:
        a[:border, :] = a[-border:, :] = 2
        a[:, :border] = a[:, -border:] = 2
    return a
