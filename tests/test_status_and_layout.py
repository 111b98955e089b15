"""The status line (section 9) and the display rectangle (section 10.1).

The status format is checked against the C library's own ``snprintf`` with ffplay's
format string, so the widths are C's, not a re-derivation of them.
"""

from __future__ import annotations

import ctypes
import math

import pytest

from pyffplay.status import StatusPrinter, format_status, status_label
from pyffplay.video_output import calculate_display_rect, rotation_quarter_turns

FFPLAY_STATUS_FORMAT = b"%7.2f %s:%7.3f fd=%4d aq=%5dKB vq=%5dKB sq=%5dB \r"
INT_MAX = 2**31 - 1


def c_status(master, label, av_diff, fd, aq, vq, sq) -> str:
    """ffplay's av_bprintf of the status line, through libc's snprintf."""
    libc = ctypes.CDLL(None)
    buf = ctypes.create_string_buffer(512)
    libc.snprintf(
        buf,
        ctypes.c_size_t(len(buf)),
        FFPLAY_STATUS_FORMAT,
        ctypes.c_double(master),
        label.encode(),
        ctypes.c_double(av_diff),
        ctypes.c_int(fd),
        ctypes.c_int(aq // 1024),
        ctypes.c_int(vq // 1024),
        ctypes.c_int(sq),
    )
    return buf.value.decode()


# --- format_status --------------------------------------------------------------------


def test_format_status_matches_ffplays_example():
    line = format_status(2.47, -0.001, "A-V", 0, 2 * 1024 + 700, 136 * 1024 + 1023, 0)
    assert line == "   2.47 A-V: -0.001 fd=   0 aq=    2KB vq=  136KB sq=    0B \r"


@pytest.mark.parametrize(
    "master, label, av_diff, fd, aq, vq, sq",
    [
        (2.47, "A-V", -0.001, 0, 2748, 140287, 0),
        (0.0, "M-V", 0.0, 0, 0, 0, 0),
        (-0.0, "M-A", 0.0005, 3, 1023, 1024, 17),
        (12345.678, "A-V", 123.4567, 12345, 99999 * 1024, 100000 * 1024, 123456),
        (1.005, "A-V", -1.0005, 9999, 16, 32, 5),
        (59.999, "M-V", 0.0444999, 1, 15 * 1024 * 1024, 3, 1),
        (-3.14159, "   ", -0.0, 42, 0, 0, 0),
    ],
)
def test_format_status_matches_c_printf(master, label, av_diff, fd, aq, vq, sq):
    assert format_status(master, av_diff, label, fd, aq, vq, sq) == c_status(
        master, label, av_diff, fd, aq, vq, sq
    )


def test_nan_clocks_print_as_nan_with_the_same_width():
    line = format_status(math.nan, math.nan, "A-V", 0, 0, 0, 0)
    assert line == "    nan A-V:    nan fd=   0 aq=    0KB vq=    0KB sq=    0B \r"
    assert line == c_status(math.nan, "A-V", math.nan, 0, 0, 0, 0)
    assert format_status(1.5, math.nan, "M-V", 0, 0, 0, 0).startswith("   1.50 M-V:    nan ")


def test_queue_sizes_use_integer_kib_for_aq_vq_and_bytes_for_sq():
    line = format_status(1.0, 0.0, "A-V", 0, 2047, 1024, 2047)
    assert "aq=    1KB" in line
    assert "vq=    1KB" in line
    assert "sq= 2047B" in line


@pytest.mark.parametrize(
    "has_audio, has_video, label",
    [(True, True, "A-V"), (False, True, "M-V"), (True, False, "M-A"), (False, False, "   ")],
)
def test_status_label(has_audio, has_video, label):
    assert status_label(has_audio, has_video) == label


# --- StatusPrinter ----------------------------------------------------------------------


def test_status_printer_rate_limit_is_30_ms():
    out = []
    p = StatusPrinter(out.append)
    assert p.due(5.0)  # nothing printed yet
    p.print("line 1\r", 5.0)
    assert out == ["line 1\r"]
    assert not p.due(5.0)
    assert not p.due(5.01)
    assert not p.due(5.029)
    assert p.due(5.03)  # >= 30 ms
    assert p.due(6.0)


def test_status_printer_does_not_repeat_an_identical_line():
    out = []
    p = StatusPrinter(out.append)
    p.print("same\r", 1.0)
    p.print("same\r", 1.05)
    assert out == ["same\r"]
    assert not p.due(1.07)  # the skipped line still restarts the 30 ms interval
    assert p.due(1.08)
    p.print("other\r", 1.1)
    p.print("same\r", 1.2)  # same as two lines ago, but not as the previous one
    assert out == ["same\r", "other\r", "same\r"]


def test_status_printer_driven_like_video_refresh():
    out = []
    p = StatusPrinter(out.append)
    t = 10.0
    for i in range(100):  # a refresh every 10 ms for one second
        now = t + i * 0.010
        if p.due(now):
            p.print(f"line {i}\r", now)
    # 0, 30, 60, ... ms: at most one line per 30 ms
    assert 25 <= len(out) <= 34
    numbers = [int(s.split()[1]) for s in out]
    assert numbers[0] == 0
    assert all(b - a >= 3 for a, b in zip(numbers, numbers[1:]))


# --- calculate_display_rect ---------------------------------------------------------------


@pytest.mark.parametrize(
    "screen, picture, sar, rect",
    [
        # letterbox: 16:9 picture in a 4:3 window
        ((640, 480), (1920, 1080), (1, 1), (0, 60, 640, 360)),
        # pillarbox: 4:3 picture in a 16:9 window
        ((1920, 1080), (640, 480), (1, 1), (240, 0, 1440, 1080)),
        # exact fit
        ((1280, 720), (1920, 1080), (1, 1), (0, 0, 1280, 720)),
        # PAL 720x576 with SAR 64:45 -> 16:9
        ((1920, 1080), (720, 576), (64, 45), (0, 0, 1920, 1080)),
        ((1024, 768), (720, 576), (64, 45), (0, 96, 1024, 576)),
        # PAL 720x576 with SAR 16:11 -> 20:11
        ((1920, 1080), (720, 576), (16, 11), (0, 12, 1920, 1056)),
        # sar 0 (unknown) -> square pixels: 720x576 is 5:4
        ((640, 480), (720, 576), (0, 1), (20, 0, 600, 480)),
        ((640, 480), (720, 576), (0, 0), (20, 0, 600, 480)),
        ((640, 480), (720, 576), (-1, 1), (20, 0, 600, 480)),
    ],
)
def test_display_rect(screen, picture, sar, rect):
    assert calculate_display_rect(0, 0, *screen, *picture, sar) == rect


def test_display_rect_offsets_by_xleft_ytop():
    assert calculate_display_rect(10, 20, 640, 480, 1920, 1080, (1, 1)) == (10, 80, 640, 360)


def test_default_window_size_is_sar_corrected_at_video_height():
    # set_default_window_size without -x/-y: max_width INT_MAX, max_height = height
    for sar, width in (((64, 45), 1024), ((16, 11), 1046), ((1, 1), 720), ((0, 1), 720)):
        x, y, w, h = calculate_display_rect(0, 0, INT_MAX, 576, 720, 576, sar)
        assert (w, h) == (width, 576)
        assert (x, y) == ((INT_MAX - width) // 2, 0)


def test_widths_and_fitted_heights_are_even():
    # 576 * 20/11 = 1047.27 -> 1047 -> 1046 (even)
    assert calculate_display_rect(0, 0, 4000, 576, 720, 576, (16, 11))[2] == 1046
    # width-limited: height = 1001 * 9/16 = 563.06 -> 563 -> 562
    assert calculate_display_rect(0, 0, 1001, 4000, 1920, 1080, (1, 1)) == (0, 1719, 1001, 562)


def test_rescale_rounds_to_nearest_with_ties_away_from_zero():
    # 1 * 11/2 = 5.5 -> 6 (truncation would give 5 -> 4)
    assert calculate_display_rect(0, 0, 100, 1, 11, 2, (1, 1)) == (47, 0, 6, 1)
    # 3 * 5/2 = 7.5 -> 8
    assert calculate_display_rect(0, 0, 100, 3, 5, 2, (1, 1))[2] == 8
    # 10 * 23/30 = 7.67 -> 8 (rounds up, not down)
    assert calculate_display_rect(0, 0, 100, 10, 23, 30, (1, 1))[2] == 8
    # 10 * 11/15 = 7.33 -> 7 -> 6
    assert calculate_display_rect(0, 0, 100, 10, 11, 15, (1, 1))[2] == 6


def test_rect_is_at_least_one_pixel():
    assert calculate_display_rect(0, 0, 1, 1, 1920, 1080, (1, 1)) == (0, 0, 1, 1)
    # height rounds to 0, is reported as 1, and is centred as if 0 (ffplay's order)
    assert calculate_display_rect(0, 0, 1, 100, 100, 1, (1, 1)) == (0, 50, 1, 1)


@pytest.mark.parametrize(
    "rotation, angle, swaps",
    [
        (0, 0.0, False),
        (90, 270.0, True),  # PyAV's angle is counter-clockwise; ffplay's display is clockwise
        (-90, 90.0, True),
        (180, 180.0, False),
        (-180, 180.0, False),
        (270, 90.0, True),
        (-270, 270.0, True),
        (360, 0.0, False),
        (89.6, 270.0, True),  # rounded to whole degrees first
    ],
)
def test_rotation_quarter_turns(rotation, angle, swaps):
    assert rotation_quarter_turns(rotation) == (angle, swaps)
