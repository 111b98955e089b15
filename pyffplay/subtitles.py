"""Subtitles as the outputs draw them: decoded AVSubtitles -> ``Subtitle`` (pure, no I/O).

Made once per subtitle on the subtitle decoder thread, so the loop thread only draws:

* bitmap rects (DVB, PGS, DVD, XSUB): palette indices -> BGRA pixels by one NumPy lookup
  (ffplay converts PAL8 to BGRA with swscale), each placed on the subtitle's canvas;
* text (SRT, ASS/SSA, mov_text, WebVTT arrive as ASS event lines): the override tags
  removed, ``\\N``/``\\n`` as line breaks, ``\\h`` as a hard space. Wrapping to a width is
  done by the output with its own measure (``wrap``).
"""

from __future__ import annotations

import ctypes
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# An ASS event line: ReadOrder,Layer,Style,Name,MarginL,MarginR,MarginV,Effect,Text
ASS_FIELDS_BEFORE_TEXT = 8
_OVERRIDE = re.compile(r"\{([^}]*)\}")
_DRAWING = re.compile(r"\\p(\d+)")
_ALIGN_TOP = re.compile(r"\\an([789])|\\a([567])\b")


@dataclass(eq=False)
class Bitmap:
    """One rect: BGRA pixels (h, w, 4) uint8 at (x, y) on the canvas."""

    x: int
    y: int
    pixels: np.ndarray


@dataclass(eq=False)
class Subtitle:
    """What an output draws for one subtitle; its identity keys the outputs' caches."""

    canvas: tuple[int, int] = (0, 0)  # the bitmaps' coordinate space; (0, 0): the video's
    bitmaps: list[Bitmap] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # text, one entry per forced line
    top: bool = False  # ASS \an7-9: drawn at the top

    @property
    def text(self) -> str:
        """One line, for outputs with one row (the terminal)."""
        return " ".join(line.strip() for line in self.lines if line.strip())


def ass_to_lines(ass: str) -> tuple[list[str], bool]:
    """An ASS event line (or bare ASS text) -> (plain lines, drawn at the top)."""
    parts = ass.split(",", ASS_FIELDS_BEFORE_TEXT)
    text = parts[ASS_FIELDS_BEFORE_TEXT] if len(parts) > ASS_FIELDS_BEFORE_TEXT else ass
    top = False
    out: list[str] = []
    drawing = False  # \p1..: the text is a vector drawing, not words
    pos = 0
    for m in _OVERRIDE.finditer(text):
        if not drawing:
            out.append(text[pos : m.start()])
        tags = m.group(1)
        for d in _DRAWING.findall(tags):
            drawing = int(d) > 0
        if _ALIGN_TOP.search(tags):
            top = True
        pos = m.end()
    if not drawing:
        out.append(text[pos:])
    plain = "".join(out).replace("\\N", "\n").replace("\\n", "\n").replace("\\h", "\u00a0")
    plain = html.unescape(plain)  # SubRip text keeps its &amp; and the like
    lines = [line.strip() for line in plain.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines, top


def wrap(lines: list[str], width: int, measure: Callable[[str], int]) -> list[str]:
    """Greedy word wrap of each line to ``width`` as ``measure`` (pixels, cells) counts;
    a word wider than the width is cut between characters."""
    out: list[str] = []
    for line in lines:
        words = line.split(" ")
        current = ""
        for word in words:
            candidate = f"{current} {word}" if current else word
            if measure(candidate) <= width:
                current = candidate
                continue
            if current:
                out.append(current)
            current = word
            while len(current) > 1 and measure(current) > width:
                cut = _fit(current, width, measure)
                out.append(current[:cut])
                current = current[cut:]
        out.append(current)
    return out


def _fit(word: str, width: int, measure: Callable[[str], int]) -> int:
    """How many leading characters of ``word`` fit (at least one)."""
    lo, hi = 1, len(word)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if measure(word[:mid]) <= width:
            lo = mid
        else:
            hi = mid - 1
    return lo


def palette_to_bgra(indices: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """(h, w) palette indices + (n,) uint32 0xAARRGGBB -> (h, w, 4) uint8 BGRA (one lookup)."""
    table = np.zeros(256, np.uint32)
    table[: min(len(palette), 256)] = palette[:256]
    return table[indices].view(np.uint8).reshape(indices.shape + (4,))


# -- reading AVSubtitleRect through PyAV ------------------------------------------------
# PyAV 18 exposes a bitmap rect's indices (data[0]) but not its palette (data[1], whose
# linesize is 0). The rect's address sits in the Python object right after its first
# field; it is taken only when the struct there matches what PyAV reports (x, y, w, h and
# the address of data[0]), so another layout gives no palette instead of wrong memory.


class _AVSubtitleRect(ctypes.Structure):
    _fields_ = [
        ("x", ctypes.c_int),
        ("y", ctypes.c_int),
        ("w", ctypes.c_int),
        ("h", ctypes.c_int),
        ("nb_colors", ctypes.c_int),
        ("data", ctypes.c_void_p * 4),
        ("linesize", ctypes.c_int * 4),
    ]


_PTR = ctypes.sizeof(ctypes.c_void_p)
_RECT_OFFSETS = (object.__basicsize__ + _PTR, object.__basicsize__ + 2 * _PTR, object.__basicsize__)


def _rect_struct(rect: Any, data0: int) -> _AVSubtitleRect | None:
    for offset in _RECT_OFFSETS:
        address = ctypes.c_void_p.from_address(id(rect) + offset).value
        if not address:
            continue
        st = _AVSubtitleRect.from_address(address)
        if st.data[0] == data0 and (st.x, st.y, st.w, st.h) == (rect.x, rect.y, rect.width, rect.height):
            return st
    return None


def bitmap_from_rect(rect: Any) -> Bitmap | None:
    """A PyAV BitmapSubtitle -> Bitmap (None when empty or unreadable)."""
    w, h = rect.width, rect.height
    if w <= 0 or h <= 0 or not rect.planes:
        return None
    plane = np.frombuffer(rect.planes[0], np.uint8)
    st = _rect_struct(rect, plane.ctypes.data)
    if st is None or not st.data[1]:
        return None
    stride = st.linesize[0] or w
    indices = np.ctypeslib.as_array(
        ctypes.cast(st.data[0], ctypes.POINTER(ctypes.c_uint8)), shape=(h, stride)
    )[:, :w]
    n = max(1, min(st.nb_colors or 256, 256))
    palette = np.ctypeslib.as_array(ctypes.cast(st.data[1], ctypes.POINTER(ctypes.c_uint32)), shape=(n,))
    return Bitmap(rect.x, rect.y, palette_to_bgra(indices, palette))


def from_subtitle_set(subs: Any, canvas: tuple[int, int]) -> Subtitle:
    """A decoded PyAV SubtitleSet -> Subtitle (pixels copied: the set may be freed)."""
    sub = Subtitle(canvas=canvas)
    for rect in subs:
        kind = getattr(rect, "type", b"")
        if kind == b"bitmap":
            bitmap = bitmap_from_rect(rect)
            if bitmap is not None:
                sub.bitmaps.append(bitmap)
        elif kind in (b"ass", b"text"):
            raw = rect.ass if kind == b"ass" else rect.text
            lines, top = ass_to_lines(raw.decode("utf-8", "replace"))
            if lines:
                sub.lines.extend(lines)
                sub.top = sub.top or top
    return sub
