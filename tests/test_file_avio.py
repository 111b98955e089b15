"""MemoryAVIO on files (FileAVIO through local_input) and the size options."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyffplay.errors import InputError
from pyffplay.local_input import open_input
from pyffplay.memory_avio import DEFAULT_MAX_MEMORY, format_size, parse_size
from tests.avio_helpers import JOIN, KiB, MiB, payload, read_all, read_exact

# -- sizes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value",
    [
        ("1000", 1000),
        ("64k", 64 * KiB),
        ("64K", 64 * KiB),
        ("256M", 256 * MiB),
        ("1G", 1 << 30),
        ("1.5M", 3 * MiB // 2),
        ("256MiB", 256 * MiB),
        ("2MB", 2 * MiB),
        (" 8m ", 8 * MiB),
        ("0", 0),
        ("100b", 100),
    ],
)
def test_parse_size(text, value):
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["", "M", "abc", "-5M", "12Q", "1.2.3k", "5 M M", "1ib"])
def test_parse_size_rejects_junk(text):
    with pytest.raises(ValueError):
        parse_size(text)


def test_format_size_round_trips():
    assert format_size(DEFAULT_MAX_MEMORY) == "256M"
    assert format_size(1 << 30) == "1G"
    assert format_size(64 * KiB) == "64k"
    assert format_size(1000) == "1000"
    assert format_size(3 * MiB // 2) == "1.5M"
    for n in (1, 5 * KiB, 768 * MiB, 3 << 30):
        assert parse_size(format_size(n)) == n


# -- files -----------------------------------------------------------------------------


@pytest.fixture
def data_file(tmp_path) -> tuple[Path, bytes]:
    data = payload(3 * MiB + 12345)
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    return path, data


def test_file_reads_whole_content(data_file):
    path, data = data_file
    avio = open_input(str(path))
    try:
        assert not avio.is_pipe and avio.name == str(path)
        assert avio.seekable() and avio.size == len(data)
        assert read_all(avio) == data
        assert avio.tell() == len(data)
        assert avio.read(100) == b""
        assert avio.error is None
    finally:
        avio.close()
    assert avio.read(10) == b""  # closed reads like EOF


def test_file_seek_whence_and_tell(data_file):
    path, data = data_file
    avio = open_input(str(path))
    try:
        assert avio.seek(1000) == 1000 and avio.tell() == 1000
        assert read_exact(avio, 500) == data[1000:1500]
        assert avio.seek(-200, os.SEEK_CUR) == 1300
        assert read_exact(avio, 100) == data[1300:1400]
        assert avio.seek(-10, os.SEEK_END) == len(data) - 10
        assert read_all(avio) == data[-10:]
        assert avio.seek(0, os.SEEK_END) == len(data)
        assert avio.read(10) == b""
        assert avio.seek(len(data) + 5 * MiB) == len(data) + 5 * MiB  # past EOF: allowed
        assert avio.read(10) == b""
        with pytest.raises(OSError):
            avio.seek(-1)
        assert avio.seek(0) == 0 and read_exact(avio, 10) == data[:10]
    finally:
        avio.close()


def test_file_seeks_outside_the_window(data_file):
    path, data = data_file
    avio = open_input(str(path), chunk_size=16 * KiB, readahead=64 * KiB, keep_behind=32 * KiB)
    try:
        assert read_exact(avio, 100 * KiB) == data[: 100 * KiB]
        for target in (2 * MiB + 7, 10, 3 * MiB, 1 * MiB + 1, len(data) - 3):  # far both ways
            avio.seek(target)
            assert read_exact(avio, 40 * KiB) == data[target : target + 40 * KiB]
            assert avio.bytes_buffered <= 64 * KiB + 32 * KiB + 16 * KiB
        # a short step back stays inside what was kept: no restart of the window
        avio.seek(1 * MiB)
        assert read_exact(avio, 30 * KiB) == data[1 * MiB : 1 * MiB + 30 * KiB]
        restarts = avio._gen
        avio.seek(1 * MiB + 10 * KiB)
        assert read_exact(avio, 10 * KiB) == data[1 * MiB + 10 * KiB : 1 * MiB + 20 * KiB]
        assert avio._gen == restarts
    finally:
        avio.close()


def test_file_memory_stays_bounded(tmp_path):
    data = payload(8 * MiB, seed=2)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    chunk, bound = 64 * KiB, 1 * MiB
    avio = open_input(str(path), max_memory=bound, chunk_size=chunk, readahead=16 * MiB)
    try:
        out = bytearray()
        peak = 0
        while piece := avio.read(32 * KiB):
            out += piece
            peak = max(peak, avio.bytes_buffered)
        assert bytes(out) == data
        assert 0 < peak <= bound + chunk
    finally:
        avio.close()
    assert avio._thread.join(JOIN) is None and not avio._thread.is_alive()


def test_stdin_that_is_a_regular_file_reads_as_a_file(data_file):
    path, data = data_file
    fd = os.open(path, os.O_RDONLY)
    try:
        avio = open_input("-", stdin_fd=fd)
        assert avio.name == "pipe:" and avio.size == len(data)
        avio.seek(len(data) - 100)
        assert read_all(avio) == data[-100:]
        avio.close()
    finally:
        os.close(fd)  # still ours: the AVIO read a duplicate


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"^nothere\.mp4: No such file or directory$"):
        open_input("nothere.mp4")


def test_directory(tmp_path):
    with pytest.raises(InputError, match=r": Is a directory$") as info:
        open_input(str(tmp_path))
    assert str(info.value) == f"{tmp_path}: Is a directory"


def test_permission_denied(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(b"abc")
    path.chmod(0)
    if os.geteuid() != 0:
        with pytest.raises(InputError, match=r": Permission denied$"):
            open_input(str(path))
        return
    # Root reads anything: check as the unprivileged user "nobody" in a forked child.
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: drop privileges, try, report, leave without pytest's cleanup
        try:
            os.setuid(65534)
            open_input(str(path))
            msg = "opened"
        except InputError as e:
            msg = str(e)
        except BaseException as e:  # noqa: BLE001 - anything else is reported to the parent
            msg = repr(e)
        os.write(w, msg.encode())
        os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    with os.fdopen(r, "rb") as f:
        assert f.read().decode() == f"{path}: Permission denied"


def test_closed_stdin():
    with pytest.raises(InputError, match=r"^pipe:: Bad file descriptor$"):
        open_input("-", stdin_fd=987654)  # a descriptor nobody has open


def test_empty_file_is_not_an_error(tmp_path):
    path = tmp_path / "empty"
    path.write_bytes(b"")
    avio = open_input(str(path))
    assert avio.read(100) == b"" and avio.size == 0
    avio.close()


def test_file_read_error_is_eof_with_a_message():
    avio = open_input("/proc/self/mem")  # a regular file whose offset 0 gives EIO
    try:
        assert avio.read(100) == b""
        assert avio.error == "/proc/self/mem: read error: Input/output error"
    finally:
        avio.close()
