"""Video in the terminal: half-block colour cells, only the changed ones sent.

The picture is scaled to the cell grid by swscale (in C); ``term_render`` turns it into
escape bytes with NumPy. Each frame goes out in one write, wrapped in synchronized-output
mode so the terminal never shows half a frame. The bottom row holds the status line; the
row above it shows the current subtitle's text, over the picture's bottom row (the picture
keeps its size; the cells under the text are repainted when the text goes). Bitmap
subtitles are blended into the picture before it becomes cells.
"""

from __future__ import annotations

import contextlib
import os
import select
import termios
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from av.video.reformatter import VideoReformatter

from pyffplay.term_render import CellRenderer, fit_picture
from pyffplay.video_output import VideoOutput, displayed_size

if TYPE_CHECKING:
    from pyffplay.frame_queue import Frame
    from pyffplay.subtitles import Subtitle

ALT_SCREEN_ON = b"\x1b[?1049h"
ALT_SCREEN_OFF = b"\x1b[?1049l"
CANCEL = b"\x18"  # CAN: ends an escape sequence cut short by a signal
CURSOR_HIDE = b"\x1b[?25l"
CURSOR_SHOW = b"\x1b[?25h"
CLEAR = b"\x1b[0m\x1b[2J"
SYNC_BEGIN = b"\x1b[?2026h"
SYNC_END = b"\x1b[?2026l"
RESET = b"\x1b[0m"
SUBTITLE_SGR = b"\x1b[0;97;40m"  # bright white on black: the same in 256 colours and truecolor
# Frames go out on a non-blocking descriptor: a terminal that reads slowly (tmux on a
# loaded machine takes seconds over a large frame) holds a write, and a quit or Ctrl-Z
# must not wait for it. The write looks every WRITE_POLL whether it is still wanted.
WRITE_POLL = 0.02
# Giving the terminal back (main screen, cursor) waits this long at most for a terminal
# that does not read at all.
LEAVE_TIMEOUT = 1.0
# Truecolor cells are re-sent only when a channel moved by more than this (of 255) from
# what the screen shows: about 3 %, not visible in a half-block picture, and it keeps
# noise and slow fades from re-sending whole screens.
TRUECOLOR_TOLERANCE = 8


def choose_colors(setting: str, env: dict[str, str]) -> str:
    """'truecolor' or '256': from -term_colors, else COLORTERM / TERM as terminals announce it."""
    if setting in ("truecolor", "256"):
        return setting
    if env.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        return "truecolor"
    term = env.get("TERM", "")
    if "direct" in term or term in ("xterm-kitty", "alacritty", "foot", "wezterm"):
        return "truecolor"
    return "256"


def write_all(
    fd: int,
    data: bytes,
    still_wanted: Callable[[], bool] = lambda: True,
    lock: contextlib.AbstractContextManager[object] | None = None,
) -> None:
    """Write everything, unless ``still_wanted`` turns false between chunks (Ctrl-Z or a
    quit came; on a non-blocking ``fd`` it is asked while the terminal is not reading).
    Each chunk is written under ``lock``, and ``still_wanted`` asked under it: a writer
    on another thread that changed what is wanted cannot have a chunk of ours land after
    its own bytes."""
    view = memoryview(data)
    guard = lock if lock is not None else contextlib.nullcontext()
    while view:
        with guard:
            if not still_wanted():
                return
            try:
                n = os.write(fd, view)
            except (InterruptedError, BlockingIOError):
                n = 0
        if n == 0:
            select.select([], [fd], [], WRITE_POLL)  # the terminal is not reading yet
        view = view[n:]


def open_nonblocking_tty(fd: int) -> int | None:
    """A second, non-blocking open of the terminal on ``fd``: its own file description, so
    the flag does not reach the shell's. None when ``fd`` is no terminal."""
    try:
        return os.open(os.ttyname(fd), os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None


class TerminalOutput(VideoOutput):
    """The VideoOutput for a terminal (``-vo terminal``)."""

    has_status_row = True
    uses_terminal = True

    def __init__(self, colors: str, fd: int = 1) -> None:
        self.fd = fd  # the terminal's modes and size; blocking, as the shell left it
        nonblocking = open_nonblocking_tty(fd)
        self._out_fd = nonblocking if nonblocking is not None else fd  # what frames go to
        self._interrupted = False  # a quit came: a frame being written is dropped
        # Frames come from the player's loop, leave() and enter() from the main thread
        # too (Ctrl-Z and fg arrive as signals); re-entrant for a signal during a write.
        self._write_lock = threading.RLock()
        self.renderer = CellRenderer(colors, tolerance=TRUECOLOR_TOLERANCE)
        # One reformatter for the whole run: it keeps its SwsContext while the sizes and
        # formats stay, where frame.reformat() would build (and free) one per frame.
        self._reformatter = VideoReformatter()
        self.cols, self.rows = self._query_size()
        self.width = self.cols  # the player reads these like a window's size
        self.height = self.rows
        self.active = False
        self.bytes_written = 0
        self._generation = 0  # bumped by leave(): a frame being written is then dropped
        self._resized = False
        self._last_status = b""
        self._picture_rect: tuple[int, int, int, int] | None = None
        self._subtitle_text = ""  # the text on the subtitle row
        self._opost_cleared = False
        self.enter()

    # -- terminal state ------------------------------------------------------------------
    def enter(self) -> None:
        """Alternate screen, hidden cursor, clean slate (also after fg from Ctrl-Z)."""
        self._write_state(ALT_SCREEN_ON + CURSOR_HIDE + CLEAR)
        self._opost_cleared = self._set_output_processing(False)
        self.renderer.reset()
        self._picture_rect = None
        self._subtitle_text = ""
        self.active = True

    def leave(self) -> None:
        """Give the terminal back as it was: attributes, cursor, main screen."""
        if self.active:
            self.active = False
            self._generation += 1
            if self._opost_cleared:
                self._opost_cleared = False
                self._set_output_processing(True)
            # CAN ends an escape sequence cut short; SYNC_END a frame's synchronized update.
            self._write_state(CANCEL + SYNC_END + RESET + CURSOR_SHOW + ALT_SCREEN_OFF)

    def suspend(self) -> None:
        self.leave()

    def resume(self) -> bool:
        if not self.active:
            if not self.in_foreground():
                return False  # `bg`: stay off the terminal until `fg`
            self.enter()
        return True

    def _set_output_processing(self, on: bool) -> bool:
        """Turn the tty's output processing (OPOST: LF to CR LF and the like) on or off;
        True if it changed. Off while the picture is up: every byte we send is an escape or
        text at an absolute position, and with OPOST the kernel examines each byte of
        every frame (about a third of the cost of the write at 160x50). Only the
        foreground may change modes (a background tcsetattr stops us with SIGTTOU); bits
        other than OPOST are left as they are (the key reader owns them)."""
        if not self.in_foreground():
            return False
        try:
            attrs = termios.tcgetattr(self.fd)
            if bool(attrs[1] & termios.OPOST) == on:
                return False
            attrs[1] = attrs[1] | termios.OPOST if on else attrs[1] & ~termios.OPOST
            termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
            return True
        except (OSError, termios.error):
            return False  # not a terminal, or hung up

    def in_foreground(self) -> bool:
        try:
            return os.tcgetpgrp(self.fd) == os.getpgrp()
        except OSError:
            return True  # not our controlling terminal: job control does not apply

    def _query_size(self) -> tuple[int, int]:
        try:
            size = os.get_terminal_size(self.fd)
            return max(size.columns, 1), max(size.lines, 2)
        except OSError:
            return 80, 24

    def notice_resize(self) -> None:
        """SIGWINCH: only a flag here; the next display() re-measures."""
        self._resized = True

    def _write(self, data: bytes, generation: int | None = None) -> None:
        """Picture and status bytes: dropped once the terminal was left (Ctrl-Z, quit)
        after ``generation`` (taken when the bytes were made)."""
        if data:
            gen = self._generation if generation is None else generation
            write_all(
                self._out_fd,
                data,
                lambda: self.active and self._generation == gen and not self._interrupted,
                self._write_lock,
            )
            self.bytes_written += len(data)

    def _write_state(self, data: bytes) -> None:
        """Entering or leaving the alternate screen: always, within LEAVE_TIMEOUT."""
        deadline = time.monotonic() + LEAVE_TIMEOUT
        write_all(self._out_fd, data, lambda: time.monotonic() < deadline, self._write_lock)

    def interrupt(self) -> None:
        # Any thread: a quit. The frame being written (if any) is dropped; leave() follows.
        self._interrupted = True

    # -- VideoOutput -------------------------------------------------------------------
    def set_default_window_size(self, width: int, height: int, sar: tuple[int, int]) -> None:
        pass

    def display(self, vp: Frame | None, sub: Subtitle | None = None) -> None:
        generation = self._generation  # before the look at active: a Ctrl-Z may come between
        if not self.active:
            return
        if self._resized:
            self._resized = False
            cols, rows = self._query_size()
            if (cols, rows) != (self.cols, self.rows):
                self.cols, self.rows = self.width, self.height = cols, rows
                self._write(CLEAR)
                self.renderer.reset()
                self._picture_rect = None
                self._last_status = b""
                self._subtitle_text = ""
        if vp is None or vp.frame is None:
            return
        text = sub.text if sub is not None else ""
        out = b""
        if text != self._subtitle_text:
            # The old text goes: blank its row and repaint the picture cells it covered.
            if self._subtitle_text:
                out += b"\x1b[%d;1H" % (self.rows - 1) + RESET + b"\x1b[2K"
                self.renderer.reset()
            self._subtitle_text = text
        out += self._picture_bytes(vp, sub)
        if text:
            out += self._subtitle_bytes(text)
        self._write(b"".join((SYNC_BEGIN, out, SYNC_END)), generation)  # one copy of a large frame

    def _subtitle_bytes(self, text: str) -> bytes:
        """The text centred on the row above the status line (drawn after the picture, whose
        cells may have changed under it)."""
        if self.rows < 3:
            return b""
        line = text[: self.cols]
        col = (self.cols - len(line)) // 2 + 1
        return b"\x1b[%d;%dH" % (self.rows - 1, col) + SUBTITLE_SGR + line.encode() + RESET

    def _picture_bytes(self, vp: Frame, sub: Subtitle | None = None) -> bytes:
        pic_w, pic_h, sar, angle, swaps = displayed_size(vp)
        x, y, w, h = fit_picture(pic_w, pic_h, sar, self.cols, self.rows - 1)  # last row: status
        rect = (x, y, w, h)
        out = b""
        if rect != self._picture_rect:
            if self._picture_rect is not None:
                out += CLEAR  # the old picture's borders would stay otherwise
                self._last_status = b""
            self._picture_rect = rect
            self.renderer.reset()
        # swscale does the scaling and the YUV -> RGB conversion (area: no aliasing); RGBA
        # because a 4-byte pixel is one word for the renderer (the alpha is never sent).
        sw, sh = (2 * h, w) if swaps else (w, 2 * h)
        rgb = self._reformatter.reformat(
            vp.frame, width=sw, height=sh, format="rgba", interpolation="AREA"
        ).to_ndarray()
        if angle:
            rgb = np.rot90(rgb, k=-round(angle / 90))  # clockwise display angle
        if sub is not None and sub.bitmaps:
            rgb = blend_bitmaps(np.array(rgb[..., :3]), sub, (vp.width, vp.height))
        return out + self.renderer.render(rgb, x, y)

    def canvas_size(self) -> tuple[int, int]:
        return self.cols, 2 * (self.rows - 1)  # a cell is two pixels tall; the last row: status

    def display_rgb(self, rgb: np.ndarray) -> None:
        if not self.active:
            return
        self.display(None)  # notices a resize
        rect = (0, 0, self.cols, self.rows - 1)
        out = b""
        if rect != self._picture_rect:
            if self._picture_rect is not None:
                out += CLEAR
                self._last_status = b""
            self._picture_rect = rect
            self.renderer.reset()
        cols, px_rows = self.canvas_size()
        if rgb.shape[:2] != (px_rows, cols):
            return  # drawn for the size before a resize; the next one fits
        self._write(SYNC_BEGIN + out + self.renderer.render(np.ascontiguousarray(rgb), 0, 0) + SYNC_END)

    def show_status(self, line: str) -> None:
        """The status line, on the bottom row instead of scrolling on stderr."""
        if not self.active:
            return
        text = line.strip("\r\n")[: self.cols - 1].encode()
        if text == self._last_status:
            return
        self._last_status = text
        self._write(b"\x1b[%d;1H" % self.rows + RESET + text + b"\x1b[K")

    def close(self) -> None:
        self.leave()
        if self._out_fd != self.fd:
            os.close(self._out_fd)
            self._out_fd = self.fd


def blend_bitmaps(rgb: np.ndarray, sub: Subtitle, video_size: tuple[int, int]) -> np.ndarray:
    """Bitmap rects alpha-blended into an (h, w, 3) picture, scaled from the subtitle's
    canvas (nearest pixel: the cells are coarser than any rect's detail)."""
    h, w = rgb.shape[:2]
    cw, ch = sub.canvas if sub.canvas[0] > 0 and sub.canvas[1] > 0 else video_size
    if cw <= 0 or ch <= 0:
        return rgb
    for b in sub.bitmaps:
        bh, bw = b.pixels.shape[:2]
        x0, x1 = b.x * w // cw, min((b.x + bw) * w // cw, w)
        y0, y1 = b.y * h // ch, min((b.y + bh) * h // ch, h)
        if x1 <= x0 or y1 <= y0:
            continue
        cols = (np.arange(x0, x1) * cw // w - b.x).clip(0, bw - 1)
        rows = (np.arange(y0, y1) * ch // h - b.y).clip(0, bh - 1)
        src = b.pixels[rows[:, None], cols[None, :]]
        alpha = src[..., 3:4].astype(np.uint16)
        color = src[..., 2::-1].astype(np.uint16)  # BGRA -> RGB
        dst = rgb[y0:y1, x0:x1].astype(np.uint16)
        rgb[y0:y1, x0:x1] = ((color * alpha + dst * (255 - alpha) + 127) // 255).astype(np.uint8)
    return rgb
