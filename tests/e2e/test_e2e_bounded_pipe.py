"""An endless pipe stays bounded: memory and temporary disk stay flat, a seek to dropped
bytes warns once and playback goes on, a stalled pipe resumes, and quitting during a
stall is prompt. All with the real player reading a real pipe."""

from __future__ import annotations

import fcntl
import math
import os
import signal
import termios
import threading
import time
from pathlib import Path

import pytest

from tests.observe import _wait_until

MiB = 1 << 20
BIG_MUXRATE = 80_000_000  # bit/s: 10 MB of MPEG-TS a second, padded with null packets
DROPPED = "cannot seek back"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def big_ts(media) -> Path:
    """20 s of 640x360 MPEG-TS at a constant 80 Mbit/s: about 200 MB, made in seconds."""
    return media.clip(
        "big.ts",
        duration=20.0,
        width=640,
        height=360,
        fps=30,
        keyint=30,
        container="mpegts",
        muxrate=BIG_MUXRATE,
    )


PLAIN_S = 12.0
PAUSE_AT = 0.6  # the writer stops after 60 % (7 s): FFmpeg's probing alone reads 5 s


@pytest.fixture(scope="session")
def plain_ts(media) -> Path:
    """12 s of 640x360 MPEG-TS at its natural bitrate."""
    return media.clip(
        "plain12.ts", duration=PLAIN_S, width=640, height=360, fps=30, keyint=30, container="mpegts"
    )


def pause_point(data: bytes) -> int:
    return int(len(data) * PAUSE_AT) // 188 * 188


# -- what the kernel says about the player ---------------------------------------------


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def temp_disk_mib(pid: int, tmpdir: Path) -> float:
    """Disk used by the files the process holds open in tmpdir (deleted ones included:
    the ring file is anonymous)."""
    total = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith(f"{tmpdir}/"):
                total += os.stat(f"/proc/{pid}/fd/{fd}").st_blocks * 512
        except OSError:
            pass  # closed meanwhile
    return total / MiB


def file_position(pid: int, fd: int) -> int:
    with open(f"/proc/{pid}/fdinfo/{fd}") as f:
        return int(f.readline().split()[1])  # "pos:\t<offset>"


def sample_until_clock(run, tmpdir: Path, clock: float, timeout: float) -> dict:
    """Peak resident memory and temporary disk while the status clock goes up to clock."""
    peaks = {"rss": 0.0, "disk": 0.0, "samples": 0}

    def look():
        if run.poll() is not None:
            raise AssertionError(f"player exited: {run.stderr()[-800:]!r}")
        peaks["rss"] = max(peaks["rss"], rss_mib(run.pid))
        peaks["disk"] = max(peaks["disk"], temp_disk_mib(run.pid, tmpdir))
        peaks["samples"] += 1
        lines = run.status_lines()
        return bool(lines) and not math.isnan(lines[-1].clock) and lines[-1].clock >= clock

    _wait_until(look, timeout, 0.2, what=f"status clock >= {clock}")
    return peaks


def quit_cleanly(run) -> None:
    run.signal(signal.SIGTERM)
    rc = run.wait(10)
    err = run.stderr()
    assert "Traceback" not in err, err[-3000:]
    assert rc == 0, err[-2000:]


def warnings_of(run) -> list[str]:
    return [line for line in run.other_stderr_lines() if line.startswith("pyffplay: warning:")]


# -- (a) a big TS through a pipe: flat memory and disk ----------------------------------


def test_big_ts_through_a_pipe_stays_bounded(player, big_ts, tmp_path):
    """`cat big.ts | pyffplay -avio_mem 16M -avio_disk 32M -`: temporary disk < 40 MiB,
    resident memory within 40 MiB of playing the same file directly."""
    bounds = ("-avio_mem", "16M", "-avio_disk", "32M")
    peaks = {}
    for how in ("direct", "pipe"):
        tmpdir = tmp_path / f"tmp-{how}"
        tmpdir.mkdir()
        env = {"TMPDIR": str(tmpdir)}
        if how == "direct":
            run = player.start(*bounds, "-window_title", "bounded-direct", big_ts, env=env)
        else:
            run = player.start(
                *bounds, "-window_title", "bounded-pipe", "-", input_cmd=["cat", big_ts], env=env
            )
        run.wait_clock(1.0, timeout=30)
        peaks[how] = sample_until_clock(run, tmpdir, 12.0, timeout=60)
        if how == "pipe":
            cat = run.helpers[0]
            read_by_cat = file_position(cat.pid, 3)  # cat's input file is its descriptor 3
        quit_cleanly(run)
        assert not warnings_of(run), warnings_of(run)  # playing on never needs dropped bytes
        assert list(tmpdir.iterdir()) == []  # nothing left behind
    print(
        f"\nbig TS {big_ts.stat().st_size / MiB:.0f} MiB, peaks over "
        f"{peaks['pipe']['samples']} samples: direct RSS {peaks['direct']['rss']:.0f} MiB; "
        f"pipe RSS {peaks['pipe']['rss']:.0f} MiB, temporary disk "
        f"{peaks['pipe']['disk']:.1f} MiB; cat had read {read_by_cat / MiB:.0f} MiB"
    )
    assert peaks["direct"]["disk"] == 0
    assert 16 <= peaks["pipe"]["disk"] < 40  # it spilled, into a ring of 32 MiB
    assert peaks["pipe"]["rss"] <= peaks["direct"]["rss"] + 40
    # Far more than the 48 MiB window went through, and not the whole file: the reader
    # keeps pace with playback (back-pressure on cat) instead of slurping the pipe.
    assert 100 * MiB < read_by_cat < big_ts.stat().st_size - 16 * MiB


# -- (3) a seek to bytes that were dropped ----------------------------------------------


def test_seek_back_to_dropped_bytes_warns_once_and_plays_on(player, x11, big_ts):
    run = player.start(
        "-avio_mem", "4M", "-avio_disk", "4M", "-window_title", "bounded-seek", "-", input_cmd=["cat", big_ts]
    )
    wid = x11.find_window("bounded-seek", timeout=20, proc=run.proc)
    run.wait_clock(3.0, timeout=30)  # 30 MB played: the start is long gone
    for _ in range(2):
        x11.key(wid, "Left")  # back 10 s: FFmpeg looks for a timestamp at the start
        _wait_until(
            lambda: any(DROPPED in w for w in warnings_of(run)) or run.poll() is not None,
            15,
            what="the dropped-seek warning",
        )
        now = run.status_lines()[-1].clock
        run.wait_clock(now + 2.0, timeout=20)  # and playback goes on
    quit_cleanly(run)
    warned = warnings_of(run)
    assert len(warned) == 1 and DROPPED in warned[0], warned  # once, and nothing else
    assert "-avio_mem 4M + -avio_disk 4M" in warned[0]
    print(f"\n{warned[0]}")


# -- (b), (c) slow, bursty and stalled pipes ----------------------------------------------


class Writer:
    """Feeds a file into a pipe from this process: one byte at a time at first, then
    pieces; it holds back from `pause_at` until `resume` is set, closes at the end."""

    def __init__(self, data: bytes, pause_at: int, one_byte: int = 16 * 1024) -> None:
        self.data, self.pause_at, self.one_byte = data, pause_at, one_byte
        self.r, self.w = os.pipe()
        self.paused = threading.Event()
        self.resume = threading.Event()
        self.t_resumed: float | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _write(self, view: memoryview) -> None:
        while view:
            view = view[os.write(self.w, view) :]

    def _run(self) -> None:
        data = memoryview(self.data)
        try:
            for i in range(self.one_byte):
                self._write(data[i : i + 1])
            for i in range(self.one_byte, self.pause_at, 4096):
                self._write(data[i : min(i + 4096, self.pause_at)])
            self.paused.set()
            self.resume.wait()
            self.t_resumed = time.monotonic()
            for i in range(self.pause_at, len(data), 4096):
                self._write(data[i : i + 4096])
        except OSError:
            pass  # the player quit: its end of the pipe is closed
        finally:
            os.close(self.w)

    def stop(self) -> None:
        self.resume.set()
        self.thread.join(10)


def start_with_writer(player, writer: Writer, *args):
    run = player.start(*args, "-", stdin=writer.r)
    os.close(writer.r)  # the player holds the read end now
    writer.start()
    return run


def wait_stalled(run, writer: Writer, timeout: float = 30.0) -> None:
    """Wait until everything before the pause was sent and played: both packet queues
    of the status line empty for a whole second."""
    assert writer.paused.wait(timeout), "the writer did not get its bytes into the pipe"
    since: list[float] = []

    def look():
        if run.poll() is not None:
            raise AssertionError(f"player exited during the stall: {run.stderr()[-800:]!r}")
        lines = run.status_lines()
        if not lines or lines[-1].aq or lines[-1].vq:
            since.clear()
            return False
        since[:] = since or [time.monotonic()]
        return time.monotonic() - since[0] >= 1.0

    _wait_until(look, timeout, 0.05, what="empty packet queues while the pipe stalls")


def test_slow_and_bursty_pipe_resumes(player, plain_ts):
    data = plain_ts.read_bytes()
    writer = Writer(data, pause_at=pause_point(data))  # 7 s, then 5 s of nothing
    run = start_with_writer(player, writer, "-autoexit", "-avio_mem", "1M", "-avio_disk", "1M")
    try:
        wait_stalled(run, writer)
        t_pause = time.monotonic()
        _wait_until(
            lambda: time.monotonic() - t_pause >= 5.0 or run.poll() is not None, 10, what="5 s of pause"
        )  # the burst pattern itself: the pipe says nothing
        assert run.poll() is None, "the player took the pause for the end"
        writer.resume.set()
        rc = run.wait(40)
    finally:
        writer.stop()
    err = run.stderr()
    assert "Traceback" not in err, err[-3000:]
    assert rc == 0, err[-2000:]
    frames = [e for e in run.trace() if e["ev"] == "frame"]
    stalled_at = max(e["pts"] for e in frames if e["t"] < writer.t_resumed)
    assert 3.0 < stalled_at < PLAIN_S * PAUSE_AT + 0.5, stalled_at
    assert frames[-1]["pts"] >= PLAIN_S - 0.2, frames[-1]  # it played on to the end
    later = [e for e in frames if e["pts"] > stalled_at]
    assert later and later[0]["t"] > writer.t_resumed  # the rest came after the pause
    assert not warnings_of(run), warnings_of(run)


QUITS = {"q": None, "SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM}


@pytest.mark.parametrize("how", list(QUITS))
def test_quit_during_a_stall_is_prompt(player, x11, plain_ts, how):
    data = plain_ts.read_bytes()
    writer = Writer(data, pause_at=pause_point(data))  # and never resumes
    title = f"bounded-stall-{how}"
    run = start_with_writer(player, writer, "-window_title", title)
    try:
        wid = x11.find_window(title, timeout=20, proc=run.proc)
        wait_stalled(run, writer)
        if QUITS[how] is None:
            _, t0 = x11.key(wid, "q")  # from when xdotool returned
        else:
            t0 = time.monotonic()
            run.signal(QUITS[how])
        latency = run.wait_exit_time(5) - t0
        rc = run.wait(5)
    finally:
        writer.stop()
    exit_event = run.events("exit")[-1]["t"] - t0  # do_exit done: threads stopped, output closed
    print(
        f"\nquit by {how} during a stall: {1000 * latency:.0f} ms "
        f"(player's exit event at {1000 * exit_event:.0f} ms)"
    )
    assert "Traceback" not in run.stderr()
    assert rc == 0, run.stderr()[-2000:]
    assert latency < 1.0, f"{1000 * latency:.0f} ms"


def test_sigterm_while_probing_a_stalled_pipe_is_prompt(player, plain_ts):
    """The stall comes before FFmpeg has seen enough to open the input: the read thread
    is inside av.open, waiting on the pipe."""
    data = plain_ts.read_bytes()
    writer = Writer(data, pause_at=len(data) // 10 // 188 * 188)  # 1.2 s: too little to probe
    run = start_with_writer(player, writer)
    try:
        assert writer.paused.wait(30)
        _wait_until(lambda: pipe_fill(writer.w) == 0, 30, what="the player to drain the pipe")
        assert run.poll() is None
        t0 = time.monotonic()
        run.signal(signal.SIGTERM)
        latency = run.wait_exit_time(5) - t0
        rc = run.wait(5)
    finally:
        writer.stop()
    print(f"\nSIGTERM while probing a stalled pipe: {1000 * latency:.0f} ms")
    assert "Traceback" not in run.stderr()
    assert rc == 0, run.stderr()[-2000:]
    assert latency < 1.0, f"{1000 * latency:.0f} ms"


def pipe_fill(fd: int) -> int:
    """Bytes waiting in an OS pipe (either end)."""
    buf = bytearray(4)
    fcntl.ioctl(fd, termios.FIONREAD, buf)
    return int.from_bytes(buf, "little")
