"""MemoryAVIO: files, pipes, the memory bound, and PyAV reading through it for real."""

from __future__ import annotations

import fractions
import os
import threading
from pathlib import Path

import av
import numpy as np
import pytest

from pyffplay.errors import InputError
from pyffplay.memory_avio import (DEFAULT_MAX_MEMORY, MemoryAVIO, format_size, open_input,
                                  parse_size)

KiB, MiB = 1 << 10, 1 << 20
JOIN = 10.0  # generous bound for joins that should end at once; never reached when correct


def payload(n: int, seed: int = 1) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def read_all(avio: MemoryAVIO, n: int = 32 * KiB) -> bytes:
    parts = []
    while chunk := avio.read(n):
        assert len(chunk) <= n
        parts.append(chunk)
    return b"".join(parts)


def read_exact(avio: MemoryAVIO, n: int) -> bytes:
    """n bytes (fewer only at EOF): read() may return short."""
    out = bytearray()
    while len(out) < n and (chunk := avio.read(n - len(out))):
        out += chunk
    return bytes(out)


class Pipe:
    """An os.pipe() with a writer thread that sends `parts`, waiting on an event before
    each part that has one, then closes the write end unless keep_open."""

    def __init__(self, parts: list[bytes], gates: dict[int, threading.Event] | None = None,
                 keep_open: bool = False) -> None:
        self.r, self.w = os.pipe()
        self.parts, self.gates, self.keep_open = parts, gates or {}, keep_open
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._write, daemon=True)
        self.thread.start()

    def _write(self) -> None:
        try:
            for i, part in enumerate(self.parts):
                if i in self.gates:
                    self.gates[i].wait()
                view = memoryview(part)
                while view:
                    view = view[os.write(self.w, view[:64 * KiB]):]
            if self.keep_open:
                self.stop.wait()
        except (BrokenPipeError, OSError):
            pass  # the test closed the read end first
        finally:
            os.close(self.w)

    def close(self) -> None:
        self.stop.set()
        for gate in self.gates.values():
            gate.set()
        os.close(self.r)  # a writer blocked on a full pipe gets EPIPE
        self.thread.join(JOIN)


@pytest.fixture
def pipes():
    made: list[Pipe] = []
    avios: list[MemoryAVIO] = []

    def make(parts, gates=None, keep_open=False, **kw) -> tuple[Pipe, MemoryAVIO]:
        p = Pipe(parts, gates, keep_open)
        made.append(p)
        avio = open_input("-", stdin_fd=p.r, **kw)
        avios.append(avio)
        return p, avio

    yield make
    for avio in avios:
        avio.close()
    for p in made:
        p.close()


# -- sizes ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("1000", 1000), ("64k", 64 * KiB), ("64K", 64 * KiB), ("256M", 256 * MiB),
    ("1G", 1 << 30), ("1.5M", 3 * MiB // 2), ("256MiB", 256 * MiB), ("2MB", 2 * MiB),
    (" 8m ", 8 * MiB), ("0", 0), ("100b", 100),
])
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
        assert read_exact(avio, 100 * KiB) == data[:100 * KiB]
        for target in (2 * MiB + 7, 10, 3 * MiB, 1 * MiB + 1, len(data) - 3):  # far both ways
            avio.seek(target)
            assert read_exact(avio, 40 * KiB) == data[target:target + 40 * KiB]
            assert avio.bytes_buffered <= 64 * KiB + 32 * KiB + 16 * KiB
        # a short step back stays inside what was kept: no restart of the window
        avio.seek(1 * MiB)
        assert read_exact(avio, 30 * KiB) == data[1 * MiB:1 * MiB + 30 * KiB]
        restarts = avio._gen
        avio.seek(1 * MiB + 10 * KiB)
        assert read_exact(avio, 10 * KiB) == data[1 * MiB + 10 * KiB:1 * MiB + 20 * KiB]
        assert avio._gen == restarts
    finally:
        avio.close()


def test_file_memory_stays_bounded(tmp_path):
    data = payload(8 * MiB, seed=2)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    chunk, bound = 64 * KiB, 1 * MiB
    avio = open_input(str(path), max_memory=bound, chunk_size=chunk)  # default 16M readahead
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


# -- pipes -----------------------------------------------------------------------------

def test_pipe_read_error_is_eof_with_a_message(tmp_path):
    fd = os.open(tmp_path, os.O_RDONLY)  # read() on it fails with EISDIR
    try:
        avio = open_input("-", stdin_fd=fd)
        assert avio.read(100) == b""
        assert avio.error == "pipe:: read error: Is a directory"
        avio.close()
    finally:
        os.close(fd)


def test_pipe_names_and_reader_thread(pipes, tmp_path):
    _, avio = pipes([b"abc"])
    assert avio._thread.name == "avio_reader" and avio._thread.daemon
    r, w = os.pipe()
    os.write(w, b"abc")
    os.close(w)
    other = open_input(f"fd:{r}")  # "pipe:N" / "fd:N" read descriptor N
    assert other.name == f"fd:{r}" and other.is_pipe
    assert read_all(other) == b"abc"
    other.close()
    os.close(r)  # not the AVIO's to close

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(b"through a fifo"))
    writer.start()
    avio = open_input(str(fifo))  # opening waits for the writer, as ffplay does
    assert avio.is_pipe and avio.name == str(fifo)
    assert read_all(avio) == b"through a fifo"
    avio.close()
    writer.join(JOIN)


def test_pipe_reads_all_then_seeks_back(pipes):
    data = payload(2 * MiB + 17, seed=3)
    _, avio = pipes([data[i:i + 100 * KiB] for i in range(0, len(data), 100 * KiB)])
    assert avio.is_pipe and avio.name == "pipe:" and avio.seekable()
    assert read_all(avio) == data
    assert avio.size == len(data)
    avio.seek(12345)  # backwards, inside what was kept
    assert read_exact(avio, 1000) == data[12345:13345]
    avio.seek(-50, os.SEEK_CUR)
    assert read_exact(avio, 50) == data[13295:13345]
    avio.seek(0)
    assert read_all(avio) == data


def test_pipe_seek_forward_waits_for_the_writer(pipes):
    first, second = payload(100 * KiB, seed=4), payload(300 * KiB, seed=5)
    gate = threading.Event()
    _, avio = pipes([first, second], gates={1: gate})
    assert read_exact(avio, len(first)) == first
    target = len(first) + 200 * KiB
    assert avio.seek(target) == target  # past the end of what the pipe gave so far
    result: list[bytes] = []
    reader = threading.Thread(target=lambda: result.append(read_exact(avio, 1000)))
    reader.start()
    reader.join(0.05)
    assert reader.is_alive() and not result  # blocked: the writer has not sent it yet
    gate.set()
    reader.join(JOIN)
    assert result == [second[200 * KiB:200 * KiB + 1000]]
    avio.seek(10)
    assert read_exact(avio, 10) == first[10:20]


def test_pipe_seek_end_reads_to_eof(pipes):
    data = payload(1 * MiB + 3, seed=6)
    _, avio = pipes([data[:1000], data[1000:]])
    assert avio.size is None or avio.size == len(data)
    assert avio.seek(0, os.SEEK_END) == len(data)
    assert avio.size == len(data)
    assert avio.seek(-1, os.SEEK_END) == len(data) - 1  # what FFmpeg's avio_size() asks
    assert avio.read(10) == data[-1:]
    assert avio.seek(len(data) + 100) == len(data) + 100
    assert avio.read(10) == b""
    avio.seek(0)
    assert read_all(avio) == data
    with pytest.raises(OSError):
        avio.seek(-1, os.SEEK_SET)


def test_pipe_seek_end_can_leave_the_size_unknown(pipes):
    pipe, avio = pipes([b"abc"], keep_open=True, pipe_seek_end=False)
    assert avio.seek(0, os.SEEK_END) < 0  # an AVERROR for FFmpeg: size unknown
    assert avio.tell() == 0 and avio.read(10) == b"abc"


def test_abort_unblocks_a_waiting_read(pipes):
    pipe, avio = pipes([b"hello"], keep_open=True)  # then nothing more, never closed
    assert avio.read(100) == b"hello"
    result: list[bytes] = []
    reader = threading.Thread(target=lambda: result.append(avio.read(100)))
    reader.start()
    reader.join(0.05)
    assert reader.is_alive()
    avio.abort()
    reader.join(JOIN)
    assert result == [b""]
    avio._thread.join(JOIN)
    assert not avio._thread.is_alive()  # the reader thread left its poll() too
    assert avio.read(100) == b"" and avio.seek(0) == 0 and avio.read(1) == b""


def test_abort_unblocks_seek_end(pipes):
    _, avio = pipes([b"x" * 1000], keep_open=True)
    result: list[int] = []
    seeker = threading.Thread(target=lambda: result.append(avio.seek(0, os.SEEK_END)))
    seeker.start()
    seeker.join(0.05)
    assert seeker.is_alive()
    avio.abort()
    seeker.join(JOIN)
    assert len(result) == 1


def test_pipe_closed_early_is_eof(pipes):
    _, avio = pipes([b"0123456789" * 100])
    assert read_all(avio) == b"0123456789" * 100
    assert avio.read(10) == b"" and avio.size == 1000 and avio.error is None


def test_empty_pipe_is_eof(pipes):
    _, avio = pipes([])
    assert avio.read(10) == b"" and avio.size == 0


# -- the memory bound on a pipe ---------------------------------------------------------

def test_pipe_spills_to_a_temporary_file(pipes):
    data = payload(5 * MiB, seed=7)
    chunk, bound = 64 * KiB, 1 * MiB
    _, avio = pipes([data[i:i + 256 * KiB] for i in range(0, len(data), 256 * KiB)],
                    max_memory=bound, chunk_size=chunk, spill=True)
    out, peak = bytearray(), 0
    while piece := avio.read(32 * KiB):
        out += piece
        peak = max(peak, avio.bytes_buffered)
    assert bytes(out) == data
    assert peak <= bound + chunk and avio.bytes_buffered <= bound + chunk
    assert avio.spilled
    avio.seek(0)
    assert read_exact(avio, 100 * KiB) == data[:100 * KiB]
    avio.seek(3 * MiB + 5)
    assert read_exact(avio, 10) == data[3 * MiB + 5:3 * MiB + 15]
    avio.seek(0)
    assert read_all(avio, 256 * KiB) == data


def test_pipe_without_spill_fails_clearly(pipes):
    data = payload(5 * MiB, seed=8)
    bound = 1 * MiB
    _, avio = pipes([data], max_memory=bound, chunk_size=64 * KiB, spill=False)
    out = bytearray()
    with pytest.raises(InputError) as info:
        while piece := avio.read(32 * KiB):
            out += piece
    message = str(info.value)
    assert "-avio_mem 1M" in message and "-avio_spill 1" in message
    assert bytes(out) == data[:bound]  # everything up to the bound was served
    assert avio.error == message
    assert avio.read(10) == b""  # raised once (PyAV keeps one exception), then EOF
    assert avio.seek(0, os.SEEK_END) < 0
    avio.seek(0)
    assert read_exact(avio, 1000) == data[:1000]


def test_pipe_without_spill_fails_on_seek_end(pipes):
    _, avio = pipes([payload(2 * MiB, seed=9)], max_memory=1 * MiB, chunk_size=64 * KiB,
                    spill=False)
    with pytest.raises(InputError, match="-avio_mem 1M"):
        avio.seek(0, os.SEEK_END)


# -- PyAV reading through it ------------------------------------------------------------

FRAMES, SIZE, FPS = 25, 64, 25


def make_media(path: Path, fmt: str | None = None, options: dict | None = None) -> bytes:
    with av.open(str(path), "w", format=fmt, options=options or {}) as out:
        video = out.add_stream("libx264", rate=FPS, options={"preset": "ultrafast"})
        video.width = video.height = SIZE
        video.pix_fmt = "yuv420p"
        audio = out.add_stream("aac", rate=48000)
        audio.layout = "mono"
        ramp = np.linspace(0, 255, SIZE * SIZE * 3).reshape(SIZE, SIZE, 3)
        for i in range(FRAMES):
            picture = ((ramp + 10 * i) % 256).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts, frame.time_base = i, fractions.Fraction(1, FPS)
            out.mux(video.encode(frame))
            for k in range(2):  # about 1 s of silence alongside
                samples = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32),
                                                     format="fltp", layout="mono")
                samples.sample_rate, samples.pts = 48000, (2 * i + k) * 1024
                samples.time_base = fractions.Fraction(1, 48000)
                out.mux(audio.encode(samples))
        out.mux(video.encode(None))
        out.mux(audio.encode(None))
    return path.read_bytes()


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, tuple[Path, bytes]]:
    root = tmp_path_factory.mktemp("media")
    made = {}
    for name, fmt, options in (("end.mp4", None, None),
                               ("fast.mp4", None, {"movflags": "faststart"}),
                               ("clip.ts", "mpegts", None)):
        made[name] = (root / name, make_media(root / name, fmt, options))
    end, fast = made["end.mp4"][1], made["fast.mp4"][1]
    assert end.find(b"moov") > end.find(b"mdat") > 0  # the case ffplay fails on a pipe
    assert 0 < fast.find(b"moov") < fast.find(b"mdat")
    return made


def decode_video(container) -> list[np.ndarray]:
    return [f.to_ndarray(format="gray") for f in container.decode(video=0)]


@pytest.mark.parametrize("name", ["end.mp4", "fast.mp4", "clip.ts"])
def test_pyav_decodes_a_file(media, name):
    path, _ = media[name]
    avio = open_input(str(path), chunk_size=4 * KiB)
    with av.open(avio, buffer_size=4 * KiB) as container:
        assert len(decode_video(container)) == FRAMES
    avio.close()


@pytest.mark.parametrize("seek_end", [True, False])
def test_pyav_plays_moov_at_end_from_a_pipe(media, pipes, seek_end):
    _, data = media["end.mp4"]
    _, avio = pipes([data[i:i + 1000] for i in range(0, len(data), 1000)],
                    chunk_size=4 * KiB, pipe_seek_end=seek_end)
    with av.open(avio, buffer_size=4 * KiB) as container:
        assert container.streams.video[0].frames == FRAMES
        assert len(decode_video(container)) == FRAMES


def test_pyav_plays_and_rewinds_mpegts_from_a_pipe(media, pipes):
    _, data = media["clip.ts"]
    _, avio = pipes([data[i:i + 4096] for i in range(0, len(data), 4096)], chunk_size=4 * KiB)
    with av.open(avio, buffer_size=4 * KiB) as container:
        frames = decode_video(container)
        assert len(frames) == FRAMES
        container.seek(0)
        again = next(container.decode(video=0)).to_ndarray(format="gray")
        assert np.array_equal(again, frames[0])


def test_pyav_sees_the_too_large_error(media, pipes):
    _, data = media["clip.ts"]
    _, avio = pipes([data], max_memory=8 * KiB, chunk_size=4 * KiB, spill=False)
    with pytest.raises(InputError, match="-avio_mem"):
        with av.open(avio, buffer_size=4 * KiB) as container:
            decode_video(container)


def test_abort_ends_a_demux_blocked_on_a_stalled_pipe(media, pipes):
    _, data = media["clip.ts"]
    half = len(data) // 2 // 188 * 188
    _, avio = pipes([data[:half]], keep_open=True, chunk_size=4 * KiB,
                    pipe_seek_end=False)  # a live pipe: do not wait for its end
    outcome: list[str] = []

    def demux() -> None:  # av.open itself waits for more than half the clip to probe
        try:
            with av.open(avio, buffer_size=4 * KiB) as container:
                for _ in container.demux():
                    pass
            outcome.append("ended")
        except av.error.FFmpegError as exc:
            outcome.append(type(exc).__name__)

    thread = threading.Thread(target=demux)
    thread.start()
    with avio._cond:
        assert avio._cond.wait_for(lambda: avio._end >= half, JOIN)
    thread.join(0.05)
    assert thread.is_alive()  # everything sent was read: FFmpeg waits for more
    avio.abort()
    thread.join(JOIN)
    assert not thread.is_alive() and outcome  # "ended": av.open and demux saw EOF
