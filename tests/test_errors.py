"""errors.classify: one line for the user, the detail kept, drop the stream or end."""

from __future__ import annotations

import pytest

from pyffplay import errors
from pyffplay.errors import InputError, classify


def _raised(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as e:
        return e


@pytest.mark.parametrize(
    "where,playing,drop",
    [
        ("video", {"video", "audio"}, "video"),
        ("audio", {"video", "audio"}, "audio"),
        ("audio_output", {"video", "audio"}, "audio"),
        ("subtitle", {"video", "subtitle"}, "subtitle"),
        ("video", {"video"}, None),
        ("video", {"video", "subtitle"}, None),  # subtitles alone are nothing to play
        ("audio", {"audio"}, None),
        ("audio_output", {"audio"}, None),
        ("read", {"video", "audio"}, None),
    ],
)
def test_drop_the_stream_when_another_can_play(where, playing, drop):
    f = classify(where, _raised(IndexError("list index out of range")), playing)
    assert f.drop == drop
    assert "\n" not in f.message
    # No internals in the message; all of them in the detail.
    assert "IndexError" not in f.message and "list index" not in f.message
    assert "IndexError: list index out of range" in f.detail and "Traceback" in f.detail
    if drop:
        assert f.message.endswith(f"playing on without {'subtitles' if drop == 'subtitle' else drop}")
    else:
        assert f.message.endswith("failed (internal error)")


def test_player_error_keeps_its_message_and_is_fatal():
    f = classify("read", _raised(InputError("clip.ts: no audio or video stream to play")), {"video"})
    assert f.message == "clip.ts: no audio or video stream to play"
    assert f.drop is None


def test_memory_error_says_so():
    failure = classify("video", _raised(MemoryError()), {"video"})
    assert failure.message == "video decoding failed (out of memory)"


def test_fault_hook_counts_calls(monkeypatch):
    monkeypatch.setattr(errors, "_FAULTS", errors._parse_fault("audio:3"))
    errors.inject_fault("video")
    errors.inject_fault("audio")
    errors.inject_fault("audio")
    with pytest.raises(errors.FaultInjected):
        errors.inject_fault("audio")
    errors.inject_fault("audio")  # once only
    assert errors._parse_fault(None) == {} and errors._parse_fault("read") == {"read": 1}
