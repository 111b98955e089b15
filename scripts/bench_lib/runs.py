"""One measured process: start it, optionally drive it, reap it with ``os.wait4``.

``os.wait4`` gives the child's own resource use: user + system CPU seconds and its peak
resident memory (``ru_maxrss``, KiB on Linux). A timer kills the child's process group when
it overstays its time limit; every live child is killed by ``kill_all()`` on the way out.

Why a launcher: Linux keeps ``ru_maxrss`` across ``execve`` and counts the address space a
child had between fork and exec, i.e. a copy of its parent's. Spawned straight from this
script (numpy, PyAV, SDL and matplotlib loaded, ~150 MiB) every player would report at
least that much. So each run goes through a tiny ``python -S -I`` launcher (~6 MiB) that
forks the player, reaps it with ``os.wait4`` and writes the figures, with its own
``time.monotonic()`` just before the fork and just after the reap, to a JSON file.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

_live: dict[int, subprocess.Popen] = {}

# ffplay's "%7.2f %s:%7.3f fd=%4d aq=%5dKB vq=%5dKB sq=%5dB" (+ " f=0/0" in 5.1)
_NUM = r"([-+]?(?:\d+(?:\.\d*)?|\.\d+)|[-+]?nan|[-+]?inf)"
STATUS_RE = re.compile(r"^\s*" + _NUM + r"\s+(A-V|M-V|M-A):\s*" + _NUM + r"\s+fd=\s*(-?\d+)", re.I)


@dataclass
class Status:
    clock: float  # the master clock at the start of the line: the playback position
    label: str
    diff: float  # A-V (or M-V / M-A) in seconds
    fd: int


def parse_status(text: str) -> list[Status]:
    """Status lines from stderr text; lines are separated by '\\r' (and '\\n' for logs)."""
    out = []
    for piece in re.split(r"[\r\n]+", text):
        m = STATUS_RE.match(piece)
        if m:
            out.append(Status(float(m.group(1)), m.group(2).upper(), float(m.group(3)), int(m.group(4))))
    return out


def read_trace(path: Path) -> list[dict]:
    events = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a kill
                if isinstance(ev, dict) and "ev" in ev:
                    events.append(ev)
    except FileNotFoundError:
        pass
    return events


LAUNCHER = r"""
import json, os, signal, sys, time
out, argv = sys.argv[1], sys.argv[2:]
t_fork = time.monotonic()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    except OSError as e:
        os.write(2, ("bench launcher: cannot run %s: %s\n" % (argv[0], e.strerror)).encode())
    os._exit(127)
# SIGTERM (a time-out, Ctrl-C): kill the player and still reap it, so that no zombie is
# left behind for an init that may not reap orphans
signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGKILL))
while True:
    try:
        _pid, status, ru = os.wait4(pid, 0)
        break
    except InterruptedError:
        pass
t_exit = time.monotonic()
code = os.waitstatus_to_exitcode(status)
with open(out + ".part", "w") as f:
    json.dump({"t_fork": t_fork, "t_exit": t_exit, "rc": code, "cpu": ru.ru_utime + ru.ru_stime,
               "maxrss_kib": ru.ru_maxrss}, f)
os.replace(out + ".part", out)
os._exit(code if code >= 0 else 128 - code)
"""


@dataclass
class Run:
    name: str  # "ffplay" / "pyffplay" / "pyav"
    what: str  # which measurement, for messages
    argv: list[str]
    stderr_path: Path
    trace_path: Path | None = None
    t_spawn: float = 0.0  # time.monotonic() just before the player was forked
    t_exit: float = 0.0  # ... and just after it was reaped
    rc: int | None = None
    cpu: float = math.nan  # user + system seconds of the child
    maxrss_mib: float = math.nan
    timed_out: bool = False
    error: str | None = None
    extra: dict = field(default_factory=dict)
    proc: subprocess.Popen | None = None

    @property
    def wall(self) -> float:
        return self.t_exit - self.t_spawn

    @property
    def ok(self) -> bool:
        return self.error is None

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def status(self) -> list[Status]:
        return parse_status(self.stderr())

    def trace(self) -> list[dict]:
        return read_trace(self.trace_path) if self.trace_path else []

    def tail(self, n: int = 160) -> str:
        """The last non-status stderr text, on one line."""
        lines = [
            p.strip() for p in re.split(r"[\r\n]+", self.stderr()) if p.strip() and not STATUS_RE.match(p)
        ]
        return " | ".join(lines[-2:])[-n:]


def _result_path(run: Run) -> Path:
    return run.stderr_path.with_suffix(".rusage.json")


def start(run: Run, env: dict) -> Run:
    run.stderr_path.parent.mkdir(parents=True, exist_ok=True)
    for old in (run.trace_path, _result_path(run)):
        if old is not None and old.exists():
            old.unlink()
    launcher = [sys.executable, "-S", "-I", "-c", LAUNCHER, str(_result_path(run))]
    with open(run.stderr_path, "wb") as err:
        run.t_spawn = time.monotonic()
        try:
            run.proc = subprocess.Popen(
                [*launcher, *run.argv],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=env,
                start_new_session=True,
            )
        except OSError as e:
            run.t_exit = time.monotonic()
            run.error = f"cannot start {run.argv[0]}: {e.strerror}"
            return run
    _live[run.proc.pid] = run.proc
    return run


def _killpg(pid: int, sig=signal.SIGKILL) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _terminate(proc: subprocess.Popen) -> None:
    """SIGTERM to the launcher (it kills and reaps the player); SIGKILL to the group later
    if that did not end it."""
    try:
        proc.send_signal(signal.SIGTERM)
    except ProcessLookupError:
        return
    fallback = threading.Timer(5.0, lambda: proc.returncode is None and _killpg(proc.pid))
    fallback.daemon = True
    fallback.start()


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (not idle, not waiting on I/O)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return math.nan
    ticks = os.sysconf("SC_CLK_TCK")
    return (sum(fields[:8]) - fields[3] - fields[4]) / ticks  # minus idle and iowait


def kill_group(run: Run) -> None:
    if run.proc is not None:
        _terminate(run.proc)


def finish(run: Run, timeout: float) -> Run:
    """Wait for the launcher, kill its group after ``timeout``; read the player's figures."""
    proc = run.proc
    if proc is None:
        return run

    def overstay():
        run.timed_out = True
        _terminate(proc)

    timer = threading.Timer(max(0.0, run.t_spawn + timeout - time.monotonic()), overstay)
    timer.daemon = True
    timer.start()
    try:
        proc.wait()
    finally:
        timer.cancel()  # (on Ctrl-C the child stays in _live for kill_all)
    _live.pop(proc.pid, None)
    run.t_exit = time.monotonic()
    run.rc = proc.returncode
    try:
        res = json.loads(_result_path(run).read_text())
    except (OSError, ValueError):
        res = None
    if res is not None:
        run.t_spawn, run.t_exit, run.rc = res["t_fork"], res["t_exit"], res["rc"]
        run.cpu = res["cpu"]
        run.maxrss_mib = res["maxrss_kib"] / 1024.0
    elif not run.timed_out and run.error is None:
        run.error = f"the launcher wrote no figures (exit code {run.rc}): {run.tail()}"
    if run.timed_out:
        run.error = f"timed out after {timeout:.0f} s and was killed"
    elif run.rc != 0 and run.error is None:
        run.error = f"exit code {run.rc}: {run.tail()}"
    return run


def kill_all() -> None:
    for pid, proc in list(_live.items()):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(3)
            except subprocess.TimeoutExpired:
                _killpg(pid)
                try:
                    proc.wait(3)
                except subprocess.TimeoutExpired:
                    pass
        _live.pop(pid, None)


# ---------------------------------------------------------------------------------------
# driving a window with xdotool
# ---------------------------------------------------------------------------------------

_XWININFO_RE = re.compile(r'^\s*(0x[0-9a-fA-F]+)\s+"(.*)":\s')


def find_window(title: str, env: dict, proc: subprocess.Popen, timeout: float) -> int:
    """The id of the viewable top-level window named ``title``.

    ``xdotool search --name`` cannot read SDL's UTF8_STRING titles, so list the root's
    children with xwininfo instead.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("exited before its window appeared")
        out = subprocess.run(
            ["xwininfo", "-root", "-children"], env=env, capture_output=True, text=True, timeout=5
        ).stdout
        for line in out.splitlines():
            m = _XWININFO_RE.match(line)
            if m and m.group(2) == title:
                wid = int(m.group(1), 16)
                info = subprocess.run(
                    ["xwininfo", "-id", str(wid)], env=env, capture_output=True, text=True, timeout=5
                ).stdout
                if "IsViewable" in info:
                    return wid
        time.sleep(0.05)
    raise RuntimeError(f"no window titled {title!r} within {timeout:.0f} s")


def wait_clock(run: Run, at_least: float, timeout: float) -> None:
    """Wait for a status line whose clock is >= ``at_least`` (playback under way)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if run.proc.poll() is not None:
            raise RuntimeError("exited before playing")
        lines = parse_status(run.stderr()[-2000:])
        if lines and not math.isnan(lines[-1].clock) and lines[-1].clock >= at_least:
            return
        time.sleep(0.05)
    raise RuntimeError(f"playback did not reach {at_least} s within {timeout:.0f} s")


def send_key(wid: int, key: str, env: dict) -> float:
    """``xdotool key --window ID KEY``; returns time.monotonic() just before it was sent."""
    t = time.monotonic()
    subprocess.run(
        ["xdotool", "key", "--window", str(wid), key],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=5,
    )
    return t


def release_keys(env: dict, keys: tuple[str, ...] = ("q", "Escape")) -> None:
    """Release ``keys`` on the X server. xdotool presses a key with XTEST when the target
    window has the focus; if that key closes the window, xdotool can die of the X error
    before its key-up, and the key stays down: the server then auto-repeats it into every
    window that opens later (every SDL player of the next runs quit at once)."""
    subprocess.run(
        ["xdotool", "keyup", *keys],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=5,
        check=False,
    )
