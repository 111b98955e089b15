"""Memory stays flat while playing: a regression test for per-frame leaks (PyAV's
frame.side_data once leaked every decoded picture at 720p: about 20 MB a second)."""

from __future__ import annotations

import time

from tests.observe import _wait_until


def _rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_resident_memory_is_flat_while_playing_720p(player, clip_720p):
    run = player.start("-vo", "null", "-an", "-nostats", "-autoexit", clip_720p)
    _wait_until(lambda: run.trace_path.exists() and run.events("open"), 20, what="the input open")
    time.sleep(1.5)  # decoders and queues at their working size
    start = _rss_mib(run.pid)
    time.sleep(5.0)  # 150 pictures later
    end = _rss_mib(run.pid)
    assert run.wait(30) == 0, run.stderr()[-2000:]
    assert end - start < 40, f"RSS grew from {start:.0f} to {end:.0f} MiB in 5 s"
