"""The SDL window: ffplay's video_open, video_display and upload_texture.

Pictures go from PyAV's planes to an SDL streaming texture by pointer (no pixel copy in
Python). Runs on the main thread only: SDL wants events and rendering on the thread that
initialised video.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyffplay.commands import Command
from pyffplay.sdl_lib import sdl2
from pyffplay.video_output import VideoOutput, calculate_display_rect, displayed_size
from pyffplay.video_output.sdl_events import WindowEvents
from pyffplay.video_output.sdl_subtitles import SubtitleRenderer
from pyffplay.video_output.x11_wait import X11Wait

if TYPE_CHECKING:
    from pyffplay.frame_queue import Frame
    from pyffplay.options import Options
    from pyffplay.subtitles import Subtitle

_surface = sdl2.surface
_lib = sdl2.dll.dll._dll
# Our own prototype takes plain addresses, so plane pointers need no ctypes casts.
_update_yuv = _lib.SDL_UpdateYUVTexture
_update_yuv.argtypes = [
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_int,
    ctypes.c_void_p,
    ctypes.c_int,
    ctypes.c_void_p,
    ctypes.c_int,
]
_update_yuv.restype = ctypes.c_int
_update_texture = _lib.SDL_UpdateTexture
_update_texture.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
_update_texture.restype = ctypes.c_int

DEFAULT_WIDTH, DEFAULT_HEIGHT = 640, 480
# ffplay's REFRESH_RATE: how often the loop looks for other threads' commands where it
# cannot be woken for them (a window not on X11).
WAKEUP_POLL = 0.01


class SDLInitError(Exception):
    pass


SOFTWARE_GL = ("llvmpipe", "softpipe", "swrast", "software rasterizer")
GL_RENDERER = 0x1F01


def is_software_gl(gl_renderer: str | None) -> bool:
    """Whether an OpenGL renderer string names a rasterizer that runs on the CPU."""
    return gl_renderer is not None and any(s in gl_renderer.lower() for s in SOFTWARE_GL)


def has_gpu_device(dev: str = "/dev") -> bool:
    """Whether OpenGL may run on a GPU: on Linux a DRM device (/dev/dri/...) or NVIDIA's
    (/dev/nvidia0) must exist, else Mesa can only rasterize on the CPU. Elsewhere: True."""
    if not sys.platform.startswith("linux"):
        return True
    try:
        if os.listdir(os.path.join(dev, "dri")):
            return True
    except OSError:
        pass
    return os.path.exists(os.path.join(dev, "nvidia0"))


def _renderer_name(renderer: Any) -> str:
    info = sdl2.SDL_RendererInfo()
    if sdl2.SDL_GetRendererInfo(renderer, ctypes.byref(info)) != 0:
        return "unknown"
    return info.name.decode(errors="replace") if info.name else "unknown"


def _gl_renderer_string() -> str | None:
    """GL_RENDERER of the context SDL's OpenGL renderer just made current."""
    proc = sdl2.SDL_GL_GetProcAddress(b"glGetString")
    if not proc:
        return None
    get_string = ctypes.CFUNCTYPE(ctypes.c_char_p, ctypes.c_uint)(proc)
    value = get_string(GL_RENDERER)
    return value.decode(errors="replace") if value else None


def _yuv_mode(frame: Any) -> int:
    """ffplay's set_sdl_yuv_conversion_mode."""
    try:
        if frame.color_range == 2:  # AVCOL_RANGE_JPEG
            return _surface.SDL_YUV_CONVERSION_JPEG
        cs = int(frame.colorspace)
    except (AttributeError, ValueError, TypeError):
        return _surface.SDL_YUV_CONVERSION_AUTOMATIC
    if cs == 1:  # BT709
        return _surface.SDL_YUV_CONVERSION_BT709
    if cs in (5, 6):  # BT470BG, SMPTE170M
        return _surface.SDL_YUV_CONVERSION_BT601
    return _surface.SDL_YUV_CONVERSION_AUTOMATIC


def _create_window(title: str, flags: int) -> Any:
    window = sdl2.SDL_CreateWindow(
        title.encode(),
        sdl2.SDL_WINDOWPOS_UNDEFINED,
        sdl2.SDL_WINDOWPOS_UNDEFINED,
        DEFAULT_WIDTH,
        DEFAULT_HEIGHT,
        flags,
    )
    if not window:
        raise SDLInitError(sdl2.SDL_GetError().decode(errors="replace"))
    return window


def create_window_and_renderer(
    title: str, flags: int, mode: str, vsync: bool
) -> tuple[Any, Any, str, str | None]:
    """-renderer: gpu (SDL's accelerated renderer), software (SDL's software renderer on the
    window surface, which reaches X by shared memory), or auto: the GPU one unless its OpenGL
    is a software rasterizer (llvmpipe, softpipe, swrast), where the software path costs less
    than half as much CPU (docs/BENCHMARKS.md). Without a GPU device auto does not ask
    OpenGL (creating its context on llvmpipe costs ~100 ms). Returns (window, renderer, name,
    GL_RENDERER)."""
    sync_flag = sdl2.SDL_RENDERER_PRESENTVSYNC if vsync else 0
    gl_name: str | None = None
    if mode == "gpu" or (mode == "auto" and has_gpu_device()):
        window = _create_window(title, flags)
        renderer = sdl2.SDL_CreateRenderer(window, -1, sdl2.SDL_RENDERER_ACCELERATED | sync_flag)
        if renderer:
            name = _renderer_name(renderer)
            gl_name = _gl_renderer_string() if name.startswith("opengl") else None
            if mode == "gpu" or not is_software_gl(gl_name):
                return window, renderer, name, gl_name
            sdl2.SDL_DestroyRenderer(renderer)
        sdl2.SDL_DestroyWindow(window)
    sdl2.SDL_SetHint(sdl2.SDL_HINT_FRAMEBUFFER_ACCELERATION, b"0")
    window = _create_window(title, flags)
    renderer = sdl2.SDL_CreateRenderer(window, -1, sdl2.SDL_RENDERER_SOFTWARE)
    if not renderer:
        raise SDLInitError(sdl2.SDL_GetError().decode(errors="replace"))
    return window, renderer, _renderer_name(renderer), gl_name


class SDLOutput(VideoOutput):
    def __init__(self, opts: Options, title: str) -> None:
        self.opts = opts
        self.title = title
        if sdl2.SDL_InitSubSystem(sdl2.SDL_INIT_VIDEO) != 0:
            raise SDLInitError(sdl2.SDL_GetError().decode(errors="replace"))
        sdl2.SDL_SetHint(sdl2.SDL_HINT_RENDER_SCALE_QUALITY, b"linear")
        sdl2.SDL_SetHint(sdl2.SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, b"0")
        flags = sdl2.SDL_WINDOW_HIDDEN
        flags |= sdl2.SDL_WINDOW_BORDERLESS if opts.borderless else sdl2.SDL_WINDOW_RESIZABLE
        if opts.alwaysontop:
            flags |= sdl2.SDL_WINDOW_ALWAYS_ON_TOP
        # -untimed must not wait for the display's refresh either.
        created = create_window_and_renderer(title, flags, opts.renderer, vsync=not opts.untimed)
        self.window: Any = created[0]
        self.renderer: Any = created[1]
        self.renderer_name, self.gl_renderer = created[2], created[3]
        self.default_width = DEFAULT_WIDTH
        self.default_height = DEFAULT_HEIGHT
        self.width = 0  # 0 until video_open (first picture)
        self.height = 0
        self.is_full_screen = opts.fullscreen
        self.texture: Any = None
        self.texture_addr = 0
        self.texture_key: tuple[int, int, int] | None = None
        self.vis_texture: Any = None
        self.vis_size = (0, 0)
        self.events = WindowEvents(opts)
        # On X11 the loop sleeps until it has work; elsewhere it looks every WAKEUP_POLL.
        self.x11_wait = X11Wait.for_window(self.window)
        self.polls_events = self.x11_wait is None
        self.subtitles = SubtitleRenderer(self.renderer, lambda message: None)

    def set_warn(self, warn: Callable[[str], None]) -> None:
        self.subtitles.warn = warn

    def describe(self) -> dict[str, object]:
        return {
            "vo": "sdl",
            "renderer": self.renderer_name,
            "gl": self.gl_renderer,
            "wait": "poll" if self.x11_wait is None else "x11",  # how the loop sleeps
        }

    # -- window --------------------------------------------------------------------------
    def set_default_window_size(self, width: int, height: int, sar: tuple[int, int]) -> None:
        max_w = self.opts.screen_width or 2**31 - 1
        max_h = self.opts.screen_height or 2**31 - 1
        if max_w == 2**31 - 1 and max_h == 2**31 - 1:
            max_h = height
        _, _, w, h = calculate_display_rect(0, 0, max_w, max_h, width, height, sar)
        self.default_width, self.default_height = w, h

    def set_title(self, title: str) -> None:
        self.title = title  # SDL is called from the loop thread, in video_open

    def video_open(self) -> None:
        w = self.opts.screen_width or self.default_width
        h = self.opts.screen_height or self.default_height
        sdl2.SDL_SetWindowTitle(self.window, self.title.encode())
        sdl2.SDL_SetWindowSize(self.window, w, h)
        left = self.opts.left if self.opts.left is not None else sdl2.SDL_WINDOWPOS_CENTERED
        top = self.opts.top if self.opts.top is not None else sdl2.SDL_WINDOWPOS_CENTERED
        sdl2.SDL_SetWindowPosition(self.window, left, top)
        if self.is_full_screen:
            sdl2.SDL_SetWindowFullscreen(self.window, sdl2.SDL_WINDOW_FULLSCREEN_DESKTOP)
        sdl2.SDL_ShowWindow(self.window)
        self.width, self.height = w, h
        self.events.window_shown()

    def toggle_full_screen(self) -> None:
        self.is_full_screen = not self.is_full_screen
        sdl2.SDL_SetWindowFullscreen(
            self.window, sdl2.SDL_WINDOW_FULLSCREEN_DESKTOP if self.is_full_screen else 0
        )

    # -- drawing -------------------------------------------------------------------------
    def display(self, vp: Frame | None, sub: Subtitle | None = None) -> None:
        if not self.width:
            self.video_open()
        if vp is None or vp.frame is None or not self._covers_window(vp):
            # Letterbox bars (or nothing to show): clear. A picture that fills the
            # window overwrites every pixel anyway, and a full clear costs a few ms
            # on a software renderer.
            sdl2.SDL_SetRenderDrawColor(self.renderer, 0, 0, 0, 255)
            sdl2.SDL_RenderClear(self.renderer)
        rect = self._image_display(vp) if vp is not None and vp.frame is not None else None
        if sub is not None and rect is not None and vp is not None:
            self.subtitles.draw(sub, *rect, video_size=(vp.width, vp.height))
        elif sub is None:
            self.subtitles.forget()
        sdl2.SDL_RenderPresent(self.renderer)

    def _covers_window(self, vp: Frame) -> bool:
        pic_w, pic_h, sar, _, _ = displayed_size(vp)
        return calculate_display_rect(0, 0, self.width, self.height, pic_w, pic_h, sar) == (
            0,
            0,
            self.width,
            self.height,
        )

    def _image_display(self, vp: Frame) -> tuple[int, int, int, int] | None:
        """Draw the picture; its rect on the window (where subtitles go), None on failure."""
        pic_w, pic_h, sar, angle, swaps = displayed_size(vp)
        x, y, w, h = calculate_display_rect(0, 0, self.width, self.height, pic_w, pic_h, sar)
        if not vp.uploaded:
            if not self._upload(vp.frame):
                return None
            vp.uploaded = True
        if swaps:
            # RenderCopyEx rotates about the rectangle's centre: give it the unrotated shape.
            cx, cy = x + w // 2, y + h // 2
            dst = sdl2.SDL_Rect(cx - h // 2, cy - w // 2, h, w)
        else:
            dst = sdl2.SDL_Rect(x, y, w, h)
        if angle:
            sdl2.SDL_RenderCopyEx(self.renderer, self.texture, None, dst, angle, None, sdl2.SDL_FLIP_NONE)
        else:
            sdl2.SDL_RenderCopy(self.renderer, self.texture, None, dst)
        return x, y, w, h

    def _upload(self, frame: Any) -> bool:
        mode = _yuv_mode(frame)
        key = (frame.width, frame.height, mode)
        if key != self.texture_key:
            if self.texture:
                sdl2.SDL_DestroyTexture(self.texture)
            sdl2.SDL_SetYUVConversionMode(mode)
            self.texture = sdl2.SDL_CreateTexture(
                self.renderer,
                sdl2.SDL_PIXELFORMAT_IYUV,
                sdl2.SDL_TEXTUREACCESS_STREAMING,
                frame.width,
                frame.height,
            )
            if not self.texture:
                return False
            self.texture_addr = ctypes.cast(self.texture, ctypes.c_void_p).value or 0
            self.texture_key = key
        y, u, v = frame.planes
        return (
            _update_yuv(
                self.texture_addr,
                None,
                y.buffer_ptr,
                y.line_size,
                u.buffer_ptr,
                u.line_size,
                v.buffer_ptr,
                v.line_size,
            )
            == 0
        )

    # -- the audio show modes -----------------------------------------------------------
    def canvas_size(self) -> tuple[int, int]:
        if not self.width:
            self.video_open()
        return self.width, self.height

    def display_rgb(self, rgb: Any) -> None:
        """A whole-window RGB picture (waves, spectrum) through one RGB24 texture."""
        if not self.width:
            self.video_open()
        h, w = rgb.shape[:2]
        if self.vis_texture is None or self.vis_size != (w, h):
            if self.vis_texture is not None:
                sdl2.SDL_DestroyTexture(self.vis_texture)
            self.vis_texture = sdl2.SDL_CreateTexture(
                self.renderer, sdl2.SDL_PIXELFORMAT_RGB24, sdl2.SDL_TEXTUREACCESS_STREAMING, w, h
            )
            self.vis_size = (w, h)
            if not self.vis_texture:
                return
        data = rgb if rgb.flags.c_contiguous else rgb.copy()
        _update_texture(ctypes.cast(self.vis_texture, ctypes.c_void_p).value, None, data.ctypes.data, w * 3)
        sdl2.SDL_RenderCopy(self.renderer, self.vis_texture, None, None)
        sdl2.SDL_RenderPresent(self.renderer)

    # -- events (sdl_events.WindowEvents) ------------------------------------------------
    def wait_events(self, timeout: float) -> bool:
        """Block in SDL until an event or ``timeout``; False (nothing waited) until the
        window is shown: before, SDL may fall back to polling every millisecond."""
        if not self.width or self.window is None:
            return False
        if self.x11_wait is not None:
            self.events.wait(timeout, self.x11_wait.wait)
        else:  # commands from other threads: see wakeup
            self.events.wait(min(timeout, WAKEUP_POLL))
        return True

    def wakeup(self) -> None:
        # Any thread. Not SDL_PushEvent: SDL wakes a waiting loop with an XSendEvent on a
        # second X connection, which can reach the server after the window's destruction
        # (BadWindow, and Xlib's handler exits the process). X11Wait has a pipe of its own;
        # elsewhere wait_events polls.
        if self.x11_wait is not None:
            self.x11_wait.wakeup()

    def poll_events(self, emit: Callable[[Command], None]) -> None:
        self.events.poll(emit, self)

    def close(self) -> None:
        self.subtitles.close()
        if self.vis_texture:
            sdl2.SDL_DestroyTexture(self.vis_texture)
            self.vis_texture = None
        if self.texture:
            sdl2.SDL_DestroyTexture(self.texture)
            self.texture = None
        if self.renderer:
            sdl2.SDL_DestroyRenderer(self.renderer)
            self.renderer = None
        if self.window:
            if self.x11_wait is not None:
                self.x11_wait.close()
            sdl2.SDL_DestroyWindow(self.window)
            self.window = None
            sdl2.SDL_QuitSubSystem(sdl2.SDL_INIT_VIDEO)  # once: SDL counts the inits
