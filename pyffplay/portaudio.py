"""PortAudio, through sounddevice: initialised once, ahead of the device open when it can.

``import sounddevice`` initialises PortAudio, which enumerates the ALSA devices (70+ ms);
the command line starts that on a thread of its own while FFmpeg's libraries and the
player's modules load. Nothing here imports NumPy.
"""

from __future__ import annotations

import errno
import os
import threading
from typing import Any

PORTAUDIO_SONAME = "libportaudio.so.2"  # PortAudio v19 on Linux
ALSA_SONAME = "libasound.so.2"
JACK_SONAME = "libjack.so.0"
_ALSA_ERROR_HANDLER: Any = None
_JACK_MESSAGE_HANDLER: Any = None
_module: Any = None  # sounddevice, once PortAudio is initialised
_lock = threading.Lock()
_preloading = False


def load() -> Any:
    """``import sounddevice`` (which initialises PortAudio), once; OSError without it."""
    global _module
    with _lock:
        if _module is None:
            alsa = _quiet_alsa()
            _quiet_jack()
            _module = _import_sounddevice()
            if alsa is not None:
                # Scanning the devices loaded every plugin ALSA's configuration names (a52
                # and lavrate bring the system's libavcodec, ~12 MiB). Freed: the device open
                # reads the configuration again and loads only what it uses.
                alsa.snd_config_update_free_global()
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

    # sounddevice points fd 2 at /dev/null while PortAudio initialises, for the whole
    # process: whatever another thread wrote meanwhile (the banner, an error line) was
    # lost. ALSA and JACK are quietened at their source instead (_quiet_alsa, _quiet_jack),
    # and sounddevice's own os.dup(2) is refused on this thread, which it takes as "cannot".
    system_dup = os.dup
    importer = threading.get_ident()

    def dup(fd: int) -> int:
        if fd == 2 and threading.get_ident() == importer:
            raise OSError(errno.EBADF, "stderr stays where it is")
        return system_dup(fd)

    ctypes.util.find_library = find_library
    os.dup = dup
    try:
        import sounddevice
    finally:
        ctypes.util.find_library = system_find_library
        os.dup = system_dup
    return sounddevice


def preload() -> None:
    """Initialise PortAudio on a thread of its own (ffplay's SDL_Init starts its audio
    subsystem at start too); errors are left for the device open to report."""
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


def _quiet_alsa() -> Any:
    """libasound, its error handler set to nothing first: ALSA prints recoverable errors
    ("underrun occurred", PCMs of the configuration it cannot open while PortAudio scans)
    straight to stderr, over the terminal output, the status line and FFmpeg's log. None
    without ALSA."""
    global _ALSA_ERROR_HANDLER
    import ctypes

    try:
        lib = ctypes.CDLL(ALSA_SONAME)  # by soname: find_library would run ldconfig
        handler_type = ctypes.CFUNCTYPE(
            None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
        )
        if _ALSA_ERROR_HANDLER is None:
            _ALSA_ERROR_HANDLER = handler_type(lambda *args: None)  # kept alive for ALSA
        lib.snd_lib_error_set_handler(_ALSA_ERROR_HANDLER)
        lib.snd_config_update_free_global.restype = ctypes.c_int
        return lib
    except (OSError, AttributeError):
        return None


def _quiet_jack() -> None:
    """libjack's message functions set to nothing: PortAudio built with JACK asks for a
    JACK server at initialisation and libjack prints "jack server is not running or cannot
    be started" (and more) on stderr when there is none."""
    global _JACK_MESSAGE_HANDLER
    import ctypes

    try:
        lib = ctypes.CDLL(JACK_SONAME)
        if _JACK_MESSAGE_HANDLER is None:
            _JACK_MESSAGE_HANDLER = ctypes.CFUNCTYPE(None, ctypes.c_char_p)(lambda msg: None)
        lib.jack_set_error_function(_JACK_MESSAGE_HANDLER)
        lib.jack_set_info_function(_JACK_MESSAGE_HANDLER)
    except (OSError, AttributeError):
        pass
