"""Pictures as terminal cells: 24-bit or 256-colour half blocks, re-sending only changed cells.

Pure (no I/O). Every cell is U+2584 LOWER HALF BLOCK: its background colour paints the
upper pixel and its foreground colour the lower one (mpv's vo_tct "half-blocks"). As in
timg, the previous frame is kept and only cells that differ are sent. Bytes are built
without a per-cell Python loop: each emitted cell becomes a fixed-width record of byte
fields (escape prefixes, decimal digits from lookup tables, the glyph) together with a
mask of the bytes that are really there, and one np.compress packs all records.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

_GLYPH = "\u2584".encode()
_RESET = b"\x1b[0m"
_MAX_POS = 10000  # cursor positions 1..9999: no terminal is that large


def _decimal_words(count: int, prefix: bytes = b"") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """prefix + str(i) for i < count (mpv's ";0".. ";255" table) as one NUL-padded 4-byte
    little-endian word each, so a whole field is one gather; also the byte masks (0x01 per
    real byte, same layout) and the lengths."""
    strings = np.arange(count).astype(f"S{len(str(count - 1))}")
    if prefix:  # (np.char.add with b"" would widen the strings by one byte)
        strings = np.char.add(prefix, strings)
    table = strings.view(np.uint8).reshape(count, 4)
    mask = (table != 0).view(np.uint8)
    return table.view("<u4")[:, 0], mask.view("<u4")[:, 0], mask.sum(axis=1, dtype=np.int32)


_POS32, _POS_MASK32, _POS_LEN = _decimal_words(_MAX_POS)
_CHAN32, _CHAN_MASK32, _CHAN_LEN = _decimal_words(256, b";")

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
    """Turns successive pictures into the escape bytes that update the screen."""

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
        self._bg: np.ndarray | None = None
        self._fg: np.ndarray | None = None

    def render(self, rgb: np.ndarray, x: int, y: int) -> bytes:
        """Bytes that bring the screen from the previous frame to rgb ((2*h, w, 3) uint8)
        drawn with its top-left cell at 0-based column x, row y. b"" if nothing changed."""
        rgb = np.asarray(rgb)
        if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] % 2:
            raise ValueError(f"need (2*h, w, 3) uint8, got {rgb.shape} {rgb.dtype}")
        h, w = rgb.shape[0] // 2, rgb.shape[1]
        if x + w >= _MAX_POS or y + h >= _MAX_POS or x < 0 or y < 0:
            raise ValueError(f"cells out of range at {x},{y} size {w}x{h}")
        self._sent = 0
        geom = (x, y, rgb.shape, self._colors)
        if geom != self._geom:
            self.reset()
            self._geom = geom
        elif self._raw is not None and np.array_equal(rgb, self._raw):
            return b""  # the common case of a repeated frame: one 48 kB compare
        self._raw = np.array(rgb)  # own copy: the caller may reuse its buffer
        keys = self._keys(self._raw)
        bg, fg = keys[0::2].ravel(), keys[1::2].ravel()
        if self._bg is None or self._fg is None:
            changed = np.ones(bg.size, dtype=bool)
            screen_bg, screen_fg = bg.copy(), fg.copy()
        else:
            changed = self._differs(bg, self._bg) | self._differs(fg, self._fg)
            screen_bg, screen_fg = self._bg, self._fg
        if not changed.any():
            return b""  # only noise (below the tolerance, or within a 256-colour index)
        idx = self._fill_gaps(changed, bg, fg, w, x, y)
        # The model of the screen: emitted cells now show the new colours, others the old.
        screen_bg[idx] = bg[idx]
        screen_fg[idx] = fg[idx]
        self._bg, self._fg = screen_bg, screen_fg
        self._sent = int(idx.size)
        return self._encode(idx, bg[idx], fg[idx], w, x, y) + _RESET

    def _differs(self, new: np.ndarray, shown: np.ndarray) -> np.ndarray:
        if self._colors == "256" or self.tolerance <= 0:
            return new != shown
        delta = np.zeros(new.shape, dtype=np.int32)
        for shift in (0, 8, 16):
            d = np.abs(((new >> shift) & 255).astype(np.int32) - ((shown >> shift) & 255))
            np.maximum(delta, d, out=delta)
        return delta > self.tolerance

    def _keys(self, rgb: np.ndarray) -> np.ndarray:
        """(2h, w) colour keys: packed 0xBBGGRR in truecolor, the palette index in 256."""
        if self._colors == "256":
            return rgb_to_xterm256(rgb)
        padded = np.zeros(rgb.shape[:2] + (4,), dtype=np.uint8)
        padded[..., :3] = rgb
        return padded.view("<u4")[..., 0]

    def _channels(self, keys: np.ndarray) -> list[np.ndarray]:
        if self._colors == "256":
            return [keys]
        return [keys & 255, (keys >> 8) & 255, keys >> 16]

    def _param_len(self, keys: np.ndarray) -> np.ndarray:
        """Length of "48;2;R;G;B" (or "48;5;N") for each colour."""
        return 4 + sum(_CHAN_LEN[c] for c in self._channels(keys))

    def _sgr_len(self, new_bg: np.ndarray, new_fg: np.ndarray, bg: np.ndarray, fg: np.ndarray) -> np.ndarray:
        """Bytes of the SGR that _encode writes: ESC [ bg ; fg m, either part optional."""
        return (
            (new_bg | new_fg) * 3
            + (new_bg & new_fg)
            + new_bg * self._param_len(bg)
            + new_fg * self._param_len(fg)
        )

    def _fill_gaps(
        self, changed: np.ndarray, bg: np.ndarray, fg: np.ndarray, w: int, x: int, y: int
    ) -> np.ndarray:
        """Indices of the cells to emit: the changed ones, plus unchanged gaps within a row
        whose re-sending costs fewer bytes than a cursor move (with the colours the cell
        after the gap then needs)."""
        idx = np.flatnonzero(changed)
        a, b = idx[:-1], idx[1:]
        gap = (b - a > 1) & (a // w == b // w)
        if not gap.any():
            return idx
        a, b = a[gap], b[gap]
        # step[i]: bytes to emit cell i right after cell i-1; sums over a run via cumsum.
        step = 3 + self._sgr_len(bg[1:] != bg[:-1], fg[1:] != fg[:-1], bg[1:], fg[1:])
        total = np.concatenate(([0], np.cumsum(step)))
        resend = total[b] - total[a]
        move = 4 + _POS_LEN[b // w + y + 1] + _POS_LEN[b % w + x + 1]
        skip = move + 3 + self._sgr_len(bg[b] != bg[a], fg[b] != fg[a], bg[b], fg[b])
        take = resend < skip
        if not take.any():
            return idx
        # Mark the taken gaps (a, b) with +1 / -1 and integrate.
        edge = np.zeros(changed.size + 1, dtype=np.int32)
        edge[a[take] + 1] = 1
        edge[b[take]] = -1
        return np.flatnonzero(changed | (np.cumsum(edge[:-1]) > 0))

    def _encode(self, idx: np.ndarray, bg: np.ndarray, fg: np.ndarray, w: int, x: int, y: int) -> bytes:
        """Escape bytes for the cells idx (row-major order) with colour keys bg, fg."""
        n = idx.size
        first = np.ones(n, dtype=bool)
        new_bg, new_fg, start = first.copy(), first.copy(), first.copy()
        new_bg[1:] = bg[1:] != bg[:-1]  # the terminal keeps SGR across cursor moves
        new_fg[1:] = fg[1:] != fg[:-1]
        start[1:] = (idx[1:] != idx[:-1] + 1) | (idx[1:] % w == 0)
        sgr = new_bg | new_fg
        bg_ch, fg_ch = self._channels(bg), self._channels(fg)
        kind = b"5" if self._colors == "256" else b"2"
        # Record layout, one 4-byte word per field (NUL-padded, masked per byte):
        # ESC[ row ; col "H ESC[" "48;k" bg.. ";" "38;k" fg.. "m▄"
        words = 9 + len(bg_ch) + len(fg_ch)
        data = np.empty((n, words * 4), dtype=np.uint8)
        mask = np.zeros((n, words, 4), dtype=np.uint8)
        data32, mask32 = data.view("<u4"), mask.view("<u4")[..., 0]
        col = 0

        def put(text: bytes, *conds: np.ndarray) -> None:
            nonlocal col  # text's byte k is sent where conds[k] (the last cond repeats)
            data32[:, col] = int.from_bytes(text.ljust(4, b"\0"), "little")
            for k in range(len(text)):
                mask[:, col, k] = conds[min(k, len(conds) - 1)]
            col += 1

        def put_number(
            table: np.ndarray, table_mask: np.ndarray, values: np.ndarray, cond: np.ndarray
        ) -> None:
            nonlocal col
            data32[:, col] = table[values]
            mask32[:, col] = table_mask[values] * cond
            col += 1

        put(b"\x1b[", start)
        put_number(_POS32, _POS_MASK32, idx // w + y + 1, start)
        put(b";", start)
        put_number(_POS32, _POS_MASK32, idx % w + x + 1, start)
        put(b"H\x1b[", start, sgr)
        put(b"48;" + kind, new_bg)
        for channel in bg_ch:
            put_number(_CHAN32, _CHAN_MASK32, channel, new_bg)
        put(b";", new_bg & new_fg)
        put(b"38;" + kind, new_fg)
        for channel in fg_ch:
            put_number(_CHAN32, _CHAN_MASK32, channel, new_fg)
        put(b"m" + _GLYPH, sgr, first)
        return np.compress(mask.reshape(-1).view(bool), data.reshape(-1)).tobytes()
