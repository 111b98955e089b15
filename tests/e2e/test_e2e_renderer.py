"""-renderer: both SDL picture paths draw the right frame; auto picks software on llvmpipe."""

from __future__ import annotations

import numpy as np
import pytest

from pyffplay.video_output.sdl import has_gpu_device
from tests.media import decode_frame_index


@pytest.mark.parametrize(
    "mode, expected", [("gpu", "opengl"), ("software", "software"), ("auto", "software")]
)
def test_each_renderer_shows_the_frame_on_time(player, x11, clip_long, mode, expected):
    title = f"pyffplay-renderer-{mode}"
    run = player.start("-renderer", mode, "-x", "480", "-y", "270", "-window_title", title, clip_long)
    wid = x11.find_window(title, timeout=20, proc=run.proc)
    run.wait_clock(1.5, timeout=20)
    x11.key(wid, "p")
    status = run.wait_status(lambda s: s.clock == s.clock, 5)

    shot = x11.still_screenshot(wid)
    x11.key(wid, "q")
    assert run.wait(10) == 0, run.stderr()[-2000:]
    out = run.events("output")[0]
    assert out["renderer"] == expected, out
    assert out["wait"] == "x11", out  # the loop sleeps on the X socket, not in 10 ms polls
    if mode == "auto" and has_gpu_device():
        assert "llvmpipe" in (out["gl"] or ""), out  # this machine's OpenGL runs on the CPU
    elif mode == "auto":
        assert out["gl"] is None, out  # no GPU device: OpenGL was not even asked
    index = decode_frame_index(np.ascontiguousarray(shot))
    # the picture on screen belongs to the paused clock (30 fps), give or take a few frames
    assert abs(index - status.clock * 30) <= 6, (index, status.clock)
