"""Subtitles in the SDL window: ffplay's subtitle texture, and text through SDL_ttf.

Bitmap rects (already BGRA, see subtitles.py) become one static texture each, uploaded once
and stretched with the picture by the ratio of the display rect to the subtitle's canvas,
alpha-blended as ffplay does. Text is rendered once per subtitle and font size: per line a
white texture over the same line rendered with an outline in black, bottom-centred (top for
ASS \\an7-9), wrapped to the picture's width; the font size follows the picture's height.
A cache keyed by the Subtitle object keeps the textures while it stays on screen.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyffplay.sdl_lib import sdl2

if TYPE_CHECKING:
    # subtitles.py brings NumPy: the window opens without waiting for it.
    from pyffplay.subtitles import Subtitle

FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
    "/Library/Fonts/Arial.ttf",
)
FONT_DIVISOR = 18  # font size = picture height / this (mpv's default is about /20)
MIN_FONT_SIZE = 10
WRAP_FRACTION = 0.92  # lines are wrapped to this fraction of the picture's width


def find_font() -> str | None:
    for path in FONT_PATHS:
        if os.path.isfile(path):
            return path
    return None


class _Texture:
    __slots__ = ("tex", "w", "h")

    def __init__(self, tex: Any, w: int, h: int) -> None:
        self.tex, self.w, self.h = tex, w, h


class SubtitleRenderer:
    """Draws the current subtitle over the picture rect; owns its textures and fonts."""

    def __init__(self, renderer: Any, warn: Callable[[str], None]) -> None:
        self.renderer = renderer
        self.warn = warn
        self._key: tuple[int, int] | None = None  # the picture size the text was rendered for
        self._sub: Subtitle | None = None  # the subtitle the textures belong to
        self._textures: list[tuple[_Texture, int, int]] = []  # texture, x, y relative to the rect
        self._bitmaps: list[tuple[_Texture, int, int]] = []  # texture, canvas x, y
        self._fonts: dict[int, tuple[Any, Any, int]] = {}  # size -> (font, outline font, outline)
        self._ttf = False
        self._font_path: str | None = None
        self._font_failed = False

    def draw(self, sub: Subtitle, x: int, y: int, w: int, h: int, video_size: tuple[int, int]) -> None:
        """Draw ``sub`` over the picture rect (x, y, w, h); textures are made on its first draw."""
        if sub is not self._sub:
            self.forget()
            self._sub = sub
        if sub.bitmaps:
            self._draw_bitmaps(sub, x, y, w, h, video_size)
        if sub.lines:
            if (w, h) != self._key:
                self._drop_text()  # the window changed size: render again at the new size
                self._render_text(sub, w, h)
                self._key = (w, h)
            for t, dx, dy in self._textures:
                sdl2.SDL_RenderCopy(self.renderer, t.tex, None, sdl2.SDL_Rect(x + dx, y + dy, t.w, t.h))

    # -- bitmaps -------------------------------------------------------------------------
    def _draw_bitmaps(
        self, sub: Subtitle, x: int, y: int, w: int, h: int, video_size: tuple[int, int]
    ) -> None:
        if not self._bitmaps:
            for b in sub.bitmaps:
                t = self._upload(b.pixels)
                if t is not None:
                    self._bitmaps.append((t, b.x, b.y))
        cw, ch = sub.canvas if sub.canvas[0] > 0 and sub.canvas[1] > 0 else video_size
        if cw <= 0 or ch <= 0:
            return
        for t, bx, by in self._bitmaps:
            # ffplay stretches the whole canvas onto the picture rect; per rect, the same.
            x0, y0 = x + bx * w // cw, y + by * h // ch
            x1, y1 = x + (bx + t.w) * w // cw, y + (by + t.h) * h // ch
            dst = sdl2.SDL_Rect(x0, y0, max(x1 - x0, 1), max(y1 - y0, 1))
            sdl2.SDL_RenderCopy(self.renderer, t.tex, None, dst)

    def _upload(self, pixels: Any) -> _Texture | None:
        bh, bw = pixels.shape[:2]
        tex = sdl2.SDL_CreateTexture(
            self.renderer, sdl2.SDL_PIXELFORMAT_ARGB8888, sdl2.SDL_TEXTUREACCESS_STATIC, bw, bh
        )
        if not tex:
            return None
        sdl2.SDL_SetTextureBlendMode(tex, sdl2.SDL_BLENDMODE_BLEND)
        # BGRA bytes are ARGB8888 on a little-endian machine (and the palette's 0xAARRGGBB).
        sdl2.SDL_UpdateTexture(tex, None, ctypes.c_void_p(pixels.ctypes.data), bw * 4)
        return _Texture(tex, bw, bh)

    # -- text ----------------------------------------------------------------------------
    def _fonts_for(self, size: int) -> tuple[Any, Any, int] | None:
        if self._font_failed:
            return None
        if not self._ttf:
            from sdl2 import sdlttf

            self._font_path = find_font()
            if self._font_path is None or sdlttf.TTF_Init() != 0:
                self._font_failed = True
                self.warn("no font for text subtitles (install fonts-dejavu-core); they are not drawn")
                return None
            self._ttf = True
        fonts = self._fonts.get(size)
        if fonts is None:
            from sdl2 import sdlttf

            assert self._font_path is not None
            font = sdlttf.TTF_OpenFont(self._font_path.encode(), size)
            outline_font = sdlttf.TTF_OpenFont(self._font_path.encode(), size)
            if not font or not outline_font:
                self._font_failed = True
                self.warn(f"cannot open the font {self._font_path}; text subtitles are not drawn")
                return None
            outline = max(1, size // 12)
            sdlttf.TTF_SetFontOutline(outline_font, outline)
            fonts = self._fonts[size] = (font, outline_font, outline)
        return fonts

    def _render_text(self, sub: Subtitle, w: int, h: int) -> None:
        from sdl2 import sdlttf

        from pyffplay.subtitles import wrap

        size = max(MIN_FONT_SIZE, h // FONT_DIVISOR)
        fonts = self._fonts_for(size)
        if fonts is None:
            return
        font, outline_font, outline = fonts
        tw, th = ctypes.c_int(), ctypes.c_int()

        def measure(text: str) -> int:
            sdlttf.TTF_SizeUTF8(font, text.encode(), ctypes.byref(tw), ctypes.byref(th))
            return tw.value + 2 * outline

        lines = [line for line in wrap(sub.lines, int(w * WRAP_FRACTION), measure)]
        skip = sdlttf.TTF_FontLineSkip(font) + outline
        margin = max(size // 2, 4)
        top = margin if sub.top else h - margin - skip * len(lines)
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            back = self._text_texture(outline_font, line, sdl2.SDL_Color(0, 0, 0, 255))
            front = self._text_texture(font, line, sdl2.SDL_Color(255, 255, 255, 255))
            if back is None or front is None:
                continue
            ly = top + i * skip
            self._textures.append((back, (w - back.w) // 2, ly))
            self._textures.append((front, (w - back.w) // 2 + outline, ly + outline))

    def _text_texture(self, font: Any, text: str, color: Any) -> _Texture | None:
        from sdl2 import sdlttf

        surf = sdlttf.TTF_RenderUTF8_Blended(font, text.encode(), color)
        if not surf:
            return None
        try:
            tex = sdl2.SDL_CreateTextureFromSurface(self.renderer, surf)
            if not tex:
                return None
            return _Texture(tex, surf.contents.w, surf.contents.h)
        finally:
            sdl2.SDL_FreeSurface(surf)

    # -- lifetime ------------------------------------------------------------------------
    def _drop_text(self) -> None:
        for t, _, _ in self._textures:
            sdl2.SDL_DestroyTexture(t.tex)
        self._textures = []
        self._key = None

    def _drop_bitmaps(self) -> None:
        for t, _, _ in self._bitmaps:
            sdl2.SDL_DestroyTexture(t.tex)
        self._bitmaps = []

    def forget(self) -> None:
        """No subtitle on screen: free its textures."""
        self._drop_text()
        self._drop_bitmaps()
        self._sub = None

    def close(self) -> None:
        self.forget()
        if self._ttf:
            from sdl2 import sdlttf

            for font, outline_font, _ in self._fonts.values():
                sdlttf.TTF_CloseFont(font)
                sdlttf.TTF_CloseFont(outline_font)
            self._fonts.clear()
            sdlttf.TTF_Quit()
            self._ttf = False
