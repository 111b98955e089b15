"""Clips shared by the end-to-end tests (built once per session)."""

from pathlib import Path

import pytest

from tests.e2e.tmux_term import make_term, term  # noqa: F401 - fixtures for the tmux tests


def pytest_collection_modifyitems(config, items):
    """Everything under tests/e2e is an end-to-end test: `pytest -m "not e2e"` skips them."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


FPS = 30
KEYINT = 30  # one keyframe a second: seeks land within 1 s of their target


@pytest.fixture(scope="session")
def clip_720p(media):
    """10 s 1280x720 30 fps H.264 + AAC, moov atom at the end (PyAV's default)."""
    return media.clip("clip720.mp4", duration=10.0, width=1280, height=720, fps=FPS, keyint=KEYINT)


@pytest.fixture(scope="session")
def clip_720p_ts(media):
    """The same content as MPEG-TS."""
    return media.clip(
        "clip720.ts", duration=10.0, width=1280, height=720, fps=FPS, keyint=KEYINT, container="mpegts"
    )


@pytest.fixture(scope="session")
def clip_long(media):
    """30 s 640x360 clip for key/seek tests (small and quick to make)."""
    return media.clip("long360.mp4", duration=30.0, width=640, height=360, fps=FPS, keyint=KEYINT)


@pytest.fixture(scope="session")
def clip_short(media):
    """4 s 640x360 clip for quick runs."""
    return media.clip("short360.mp4", duration=4.0, width=640, height=360, fps=FPS, keyint=KEYINT)


@pytest.fixture(scope="session")
def clip_short_ts(media):
    """6 s 640x360 MPEG-TS."""
    return media.clip(
        "short360.ts", duration=6.0, width=640, height=360, fps=FPS, keyint=KEYINT, container="mpegts"
    )
