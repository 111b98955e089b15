"""-vo terminal on a terminal that reads slowly: a quit does not wait for the frame.

tmux on a loaded machine can take seconds over one large truecolor frame; a blocking
write then held the player's loop and a Ctrl-C or SIGTERM waited for it (seen as a hang
of 10 s under load). Here the terminal is a pty read at 20 KB/s by the test: a frame of a
few hundred KB takes ~10 s to go through, and the quit must not.
"""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import threading
import time

import pytest

from tests.observe import _wait_until, read_trace

pytestmark = pytest.mark.e2e

READ_RATE = 20_000  # bytes per second the "terminal" takes
QUIT_BOUND = 1.5  # SIGTERM -> exit, asserted generously; the aim is well under 200 ms


class SlowReader:
    """Reads the pty's master side at READ_RATE, keeping everything read."""

    def __init__(self, fd: int):
        self.fd = fd
        self.data = bytearray()
        self.full_speed = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        chunk = READ_RATE // 20
        while not self.stop.is_set():
            try:
                got = os.read(self.fd, 65536 if self.full_speed.is_set() else chunk)
            except OSError:  # EIO: the player closed its side
                return
            if not got:
                return
            self.data += got
            if not self.full_speed.is_set():
                time.sleep(0.05)


@pytest.fixture
def slow_pty():
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
    reader = SlowReader(master)
    try:
        yield slave, reader
    finally:
        reader.stop.set()
        os.close(slave)
        reader.thread.join(5)
        os.close(master)


def test_sigterm_does_not_wait_for_a_frame_the_terminal_has_not_read(player, media, slow_pty, tmp_path):
    slave, reader = slow_pty
    clip = media.clip(duration=10.0, width=640, height=360, fps=30, keyint=30)
    trace = tmp_path / "slow.trace.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pyffplay", "-vo", "terminal", "-an", "-trace_file", str(trace), str(clip)],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env={**player.env(), "COLORTERM": "truecolor", "TERM": "xterm-256color"},
        cwd=str(tmp_path),
    )
    try:
        # The first frame is being written once the terminal holds back more than it read.
        def writing() -> bool:
            avail = struct.unpack("i", fcntl.ioctl(reader.fd, termios.FIONREAD, b"\0\0\0\0"))[0]
            return proc.poll() is None and avail > 0 and len(reader.data) > 2000

        _wait_until(writing, 30, what="the player writing its first frames")
        time.sleep(0.5)  # well inside a frame that takes seconds to go through
        assert proc.poll() is None
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(20)
        took = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    reader.full_speed.set()
    reader.thread.join(5)
    assert rc == 0, bytes(reader.data[-2000:])
    assert took < QUIT_BOUND, f"SIGTERM took {took:.2f}s with the terminal reading {READ_RATE} B/s"
    events = read_trace(trace)
    assert events[-1]["ev"] == "exit" and events[-1]["reason"] == "signal", events[-3:]
    # The terminal was given back after the cut frame: main screen, cursor shown.
    out = bytes(reader.data)
    assert out.rfind(b"\x1b[?1049l") > out.rfind(b"\x1b[?1049h") >= 0, out[-300:]
    assert out.rfind(b"\x1b[?25h") > out.rfind(b"\x1b[?25l"), out[-300:]
