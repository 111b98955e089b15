"""pyffplay: ffplay's threads, queues and clocks in Python, as a command and a library.

import pyffplay
with pyffplay.Player("movie.mp4", vo="null", autoexit=True) as p:
    p.play()
    p.wait()
"""

from __future__ import annotations

from typing import Any

__version__ = "0.2.0"
__all__ = ["Player", "__version__"]


def __getattr__(name: str) -> Any:
    # Imported on first use: `pyffplay -h` and the command line's start-up stay light.
    if name == "Player":
        from pyffplay.player import Player

        return Player
    raise AttributeError(f"module 'pyffplay' has no attribute {name!r}")
