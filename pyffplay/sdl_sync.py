"""SDL mutexes and condition variables, bound with ctypes.

PySDL2 has no bindings for SDL_mutex.h, but the SDL library it loaded exports the
functions. Calls go through ctypes.CDLL, so the GIL is released while a thread waits,
exactly as a C thread of ffplay would block.
"""

from __future__ import annotations

import ctypes

from pyffplay.sdl_lib import sdl2

SDL_MUTEX_TIMEDOUT = 1

_lib = sdl2.dll.dll._dll
_lib.SDL_CreateMutex.restype = ctypes.c_void_p
_lib.SDL_CreateMutex.argtypes = []
_lib.SDL_DestroyMutex.argtypes = [ctypes.c_void_p]
_lib.SDL_DestroyMutex.restype = None
_lib.SDL_LockMutex.argtypes = [ctypes.c_void_p]
_lib.SDL_LockMutex.restype = ctypes.c_int
_lib.SDL_UnlockMutex.argtypes = [ctypes.c_void_p]
_lib.SDL_UnlockMutex.restype = ctypes.c_int
_lib.SDL_CreateCond.restype = ctypes.c_void_p
_lib.SDL_CreateCond.argtypes = []
_lib.SDL_DestroyCond.argtypes = [ctypes.c_void_p]
_lib.SDL_DestroyCond.restype = None
_lib.SDL_CondSignal.argtypes = [ctypes.c_void_p]
_lib.SDL_CondSignal.restype = ctypes.c_int
_lib.SDL_CondBroadcast.argtypes = [ctypes.c_void_p]
_lib.SDL_CondBroadcast.restype = ctypes.c_int
_lib.SDL_CondWait.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
_lib.SDL_CondWait.restype = ctypes.c_int
_lib.SDL_CondWaitTimeout.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint32]
_lib.SDL_CondWaitTimeout.restype = ctypes.c_int


class Mutex:
    """An SDL_mutex; usable as a context manager."""

    __slots__ = ("_ptr", "_lock", "_unlock")

    def __init__(self) -> None:
        self._ptr = _lib.SDL_CreateMutex()
        if not self._ptr:
            raise MemoryError("SDL_CreateMutex failed")
        # Bound once: attribute lookups on the hot path cost more than the call.
        self._lock = _lib.SDL_LockMutex
        self._unlock = _lib.SDL_UnlockMutex

    def __enter__(self) -> Mutex:
        self._lock(self._ptr)
        return self

    def __exit__(self, *exc: object) -> None:
        self._unlock(self._ptr)

    def __del__(self) -> None:
        if getattr(self, "_ptr", None):
            _lib.SDL_DestroyMutex(self._ptr)
            self._ptr = None


class Cond:
    """An SDL_cond; wait() must be called with its mutex locked."""

    __slots__ = ("_ptr",)

    def __init__(self) -> None:
        self._ptr = _lib.SDL_CreateCond()
        if not self._ptr:
            raise MemoryError("SDL_CreateCond failed")

    def signal(self) -> None:
        _lib.SDL_CondSignal(self._ptr)

    def broadcast(self) -> None:
        _lib.SDL_CondBroadcast(self._ptr)

    def wait(self, mutex: Mutex) -> None:
        _lib.SDL_CondWait(self._ptr, mutex._ptr)

    def wait_timeout(self, mutex: Mutex, ms: int) -> bool:
        """Wait at most ``ms`` milliseconds; True if signalled, False on timeout."""
        return _lib.SDL_CondWaitTimeout(self._ptr, mutex._ptr, max(0, int(ms))) != SDL_MUTEX_TIMEDOUT

    def __del__(self) -> None:
        if getattr(self, "_ptr", None):
            _lib.SDL_DestroyCond(self._ptr)
            self._ptr = None
