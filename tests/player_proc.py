"""The real ``python -m pyffplay`` process as the end-to-end tests start and watch it."""

from __future__ import annotations

import contextlib
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.observe import Status, _wait_until, non_status_lines, parse_status_lines, read_trace

REPO = Path(__file__).resolve().parent.parent
# The two SDL picture paths (-renderer): picture tests run on both.
RENDERERS = ["software", "gpu"]


@dataclass
class PlayerRun:
    """One real ``python -m pyffplay`` process."""

    args: list
    proc: subprocess.Popen
    stderr_path: Path
    trace_path: Path | None
    t_start: float
    helpers: list = field(default_factory=list)
    t_exit: float | None = None

    # --- process -----------------------------------------------------------------------
    @property
    def pid(self) -> int:
        return self.proc.pid

    def poll(self):
        rc = self.proc.poll()
        if rc is not None and self.t_exit is None:
            self.t_exit = time.monotonic()
        return rc

    def wait(self, timeout: float) -> int:
        """Wait for exit; on timeout kill the player and fail with the tail of stderr."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(  # noqa: B904 - the timeout is the message
                f"pyffplay {' '.join(map(str, self.args))} did not exit within {timeout}s; "
                f"stderr tail: {self.stderr()[-1500:]!r}"
            )
        if self.t_exit is None:
            self.t_exit = time.monotonic()
        for h in self.helpers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                h.wait(5)
        return rc

    def wait_exit_time(self, timeout: float) -> float:
        """Block until the process ends; return time.monotonic() at its exit."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(
                    f"player did not exit within {timeout}s; stderr tail: {self.stderr()[-1500:]!r}"
                )
            time.sleep(0.001)
        if self.t_exit is None:
            self.t_exit = time.monotonic()
        return self.t_exit

    def signal(self, sig):
        self.proc.send_signal(sig)

    def kill(self):
        for p in [self.proc, *self.helpers]:
            if p.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    p.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    p.wait(5)

    # --- output ------------------------------------------------------------------------
    def stderr(self) -> str:
        try:
            return self.stderr_path.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def status_lines(self) -> list[Status]:
        return parse_status_lines(self.stderr())

    def other_stderr_lines(self) -> list[str]:
        return non_status_lines(self.stderr())

    def trace(self) -> list[dict]:
        assert self.trace_path is not None, "started without a trace file"
        assert self.trace_path.exists(), f"no trace file written at {self.trace_path}"
        return read_trace(self.trace_path)

    def events(self, kind: str) -> list[dict]:
        return [e for e in self.trace() if e["ev"] == kind]

    # --- waiting on the live status line -----------------------------------------------
    def wait_status(self, pred, timeout: float, what="a status line") -> Status:
        """Wait for a status line (read live from stderr) satisfying ``pred``."""

        def look():
            if self.poll() is not None:
                raise AssertionError(
                    f"player exited (code {self.proc.returncode}) while "
                    f"waiting for {what}; stderr tail: "
                    f"{self.stderr()[-800:]!r}"
                )
            lines = self.status_lines()
            for s in reversed(lines[-5:]):
                if pred(s):
                    return s
            return None

        try:
            return _wait_until(look, timeout, 0.02, what=what)
        except TimeoutError:
            lines = self.status_lines()
            raise AssertionError(  # noqa: B904 - the timeout is the message
                f"no {what} within {timeout}s ({len(lines)} status lines seen; last: "
                f"{lines[-1].raw if lines else None!r}; stderr tail "
                f"{self.stderr()[-300:]!r}). Is stderr flushed after each '\\r' status line?"
            )

    def wait_clock(self, at_least: float, timeout: float = 15.0) -> Status:
        return self.wait_status(
            lambda s: not math.isnan(s.clock) and s.clock >= at_least,
            timeout,
            what=f"status clock >= {at_least}",
        )


def _environ_copy() -> dict:
    """os.environ as a dict, from any thread: pytest sets and removes PYTEST_CURRENT_TEST in
    the main thread, and copying while it does raises KeyError (the fuzz test starts players
    from a thread of its own)."""
    for _ in range(50):
        try:
            return dict(os.environ)
        except (KeyError, RuntimeError):
            time.sleep(0.001)
    return dict(os.environ)


class Player:
    """Starts real ``python -m pyffplay`` processes with the test environment."""

    def __init__(self, workdir: Path, display: str, pulse: str):
        self.workdir = workdir
        self.display = display
        self.pulse = pulse
        self.runs: list[PlayerRun] = []
        self._n = 0

    def env(self) -> dict:
        env = _environ_copy()
        env["DISPLAY"] = self.display
        if self.pulse:
            env["PULSE_SERVER"] = self.pulse
        env.setdefault("LANG", "C.UTF-8")
        src = str(REPO)
        env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        return env

    def start(self, *args, stdin=None, trace=True, input_cmd=None, env=None) -> PlayerRun:
        """Start ``pyffplay ARGS``; ``input_cmd`` (a list) is run with its stdout piped
        into the player's stdin (e.g. ``["cat", path]``)."""
        self._n += 1
        stem = self.workdir / f"run{self._n:03d}"
        stderr_path = stem.with_suffix(".stderr")
        trace_path = stem.with_suffix(".trace.jsonl") if trace else None
        argv = [str(a) for a in args]
        if trace:
            argv = ["-trace_file", str(trace_path), *argv]
        helpers = []
        stdin_arg = stdin if stdin is not None else subprocess.DEVNULL
        if input_cmd is not None:
            feeder = subprocess.Popen(
                [str(c) for c in input_cmd], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
            )
            helpers.append(feeder)
            stdin_arg = feeder.stdout
        t0 = time.monotonic()
        with open(stderr_path, "wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "pyffplay", *argv],
                stdin=stdin_arg,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env={**self.env(), **(env or {})},
                cwd=str(self.workdir),
            )
        if input_cmd is not None:
            helpers[0].stdout.close()  # the player holds the read end now
        run = PlayerRun(argv, proc, stderr_path, trace_path, t0, helpers)
        self.runs.append(run)
        return run

    def run(self, *args, timeout: float = 30.0, **kw) -> PlayerRun:
        """Start and wait for exit."""
        r = self.start(*args, **kw)
        r.wait(timeout)
        return r

    def cleanup(self):
        for r in self.runs:
            r.kill()
