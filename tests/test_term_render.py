"""Terminal cell renderer: the bytes are replayed on a virtual screen, so the tests check
what a terminal would show, not the exact escape sequences."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

from pyffplay.term_render import CellRenderer, fit_picture, rgb_to_xterm256

GLYPH = "\u2584"
TOKEN = re.compile(r"\x1b\[([0-9;]*)([A-Za-z])|(\u2584)|(.)", re.S)

Screen = dict  # (row, col), 1-based -> (bg, fg); a colour is (r, g, b) or ("i", index)


def apply(screen: Screen, data: bytes) -> Screen:
    """A small terminal: CUP moves, SGR 0 / 48;2 / 38;2 / 48;5 / 38;5, and the half block.
    Anything else fails the test. Attributes must be reset when the bytes end."""
    row = col = 1
    bg = fg = None
    for m in TOKEN.finditer(data.decode("utf-8")):
        params, final, glyph, other = m.groups()
        assert other is None, f"unexpected character {other!r}"
        if glyph:
            screen[(row, col)] = (bg, fg)
            col += 1
        elif final == "H":
            row, col = (int(p or 1) for p in params.split(";"))
        elif final == "m":
            p = [int(v or 0) for v in params.split(";")]
            i = 0
            while i < len(p):
                if p[i] == 0:
                    bg = fg = None
                    i += 1
                    continue
                assert p[i] in (38, 48) and p[i + 1] in (2, 5), params
                color = tuple(p[i + 2 : i + 5]) if p[i + 1] == 2 else ("i", p[i + 2])
                if p[i] == 48:
                    bg = color
                else:
                    fg = color
                i += 5 if p[i + 1] == 2 else 3
        else:
            raise AssertionError(f"unexpected sequence {m.group(0)!r}")
    assert bg is None and fg is None, "attributes left set"
    return screen


def expected(rgb: np.ndarray, x: int, y: int, colors: str = "truecolor") -> Screen:
    """What the screen must show for rgb drawn at cell (x, y)."""
    if colors == "256":
        idx = rgb_to_xterm256(rgb)
        pix = np.empty(idx.shape, dtype=object)
        pix[...] = [[("i", int(v)) for v in line] for line in idx]
    else:
        pix = np.empty(rgb.shape[:2], dtype=object)
        pix[...] = [[tuple(int(c) for c in p) for p in line] for line in rgb]
    return {
        (y + cy + 1, x + cx + 1): (pix[2 * cy, cx], pix[2 * cy + 1, cx])
        for cy in range(rgb.shape[0] // 2)
        for cx in range(rgb.shape[1])
    }


def frame(seed: int, h: int = 100, w: int = 160) -> np.ndarray:
    """A smooth picture with noise: neighbouring cells usually differ slightly."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([xx * 1.5, yy * 2.5, xx + yy], axis=-1) + seed * 7
    return ((base + rng.integers(0, 8, base.shape)) % 256).astype(np.uint8)


def change_cells(rgb: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = rgb.copy()
    h, w = rgb.shape[0] // 2, rgb.shape[1]
    cells = rng.choice(h * w, int(h * w * fraction), replace=False)
    cy, cx = np.divmod(cells, w)
    out[2 * cy + rng.integers(0, 2, cells.size), cx] ^= 0x40
    return out


def test_two_colour_frame_gives_bg_top_and_fg_bottom():
    red, blue = (255, 0, 0), (0, 0, 255)
    rgb = np.zeros((4, 3, 3), dtype=np.uint8)
    rgb[0::2] = red
    rgb[1::2] = blue
    rgb[2, 1] = blue  # cell (1, 1): blue over blue
    r = CellRenderer()
    data = r.render(rgb, 5, 2)
    screen = apply({}, data)
    assert screen[(3, 6)] == (red, blue)
    assert screen[(4, 8)] == (red, blue)
    assert screen[(4, 7)] == (blue, blue)
    assert set(screen) == {(row, col) for row in (3, 4) for col in (6, 7, 8)}
    assert r.cells_sent == 6
    assert data.count(GLYPH.encode()) == 6
    assert data.endswith(b"\x1b[0m")


@pytest.mark.parametrize("colors", ["truecolor", "256"])
def test_a_then_b_looks_like_b_from_scratch(colors):
    a = frame(1)
    frames = [change_cells(a, 0.1, 2), change_cells(a, 0.5, 3), frame(4), frame(4)[::-1].copy()]
    r = CellRenderer(colors)
    screen = apply({}, r.render(a, 0, 0))
    for b in frames:
        screen = apply(screen, r.render(b, 0, 0))
        fresh = apply({}, CellRenderer(colors).render(b, 0, 0))
        assert screen == fresh == expected(b, 0, 0, colors)


def test_second_render_of_same_frame_is_empty():
    r = CellRenderer()
    a = frame(5)
    assert r.render(a, 3, 1)
    assert r.render(a, 3, 1) == b""
    assert r.cells_sent == 0
    assert r.render(a.copy(), 3, 1) == b""  # equal content, another array


def test_one_pixel_change_resends_one_cell():
    r = CellRenderer()
    a = frame(6)
    r.render(a, 0, 0)
    b = a.copy()
    b[51, 80] = (1, 2, 3)  # lower pixel of cell (80, 25)
    data = r.render(b, 0, 0)
    assert r.cells_sent == 1
    assert len(data) < 64  # one move, one SGR, one glyph, the reset
    screen = apply({}, data)
    assert screen == {(26, 81): (tuple(int(v) for v in a[50, 80]), (1, 2, 3))}


def test_caller_may_reuse_its_buffer():
    r = CellRenderer()
    buf = frame(7)
    r.render(buf, 0, 0)
    buf[0, 0] = (9, 9, 9)
    assert r.render(buf, 0, 0) and r.cells_sent == 1


def test_short_equal_coloured_gap_is_resent_instead_of_moving():
    white = (255, 255, 255)
    a = np.zeros((2, 10, 3), dtype=np.uint8)  # black
    a[:, 4] = white
    b = a.copy()
    b[:, 3] = white
    b[:, 5] = white  # cells 3 and 5 change; cell 4 between them is already white
    r = CellRenderer()
    screen = apply({}, r.render(a, 0, 0))
    data = r.render(b, 0, 0)
    assert r.cells_sent == 3
    assert data.count(b"H") == 1  # one run, no second cursor move
    screen = apply(screen, data)
    assert screen == expected(b, 0, 0)
    # A gap of another colour than its neighbours is cheaper to jump over.
    c = b.copy()
    c[:, 3] = (10, 20, 30)
    c[:, 5] = (10, 20, 30)
    data = r.render(c, 0, 0)
    assert r.cells_sent == 2 and data.count(b"H") == 2
    assert apply(screen, data) == expected(c, 0, 0)


def test_position_size_and_mode_changes_resend_everything():
    a = frame(8, 20, 30)
    r = CellRenderer()
    r.render(a, 0, 0)
    data = r.render(a, 1, 0)
    assert r.cells_sent == 300
    assert apply({}, data) == expected(a, 1, 0)
    r.render(a, 1, 2)
    assert r.cells_sent == 300
    r.render(a[:18], 1, 2)
    assert r.cells_sent == 270
    r.colors = "256"
    data = r.render(a[:18], 1, 2)
    assert r.cells_sent == 270 and b"48;5;" in data
    r.reset()
    r.render(a[:18], 1, 2)
    assert r.cells_sent == 270


def test_large_positions():
    a = frame(9, 4, 5)
    data = CellRenderer().render(a, 995, 120)
    assert apply({}, data) == expected(a, 995, 120)


def test_xterm256_mapping():
    rgb = np.array(
        [
            [255, 0, 0],
            [255, 255, 255],
            [0, 0, 0],
            [128, 128, 128],
            [95, 135, 175],
            [8, 8, 8],
            [238, 238, 238],
        ],
        dtype=np.uint8,
    )
    # white: cube 231 is exact (distance 0), grey 255 = 238 is 3*17^2 away -> 231.
    # black: cube 16 is exact -> 16. Mid grey 128 is exactly grey ramp 232+12 = 244
    # (cube 135 would be 3*7^2 away).
    assert rgb_to_xterm256(rgb).tolist() == [196, 231, 16, 244, 16 + 36 + 12 + 3, 232, 255]
    assert rgb_to_xterm256(rgb.reshape(7, 1, 3)).shape == (7, 1)


def test_xterm256_is_nearest_by_squared_distance():
    lv = [0, 95, 135, 175, 215, 255]
    palette = np.array(
        [(lv[i // 36], lv[i // 6 % 6], lv[i % 6]) for i in range(216)]
        + [(8 + 10 * i,) * 3 for i in range(24)]
    )
    rng = np.random.default_rng(0)
    c = np.concatenate(
        [rng.integers(0, 256, (20000, 3)), np.repeat(np.arange(256)[:, None], 3, axis=1)]
    ).astype(np.uint8)
    dist = ((c[:, None, :].astype(int) - palette[None]) ** 2).sum(axis=-1)
    got = rgb_to_xterm256(c).astype(int) - 16
    assert (dist[np.arange(len(c)), got] == dist.min(axis=1)).all()


def test_256_mode_uses_indexed_colours_and_ignores_tiny_noise():
    lv = np.array([95, 135, 175, 215])
    rng = np.random.default_rng(10)
    a = lv[rng.integers(0, 4, (20, 30, 3))].astype(np.uint8)
    a[..., 0] = 255  # no greys, so every cell is a cube colour
    r = CellRenderer("256")
    data = r.render(a, 2, 1)
    assert b"48;5;" in data and b"38;5;" in data and b";2;" not in data
    assert apply({}, data) == expected(a, 2, 1, "256")
    noisy = (a.astype(int) + rng.integers(-2, 1, a.shape)).astype(np.uint8)
    assert not np.array_equal(noisy, a)
    assert (rgb_to_xterm256(noisy) == rgb_to_xterm256(a)).all()
    assert r.render(noisy, 2, 1) == b"" and r.cells_sent == 0
    b = a.copy()
    b[5, 7] = (0, 0, 0)  # lower pixel of cell (7, 2): terminal row 1+2+1, column 2+7+1
    data = r.render(b, 2, 1)
    assert r.cells_sent == 1
    assert apply({}, data) == {(4, 10): (("i", int(rgb_to_xterm256(a[4, 7]))), ("i", 16))}


@pytest.mark.parametrize(
    "pic, sar, term, rect",
    [
        # 16:9 into 80x24: full height needs round(48*16/9) = 85 columns > 80, so full width;
        # then 80*9/16 = 45 pixel rows = 22.5 cells, rounded half to even -> 22, centred at y=1.
        ((1280, 720), (1, 1), (80, 24), (0, 1, 80, 22)),
        # 160x50: 100*16/9 = 177.8 > 160 -> width 160, 160*9/16 = 90 pixel rows = 45 cells.
        ((1280, 720), (0, 1), (160, 50), (0, 2, 160, 45)),
        # portrait 9:16: 48 pixel rows * 9/16 = 27 columns, centred at (80-27)//2 = 26.
        ((720, 1280), (1, 1), (80, 24), (26, 0, 27, 24)),
        # PAL 16:9 anamorphic: 720*64 / (576*45) = 16/9, as 1280x720.
        ((720, 576), (64, 45), (80, 24), (0, 1, 80, 22)),
        # SAR 16:11: 720*16 / (576*11) = 20/11: 80 cols -> 80*11/20 = 44 pixel rows = 22 cells.
        ((720, 576), (16, 11), (80, 24), (0, 1, 80, 22)),
        ((720, 576), (16, 11), (160, 50), (0, 3, 160, 44)),
        # NTSC 4:3 (SAR 8:9): 720*8 / (480*9) = 4/3 -> 48*4/3 = 64 columns, x = 8.
        ((720, 480), (8, 9), (80, 24), (8, 0, 64, 24)),
        # unknown SAR (0:0) means square: a square picture is 2*24 = 48 columns wide.
        ((100, 100), (0, 0), (80, 24), (16, 0, 48, 24)),
        ((100, 100), (1, 1), (81, 25), (15, 0, 50, 25)),  # (81-50)//2
        # never below 1x1
        ((10000, 1), (1, 1), (80, 24), (0, 11, 80, 1)),
        ((1, 10000), (1, 1), (80, 24), (39, 0, 1, 24)),
        ((640, 480), (1, 1), (1, 1), (0, 0, 1, 1)),
    ],
)
def test_fit_picture(pic, sar, term, rect):
    assert fit_picture(*pic, sar, *term) == rect


def test_non_contiguous_input():
    big = frame(11, 200, 320)
    view = big[::2, 10:170]
    assert not view.flags.c_contiguous
    r = CellRenderer()
    data = r.render(view, 0, 0)
    assert data == CellRenderer().render(np.ascontiguousarray(view), 0, 0)
    assert apply({}, data) == expected(view, 0, 0)
    rgba = np.dstack([frame(12, 10, 8), np.full((10, 8), 255, np.uint8)])
    assert apply({}, CellRenderer().render(rgba[..., :3], 0, 0)) == expected(rgba[..., :3], 0, 0)


def test_rejects_bad_input():
    r = CellRenderer()
    with pytest.raises(ValueError):
        r.render(np.zeros((3, 4, 3), np.uint8), 0, 0)  # odd pixel rows
    with pytest.raises(ValueError):
        r.render(np.zeros((4, 4, 3), np.float32), 0, 0)
    with pytest.raises(ValueError):
        CellRenderer("16")


def test_timing_160x50(capsys):
    """Not an assertion on speed: prints byte counts and times for a 160x50 frame."""
    a, b = frame(13), change_cells(frame(13), 0.1, 14)

    def best(fn, n=20):
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times) * 1e3

    lines = []
    for colors in ("truecolor", "256"):
        r = CellRenderer(colors)

        def full():
            r.reset()
            return r.render(a, 0, 0)

        n_full = len(full())
        t_full = best(full)
        n_part = len(r.render(b, 0, 0))
        sent = r.cells_sent
        last = [b]

        def alternate():  # a after b, b after a: always the same 10 % of cells
            last[0] = a if last[0] is b else b
            return r.render(last[0], 0, 0)

        t_part = best(alternate)
        r.render(a, 0, 0)
        t_same = best(lambda: r.render(a, 0, 0))
        lines.append(
            f"{colors:9}: full {n_full} B {t_full:.2f} ms; 10% ({sent} cells) "
            f"{n_part} B {t_part:.2f} ms; unchanged {t_same * 1000:.0f} us"
        )
    with capsys.disabled():
        print("\n160x50 " + "\n160x50 ".join(lines))


def test_tolerance_skips_small_drifts_without_accumulating_error():
    tol = 8
    r = CellRenderer("truecolor", tolerance=tol)
    base = np.full((4, 3, 3), 100, dtype=np.uint8)
    screen = apply({}, r.render(base, 0, 0))
    # A drift within the tolerance costs nothing ...
    assert r.render(base + tol, 0, 0) == b""
    # ... and drifts add up against what the screen shows, not against the last frame:
    # two more small steps take one cell's upper pixel past the bound, and only it is sent.
    step = base.copy()
    step[0, 1] += tol + 2
    data = r.render(step, 0, 0)
    assert r.cells_sent == 1
    screen = apply(screen, data)
    assert screen[(1, 2)] == ((100 + tol + 2,) * 3, (100,) * 3)
    assert screen[(1, 1)] == ((100,) * 3, (100,) * 3)
    # Every cell on screen is within the tolerance of the last frame.
    shown = np.array([[screen[(cy + 1, cx + 1)][0] for cx in range(3)] for cy in range(2)])
    assert np.abs(shown.astype(int) - step[0::2].astype(int)).max() <= tol


def test_tolerance_zero_is_exact():
    r = CellRenderer("truecolor")
    base = np.full((2, 2, 3), 50, dtype=np.uint8)
    r.render(base, 0, 0)
    nudged = base.copy()
    nudged[1, 1, 2] += 1
    assert r.render(nudged, 0, 0) != b"" and r.cells_sent == 1


@pytest.mark.parametrize("colors", ["truecolor", "256"])
def test_rgba_input_gives_the_same_bytes_as_rgb(colors):
    """swscale's RGBA (a pixel is one word) and RGB24 are the same picture: the 4th byte,
    whatever it holds, is never sent and never counts as a change."""
    rng = np.random.default_rng(5)
    r3, r4 = CellRenderer(colors, tolerance=8), CellRenderer(colors, tolerance=8)
    rgb = frame(21)
    for step in range(4):
        rgba = np.empty(rgb.shape[:2] + (4,), dtype=np.uint8)
        rgba[..., :3] = rgb
        rgba[..., 3] = rng.integers(0, 256, rgb.shape[:2])
        assert r4.render(rgba, 3, 1) == r3.render(rgb, 3, 1)
        assert r4.cells_sent == r3.cells_sent
        rgb = change_cells(rgb, 0.2, 30 + step)


@pytest.mark.parametrize("colors", ["truecolor", "256"])
def test_a_sequence_of_partial_changes_replays_to_each_frame(colors):
    """Runs, gaps, row starts and repeated colours across several frames: after each
    render the replayed screen shows exactly that frame."""
    r = CellRenderer(colors)
    rgb = frame(8, h=12, w=20)
    rgb[:4, :7] = 9  # a block of equal colours: SGRs that persist along runs
    screen = apply({}, r.render(rgb, 2, 1))
    for step in range(6):
        rgb = change_cells(rgb, (0.05, 0.3, 0.9)[step % 3], 40 + step)
        screen = apply(screen, r.render(rgb, 2, 1))
        assert screen == expected(rgb, 2, 1, colors)


@pytest.mark.parametrize("gap", [1, 2, 5, 16, 17, 40])
def test_gap_of_equal_colours_is_resent_up_to_its_cost(gap):
    """A run of unchanged cells already in the pen's colours costs 3 bytes a cell to
    re-send, a cursor move "ESC[1;nH" 6 or 7: short runs are re-sent, long ones jumped
    (the renderer only weighs gaps it could ever re-send, at most 17 cells)."""
    w = gap + 4
    a = np.zeros((2, w, 3), dtype=np.uint8)
    b = a.copy()
    b[:, 1] = b[:, gap + 2] = 200  # two changed cells with `gap` black cells between
    b[:, 2 : gap + 2] = 200  # ... which already are the colour the pen will have
    a[:, 2 : gap + 2] = 200
    r = CellRenderer()
    screen = apply({}, r.render(a, 0, 0))
    data = r.render(b, 0, 0)
    resent = 3 * gap < 5 + len(str(gap + 3))  # the gap's glyphs vs ESC[1;{col}H
    assert r.cells_sent == (gap + 2 if resent else 2)
    assert data.count(b"H") == (1 if resent else 2)
    assert apply(screen, data) == expected(b, 0, 0)
