"""net_avio against a real local HTTP server: byte-exact reads, range requests for seeks,
everything kept without ranges, and abort() ending a blocked read at once."""

import os
import threading
import time

import pytest

from pyffplay import net_avio
from pyffplay.errors import InputError
from tests.net_servers import HTTPBehaviour, HTTPServer


@pytest.fixture(scope="module")
def blob(tmp_path_factory):
    path = tmp_path_factory.mktemp("net") / "blob.bin"
    path.write_bytes(os.urandom(3 * 1024 * 1024 + 123))
    return path


def _read_at(avio, offset, n):
    avio.seek(offset)
    out = b""
    while len(out) < n:
        piece = avio.read(n - len(out))
        if not piece:
            break
        out += piece
    return out


def test_ranges_read_like_a_file(blob):
    data = blob.read_bytes()
    with HTTPServer({"/b": blob}) as srv:
        avio = net_avio.open_url(srv.url("/b"))
        try:
            assert type(avio).__name__ == "_NetFileAVIO" and avio.size == len(data)
            assert _read_at(avio, 0, 1000) == data[:1000]
            assert _read_at(avio, len(data) - 1000, 5000) == data[-1000:]  # a range request
            assert _read_at(avio, 100, 200_000) == data[100:200_100]
            ranges = [h.get("Range") for _, _, h in srv.behaviour.requests]
            assert f"bytes={len(data) - 1000}-" in ranges or any(
                r and int(r[6:-1]) <= len(data) - 1000 for r in ranges[1:]
            ), ranges
        finally:
            avio.close()


def test_without_ranges_everything_read_is_kept(blob):
    data = blob.read_bytes()
    with HTTPServer({"/b": blob}, HTTPBehaviour(ranges=False)) as srv:
        avio = net_avio.open_url(srv.url("/b"))
        try:
            assert type(avio).__name__ == "_NetPipeAVIO"
            assert _read_at(avio, len(data) - 1000, 1000) == data[-1000:]
            assert _read_at(avio, 0, 1000) == data[:1000]
            assert len(srv.behaviour.requests) == 1
        finally:
            avio.close()


def test_abort_ends_a_blocked_read(blob):
    with HTTPServer({"/b": blob}, HTTPBehaviour(stall_after=64 * 1024)) as srv:
        avio = net_avio.open_url(srv.url("/b"))
        got = []
        reader = threading.Thread(target=lambda: got.append(_read_at(avio, 0, 1024 * 1024)))
        reader.start()
        time.sleep(0.5)  # the reader thread is now blocked in avio_read_partial
        t0 = time.monotonic()
        avio.close()
        reader.join(2)
        took = time.monotonic() - t0
        assert not reader.is_alive() and took < 0.5, took
        assert not [t for t in threading.enumerate() if t.name == "avio_reader"]


def test_open_errors_are_one_line(blob):
    with HTTPServer({"/b": blob}) as srv:
        with pytest.raises(InputError, match="404"):
            net_avio.open_url(srv.url("/missing"))
    with HTTPServer({"/b": blob}, HTTPBehaviour(silent=True)) as srv:
        t0 = time.monotonic()
        with pytest.raises(InputError, match="no answer within 1 s"):
            net_avio.open_url(srv.url("/b"), {"timeout": "1000000"})
        assert time.monotonic() - t0 < 5
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    with HTTPServer({"/b": blob}, HTTPBehaviour(silent=True)) as srv:
        t0 = time.monotonic()
        with pytest.raises(InputError, match="interrupted"):
            net_avio.open_url(srv.url("/b"), interrupt=stop.is_set)
        assert time.monotonic() - t0 < 1.0
