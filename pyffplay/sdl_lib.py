"""PySDL2 imported without its slow library search.

PySDL2 looks for each SDL library in its pysdl2-dll directory and then, always, through
``ctypes.util.find_library`` under six names; on Linux each miss runs ``ldconfig`` and
``gcc`` (60-200 ms a name). The pysdl2-dll copy comes first in its list and is the one
loaded, so when that directory holds the library the system search is skipped.

Modules import ``sdl2`` from here: ``from pyffplay.sdl_lib import sdl2``.
"""

from __future__ import annotations

import ctypes.util
import os
import warnings

_system_find_library = ctypes.util.find_library


def _find_library(name: str) -> str | None:
    """ctypes.util.find_library, except for an SDL library that pysdl2-dll ships."""
    if name.startswith("SDL2") and _bundled(name.split("-")[0].removesuffix("d")):
        return None  # PySDL2 loads the copy it found in PYSDL2_DLL_PATH first
    return _system_find_library(name)


def _bundled(family: str) -> bool:
    """Whether PYSDL2_DLL_PATH holds libSDL2-2.0.so, libSDL2_ttf.so.0, ... of ``family``."""
    path = os.environ.get("PYSDL2_DLL_PATH")
    if not path or path.lower() == "system":
        return False
    for d in path.split(os.pathsep):
        try:
            names = os.listdir(d)
        except OSError:
            continue
        stem = f"lib{family}"
        if any(f.startswith((stem + "-", stem + ".")) and ".so" in f for f in names):
            return True
    return False


def _import_sdl2() -> None:
    # sdl2.dll binds ``from ctypes.util import find_library`` when imported: it keeps ours.
    ctypes.util.find_library = _find_library
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Using SDL2 binaries from pysdl2-dll"
            import sdl2.dll  # noqa: F401
    finally:
        ctypes.util.find_library = _system_find_library


_import_sdl2()

import sdl2  # noqa: E402

__all__ = ["sdl2"]
