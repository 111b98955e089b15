"""Start-up: what is done to keep it short must not change what is loaded."""

from __future__ import annotations

import ctypes.util
from pathlib import Path

import pytest

from pyffplay import sdl_lib


def test_sdl2_comes_from_pysdl2_dll_without_a_system_search() -> None:
    from pyffplay.sdl_lib import sdl2

    assert "sdl2dll" in sdl2.dll.dll._libfile
    assert ctypes.util.find_library is sdl_lib._system_find_library  # restored after the import


def test_find_library_skips_the_system_only_for_a_bundled_sdl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(sdl_lib, "_system_find_library", lambda name: asked.append(name) or "sys")
    (tmp_path / "libSDL2-2.0.so").touch()
    monkeypatch.setenv("PYSDL2_DLL_PATH", str(tmp_path))
    for name in ("SDL2", "SDL2-2.0", "SDL2-2.0.0", "SDL2d"):
        assert sdl_lib._find_library(name) is None
    # Not bundled there (SDL2_ttf), or not SDL: the system's answer.
    assert sdl_lib._find_library("SDL2_ttf") == "sys"
    assert sdl_lib._find_library("asound") == "sys"
    monkeypatch.setenv("PYSDL2_DLL_PATH", "system")
    assert sdl_lib._find_library("SDL2") == "sys"
    monkeypatch.delenv("PYSDL2_DLL_PATH")
    assert sdl_lib._find_library("SDL2") == "sys"
    assert asked == ["SDL2_ttf", "asound", "SDL2", "SDL2"]


class _NoPortAudio:
    """A meta path finder that makes ``import sounddevice`` fail as without libportaudio."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return None


def test_portaudio_preloaded_or_not_the_device_open_says_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from pyffplay import audio_output, portaudio

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_NoPortAudio(), *sys.meta_path])
    monkeypatch.setattr(portaudio, "_module", None)
    monkeypatch.setattr(portaudio, "_preloading", False)
    messages = []
    for preload in (False, True):
        if preload:
            portaudio.preload()  # the open waits for it, or loads by itself
        with pytest.raises(audio_output.AudioUnavailable) as e:
            audio_output._open_sounddevice(None, 2)  # type: ignore[arg-type]
        messages.append(str(e.value))
    assert messages == ["PortAudio library not found"] * 2


_WRITER_DURING_PORTAUDIO_INIT = r"""
import os, sys, threading, time
from pyffplay import portaudio
done = threading.Event()
def write():
    n = 0
    while not done.is_set():
        os.write(2, b"mark %d\n" % n)
        n += 1
        time.sleep(0.0005)
    os.write(2, b"total %d\n" % n)
t = threading.Thread(target=write)
t.start()
try:
    portaudio.load()
except OSError:
    pass
done.set()
t.join()
"""


def test_portaudio_initialisation_leaves_stderr_to_the_other_threads() -> None:
    """sounddevice sends fd 2 to /dev/null while PortAudio starts: the banner or an error
    line written meanwhile by another thread was lost. Every line arrives, and ALSA's and
    JACK's complaints about missing devices and servers do not."""
    import os
    import re
    import subprocess
    import sys

    env = dict(os.environ, PULSE_SERVER="unix:/nonexistent")
    run = subprocess.run(
        [sys.executable, "-c", _WRITER_DURING_PORTAUDIO_INIT], env=env, capture_output=True, timeout=60
    )
    err = run.stderr.decode()
    assert run.returncode == 0, err[-2000:]
    total = int(re.search(r"^total (\d+)$", err, re.M).group(1))  # type: ignore[union-attr]
    marks = re.findall(r"^mark \d+$", err, re.M)
    assert len(marks) == total, f"{total - len(marks)} of {total} lines lost"
    leftovers = [line for line in err.splitlines() if not re.match(r"^(mark|total) \d+$", line)]
    assert leftovers == [], leftovers[:10]


def test_a_local_file_is_read_ahead_in_a_small_window(tmp_path: Path) -> None:
    """Peak memory: a file gets ffplay-like buffering, a pipe keeps its 16 MiB read-ahead."""
    import os

    from pyffplay import local_input, memory_avio

    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 1000)
    avio = local_input.open_input(str(path))
    try:
        assert avio._readahead == memory_avio.FILE_READAHEAD
        assert avio._keep_behind == memory_avio.FILE_KEEP_BEHIND  # type: ignore[attr-defined]
        assert avio.read(4096) == b"x" * 1000
    finally:
        avio.close()
    r, w = os.pipe()
    os.close(w)
    avio = local_input.open_input(f"pipe:{r}")
    try:
        assert avio._readahead == memory_avio.DEFAULT_READAHEAD
    finally:
        avio.close()
        os.close(r)


def test_no_gpu_device_means_no_opengl_probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffplay.video_output import sdl

    monkeypatch.setattr(sdl.sys, "platform", "linux")
    assert not sdl.has_gpu_device(str(tmp_path))
    (tmp_path / "dri").mkdir()
    assert not sdl.has_gpu_device(str(tmp_path))  # an empty /dev/dri
    (tmp_path / "dri" / "renderD128").touch()
    assert sdl.has_gpu_device(str(tmp_path))
    (tmp_path / "dri" / "renderD128").unlink()
    (tmp_path / "nvidia0").touch()
    assert sdl.has_gpu_device(str(tmp_path))
    monkeypatch.setattr(sdl.sys, "platform", "darwin")
    assert sdl.has_gpu_device(str(tmp_path / "none"))


@pytest.mark.parametrize("user_value, expected", [(None, "1"), ("4", "4")])
def test_the_command_keeps_openblas_to_one_thread_unless_told(user_value: str | None, expected: str) -> None:
    """NumPy's OpenBLAS would start a thread per core at import (CPU at every start); the
    command sets one before NumPy loads, and keeps what the user set."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if user_value is not None:
        env["OPENBLAS_NUM_THREADS"] = user_value
    code = (
        "import os, sys\n"
        "from pyffplay import cli\n"
        "assert 'numpy' not in sys.modules\n"
        "cli.main(['-h'])\n"
        "print(os.environ['OPENBLAS_NUM_THREADS'])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert out.splitlines()[-1] == expected
