"""Both SDL picture paths (-renderer software and gpu) letterbox, scale smoothly and draw
the right frame. Subtitles, show modes and rotation run on both paths in their own
modules (parametrized on RENDERERS)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.media import decode_frame_index
from tests.player_proc import RENDERERS


@pytest.mark.parametrize("renderer", RENDERERS)
def test_letterboxed_and_smoothly_scaled(player, x11, clip_long, renderer):
    # A 640x360 picture in a 640x480 window: 360 rows of picture between two 60-row bars.
    title = f"pyffplay-letterbox-{renderer}"
    run = player.start("-renderer", renderer, "-x", "640", "-y", "480", "-window_title", title, clip_long)
    wid = x11.find_window(title, timeout=20, proc=run.proc)
    run.wait_clock(1.0, timeout=20)
    x11.key(wid, "p")

    shot = x11.still_screenshot(wid)
    x11.key(wid, "q")
    assert run.wait(10) == 0, run.stderr()[-2000:]
    assert shot.shape == (480, 640, 3), shot.shape
    bars = np.concatenate([shot[:58], shot[-58:]])
    assert bars.max() <= 16, "the bars above and below the picture are black"
    picture = shot[62:-62]
    assert picture.mean() > 30, "the picture fills the middle"
    assert 0 <= decode_frame_index(np.ascontiguousarray(shot[60:-60])) <= 30 * 30

    # Scaling quality: enlarged 1.5 times, the index row's black/white block edges get
    # in-between greys (bilinear); nearest-neighbour would leave only black and white.
    title = f"pyffplay-scaled-{renderer}"
    run = player.start("-renderer", renderer, "-x", "960", "-y", "540", "-window_title", title, clip_long)
    wid = x11.find_window(title, timeout=20, proc=run.proc)
    run.wait_clock(1.0, timeout=20)
    x11.key(wid, "p")
    big = x11.still_screenshot(wid)
    x11.key(wid, "q")
    assert run.wait(10) == 0, run.stderr()[-2000:]
    assert big.shape == (540, 960, 3), big.shape
    assert run.events("output")[0]["renderer"] == ("opengl" if renderer == "gpu" else "software")
    row = big[10, :, :].astype(int).mean(axis=1)  # across the index row's blocks
    edges = np.flatnonzero(np.abs(np.diff(row)) > 40)
    assert edges.size, "the index row has block edges"
    greys = ((row > 40) & (row < 215)).sum()
    assert greys >= edges.size // 2, (greys, edges.size)
