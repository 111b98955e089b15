"""Keys from the controlling terminal -> player commands.

Reads ``/dev/tty`` rather than stdin so keys work while stdin is the media pipe
(``cat movie | pyffplay -``), as mpv, less and more do. The commands are the same
tuples the SDL window produces (see ``pyffplay.keys``).
"""

from __future__ import annotations

import errno
import os
import select
import sys
import termios
import threading
import time
from collections.abc import Callable
from typing import Any

from pyffplay.commands import (
    QUIT,
    ChangeVolume,
    Command,
    CycleShowMode,
    CycleStream,
    Seek,
    SeekPage,
    Step,
    ToggleFullScreen,
    ToggleMute,
    TogglePause,
)

PAUSE = TogglePause()
_ESC = 0x1B

# ffplay's key switch. SDL reports keysyms without Shift, so in ffplay's window Shift+q
# quits too; letters are therefore matched in both cases.
_CHAR_KEYS: dict[str, Command] = {
    "q": QUIT,
    "p": PAUSE,
    " ": PAUSE,
    "m": ToggleMute(),
    "s": Step(),
    "f": ToggleFullScreen(),
    "9": ChangeVolume(-1),
    "/": ChangeVolume(-1),
    "0": ChangeVolume(1),
    "*": ChangeVolume(1),
    "a": CycleStream("audio"),
    "v": CycleStream("video"),
    "t": CycleStream("subtitle"),
    "c": CycleStream("program"),
    "w": CycleShowMode(),
}
_BYTE_KEYS: dict[int, Command] = {
    ord(c): command for key, command in _CHAR_KEYS.items() for c in {key, key.upper()}
}


class KeyDecoder:
    """Bytes from a terminal -> commands. Pure: time is passed in.

    ESC starts both the Escape key and every escape sequence, so a lone ESC only counts
    as Escape once ESC_TIMEOUT passes without further bytes (mpv and vim do the same).
    ESC + another key within the timeout is Alt+key and acts as that key, as ffplay's
    SDL window ignores modifiers.
    """

    ESC_TIMEOUT = 0.05
    MAX_SEQUENCE = 32  # a "sequence" longer than this is garbage; drop it

    def __init__(self, seek_interval: float = 10.0) -> None:
        self._arrows: dict[int, Command] = {
            ord("A"): Seek(60.0),
            ord("B"): Seek(-60.0),
            ord("C"): Seek(float(seek_interval)),
            ord("D"): Seek(-float(seek_interval)),
        }
        self._buf = bytearray()  # an incomplete escape sequence, nothing else
        self._last_byte = 0.0  # when bytes last arrived while a sequence was pending

    def feed(self, data: bytes, now: float) -> list[Command]:
        out = self.tick(now)  # a pending ESC that has already timed out comes first
        if data:
            self._buf += data
            self._last_byte = now
            out += self._parse()
        return out

    def tick(self, now: float) -> list[Command]:
        if not self._buf or now - self._last_byte < self.ESC_TIMEOUT:
            return []
        # Timed out: a lone ESC is the Escape key; an unfinished sequence (ESC [, ESC O,
        # ESC [ 1 ;) is Alt+[ / Alt+O / noise, none of which is bound.
        lone = self._buf == b"\x1b"
        self._buf.clear()
        return [QUIT] if lone else []

    def pending_timeout(self, now: float) -> float | None:
        if not self._buf:
            return None
        return max(0.0, self._last_byte + self.ESC_TIMEOUT - now)

    def _parse(self) -> list[Command]:
        out: list[Command] = []
        buf = self._buf
        i = 0
        while i < len(buf):
            if buf[i] != _ESC:
                command = _BYTE_KEYS.get(buf[i])  # other bytes (controls, UTF-8) unbound
                i += 1
            else:
                match = self._match_escape(buf, i)
                if match is None:
                    break  # wait for more bytes or the timeout
                length, command = match
                i += length
            if command is not None:
                out.append(command)
        del buf[:i]
        return out

    def _match_escape(self, buf: bytearray, i: int) -> tuple[int, Command | None] | None:
        """(bytes consumed, command) for the sequence at buf[i], None if incomplete."""
        if i + 1 == len(buf):
            return None
        intro = buf[i + 1]
        if intro not in b"[O":
            return 1, None  # Alt+key: drop the ESC, the key is decoded next
        # CSI / SS3: parameter and intermediate bytes 0x20-0x3F, then a final 0x40-0x7E.
        j = i + 2
        while j < len(buf) and 0x20 <= buf[j] <= 0x3F:
            j += 1
        if j - i > self.MAX_SEQUENCE:
            return j - i, None
        if j == len(buf):
            return None
        final = buf[j]
        if not 0x40 <= final <= 0x7E:
            return j - i, None  # broken sequence: resume at the byte that broke it
        return j + 1 - i, self._sequence_command(intro, bytes(buf[i + 2 : j]), final)

    def _sequence_command(self, intro: int, params: bytes, final: int) -> Command | None:
        if params[:1] in (b"<", b"=", b">", b"?"):
            return None  # private sequences are terminal replies, not keys
        first = params.split(b";")[0]
        # xterm adds modifiers as ESC[1;<mod>C; a modified arrow acts as the arrow.
        if final in self._arrows and first in (b"", b"1"):
            return self._arrows[final]
        if intro == ord("[") and final == ord("~"):
            return {b"5": SeekPage(1), b"6": SeekPage(-1)}.get(first)
        if intro == ord("O") and not params:
            # Keypad * and / in application keypad mode.
            return {ord("j"): ChangeVolume(1), ord("o"): ChangeVolume(-1)}.get(final)
        return None


# The thread polls at least this often so foreground/background changes are noticed
# even when the player does not call resume().
IDLE_POLL = 0.2
_RETRY_ERRNOS = (errno.EIO, errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR)


def _wait_readable(fds: list[int], timeout: float) -> set[int]:
    # poll() has no FD_SETSIZE limit, but macOS poll() does not support ttys.
    if sys.platform == "darwin" or not hasattr(select, "poll"):
        return set(select.select(fds, [], [], timeout)[0])
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    return {fd for fd, _ in poller.poll(timeout * 1000.0)}


def _drain(fd: int) -> None:
    try:
        os.read(fd, 64)
    except BlockingIOError:
        pass


class TtyKeyReader:
    """Reads /dev/tty in cbreak mode on a thread and calls emit(command).

    Touches termios only while in the terminal's foreground process group, so a
    background job neither gets SIGTTOU/SIGTTIN nor clobbers the shell's settings.
    Signals are the player's job: it calls suspend() on SIGTSTP and resume() on SIGCONT.
    """

    def __init__(
        self, emit: Callable[[Command], None], seek_interval: float = 10.0, *, tty_path: str = "/dev/tty"
    ) -> None:
        self._emit = emit
        self._decoder = KeyDecoder(seek_interval)
        self._tty_path = tty_path
        self._lock = threading.RLock()  # RLock: suspend() may run in a signal handler
        self._fd: int | None = None
        self._saved: list[Any] | None = None
        self._wake_r = self._wake_w = -1
        self._thread: threading.Thread | None = None
        self._cbreak = False  # our cbreak settings are in effect
        self._suspended = False
        self._stopping = False

    @property
    def fd(self) -> int | None:
        return self._fd

    def start(self) -> bool:
        if self._thread is not None:
            return True
        try:
            fd = os.open(self._tty_path, os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
        except OSError:
            return False
        try:
            if not os.isatty(fd):
                raise OSError(errno.ENOTTY, "not a terminal")
            saved = termios.tcgetattr(fd)  # reading attributes is allowed in background
        except (OSError, termios.error):
            os.close(fd)
            return False
        self._fd, self._saved = fd, saved
        self._wake_r, self._wake_w = os.pipe()  # non-inheritable by default
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._suspended = self._stopping = False
        with self._lock:
            self._update_mode()
        self._thread = threading.Thread(target=self._run, name="tty_keys", daemon=True)
        self._thread.start()
        return True

    def suspend(self) -> None:
        with self._lock:
            self._suspended = True
            self._update_mode()
        self._wake()

    def resume(self) -> None:
        with self._lock:
            self._suspended = False
            self._cbreak = False  # after SIGCONT the shell may have reset the modes
            self._update_mode()
        self._wake()

    def stop(self) -> None:
        with self._lock:
            if self._fd is None or self._stopping:
                return
            self._stopping = True
        self._wake()
        thread = self._thread
        # Join before restoring, or the thread could re-enter cbreak after (mpv #5195).
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)
        with self._lock:
            self._update_mode()  # _stopping: back to the saved settings
            if thread is not None and thread.is_alive() and thread is not threading.current_thread():
                return  # stuck in emit(): leave its fds open rather than close under it
            for fd in (self._fd, self._wake_r, self._wake_w):
                os.close(fd)
            self._fd, self._thread = None, None
            self._wake_r = self._wake_w = -1

    # --- internals -------------------------------------------------------------------

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass  # pipe full (already woken) or closed (stopped)

    def _foreground(self) -> bool:
        try:
            return os.tcgetpgrp(self._fd) == os.getpgrp()  # type: ignore[arg-type]
        except OSError:
            return True  # not our controlling terminal: job control does not apply

    def _update_mode(self) -> bool:
        """Put the terminal in the mode our state asks for; True if we may read. Locked."""
        if not self._foreground():
            # The shell owns the terminal now and has set its own modes; ours are gone.
            self._cbreak = False
            return False
        want = not (self._suspended or self._stopping)
        if want != self._cbreak:
            attrs = self._saved if not want else self._cbreak_attrs()
            try:
                assert self._fd is not None and attrs is not None
                termios.tcsetattr(self._fd, termios.TCSANOW, attrs)
                self._cbreak = want
            except (OSError, termios.error):
                self._cbreak = False  # terminal hung up; nothing to restore any more
        return want and self._cbreak

    def _cbreak_attrs(self) -> list[Any]:
        # Built from the saved settings, not the current ones, so a terminal left odd by
        # a crashed program does not become what we restore.
        attrs = list(self._saved)  # type: ignore[arg-type]
        attrs[6] = list(attrs[6])
        attrs[3] &= ~(termios.ICANON | termios.ECHO)  # ISIG stays: Ctrl-C, Ctrl-Z work
        attrs[6][termios.VMIN] = 1
        attrs[6][termios.VTIME] = 0
        return attrs

    def _run(self) -> None:
        fd, wake, me = self._fd, self._wake_r, threading.current_thread()
        assert fd is not None
        backoff = False
        while not self._stopping and self._thread is me:  # stop()+start() from emit()
            with self._lock:
                reading = not backoff and not self._stopping and self._update_mode()
            backoff = False
            timeout = self._decoder.pending_timeout(time.monotonic())
            ready = _wait_readable(
                [wake, fd] if reading else [wake], IDLE_POLL if timeout is None else timeout
            )
            if wake in ready:
                _drain(wake)
            commands: list[Command] = []
            if fd in ready and not (self._stopping or self._suspended):
                try:
                    data = os.read(fd, 256)
                except OSError as e:
                    if e.errno not in _RETRY_ERRNOS:
                        return
                    backoff = True  # e.g. EIO after a hangup: retry, but not in a spin
                    continue
                if not data:
                    return  # the terminal is gone
                commands = self._decoder.feed(data, time.monotonic())
            commands += self._decoder.tick(time.monotonic())
            for command in commands:
                self._emit(command)
