"""How long the player's loop sleeps: until the next picture, the status line or a command."""

from __future__ import annotations

import pytest

from pyffplay.core import IDLE_WAIT, MIN_WAIT, REFRESH_RATE, loop_wait
from pyffplay.status import StatusPrinter


def test_no_status_line_sleeps_until_the_picture_or_idle():
    assert loop_wait(0.004, None) == 0.004
    assert loop_wait(IDLE_WAIT, None) == IDLE_WAIT  # -nodisp -nostats: only commands wake it


def test_the_status_line_shortens_the_sleep():
    assert loop_wait(IDLE_WAIT, 0.03) == 0.03
    assert loop_wait(REFRESH_RATE, 0.03) == REFRESH_RATE


def test_a_status_line_due_now_does_not_spin():
    assert loop_wait(IDLE_WAIT, 0.0) == MIN_WAIT


def test_status_wait_counts_from_the_last_line():
    lines: list[str] = []
    printer = StatusPrinter(lines.append)
    assert printer.wait(50.0) == 0.0  # never printed: due now
    printer.print("x", 50.0)
    assert printer.wait(50.0) == pytest.approx(StatusPrinter.INTERVAL)
    assert printer.wait(50.02) == pytest.approx(StatusPrinter.INTERVAL - 0.02)
    assert printer.wait(51.0) == 0.0
    assert printer.due(50.0 + StatusPrinter.INTERVAL)


def test_wakeup_is_set_once_and_cleared_by_wait():
    from pyffplay.core import Wakeup

    w = Wakeup()
    assert not w.wait(0.001)
    w.set()
    w.set()  # twice is still once
    assert w.wait(0.001)
    assert not w.wait(0.001)


def test_wakeup_from_another_thread_ends_the_wait():
    import threading
    import time

    from pyffplay.core import Wakeup

    w = Wakeup()
    threading.Timer(0.05, w.set).start()
    t0 = time.monotonic()
    assert w.wait(5.0)
    assert time.monotonic() - t0 < 4.0
