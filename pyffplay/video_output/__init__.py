"""Video outputs: one module per driver behind one small interface.

The player's main thread owns the output: it calls ``poll_events`` and ``display`` and
nothing else touches the device.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from pyffplay.commands import Command
    from pyffplay.frame_queue import Frame
    from pyffplay.subtitles import Subtitle


class VideoOutput:
    """The interface every driver implements; the defaults are what a driver without
    that capability does (nothing), so the player never probes with hasattr."""

    width = 0  # 0 until the first picture opened the window
    height = 0
    # True when the status line belongs on the output (the terminal's bottom row)
    # instead of stderr.
    has_status_row = False
    # True when the output draws on the terminal (Ctrl-Z must give it back).
    uses_terminal = False
    # False when nothing is ever shown (-nodisp): the audio show modes need no samples.
    shows_pictures = True
    # True when window events arrive only by polling (poll_events): the loop wakes at least
    # every REFRESH_RATE for them. Other outputs' keys come as commands, which wake it.
    polls_events = False

    def set_default_window_size(self, width: int, height: int, sar: tuple[int, int]) -> None:
        pass

    def display(self, vp: Frame | None, sub: Subtitle | None = None) -> None:
        """Show picture ``vp`` (None: no picture, clear) with subtitle ``sub`` over it (None:
        no subtitle is due; one shown before disappears)."""

    def set_warn(self, warn: Callable[[str], None]) -> None:
        """Where the output reports a problem that does not stop playback (a missing font)."""

    def describe(self) -> dict[str, object]:
        """What the trace records of the driver (its name, the renderer it chose)."""
        return {"vo": type(self).__name__}

    def display_rgb(self, rgb: np.ndarray) -> None:
        """Show an RGB picture over the whole output (the audio show modes)."""

    def canvas_size(self) -> tuple[int, int]:
        """Pixels an RGB picture for display_rgb should have; (0, 0): nothing is shown."""
        return 0, 0

    def set_title(self, title: str) -> None:
        """The window's title from the input (any thread: used when the window opens)."""

    def poll_events(self, emit: Callable[[Command], None]) -> None:
        pass

    def wait_events(self, timeout: float) -> bool:
        """Sleep until a window event, a ``wakeup`` or ``timeout`` seconds; False when the
        output cannot (the loop then sleeps on its own wake-up, REFRESH_RATE at most when
        ``polls_events``)."""
        return False

    def wakeup(self) -> None:
        """End a ``wait_events`` (any thread): a command was posted."""

    def interrupt(self) -> None:
        """A quit (any thread): stop drawing that is under way, if it can wait long."""

    def toggle_full_screen(self) -> None:
        pass

    def show_status(self, line: str) -> None:
        pass

    def notice_resize(self) -> None:
        """SIGWINCH came (terminal outputs re-measure on the next display)."""

    def suspend(self) -> None:
        """Ctrl-Z: give the terminal back."""

    def resume(self) -> bool:
        """fg: take the terminal again; False while still in the background."""
        return True

    def close(self) -> None:
        pass


class NullOutput(VideoOutput):
    """-nodisp / -vo null: nothing is drawn, events come from elsewhere."""

    shows_pictures = False


def _rescale(a: int, b: int, c: int) -> int:
    """av_rescale: a*b/c rounded to nearest, ties away from zero."""
    n = a * b
    q, r = divmod(abs(n), c)
    if 2 * r >= c:
        q += 1
    return q if n >= 0 else -q


def calculate_display_rect(
    xleft: int, ytop: int, scr_w: int, scr_h: int, pic_w: int, pic_h: int, sar: tuple[int, int]
) -> tuple[int, int, int, int]:
    """Largest rectangle with the picture's display aspect that fits, centred (ffplay's)."""
    aspect = Fraction(sar[0], sar[1]) if sar[0] > 0 and sar[1] > 0 else Fraction(1)
    aspect *= Fraction(pic_w, pic_h)
    height = scr_h
    width = _rescale(height, aspect.numerator, aspect.denominator) & ~1
    if width > scr_w:
        width = scr_w
        height = _rescale(width, aspect.denominator, aspect.numerator) & ~1
    x = (scr_w - width) // 2
    y = (scr_h - height) // 2
    return xleft + x, ytop + y, max(width, 1), max(height, 1)


def rotation_quarter_turns(rotation: float) -> tuple[float, bool]:
    """ffplay's get_rotation: PyAV's counter-clockwise angle -> clockwise display angle.

    Returns (angle, swaps) where ``swaps`` tells that width and height trade places.
    """
    theta = -round(rotation)
    theta -= 360 * int((theta / 360 + 0.9 / 360) // 1)
    swaps = abs(theta - 90) < 1 or abs(theta - 270) < 1
    return float(theta), swaps


def displayed_size(vp: Frame) -> tuple[int, int, tuple[int, int], float, bool]:
    """(width, height, sar, angle, swaps) of a picture as it is shown, rotation applied."""
    angle, swaps = rotation_quarter_turns(vp.rotation)
    if swaps:
        sar = (vp.sar[1], vp.sar[0]) if vp.sar[0] > 0 else vp.sar
        return vp.height, vp.width, sar, angle, True
    return vp.width, vp.height, vp.sar, angle, False
