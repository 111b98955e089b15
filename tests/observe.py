"""What the tests observe of a running player: status lines, the trace, X windows.

Pure helpers (no fixtures); tests/conftest.py builds its fixtures on them."""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import re
import struct
import subprocess
import time
from dataclasses import dataclass

import numpy as np


def _run(cmd, timeout=10, env=None, check=False, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, check=check, **kw)


def _wait_until(pred, timeout, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(interval)


# ---------------------------------------------------------------------------------------
# status lines and trace
# ---------------------------------------------------------------------------------------

_NUM = r"(-?(?:\d+(?:\.\d*)?|\.\d+)|[-+]?nan|[-+]?inf)"
STATUS_RE = re.compile(
    r"^\s*"
    + _NUM
    + r"\s+(A-V|M-V|M-A):\s*"
    + _NUM
    + r"\s+fd=\s*(-?\d+)\s+aq=\s*(-?\d+)KB\s+vq=\s*(-?\d+)KB\s+sq=\s*(-?\d+)B",
    re.I,
)


@dataclass
class Status:
    clock: float
    label: str
    diff: float
    fd: int
    aq: int
    vq: int
    sq: int
    raw: str = ""


def parse_status_lines(text: str) -> list[Status]:
    """Status lines from stderr text (separated by '\\r' and/or '\\n')."""
    out = []
    for piece in re.split(r"[\r\n]+", text):
        m = STATUS_RE.match(piece)
        if m:
            out.append(
                Status(
                    float(m.group(1)),
                    m.group(2).upper(),
                    float(m.group(3)),
                    int(m.group(4)),
                    int(m.group(5)),
                    int(m.group(6)),
                    int(m.group(7)),
                    piece,
                )
            )
    return out


def non_status_lines(text: str) -> list[str]:
    """Lines of stderr text that are not status lines and not blank."""
    return [p for p in re.split(r"[\r\n]+", text) if p.strip() and not STATUS_RE.match(p)]


_BANNER_RE = re.compile(r"^(pyffplay version |  built with |  configuration: |  lib\w+ +\d+\.)")
FFMPEG_LOG_RE = re.compile(r"^(\[\w+\] )?\[[^\]]+ @ 0x[0-9a-f]+\] ")


def pyffplay_lines(text: str) -> list[str]:
    """What pyffplay itself said on stderr: not the status line, the banner, the stream
    dump or FFmpeg's own log lines ("[h264 @ 0x...] ...")."""
    out = []
    for line in non_status_lines(text):
        if _BANNER_RE.match(line) or FFMPEG_LOG_RE.match(line):
            continue
        if line.startswith(("Input #", "  ")):  # av_dump_format
            continue
        out.append(line)
    return out


def read_trace(path) -> list[dict]:
    events = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                ev = json.loads(line)
            except ValueError as e:
                raise AssertionError(f"trace line {n} is not JSON ({e}): {line[:200]!r}") from None
            if not isinstance(ev, dict) or "ev" not in ev or "t" not in ev:
                raise AssertionError(f"trace line {n} lacks 'ev'/'t': {line[:200]!r}")
            events.append(ev)
    return events


# ---------------------------------------------------------------------------------------
# X helpers: windows, keys, mouse, screenshots
# ---------------------------------------------------------------------------------------

_XWININFO_RE = re.compile(r'^\s*(0x[0-9a-fA-F]+)\s+"(.*)":\s')


def list_windows() -> list[tuple[int, str]]:
    """(id, name) of the root window's children, names as X stores them (UTF-8 too)."""
    r = _run(["xwininfo", "-root", "-children"], timeout=5)
    out = []
    for line in r.stdout.splitlines():
        m = _XWININFO_RE.match(line)
        if m:
            out.append((int(m.group(1), 16), m.group(2)))
    return out


class X11:
    """Real input through xdotool (XTEST) and pictures through xwd."""

    def __init__(self, display: str):
        self.display = display

    def find_window(self, title: str, timeout: float = 15.0, proc=None) -> int:
        """The id of the top-level window named exactly ``title`` (waits for it)."""

        def look():
            if proc is not None and proc.poll() is not None:
                raise AssertionError(f"player exited (code {proc.returncode}) before its window appeared")
            for wid, name in list_windows():
                if name == title and self.is_viewable(wid):
                    return wid
            return None

        return _wait_until(look, timeout, 0.05, what=f"a window titled {title!r}")

    def is_viewable(self, wid: int) -> bool:
        r = _run(["xwininfo", "-id", str(wid)], timeout=5)
        return "IsViewable" in r.stdout

    def window_name(self, wid: int) -> str:
        return _run(["xdotool", "getwindowname", str(wid)], timeout=5).stdout.rstrip("\n")

    def geometry(self, wid: int) -> tuple[int, int, int, int]:
        """(x, y, width, height) of the window on the screen."""
        r = _run(["xwininfo", "-id", str(wid)], timeout=5).stdout

        def val(label):
            return int(re.search(label + r":\s*(-?\d+)", r).group(1))

        return (val("Absolute upper-left X"), val("Absolute upper-left Y"), val("Width"), val("Height"))

    def focus(self, wid: int):
        _run(["xdotool", "windowfocus", "--sync", str(wid)], timeout=5, check=True)

    def key(self, wid: int, *keys: str) -> tuple[float, float]:
        """Focus the window, then press and release each key via XTEST.

        Returns (monotonic time just before xdotool key started, just after it returned).
        """
        self.focus(wid)
        t0 = time.monotonic()
        _run(["xdotool", "key", "--delay", "20", *keys], timeout=5, check=True)
        return t0, time.monotonic()

    def click(self, wid: int, x: int, y: int, button: int = 1) -> tuple[float, float]:
        """Move the pointer to (x, y) inside the window and click ``button``."""
        self.focus(wid)
        t0 = time.monotonic()
        _run(
            ["xdotool", "mousemove", "--window", str(wid), str(x), str(y), "click", str(button)],
            timeout=5,
            check=True,
        )
        return t0, time.monotonic()

    def close_request(self, wid: int) -> float:
        """Ask the window to close as a window manager does (its close button): a
        WM_PROTOCOLS / WM_DELETE_WINDOW ClientMessage. Returns time.monotonic() once sent.

        xdotool 3.20160805's ``windowclose`` destroys the window and ``windowkill`` kills
        the X connection; ``wmctrl -c`` needs a window manager. None is a close request.
        """
        return send_wm_delete(self.display, wid)

    def still_screenshot(self, wid: int, timeout: float = 10.0) -> np.ndarray:
        """A screenshot once two in a row are identical (the picture stopped changing)."""

        def still():
            a, b = self.screenshot(wid), self.screenshot(wid)
            return [a] if np.array_equal(a, b) else None

        return _wait_until(still, timeout, 0.1, what="a still picture")[0]

    def screenshot(self, wid: int) -> np.ndarray:
        """The window's pixels as an (H, W, 3) uint8 RGB array (xwd)."""
        r = subprocess.run(["xwd", "-silent", "-id", str(wid)], capture_output=True, timeout=10, check=True)
        return parse_xwd(r.stdout)


def parse_xwd(data: bytes) -> np.ndarray:
    """Decode a TrueColor 24/32-bit XWD dump into RGB."""
    header_size, _version, _fmt, _depth, w, h = struct.unpack(">6I", data[:24])
    byte_order = struct.unpack(">I", data[28:32])[0]
    bpl = struct.unpack(">I", data[48:52])[0]
    rmask, gmask, bmask = struct.unpack(">3I", data[56:68])
    ncolors = struct.unpack(">I", data[76:80])[0]
    off = header_size + ncolors * 12
    bpp = bpl // w
    if bpp not in (3, 4):
        raise ValueError(f"unsupported xwd pixel size {bpp} bytes")
    px = np.frombuffer(data, dtype=np.uint8, count=bpl * h, offset=off).reshape(h, bpl)
    px = px[:, : w * bpp].reshape(h, w, bpp)

    # byte positions of each mask in memory order
    def pos(mask):
        shift = (mask & -mask).bit_length() - 1
        byte = shift // 8
        return byte if byte_order == 0 else bpp - 1 - byte

    return px[:, :, [pos(rmask), pos(gmask), pos(bmask)]].copy()


# ---------------------------------------------------------------------------------------
# a close request without a window manager: libX11 through ctypes
# ---------------------------------------------------------------------------------------

_CLIENT_MESSAGE = 33


class _XClientMessageEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class _XEvent(ctypes.Union):
    _fields_ = [("xclient", _XClientMessageEvent), ("pad", ctypes.c_long * 24)]


def send_wm_delete(display: str, wid: int) -> float:
    """Send WM_DELETE_WINDOW to ``wid`` on ``display``; returns when it was flushed."""
    x = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    x.XOpenDisplay.restype = ctypes.c_void_p
    x.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x.XInternAtom.restype = ctypes.c_ulong
    x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x.XSendEvent.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_int,
        ctypes.c_long,
        ctypes.POINTER(_XEvent),
    ]
    x.XFlush.argtypes = [ctypes.c_void_p]
    x.XCloseDisplay.argtypes = [ctypes.c_void_p]
    dpy = x.XOpenDisplay(display.encode())
    if not dpy:
        raise RuntimeError(f"cannot open X display {display}")
    try:
        ev = _XEvent()
        ev.xclient.type = _CLIENT_MESSAGE
        ev.xclient.window = wid
        ev.xclient.message_type = x.XInternAtom(dpy, b"WM_PROTOCOLS", 0)
        ev.xclient.format = 32
        ev.xclient.data[0] = x.XInternAtom(dpy, b"WM_DELETE_WINDOW", 0)
        ev.xclient.data[1] = 0  # CurrentTime
        if not x.XSendEvent(dpy, wid, 0, 0, ctypes.byref(ev)):
            raise RuntimeError("XSendEvent failed")
        x.XFlush(dpy)
        return time.monotonic()
    finally:
        x.XCloseDisplay(dpy)
