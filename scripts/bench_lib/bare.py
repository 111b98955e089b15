"""The references for pyffplay -untimed, run as their own process:

    python bare.py decode  CLIP SECONDS   # PyAV decode loop, nothing else
    python bare.py display CLIP SECONDS   # the same, and every frame through SDL to a window

``display`` does what a player cannot do less of: SDL_UpdateYUVTexture from the frame's
planes, RenderClear/RenderCopy/RenderPresent (accelerated renderer, no vsync), events pumped.
Frames up to SECONDS of media time are used. Prints one JSON line on stderr:
``{"frames": N, "t_first": ..., "t_last": ...}`` (time.monotonic of the first and last frame).
"""

from __future__ import annotations

import ctypes
import json
import sys
import time
import warnings

import av


def frames(path: str, seconds: float):
    with av.open(path) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for f in c.decode(s):
            if f.time is not None and f.time > seconds + 1e-6:
                break
            yield f


def run(mode: str, path: str, seconds: float) -> dict:
    show = None
    if mode == "display":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import sdl2
        show = _Display(sdl2)
    n, t_first, t_last = 0, None, None
    for f in frames(path, seconds):
        if show is not None:
            show.frame(f)
        t_last = time.monotonic()
        if t_first is None:
            t_first = t_last
        n += 1
    return {"frames": n, "t_first": t_first, "t_last": t_last}


class _Display:
    def __init__(self, sdl2):
        self.sdl2 = sdl2
        self.window = self.renderer = self.texture = None
        self.event = sdl2.SDL_Event()
        if sdl2.SDL_Init(sdl2.SDL_INIT_VIDEO) != 0:
            raise SystemExit("bare: SDL_Init: " + sdl2.SDL_GetError().decode())
        sdl2.SDL_SetHint(sdl2.SDL_HINT_RENDER_SCALE_QUALITY, b"linear")

    def _open(self, w: int, h: int) -> None:
        sdl2 = self.sdl2
        self.window = sdl2.SDL_CreateWindow(
            b"bench bare display",
            sdl2.SDL_WINDOWPOS_CENTERED,
            sdl2.SDL_WINDOWPOS_CENTERED,
            w,
            h,
            sdl2.SDL_WINDOW_SHOWN,
        )
        self.renderer = sdl2.SDL_CreateRenderer(
            self.window, -1, sdl2.SDL_RENDERER_ACCELERATED
        ) or sdl2.SDL_CreateRenderer(self.window, -1, 0)
        self.texture = sdl2.SDL_CreateTexture(
            self.renderer, sdl2.SDL_PIXELFORMAT_IYUV, sdl2.SDL_TEXTUREACCESS_STREAMING, w, h
        )
        if not self.texture:
            raise SystemExit("bare: " + sdl2.SDL_GetError().decode())

    def frame(self, f) -> None:
        sdl2 = self.sdl2
        if f.format.name != "yuv420p":
            f = f.reformat(format="yuv420p")
        if self.texture is None:
            self._open(f.width, f.height)
        y, u, v = f.planes
        p = ctypes.POINTER(ctypes.c_ubyte)
        sdl2.SDL_UpdateYUVTexture(
            self.texture,
            None,
            ctypes.cast(y.buffer_ptr, p),
            y.line_size,
            ctypes.cast(u.buffer_ptr, p),
            u.line_size,
            ctypes.cast(v.buffer_ptr, p),
            v.line_size,
        )
        sdl2.SDL_RenderClear(self.renderer)
        sdl2.SDL_RenderCopy(self.renderer, self.texture, None, None)
        sdl2.SDL_RenderPresent(self.renderer)
        while sdl2.SDL_PollEvent(ctypes.byref(self.event)):
            pass


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("decode", "display"):
        raise SystemExit("usage: bare.py decode|display CLIP SECONDS")
    print(json.dumps(run(sys.argv[1], sys.argv[2], float(sys.argv[3]))), file=sys.stderr)
