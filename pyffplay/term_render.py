"""Pictures as terminal cells: 24-bit or 256-colour half blocks, re-sending only changed cells.

Pure (no I/O). Every cell is U+2584 LOWER HALF BLOCK: its background colour paints the
upper pixel and its foreground colour the lower one (mpv's vo_tct "half-blocks"). As in
timg, the previous frame is kept and only cells that differ are sent. Bytes are built
without a per-cell Python loop: each emitted cell becomes a fixed-width record of
NUL-padded words (escape prefixes and decimal fields gathered from lookup tables, the
glyph), a column at a time, and one bytes.translate squeezes the NULs out.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np

_GLYPH = "\u2584".encode()
_RESET = b"\x1b[0m"
_MAX_POS = 10000  # cursor positions 1..9999: no terminal is that large
# Re-sending a gap of unchanged cells costs at least 3 bytes a cell (the glyph); skipping it
# at most 51 (a cursor move to 9999;9999 and both colours in full): longer gaps are skipped.
_MAX_GAP = 17


# str(i) for i < _MAX_POS, left-aligned and NUL-padded ("7\0\0\0"), one row each.
_DIGITS = np.arange(_MAX_POS).astype("S4").view(np.uint8).reshape(_MAX_POS, 4)


def _table(count: int, prefix: bytes, suffix: bytes, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """prefix + str(i) + suffix for i < count, each as one NUL-padded little-endian word
    (NUL marks "no byte here": the escape text never contains one); and the lengths."""
    size = np.dtype(dtype).itemsize
    digits = _DIGITS[:count]
    width = digits.shape[1]
    n_digits = np.count_nonzero(digits, axis=1)
    lengths = (len(prefix) + len(suffix) + n_digits).astype(np.int32)
    assert lengths.max() <= size  # every string fits its word
    out = np.zeros((count, max(size, len(prefix) + width + len(suffix))), dtype=np.uint8)
    out[:, : len(prefix)] = np.frombuffer(prefix, np.uint8)
    out[:, len(prefix) : len(prefix) + width] = digits
    rows = np.arange(count)
    for k, byte in enumerate(suffix):  # right after each number's last digit
        out[rows, len(prefix) + n_digits + k] = byte
    return np.ascontiguousarray(out[:, :size]).view(dtype)[:, 0], lengths


def _word(text: bytes, dtype: str) -> int:
    return int.from_bytes(text.ljust(np.dtype(dtype).itemsize, b"\0"), "little")


# Digits come from lookup tables of whole fields (mpv keeps ";0".. ";255" the same way).
_ROW64, _ROW_LEN = _table(_MAX_POS, b"\x1b[", b";", "<u8")
_COL64, _ = _table(_MAX_POS, b"", b"H", "<u8")
_COL_SGR64, _ = _table(_MAX_POS, b"", b"H\x1b[", "<u8")  # the cell's SGR follows
_POS_LEN = _ROW_LEN - 3  # digits only
_CHAN32, _CHAN_LEN = _table(256, b";", b"", "<u4")
# len(";R;G") by the 16-bit word R | G << 8 (the cell word's first two bytes)
_CHAN2_LEN = (_CHAN_LEN[:, None] + _CHAN_LEN[None, :]).T.reshape(-1).astype(np.int8)
_BG_TRUE64, _ = _table(256, b"48;2;", b"", "<u8")  # + ";G" ";B"
_FG_TRUE64, _ = _table(256, b"38;2;", b"", "<u8")
_BG_256_64, _ = _table(256, b"48;5;", b"", "<u8")
_FG_256_64, _ = _table(256, b"38;5;", b"", "<u8")
_RESET32 = np.uint32(_word(_RESET, "<u4"))
_ESC64 = np.uint64(_word(b"\x1b[", "<u8"))
_SEP32 = np.uint32(_word(b";", "<u4"))
_TAIL32 = np.array([_word(_GLYPH, "<u4"), _word(b"m" + _GLYPH, "<u4")], dtype="<u4")  # [SGR open]

# xterm-256: the 6x6x6 cube (16..231) has these levels per channel; the grey ramp
# (232..255) is 8, 18, .. 238. The nearest cube colour is the nearest level per channel;
# the nearest grey g is the one nearest the channel mean, looked up by t = r+g+b. Then
# grey wins when sum(c-g)^2 < sum(c-cube(c))^2, i.e. sum E[c] + G[t] < 0 with
# E[v] = v^2 - (v-cube(v))^2 and G[t] = 3g^2 - 2gt: per-value tables, no temporaries.
_V = np.arange(256)
_LEVELS = np.array([0, 95, 135, 175, 215, 255])
_CUBE_IDX = np.abs(_V[:, None] - _LEVELS).argmin(axis=1)
_E = (_V**2 - (_V - _LEVELS[_CUBE_IDX]) ** 2).astype(np.int32)
_T = np.arange(766)
_GREY_IDX = np.abs(_T[:, None] - 3 * (8 + 10 * np.arange(24))).argmin(axis=1)
_GREY_VAL = 8 + 10 * _GREY_IDX
_G = (3 * _GREY_VAL**2 - 2 * _GREY_VAL * _T).astype(np.int32)
_GREY_CODE = (232 + _GREY_IDX).astype(np.uint8)
_CUBE_R, _CUBE_G, _CUBE_B = ((k * _CUBE_IDX + (16 if k == 36 else 0)).astype(np.uint8) for k in (36, 6, 1))


@lru_cache(maxsize=16)  # called for every frame with the same few arguments
def fit_picture(
    pic_w: int, pic_h: int, sar: tuple[int, int], cols: int, rows: int
) -> tuple[int, int, int, int]:
    """Largest cell rectangle (x, y, w, h) centred in cols x rows that keeps the picture's
    display aspect; a cell shows 1 pixel across and 2 down, so cell pixels are square.
    Like ffplay's calculate_display_rect: fill the height, else fill the width; sizes are
    rounded to the nearest integer, halves to even (lrint)."""
    num, den = sar
    aspect = Fraction(max(pic_w, 1), max(pic_h, 1))
    if num > 0 and den > 0:
        aspect *= Fraction(num, den)
    cols, rows = max(cols, 1), max(rows, 1)
    h = rows
    w = round(2 * rows * aspect)
    if w > cols:
        w = cols
        h = round(cols / aspect / 2)
    w, h = max(1, min(w, cols)), max(1, min(h, rows))
    return (cols - w) // 2, (rows - h) // 2, w, h


def rgb_to_xterm256(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 -> (...) uint8: nearest (squared RGB distance) of the 6x6x6 cube and
    the grey ramp; on a tie the cube colour wins (so white is 231, black 16)."""
    rgb = np.asarray(rgb, dtype=np.uint8)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    total = r.astype(np.int16)
    total += g
    total += b
    grey = _E[r] + _E[g] + _E[b] + _G[total] < 0
    cube = _CUBE_R[r] + _CUBE_G[g] + _CUBE_B[b]
    return np.where(grey, _GREY_CODE[total], cube)


class CellRenderer:
    """Turns successive pictures into the escape bytes that update the screen.

    A cell is one word: its upper (bg) and lower (fg) pixel side by side, 4 bytes each
    (R, G, B, pad) in truecolor, 1 byte each (the palette index) in 256 colours. So the
    screen model, the diff and the colour runs are plain array operations on one word per
    cell, and the channels are byte views of those words."""

    def __init__(self, colors: str = "truecolor", tolerance: int = 0) -> None:
        self._colors = ""
        self.colors = colors
        self._sent = 0
        # Truecolor: a cell counts as changed only when a channel of its upper or lower
        # pixel moved by more than this from what the screen shows. Small drifts (noise,
        # slow gradients) then cost no bytes; the error on screen stays within the bound.
        self.tolerance = tolerance

    @property
    def colors(self) -> str:
        return self._colors

    @colors.setter
    def colors(self, value: str) -> None:
        if value not in ("truecolor", "256"):
            raise ValueError(f"colors must be 'truecolor' or '256', not {value!r}")
        self._colors = value
        self.reset()

    @property
    def cells_sent(self) -> int:
        """Cells emitted by the last render()."""
        return self._sent

    def reset(self) -> None:
        """Forget the previous frame: the next render() sends every cell."""
        self._geom: tuple[object, ...] | None = None
        self._raw: np.ndarray | None = None
        self._shown: np.ndarray | None = None  # the cell words the screen shows

    def render(self, rgb: np.ndarray, x: int, y: int) -> bytes:
        """Bytes that bring the screen from the previous frame to rgb ((2*h, w, 3) uint8,
        or (2*h, w, 4) with the 4th byte ignored, as swscale's rgb0/rgba give) drawn with
        its top-left cell at 0-based column x, row y. b"" if nothing changed."""
        rgb = np.asarray(rgb)
        if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] not in (3, 4) or rgb.shape[0] % 2:
            raise ValueError(f"need (2*h, w, 3) uint8, got {rgb.shape} {rgb.dtype}")
        h, w = rgb.shape[0] // 2, rgb.shape[1]
        if x + w >= _MAX_POS or y + h >= _MAX_POS or x < 0 or y < 0:
            raise ValueError(f"cells out of range at {x},{y} size {w}x{h}")
        self._sent = 0
        geom = (x, y, rgb.shape, self._colors)
        if geom != self._geom:
            self.reset()
            self._geom = geom
            self._raw = np.empty_like(rgb)  # own copy: the caller may reuse its buffer
        elif self._raw is not None and np.array_equal(rgb, self._raw):
            return b""  # the common case of a repeated frame: one small compare
        assert self._raw is not None
        np.copyto(self._raw, rgb)
        cells = self._cells(self._raw)
        shown = self._shown
        if shown is None:
            changed = np.ones(cells.size, dtype=bool)
            shown = self._shown = cells.copy()
        else:
            changed = self._differs(cells, shown)
        if not changed.any():
            return b""  # only noise (below the tolerance, or within a 256-colour index)
        idx = self._fill_gaps(changed, cells, w, x, y)
        shown[idx] = cells[idx]  # emitted cells now show the new colours, others the old
        self._sent = int(idx.size)
        return self._encode(idx, cells[idx], w, x, y)

    def _half_dtype(self) -> str:
        return "<u1" if self._colors == "256" else "<u4"

    def _cells(self, rgb: np.ndarray) -> np.ndarray:
        """(h*w,) cell words from the (2h, w, 3 or 4) picture."""
        h2, w = rgb.shape[:2]
        if self._colors == "256":
            codes = rgb_to_xterm256(rgb[..., :3])
            pair = np.empty((h2 // 2, w, 2), dtype=np.uint8)
            pair[:, :, 0] = codes[0::2]
            pair[:, :, 1] = codes[1::2]
            return pair.view("<u2").reshape(-1)
        pair = np.zeros((h2 // 2, w, 2), dtype="<u4")
        if rgb.shape[2] == 4:  # a pixel is already a word
            keys = rgb.view("<u4")[..., 0]
            pair[:, :, 0] = keys[0::2]
            pair[:, :, 1] = keys[1::2]
            pair &= 0xFFFFFF  # the 4th byte (alpha, or padding) is neither sent nor compared
        else:
            quad = pair.view(np.uint8).reshape(h2 // 2, w, 2, 4)  # the 4th bytes stay 0
            quad[:, :, 0, :3] = rgb[0::2]
            quad[:, :, 1, :3] = rgb[1::2]
        return pair.view("<u8").reshape(-1)

    def _differs(self, new: np.ndarray, shown: np.ndarray) -> np.ndarray:
        if self._colors == "256" or self.tolerance <= 0:
            return new != shown
        a, b = new.view(np.uint8), shown.view(np.uint8)
        delta = np.maximum(a, b)
        delta -= np.minimum(a, b)  # |a - b| per channel, in uint8
        return (delta > self.tolerance).view("<u8") != 0  # any channel of either pixel

    def _param_len(self, cells: np.ndarray, half: int) -> np.ndarray:
        """Length of "48;2;R;G;B" (or "48;5;N") for the bg (half 0) or fg (1) of each cell."""
        if self._colors == "256":
            return 4 + _CHAN_LEN[cells.view(np.uint8)[half::2]]
        rg = cells.view("<u2")[2 * half :: 4]
        return 4 + _CHAN2_LEN[rg] + _CHAN_LEN[cells.view(np.uint8)[4 * half + 2 :: 8]]

    @staticmethod
    def _sgr_len(
        new_bg: np.ndarray, new_fg: np.ndarray, bg_len: np.ndarray, fg_len: np.ndarray
    ) -> np.ndarray:
        """Bytes of the SGR that _encode writes: ESC [ bg ; fg m, either part optional."""
        return (new_bg | new_fg) * 3 + (new_bg & new_fg) + new_bg * bg_len + new_fg * fg_len

    def _fill_gaps(self, changed: np.ndarray, cells: np.ndarray, w: int, x: int, y: int) -> np.ndarray:
        """Indices of the cells to emit: the changed ones, plus unchanged gaps within a row
        whose re-sending costs fewer bytes than a cursor move (with the colours the cell
        after the gap then needs)."""
        idx = np.flatnonzero(changed)
        a, b = idx[:-1], idx[1:]
        gap = (b - a > 1) & (b - a <= _MAX_GAP) & (a // w == b // w)
        if not gap.any():
            return idx
        a, b = a[gap], b[gap]
        # The cells a+1 .. b of every gap, gap after gap, and where each gap's run begins.
        count = b - a
        first = np.cumsum(count) - count
        run = np.arange(int(count.sum())) + np.repeat(a + 1 - first, count)
        halves = cells.view(self._half_dtype()).reshape(-1, 2)
        here, before = cells[run], cells[run - 1]
        h_now, h_before = (
            here.view(self._half_dtype()).reshape(-1, 2),
            before.view(self._half_dtype()).reshape(-1, 2),
        )
        # step: bytes to emit a cell right after the one before it; summed over each gap.
        step = 3 + self._sgr_len(
            h_now[:, 0] != h_before[:, 0],
            h_now[:, 1] != h_before[:, 1],
            self._param_len(here, 0),
            self._param_len(here, 1),
        )
        resend = np.add.reduceat(step, first)
        move = 4 + _POS_LEN[b // w + y + 1] + _POS_LEN[b % w + x + 1]
        cb = cells[b]
        skip = (
            move
            + 3
            + self._sgr_len(
                halves[b, 0] != halves[a, 0],
                halves[b, 1] != halves[a, 1],
                self._param_len(cb, 0),
                self._param_len(cb, 1),
            )
        )
        take = resend < skip
        if not take.any():
            return idx
        # Mark the taken gaps (a, b) with +1 / -1 and integrate.
        edge = np.zeros(changed.size + 1, dtype=np.int32)
        edge[a[take] + 1] = 1
        edge[b[take]] = -1
        return np.flatnonzero(changed | (np.cumsum(edge[:-1]) > 0))

    def _encode(self, idx: np.ndarray, cells: np.ndarray, w: int, x: int, y: int) -> bytes:
        """Escape bytes for the cells idx (row-major order) with their cell words, then
        the SGR reset.

        Each cell becomes a fixed-width record of NUL-padded words, filled a column at a
        time from the tables; the NULs are then squeezed out:
        [ESC[row;] [colH ESC[ | ESC[] [48;2;R] [;G] [;B] [;] [pad] [38;2;R] [;G] [;B] [m▄ | ▄] [pad]
        (256 colours: [48;5;N] [;] [pad] [38;5;N])."""
        n = idx.size
        truecolor = self._colors != "256"
        halves = cells.view(self._half_dtype()).reshape(n, 2)
        ch = cells.view(np.uint8).reshape(n, -1)  # the bytes of both halves
        new_bg = np.ones(n, dtype=bool)
        new_fg = np.ones(n, dtype=bool)
        np.not_equal(halves[1:, 0], halves[:-1, 0], out=new_bg[1:])  # SGR persists
        np.not_equal(halves[1:, 1], halves[:-1, 1], out=new_fg[1:])
        sgr = new_bg | new_fg
        words = 16 if truecolor else 12
        buffer = np.zeros((n + 1, words), dtype="<u4")
        buffer[n, 0] = _RESET32  # an extra record: the reset comes out of the same squeeze
        data = buffer[:n]
        d64 = data.view("<u8")
        np.multiply(sgr, _ESC64, out=d64[:, 1])  # ESC[ opening the SGR, unless moved
        # Cursor moves: only where a run of cells starts (the first cell, after a skipped
        # gap, at the start of each row).
        jump = np.ones(n, dtype=bool)
        np.not_equal(idx[1:], idx[:-1] + 1, out=jump[1:])
        jump |= idx % w == 0
        s = np.flatnonzero(jump)
        row, col = np.divmod(idx[s], w)
        d64[s, 0] = _ROW64[row + (y + 1)]
        d64[s, 1] = np.where(sgr[s], _COL_SGR64[col + (x + 1)], _COL64[col + (x + 1)])
        if truecolor:
            # bg: bytes 0-2 of the cell word, fg: bytes 4-6
            np.take(_BG_TRUE64, ch[:, 0], out=d64[:, 2], mode="clip")
            np.take(_CHAN32, ch[:, 1], out=data[:, 6], mode="clip")
            np.take(_CHAN32, ch[:, 2], out=data[:, 7], mode="clip")
            np.multiply(new_bg & new_fg, _SEP32, out=data[:, 8])
            np.take(_FG_TRUE64, ch[:, 4], out=d64[:, 5], mode="clip")
            np.take(_CHAN32, ch[:, 5], out=data[:, 12], mode="clip")
            np.take(_CHAN32, ch[:, 6], out=data[:, 13], mode="clip")
            bg_words, fg_words, tail = slice(4, 8), slice(10, 14), 14
        else:
            np.take(_BG_256_64, ch[:, 0], out=d64[:, 2], mode="clip")
            np.multiply(new_bg & new_fg, _SEP32, out=data[:, 6])
            np.take(_FG_256_64, ch[:, 1], out=d64[:, 4], mode="clip")
            bg_words, fg_words, tail = slice(4, 6), slice(8, 10), 10
        data[np.flatnonzero(~new_bg), bg_words] = 0  # colours the pen already has
        data[np.flatnonzero(~new_fg), fg_words] = 0
        np.take(_TAIL32, sgr.view(np.uint8), out=data[:, tail], mode="clip")
        return buffer.tobytes().translate(None, b"\0")
