"""The command's wait for the player: a quit that does not stop the threads in time is
given up on (the terminal is given back and the process leaves), anything else waits."""

from __future__ import annotations

import time
from typing import Any

from pyffplay import cli


class StuckPlayer:
    """A player whose threads never finish; ``quitting`` as the loop would report it."""

    def __init__(self, quitting_after: float | None = None, ends_after: float | None = None):
        self.t0 = time.monotonic()
        self.quitting_after = quitting_after
        self.ends_after = ends_after
        self.waits: list[float | None] = []

    def wait(self, timeout: float | None = None) -> str | None:
        self.waits.append(timeout)
        if self.ends_after is not None and time.monotonic() - self.t0 >= self.ends_after:
            return "quit"
        time.sleep(min(timeout or 0.01, 0.01))
        return None

    @property
    def quitting(self) -> bool:
        return self.quitting_after is not None and time.monotonic() - self.t0 >= self.quitting_after


class FakeConsole:
    def __init__(self, quit_time: float | None = None):
        self.quit_time = quit_time


def _wait(player: Any, console: Any, grace: float) -> tuple[bool, float]:
    t0 = time.monotonic()
    overdue = cli.wait_for_player(player, console, grace)
    return overdue, time.monotonic() - t0


def test_a_signal_or_key_quit_that_does_not_finish_is_given_up_after_the_grace() -> None:
    console = FakeConsole(quit_time=time.monotonic())
    overdue, took = _wait(StuckPlayer(), console, grace=0.1)
    assert overdue
    assert 0.1 <= took < 2.0


def test_a_quit_inside_the_player_starts_the_grace_too() -> None:
    console = FakeConsole()
    player = StuckPlayer(quitting_after=0.05)
    overdue, took = _wait(player, console, grace=0.1)
    assert overdue and console.quit_time is not None
    assert 0.15 <= took < 2.0
    # waits in long slices while nothing is asked, then in short ones
    assert player.waits[0] == cli.WAIT_SLICE and player.waits[-1] == cli.QUIT_SLICE


def test_playback_that_ends_is_not_overdue() -> None:
    overdue, _ = _wait(StuckPlayer(ends_after=0.05), FakeConsole(), grace=0.1)
    assert not overdue
    console = FakeConsole(quit_time=time.monotonic())
    overdue, _ = _wait(StuckPlayer(ends_after=0.05), console, grace=5.0)
    assert not overdue
