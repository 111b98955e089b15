"""PortAudio, through sounddevice: initialised once, ahead of the device open when it can.

``import sounddevice`` initialises PortAudio, which enumerates the ALSA devices (70+ ms);
the command line starts that on a thread of its own while the window opens and the input
is probed. Nothing here imports NumPy.
"""

from __future__ import annotations

import threading
from typing import Any

PORTAUDIO_SONAME = "libportaudio.so.2"  # PortAudio v19 on Linux
_ALSA_ERROR_HANDLER: Any = None
_module: Any = None  # sounddevice, once PortAudio is initialised
_lock = threading.Lock()
_preloading = False


def load() -> Any:
    """``import sounddevice`` (which initialises PortAudio), once; OSError without it."""
    global _module
    with _lock:
        if _module is None:
            _module = _import_sounddevice()
            _tidy_alsa()
        return _module


def _import_sounddevice() -> Any:
    """``import sounddevice``, which raises OSError without the PortAudio library. It asks
    ctypes.util.find_library for "portaudio", which runs ``ldconfig -p``: the usual soname
    is tried first."""
    import ctypes
    import ctypes.util

    system_find_library = ctypes.util.find_library

    def find_library(name: str) -> str | None:
        if name == "portaudio":
            try:
                ctypes.CDLL(PORTAUDIO_SONAME)
                return PORTAUDIO_SONAME
            except OSError:
                pass
        return system_find_library(name)

    ctypes.util.find_library = find_library
    try:
        import sounddevice
    finally:
        ctypes.util.find_library = system_find_library
    return sounddevice


def preload() -> None:
    """Initialise PortAudio on a thread of its own while the window opens and the input is
    probed (ffplay's SDL_Init opens its audio subsystem at start too); errors are left for
    the device open to report."""
    global _preloading
    with _lock:
        if _preloading or _module is not None:
            return
        _preloading = True
    threading.Thread(target=_preload, name="audio_preload", daemon=True).start()


def _preload() -> None:
    try:
        load()
    except Exception:
        pass


def _tidy_alsa() -> None:
    """After PortAudio's initialisation: ALSA's recoverable errors ("underrun occurred"),
    printed straight to stderr, would scribble over the terminal output and the status
    line: route them nowhere. And free ALSA's global configuration: enumerating the devices
    loaded every plugin it names (a52 and lavrate bring the system's libavcodec, ~12 MiB);
    the next snd_pcm_open reads the configuration again and loads only what it uses."""
    global _ALSA_ERROR_HANDLER
    import ctypes

    if _ALSA_ERROR_HANDLER is not None:
        return
    try:
        # By soname: PortAudio has it loaded already, and find_library would run ldconfig.
        lib = ctypes.CDLL("libasound.so.2")
        handler_type = ctypes.CFUNCTYPE(
            None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
        )
        _ALSA_ERROR_HANDLER = handler_type(lambda *args: None)  # kept alive for ALSA
        lib.snd_lib_error_set_handler(_ALSA_ERROR_HANDLER)
        lib.snd_config_update_free_global()
    except (OSError, AttributeError):
        pass
