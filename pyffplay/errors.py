"""Errors: the ones that end playback with one clear line, and one path for a failure in
any worker thread (decoders, the audio callback, the read thread; the input reader's
failures reach the read thread as an InputError).

A failure in a thread becomes a ``ThreadFailure``: one line for the user, the detail
(exception and stack) for the trace file and ``-loglevel debug``, and a decision: drop
the stream that failed and play on when another audio or video stream is left, or end
playback (exit 1). ``thread_failed`` applies it to a running player.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyffplay.core import VideoState


class PlayerError(Exception):
    """A problem the user can act on; main() prints ``pyffplay: <message>`` and exits 1."""


class UsageError(PlayerError, ValueError):
    """A bad command line (or API keyword): unknown option, missing or malformed value."""


class InputError(PlayerError):
    """The input cannot be opened or read: missing, a directory, not media, too large."""


# Where a failure happened -> (what failed, in the user's words; the stream it carries).
WHERE = {
    "video": ("video decoding", "video"),
    "audio": ("audio decoding", "audio"),
    "subtitle": ("subtitle decoding", "subtitle"),
    "audio_output": ("the audio output", "audio"),
    "read": ("reading the input", None),
}


@dataclass(frozen=True)
class ThreadFailure:
    where: str
    message: str  # one line, no internals: what the user is told
    detail: str  # exception type, message and stack: trace file and -loglevel debug
    drop: str | None  # the stream type to drop and play on without; None: fatal


def classify(where: str, exc: BaseException, playing: set[str]) -> ThreadFailure:
    """What a failure in thread ``where`` means, given the stream types still ``playing``.

    A PlayerError carries its own message. Otherwise the message names what failed; a
    failing audio, video or subtitle pipeline is dropped when an audio or video stream
    is left to play, else playback ends.
    """
    what, stream = WHERE.get(where, (where, None))
    detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()
    if isinstance(exc, PlayerError):
        return ThreadFailure(where, str(exc), detail, None)
    others = playing - {stream} - {"subtitle"}
    if stream is not None and others:
        left = "without subtitles" if stream == "subtitle" else f"without {stream}"
        return ThreadFailure(where, f"{what} failed; playing on {left}", detail, stream)
    reason = "out of memory" if isinstance(exc, MemoryError) else "internal error"
    return ThreadFailure(where, f"{what} failed ({reason})", detail, None)


def thread_failed(vs: VideoState, where: str, exc: BaseException) -> ThreadFailure:
    """From the failing thread: record the detail, then drop its stream or end playback.
    The detail goes to the trace and, as a "thread_error" event, to the client (the command
    line prints it at -loglevel debug); the library itself prints nothing."""
    playing = {p.kind for p in vs.pipelines if p.is_open}
    failure = classify(where, exc, playing)
    vs.trace.event("thread_error", where=where, message=failure.message, detail=failure.detail)
    vs.reporter.event("thread_error", where=where, message=failure.message, detail=failure.detail)
    if failure.drop is None:
        vs.fail(failure.message)
    else:
        drop_stream(vs, failure.drop)
        vs.warn(failure.message)
    return failure


def drop_stream(vs: VideoState, kind: str) -> None:
    """Play on without one stream: closed (the read thread neither queues for it nor waits
    for its end), its queue refusing packets, and the clocks no longer following it."""
    pipeline = {"video": vs.video, "audio": vs.audio, "subtitle": vs.subtitle}[kind]
    pipeline.st = None
    pipeline.abort()
    if kind == "video":
        vs.clocks.has_video = False
    elif kind == "audio":
        vs.clocks.has_audio = False
    vs.wake_reader()


# -- a test-only fault hook ------------------------------------------------------------------
# Some failures have no real trigger a test can provoke (a bug in a decoder thread, in the
# audio callback, in the input reader). PYFFPLAY_TEST_FAULT=WHERE[:N] makes
# inject_fault(WHERE, amount) raise FaultInjected once the amounts passed reach N
# (default 1): the N-th frame of a decoder or call of the audio callback, the N-th byte
# read by the input reader. Unset, the hook costs one global lookup.


class FaultInjected(RuntimeError):
    """Raised by inject_fault for the end-to-end tests of thread failures."""


def _parse_fault(spec: str | None) -> dict[str, int]:
    if not spec:
        return {}
    where, _, count = spec.partition(":")
    return {where: int(count) if count.isdigit() else 1}


_FAULTS = _parse_fault(os.environ.get("PYFFPLAY_TEST_FAULT"))


def inject_fault(where: str, amount: int = 1) -> None:
    if not _FAULTS or where not in _FAULTS or _FAULTS[where] <= 0:
        return
    _FAULTS[where] -= amount
    if _FAULTS[where] <= 0:
        raise FaultInjected(f"fault injected in {where} (PYFFPLAY_TEST_FAULT)")
