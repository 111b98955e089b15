"""Shared test fixtures: real services (Xvfb, PulseAudio), test media, and the real player.

The end-to-end tests drive ``python -m pyffplay`` as a user would: a real X server (Xvfb),
a real sound server (PulseAudio with a null sink), real key presses (xdotool, XTEST).
Nothing is mocked. The session fixtures start what is missing and stop what they started.

Findings that shape these helpers (Debian 12, xdotool 3.20160805, SDL 2.32, PulseAudio 16):

* ``xdotool search --name`` does not find SDL windows: SDL stores WM_NAME as UTF8_STRING
  and xdotool's search goes through XGetWMName, which (libX11 >= 1.8.2) gives nothing
  for it; ``xdotool getwindowname`` does work. So windows are found by listing the root's
  children with ``xwininfo`` (or ``xdotool search --pid``) and matching the name.
* Keys: without a window manager an SDL window takes the input focus itself when mapped.
  ``xdotool windowfocus --sync ID`` then ``xdotool key KEY`` (XTEST) is delivered as a real
  key press; ``xdotool key --window ID`` (XSendEvent) also reaches SDL. ``windowactivate``
  fails (no _NET_ACTIVE_WINDOW without a WM). ``xdotool key`` takes ~15 ms.
* A PulseAudio null sink stalls a new stream for up to 2 s: while idle it sleeps in 2 s
  blocks and does not wake when a client connects. A permanent low-latency silent stream
  (``pacat --latency-msec=30 /dev/zero``) keeps it awake so playback starts at once, as on
  real hardware.
"""

from __future__ import annotations

import faulthandler
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests import media as media_mod  # noqa: E402

# status lines, the trace and X windows: tests/observe.py
from tests.observe import X11, _run, _wait_until  # noqa: E402

# the real player process: tests/player_proc.py; status lines, the trace, X windows: tests/observe.py
from tests.player_proc import Player  # noqa: E402

# ---------------------------------------------------------------------------------------
# a watchdog: a hung test ends the run (with every thread's stack) instead of hanging CI
# ---------------------------------------------------------------------------------------

TEST_TIMEOUT = float(os.environ.get("PYFFPLAY_TEST_TIMEOUT", "300"))
_watchdog_fd = None


def pytest_configure(config):
    global _watchdog_fd
    if TEST_TIMEOUT > 0 and _watchdog_fd is None:
        try:
            _watchdog_fd = os.dup(sys.__stderr__.fileno())
        except (AttributeError, OSError, ValueError):
            _watchdog_fd = None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    armed = TEST_TIMEOUT > 0 and _watchdog_fd is not None
    if armed:
        faulthandler.dump_traceback_later(TEST_TIMEOUT, exit=True, file=_WatchdogFile(_watchdog_fd))
    try:
        yield
    finally:
        if armed:
            faulthandler.cancel_dump_traceback_later()


class _WatchdogFile:
    """faulthandler wants an object with fileno(); this one is the real stderr."""

    def __init__(self, fd):
        self._fd = fd

    def fileno(self):
        return self._fd

    def flush(self):
        pass


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------


def _stop(proc: subprocess.Popen, timeout=5.0):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


# ---------------------------------------------------------------------------------------
# X server
# ---------------------------------------------------------------------------------------


def _own_services() -> bool:
    """Each pytest-xdist worker (scripts/test runs several) gets its own X server and sound
    server: players of two workers must not share a screen's focus or a sink's monitor."""
    return bool(os.environ.get("PYTEST_XDIST_WORKER")) or os.environ.get("PYFFPLAY_TEST_OWN_XVFB") == "1"


def _display_works(display: str) -> bool:
    if not display or not shutil.which("xdpyinfo"):
        return False
    try:
        return _run(["xdpyinfo", "-display", display], timeout=5).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def _start_xvfb(logdir: Path):
    """Start Xvfb on a free display (-displayfd picks it). Returns (proc, ':N')."""
    if not shutil.which("Xvfb"):
        raise RuntimeError("Xvfb is not installed (apt-get install xvfb); run scripts/test")
    r, w = os.pipe()
    log = open(logdir / "xvfb.log", "wb")
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(w), "-screen", "0", "1920x1200x24", "-nolisten", "tcp", "-noreset"],
        pass_fds=(w,),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    os.close(w)
    data = b""
    deadline = time.monotonic() + 15
    os.set_blocking(r, False)
    while not data.endswith(b"\n"):
        if time.monotonic() > deadline or proc.poll() is not None:
            os.close(r)
            _stop(proc)
            raise RuntimeError(f"Xvfb did not start: {(logdir / 'xvfb.log').read_text()}")
        try:
            chunk = os.read(r, 64)
        except BlockingIOError:
            time.sleep(0.02)
            continue
        if not chunk:
            time.sleep(0.02)
            continue
        data += chunk
    os.close(r)
    display = ":" + data.decode().strip()
    _wait_until(lambda: _display_works(display), 10, what=f"Xvfb on {display}")
    return proc, display


@pytest.fixture(scope="session")
def x_display(tmp_path_factory):
    """A working X display, set as DISPLAY for this process and its children.

    Uses $DISPLAY when it already works (unless PYFFPLAY_TEST_OWN_XVFB=1 or under
    pytest-xdist); else starts Xvfb.
    """
    current = os.environ.get("DISPLAY", "")
    if current and not _own_services() and _display_works(current):
        yield current
        return
    logdir = tmp_path_factory.mktemp("xvfb")
    proc, display = _start_xvfb(logdir)
    old = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = display
    try:
        yield display
    finally:
        if old is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = old
        _stop(proc)


# ---------------------------------------------------------------------------------------
# PulseAudio
# ---------------------------------------------------------------------------------------


def _pulse_works(env=None) -> bool:
    if not shutil.which("pactl"):
        return False
    try:
        return _run(["pactl", "info"], timeout=5, env=env).returncode == 0
    except subprocess.TimeoutExpired:
        return False


@pytest.fixture(scope="session")
def pulse_server(tmp_path_factory):
    """A PulseAudio server with a null sink as the default output.

    Reuses a running server (``pactl info`` works), else starts one on a private socket
    and exports PULSE_SERVER. Also keeps a silent low-latency stream playing so the null
    sink does not stall new streams (see the module docstring).
    """
    started = None
    old_server = os.environ.get("PULSE_SERVER")
    if _own_services() or not _pulse_works():
        if not shutil.which("pulseaudio"):
            raise RuntimeError("pulseaudio is not installed; run scripts/test")
        rundir = Path(tempfile.mkdtemp(prefix="pyffplay-pulse-"))
        sock = rundir / "native"
        log = open(rundir / "pulseaudio.log", "wb")
        started = subprocess.Popen(
            [
                "pulseaudio",
                "--daemonize=no",
                "--exit-idle-time=-1",
                "-n",
                "--use-pid-file=no",
                "--disallow-exit",
                "--load=module-null-sink sink_name=null",
                f"--load=module-native-protocol-unix socket={sock} auth-anonymous=1",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        os.environ["PULSE_SERVER"] = f"unix:{sock}"
        try:
            _wait_until(lambda: started.poll() is not None or _pulse_works(), 15, what="PulseAudio")
        except TimeoutError:
            _stop(started)
            raise
        if started.poll() is not None:
            raise RuntimeError("pulseaudio exited: " + (rundir / "pulseaudio.log").read_text())
    keepalive = None
    if shutil.which("pacat"):
        keepalive = subprocess.Popen(
            [
                "pacat",
                "--playback",
                "--raw",
                "--latency-msec=30",
                "--format=s16le",
                "--rate=48000",
                "--channels=2",
                "--client-name=pyffplay-tests-keepalive",
            ],
            stdin=open("/dev/zero", "rb"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        # the null sink may be asleep in a 2 s block; let it wake and adopt the low latency
        time.sleep(2.2)
    try:
        yield os.environ.get("PULSE_SERVER", "")
    finally:
        if keepalive is not None:
            _stop(keepalive)
        if started is not None:
            _stop(started)
            if old_server is None:
                os.environ.pop("PULSE_SERVER", None)
            else:
                os.environ["PULSE_SERVER"] = old_server


class AudioMonitor:
    """Records what the default sink really plays (its monitor source) with parec.

    Each chunk read is stamped with time.monotonic() on arrival, so a sample's play time
    is known to within the recording latency (~30 ms): ``sample_times()``.
    """

    RATE = 48000

    def __init__(self, latency_ms: int = 30):
        self.proc = subprocess.Popen(
            [
                "parec",
                "--raw",
                "--format=s16le",
                f"--rate={self.RATE}",
                "--channels=1",
                f"--latency-msec={latency_ms}",
                "--device=@DEFAULT_MONITOR@",
                "--client-name=pyffplay-tests-monitor",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.chunks: list[tuple[float, bytes]] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        fd = self.proc.stdout.fileno()
        while True:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            self.chunks.append((time.monotonic(), data))

    def stop(self):
        _stop(self.proc)
        self._thread.join(5)

    def samples(self) -> tuple[np.ndarray, np.ndarray]:
        """(samples as float -1..1, estimated monotonic play time of each sample)."""
        raw = b"".join(c for _, c in self.chunks)
        n = len(raw) // 2
        x = np.frombuffer(raw[: n * 2], dtype="<i2").astype(np.float32) / 32768.0
        times = np.empty(n, dtype=np.float64)
        pos = 0
        for t, c in self.chunks:
            k = len(c) // 2
            # the last sample of a chunk was played just before it arrived
            times[pos : pos + k] = t - (np.arange(k, 0, -1) - 1) / self.RATE
            pos += k
        return x, times[:n]

    def rms_between(self, t0: float, t1: float) -> float:
        """Median RMS of 20 ms blocks played between t0 and t1 (robust to the clicks)."""
        x, t = self.samples()
        sel = x[(t >= t0) & (t < t1)]
        block = self.RATE // 50
        if sel.size < block:
            return float("nan")
        blocks = sel[: sel.size // block * block].reshape(-1, block)
        return float(np.median(np.sqrt(np.mean(blocks**2, axis=1))))

    def clicks(self, threshold: float = 0.6) -> list[float]:
        """Play times of the loud clicks (the test tone itself stays below 0.3)."""
        x, t = self.samples()
        loud = np.flatnonzero(np.abs(x) >= threshold)
        out = []
        for i in loud:
            if not out or t[i] - out[-1] > 0.3:
                out.append(float(t[i]))
        return out


@pytest.fixture
def audio_monitor(pulse_server):
    monitors = []

    def start(**kw):
        m = AudioMonitor(**kw)
        monitors.append(m)
        time.sleep(0.3)
        return m

    yield start
    for m in monitors:
        m.stop()


# ---------------------------------------------------------------------------------------
# media
# ---------------------------------------------------------------------------------------


class MediaCache:
    """Builds each test clip once per session, keyed by its parameters."""

    def __init__(self, root: Path):
        self.root = root
        self._lock = threading.Lock()
        self._made: dict = {}

    def clip(self, name: str | None = None, **kw) -> Path:
        key = tuple(sorted(kw.items()))
        with self._lock:
            if key in self._made:
                return self._made[key]
            if name is None:
                ext = ".ts" if kw.get("container") in ("mpegts", "ts") else ".mp4"
                name = "clip-" + "-".join(f"{k}{v}" for k, v in key) + ext
            path = media_mod.make_clip(self.root / name, **kw)
            self._made[key] = path
            return path

    def audio_only(self, name: str, duration: float = 4.0, rate: int = 48000) -> Path:
        key = ("audio", name, duration, rate)
        with self._lock:
            if key not in self._made:
                self._made[key] = media_mod.make_audio_only(self.root / name, duration, rate)
            return self._made[key]

    def path(self, name: str) -> Path:
        return self.root / name


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> MediaCache:
    return MediaCache(tmp_path_factory.mktemp("media"))


@pytest.fixture(scope="session")
def x11(x_display) -> X11:
    return X11(x_display)


# ---------------------------------------------------------------------------------------
# the player
# ---------------------------------------------------------------------------------------


@pytest.fixture
def player(tmp_path, x_display, pulse_server):
    p = Player(tmp_path, x_display, pulse_server)
    yield p
    p.cleanup()
