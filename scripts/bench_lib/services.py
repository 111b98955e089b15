"""The X server and the sound server the players need, started only when missing.

* X: ``$DISPLAY`` when it answers ``xdpyinfo``; else our own ``Xvfb :N -screen 0
  1920x1200x24`` (``-displayfd`` picks a free N).
* Sound: the PulseAudio server ``pactl info`` reaches; else our own, with a null sink, on a
  private socket (exported to the players as ``PULSE_SERVER``).
* Always: a silent low-latency ``pacat`` stream. A bare PulseAudio null sink sleeps in 2 s
  blocks while idle and does not wake when a client connects, so every new stream would
  stall for up to 2 s at start; the keep-alive stream makes both players start as on real
  hardware, which is what makes the start-up and A-V figures comparable.

Everything started here is stopped by ``close()`` (also on errors and Ctrl-C).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from bench_lib import BenchError

SCREEN = "1920x1200x24"


def _quiet(cmd: list[str], env: dict | None = None, timeout: float = 5.0) -> int:
    try:
        return subprocess.run(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout
        ).returncode
    except (subprocess.TimeoutExpired, OSError):
        return -1


def _need(tool: str, package: str) -> None:
    if not shutil.which(tool):
        raise BenchError(f"{tool} not found (apt-get install {package}; or source scripts/setup)")


def _stop(proc: subprocess.Popen, timeout: float = 5.0) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout)
    except ProcessLookupError:
        pass


class Services:
    """Context manager: ``env`` is the environment for the players."""

    def __init__(self, workdir: Path, log=print):
        self.workdir = workdir
        self.log = log
        self.env = dict(os.environ)
        self.env.setdefault("LANG", "C.UTF-8")
        self.started: list[tuple[str, subprocess.Popen]] = []
        self.notes: list[str] = []

    def __enter__(self) -> Services:
        try:
            self._x()
            self._pulse()
            self._keepalive()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for _name, proc in reversed(self.started):
            _stop(proc)
        self.started.clear()

    # --- X ---------------------------------------------------------------------------
    def _x(self) -> None:
        _need("xdpyinfo", "x11-utils")
        _need("xwininfo", "x11-utils")
        _need("xdotool", "xdotool")
        display = os.environ.get("DISPLAY", "")
        if display and _quiet(["xdpyinfo", "-display", display]) == 0:
            self.notes.append(f"X display {display} (already running)")
            return
        _need("Xvfb", "xvfb")
        r, w = os.pipe()
        log = open(self.workdir / "xvfb.log", "wb")
        proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(w), "-screen", "0", SCREEN, "-nolisten", "tcp", "-noreset"],
            pass_fds=(w,),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        os.close(w)
        self.started.append(("Xvfb", proc))
        data = b""
        os.set_blocking(r, False)
        deadline = time.monotonic() + 15
        try:
            while not data.endswith(b"\n"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise BenchError("Xvfb did not start; see " + str(self.workdir / "xvfb.log"))
                try:
                    chunk = os.read(r, 64)
                except BlockingIOError:
                    chunk = b""
                if not chunk:
                    time.sleep(0.02)
                data += chunk
        finally:
            os.close(r)
        display = ":" + data.decode().strip()
        while _quiet(["xdpyinfo", "-display", display]) != 0:
            if time.monotonic() > deadline:
                raise BenchError(f"Xvfb on {display} does not answer")
            time.sleep(0.05)
        self.env["DISPLAY"] = display
        self.notes.append(f"X display {display} (Xvfb -screen 0 {SCREEN}, started by bench)")

    # --- PulseAudio ------------------------------------------------------------------
    def _pulse(self) -> None:
        _need("pactl", "pulseaudio-utils")
        if _quiet(["pactl", "info"], env=self.env) == 0:
            self.notes.append("PulseAudio (already running)")
            return
        _need("pulseaudio", "pulseaudio")
        rundir = Path(tempfile.mkdtemp(prefix="pulse-", dir=self.workdir))
        sock = rundir / "native"
        log = open(rundir / "pulseaudio.log", "wb")
        proc = subprocess.Popen(
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
        self.started.append(("pulseaudio", proc))
        self.env["PULSE_SERVER"] = f"unix:{sock}"
        deadline = time.monotonic() + 15
        while _quiet(["pactl", "info"], env=self.env) != 0:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise BenchError("pulseaudio did not start; see " + str(rundir / "pulseaudio.log"))
            time.sleep(0.1)
        self.notes.append("PulseAudio with a null sink (started by bench)")

    def _keepalive(self) -> None:
        _need("pacat", "pulseaudio-utils")
        zero = open("/dev/zero", "rb")
        proc = subprocess.Popen(
            [
                "pacat",
                "--playback",
                "--raw",
                "--latency-msec=30",
                "--format=s16le",
                "--rate=48000",
                "--channels=2",
                "--client-name=pyffplay-bench-keepalive",
            ],
            stdin=zero,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=self.env,
            start_new_session=True,
        )
        zero.close()
        self.started.append(("pacat", proc))
        time.sleep(2.2)  # let a sleeping null sink wake and adopt the 30 ms latency
        if proc.poll() is not None:
            raise BenchError("pacat keep-alive stream exited at once (is PulseAudio usable?)")
        self.notes.append("a silent 30 ms pacat stream keeps the sink awake")
