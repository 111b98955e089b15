"""X11Wait on a real SDL window on the test's X server: the loop's sleep ends for a key, for
an event already in SDL's queue, for a wake-up from another thread, and not before its
timeout otherwise. Run in a child process, as the player runs it (SDL owns that process)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

CHILD = r"""
import ctypes, json, sys, threading, time
from pyffplay.sdl_lib import sdl2
from pyffplay.video_output.x11_wait import X11Wait

def say(**kw):
    print(json.dumps(kw), flush=True)

assert sdl2.SDL_InitSubSystem(sdl2.SDL_INIT_VIDEO) == 0
window = sdl2.SDL_CreateWindow(b"x11wait-test", 0, 0, 200, 100, sdl2.SDL_WINDOW_SHOWN)
wait = X11Wait.for_window(window)
say(step="made", x11=wait is not None, driver=sdl2.SDL_GetCurrentVideoDriver().decode())
ev = sdl2.SDL_Event()

def drain():
    n = 0
    while sdl2.SDL_PollEvent(ctypes.byref(ev)):
        n += 1
    return n

time.sleep(0.5)
drain()
t0 = time.monotonic(); wait.wait(0.2); say(step="timeout", took=time.monotonic() - t0)

threading.Timer(0.1, wait.wakeup).start()
t0 = time.monotonic(); wait.wait(10.0); say(step="wakeup", took=time.monotonic() - t0)

user = sdl2.SDL_Event(); user.type = sdl2.SDL_USEREVENT
sdl2.SDL_PushEvent(ctypes.byref(user))
t0 = time.monotonic(); wait.wait(10.0); say(step="queued", took=time.monotonic() - t0)
drain()

say(step="ready_for_key")
keys = 0
deadline = time.monotonic() + 20
while not keys and time.monotonic() < deadline:
    t0 = time.monotonic()
    wait.wait(10.0)
    took = time.monotonic() - t0
    while sdl2.SDL_PollEvent(ctypes.byref(ev)):
        if ev.type == sdl2.SDL_KEYDOWN:
            keys += 1
say(step="key", keys=keys, took=took)

wait.close()
wait.wakeup()  # after close: nothing, and nothing written to a reused descriptor
sdl2.SDL_DestroyWindow(window)
say(step="done")
"""


def _lines(proc: subprocess.Popen[str], until: str, timeout: float) -> dict[str, dict]:
    seen: dict[str, dict] = {}
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while until not in seen and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        msg = json.loads(line)
        seen[msg["step"]] = msg
    return seen


def test_x11_wait_ends_for_keys_queued_events_wakeups_and_timeouts(x11, x_display):
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        seen = _lines(proc, "ready_for_key", 60)
        assert "ready_for_key" in seen, (seen, proc.stderr.read() if proc.poll() is not None else "")
        assert seen["made"]["x11"], seen["made"]
        assert 0.15 <= seen["timeout"]["took"] < 3.0, seen  # slept, and not much past 0.2 s
        assert 0.05 <= seen["wakeup"]["took"] < 3.0, seen  # the other thread ended a 10 s sleep
        assert seen["queued"]["took"] < 1.0, seen  # an event already in SDL's queue: no sleep
        wid = x11.find_window("x11wait-test", timeout=20, proc=proc)
        x11.key(wid, "a")
        seen.update(_lines(proc, "done", 30))
        assert seen.get("key", {}).get("keys", 0) >= 1, seen
        assert seen["key"]["took"] < 5.0, seen  # the key ended a 10 s sleep
        assert "done" in seen, seen
        assert proc.wait(10) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
