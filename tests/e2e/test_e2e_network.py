"""Network inputs from real local servers: HTTP (ranges or not, stalling, dropping), MPEG-TS
over UDP in real time; FFmpeg's options passed through (checked by their effect).

Every server listens on 127.0.0.1 and ends with its test; the UDP sender sends to
127.0.0.1 only and stops by itself.
"""

import signal
import threading
import time

import pytest

from pyffplay import Player
from tests.net_servers import (
    HTTPBehaviour,
    HTTPServer,
    RTSPPusher,
    SilentTCPServer,
    UDPSender,
    free_tcp_port,
    free_udp_port,
)
from tests.observe import pyffplay_lines

FPS = 30


def _ok(run):
    err = run.stderr()
    assert "Traceback" not in err, err[-3000:]
    assert run.proc.returncode == 0, f"exit code {run.proc.returncode}: {err[-1500:]!r}"


def _sigterm_quits_at_once(run, what: str) -> None:
    """SIGTERM now: the player exits cleanly within 1 s (the figure is printed)."""
    t0 = time.monotonic()
    run.signal(signal.SIGTERM)
    t_exit = run.wait_exit_time(5)
    run.wait(5)
    print(f"\nquit while {what}: {1000 * (t_exit - t0):.0f} ms")
    _ok(run)
    assert t_exit - t0 < 1.0, f"quit took {t_exit - t0:.2f} s"


def _one_error_line(run):
    err = run.stderr()
    assert "Traceback" not in err, err[-3000:]
    assert run.proc.returncode == 1, f"exit code {run.proc.returncode}: {err[-1500:]!r}"
    # pyffplay's own lines: not the banner, the stream dump or FFmpeg's log (-loglevel).
    lines = [ln for ln in pyffplay_lines(err) if ln.strip()]
    assert len(lines) == 1, f"expected one line of pyffplay's, got {lines}"
    assert lines[0].startswith("pyffplay: "), lines[0]
    return lines[0]


def _frames(run):
    return [e for e in run.trace() if e["ev"] == "frame"]


def _decoded(run):
    """Pictures shown or dropped (drops are timing on a loaded machine, not asserted)."""
    return [e for e in run.trace() if e["ev"] in ("frame", "drop")]


@pytest.fixture(scope="module")
def faststart(media):
    """4 s 640x360, moov atom first (read straight through)."""
    return media.clip(
        "fast360.mp4", duration=4.0, width=640, height=360, fps=FPS, keyint=FPS, moov_at_end=False
    )


@pytest.mark.parametrize("ranges", [True, False], ids=["ranges", "no-ranges"])
def test_http_mp4_with_moov_at_end_plays(player, clip_short, ranges):
    """ffplay cannot play this without ranges; the memory AVIO keeps what it read."""
    with HTTPServer({"/clip.mp4": clip_short}, HTTPBehaviour(ranges=ranges)) as srv:
        run = player.run("-autoexit", srv.url("/clip.mp4"), timeout=60)
        requests = list(srv.behaviour.requests)
    _ok(run)
    frames = _decoded(run)
    assert len(frames) >= 0.9 * 4 * FPS, f"only {len(frames)} frames decoded"
    assert _frames(run) and max(f["pts"] for f in frames) >= 3.8, frames[-3:]
    assert run.trace()[-1].get("reason") == "eof"
    if ranges:  # a range request for the moov atom when it was not read yet, then the data
        assert len(requests) <= 4, f"{len(requests)} requests: the window should not refetch"
    else:  # one connection, read once: seeks were served from what was kept
        assert len(requests) == 1, requests


@pytest.fixture(scope="module")
def hls_dir(tmp_path_factory, clip_short_ts):
    """An HLS VOD playlist of 1 s MPEG-TS segments, written by PyAV's hls muxer."""
    import av

    d = tmp_path_factory.mktemp("hls")
    with (
        av.open(str(clip_short_ts)) as inp,
        av.open(
            str(d / "index.m3u8"),
            "w",
            format="hls",
            options={"hls_time": "1", "hls_list_size": "0", "hls_playlist_type": "vod"},
        ) as out,
    ):
        streams = {st.index: out.add_stream_from_template(st) for st in inp.streams}
        for pkt in inp.demux():
            if pkt.dts is not None:
                pkt.stream = streams[pkt.stream.index]
                out.mux(pkt)
    return d


def test_http_hls_playlist_plays(player, hls_dir):
    """The playlist comes through the memory AVIO; FFmpeg's hls demuxer fetches the segments."""
    files = {f"/hls/{p.name}": p for p in hls_dir.iterdir()}
    with HTTPServer(files) as srv:
        run = player.run("-autoexit", "-vo", "null", srv.url("/hls/index.m3u8"), timeout=60)
        paths = [path for _, path, _ in srv.behaviour.requests]
    _ok(run)
    assert paths[0] == "/hls/index.m3u8" and sum(p.endswith(".ts") for p in paths) >= 4, paths
    assert len(_decoded(run)) >= 0.9 * 6 * FPS


@pytest.mark.parametrize("ranges", [True, False], ids=["ranges", "no-ranges"])
def test_http_seek_with_the_right_arrow(player, x11, clip_long, ranges):
    title = f"pyffplay-http-seek-{ranges}"
    with HTTPServer({"/long.mp4": clip_long}, HTTPBehaviour(ranges=ranges)) as srv:
        run = player.start("-window_title", title, srv.url("/long.mp4"))
        wid = x11.find_window(title, timeout=30, proc=run.proc)
        run.wait_clock(1.5, timeout=30)
        k0, _ = x11.key(wid, "Right")
        tr_wait = time.monotonic() + 20
        while time.monotonic() < tr_wait:
            seeks = [e for e in run.trace() if e["ev"] == "seek" and e["t_req"] >= k0 - 0.01]
            shown = [f for f in _frames(run) if seeks and f.get("serial") == seeks[0]["serial"]]
            if shown:
                break
            time.sleep(0.1)
        x11.key(wid, "q")
        run.wait(15)
    _ok(run)
    assert seeks, "no seek event after the key"
    assert shown, f"no frame shown after the seek to {seeks[0]['target']}"
    before = [f for f in _frames(run) if f["t"] <= k0]
    expected = before[-1]["pts"] + 10.0
    assert abs(shown[0]["pts"] - expected) <= 1.2, (shown[0]["pts"], expected)


def test_http_throttled_to_1_mbit_plays_to_the_end(player, faststart):
    """Slower than the clip's bit rate: playback waits for data, never gives up or hangs."""
    size = faststart.stat().st_size
    rate = 125_000  # bytes per second: 1 Mbit/s
    with HTTPServer({"/a.mp4": faststart}, HTTPBehaviour(rate=rate)) as srv:
        t0 = time.monotonic()
        run = player.run("-autoexit", "-vo", "null", srv.url("/a.mp4"), timeout=120)
        elapsed = time.monotonic() - t0
    _ok(run)
    assert elapsed >= 0.8 * size / rate, f"{elapsed:.1f} s for {size} bytes at {rate} B/s"
    assert len(_decoded(run)) >= 0.9 * 4 * FPS
    print(f"\nthrottled 1 Mbit/s: {size} bytes played in {elapsed:.1f} s")


def test_user_agent_and_headers_reach_the_server(player, faststart):
    with HTTPServer({"/a.mp4": faststart}) as srv:
        run = player.run(
            "-autoexit",
            "-vo",
            "null",
            "-user_agent",
            "pyffplay-e2e/1.0",
            "-headers",
            "X-Pyffplay-Test: yes\r\n",
            srv.url("/a.mp4"),
            timeout=60,
        )
        requests = list(srv.behaviour.requests)
    _ok(run)
    assert requests, "no request reached the server"
    for _, _, headers in requests:
        assert headers.get("User-Agent") == "pyffplay-e2e/1.0", headers
        assert headers.get("X-Pyffplay-Test") == "yes", headers


@pytest.mark.parametrize("server", ["silent", "stalled-body"])
def test_quit_while_a_network_read_is_blocked(player, faststart, server):
    behaviour = HTTPBehaviour(silent=True) if server == "silent" else HTTPBehaviour(stall_after=200_000)
    with HTTPServer({"/a.mp4": faststart}, behaviour) as srv:
        run = player.start("-vo", "null", srv.url("/a.mp4"))
        if server == "silent":  # blocked in the open, waiting for the response headers
            deadline = time.monotonic() + 20
            while not srv.behaviour.requests and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(0.5)
        else:  # playing what arrived, then blocked on the next read
            run.wait_status(lambda s: s.clock == s.clock and s.clock >= 1.5, 30, "clock >= 1.5")
            deadline = time.monotonic() + 20
            while srv.behaviour.served < 200_000 - 16 * 1024 and time.monotonic() < deadline:
                time.sleep(0.02)
        _sigterm_quits_at_once(run, f"blocked ({server})")


def test_stalled_server_gives_one_line(player, faststart):
    with HTTPServer({"/a.mp4": faststart}, HTTPBehaviour(stall_after=300_000)) as srv:
        t0 = time.monotonic()
        run = player.run("-autoexit", "-vo", "null", "-timeout", "2000000", srv.url("/a.mp4"), timeout=60)
    line = _one_error_line(run)
    assert "no data" in line and srv.url("/a.mp4") in line, line
    assert time.monotonic() - t0 < 30
    assert _frames(run), "nothing of what arrived was played"


def test_silent_server_times_out_by_default(player, faststart):
    """No -timeout given: the open gives up after the default 10 s instead of hanging."""
    with HTTPServer({"/a.mp4": faststart}, HTTPBehaviour(silent=True)) as srv:
        t0 = time.monotonic()
        run = player.run("-autoexit", "-vo", "null", srv.url("/a.mp4"), timeout=60)
        elapsed = time.monotonic() - t0
    line = _one_error_line(run)
    assert "no answer within 10 s" in line, line
    assert 9 <= elapsed < 40, elapsed


def test_dropped_connection_gives_one_line_or_reconnects(player, faststart):
    size = faststart.stat().st_size
    with HTTPServer({"/a.mp4": faststart}, HTTPBehaviour(drop_at=size // 2)) as srv:
        run = player.run("-autoexit", "-vo", "null", srv.url("/a.mp4"), timeout=60)
    line = _one_error_line(run)
    assert "connection lost" in line, line
    shown = len(_decoded(run))
    assert 0.25 * 4 * FPS <= shown <= 0.75 * 4 * FPS, f"{shown} frames: what arrived should play"

    with HTTPServer({"/a.mp4": faststart}, HTTPBehaviour(drop_at=size // 2)) as srv:
        run = player.run("-autoexit", "-vo", "null", "-reconnect", "1", srv.url("/a.mp4"), timeout=60)
        requests = list(srv.behaviour.requests)
    _ok(run)
    assert srv.behaviour.dropped
    assert len(requests) >= 2 and requests[-1][2].get("Range", "").startswith(f"bytes={size // 2}"), requests
    assert len(_decoded(run)) >= 0.9 * 4 * FPS


def test_rtsp_listen_receives_a_live_stream(player, clip_long):
    """pyffplay listens (-rtsp_flags listen) and PyAV's RTSP muxer publishes to it; rtsp is a
    live format, so -autoexit -t 2 ends it. (FFmpeg 8 rejects its own default listen_timeout
    of -1 there: "Value -1000 for parameter 'listen_timeout' out of range", so one is given.)"""
    url = f"rtsp://127.0.0.1:{free_tcp_port()}/live"
    faststart = clip_long.with_name("long360-faststart.mp4")
    if not faststart.exists():  # the RTSP muxer needs the codecs' extradata (an MP4 has it)
        import av

        with av.open(str(clip_long)) as inp, av.open(str(faststart), "w") as out:
            streams = {st.index: out.add_stream_from_template(st) for st in inp.streams}
            for pkt in inp.demux():
                if pkt.dts is not None:
                    pkt.stream = streams[pkt.stream.index]
                    out.mux(pkt)
    run = player.start(
        "-autoexit",
        "-t",
        "2",
        "-vo",
        "null",
        "-rtsp_flags",
        "listen",
        "-listen_timeout",
        "30",
        "-rtsp_transport",
        "tcp",
        url,
    )
    with RTSPPusher(faststart, url) as pusher:
        run.wait(60)
    assert pusher.error is None or pusher.sent, pusher.error
    _ok(run)
    tr = run.trace()
    assert tr[-1].get("reason") == "eof", tr[-1]
    opened = [e for e in tr if e["ev"] == "open"]
    assert opened and opened[0]["video"] and opened[0]["audio"], opened
    pts = [f["pts"] for f in _frames(run) if f["pts"] is not None]
    assert len(pts) >= 10 and 1.0 <= pts[-1] - pts[0] <= 2.2, (len(_frames(run)), pts[:2], pts[-2:])


def test_rtsp_server_that_never_answers_gives_one_line(player):
    """rtsp:// is opened by FFmpeg's demuxer itself (packets, not bytes), with -timeout."""
    with SilentTCPServer() as srv:
        t0 = time.monotonic()
        run = player.run(
            "-autoexit",
            "-vo",
            "null",
            "-rtsp_transport",
            "tcp",
            "-timeout",
            "2000000",
            f"rtsp://127.0.0.1:{srv.port}/live",
            trace=False,
            timeout=60,
        )
        elapsed = time.monotonic() - t0
        assert srv.accepted >= 1
    line = _one_error_line(run)
    assert "no answer within 2 s" in line, line
    assert elapsed < 30, elapsed


def test_quit_while_an_rtsp_open_waits_for_the_server(player):
    """FFmpeg's own rtsp open ends only at -timeout (10 s here): a SIGTERM meanwhile quits
    at once, leaving that thread to the process's exit."""
    with SilentTCPServer() as srv:
        run = player.start("-vo", "null", "-timeout", "10000000", f"rtsp://127.0.0.1:{srv.port}/live")
        deadline = time.monotonic() + 20
        while not srv.accepted and time.monotonic() < deadline:
            time.sleep(0.02)
        assert srv.accepted >= 1
        time.sleep(0.3)
        _sigterm_quits_at_once(run, "an rtsp open is blocked")
    assert run.trace()[-1]["ev"] == "exit", run.trace()[-3:]


def test_udp_live_stream_ends_with_autoexit_t(player, clip_short_ts):
    """ffplay never exits here: a live input has no end of file."""
    port = free_udp_port()
    with UDPSender(clip_short_ts, port, limit=90) as sender:
        t0 = time.monotonic()
        run = player.run("-autoexit", "-t", "3", "-vo", "null", f"udp://127.0.0.1:{port}", timeout=60)
        elapsed = time.monotonic() - t0
    assert sender.error is None, sender.error
    _ok(run)
    tr = run.trace()
    assert tr[-1]["ev"] == "exit" and tr[-1].get("reason") == "eof", tr[-1]
    frames = _frames(run)
    assert frames, "nothing shown"
    span = frames[-1]["pts"] - frames[0]["pts"]
    assert 1.0 <= span <= 3.2, f"played {span:.2f} s of a -t 3 live stream"
    print(f"\nudp -autoexit -t 3: exited after {elapsed:.1f} s, {len(frames)} frames, {span:.2f} s")


def test_ffmpeg_options_pass_through(player, faststart, clip_short_ts):
    # accepted, and playback is normal
    run = player.run(
        "-autoexit",
        "-vo",
        "null",
        "-probesize",
        "32768",
        "-analyzeduration",
        "0",
        "-fflags",
        "nobuffer",
        "-threads",
        "2",
        "-threads:v",
        "2",
        clip_short_ts,
        timeout=60,
    )
    _ok(run)
    assert len(_decoded(run)) >= 0.9 * 6 * FPS
    # a codec option reaches the decoder of the streams its specifier names: only keyframes
    run = player.run("-autoexit", "-vo", "null", "-skip_frame:v", "nokey", faststart, timeout=60)
    _ok(run)
    assert 2 <= len(_decoded(run)) <= 6, f"{len(_decoded(run))} frames with -skip_frame:v nokey"
    run = player.run("-autoexit", "-vo", "null", "-skip_frame:a", "nokey", faststart, timeout=60)
    _ok(run)
    assert len(_decoded(run)) >= 0.9 * 4 * FPS
    # a format option reaches the demuxer: one stream at most, so the TS opens without audio
    run = player.run("-autoexit", "-vo", "null", "-max_streams", "1", clip_short_ts, timeout=60)
    _ok(run)
    opened = [e for e in run.trace() if e["ev"] == "open"]
    assert opened and opened[0]["video"] is True and opened[0]["audio"] is False, opened


def test_unknown_option_is_still_an_error(player, faststart):
    run = player.run("-xyz", "1", faststart, trace=False, timeout=30)
    assert _one_error_line(run) == "pyffplay: Unrecognized option 'xyz'"


def test_api_passes_ffmpeg_options_and_closes_a_blocked_read(faststart):
    with HTTPServer({"/a.mp4": faststart}) as srv:
        with Player(srv.url("/a.mp4"), vo="null", ao="null", autoexit=True, user_agent="api-agent") as p:
            p.play()
            assert p.wait(60) == "eof", p.error
        assert srv.behaviour.requests[0][2].get("User-Agent") == "api-agent"
    with HTTPServer({"/a.mp4": faststart}, HTTPBehaviour(silent=True)) as srv:
        p = Player(srv.url("/a.mp4"), vo="null", ao="null")
        p.play()
        deadline = time.monotonic() + 20
        while not srv.behaviour.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)
        t0 = time.monotonic()
        p.close()
        took = time.monotonic() - t0
        alive = [t.name for t in threading.enumerate() if t.name in ("read_thread", "avio_reader")]
    print(f"\nPlayer.close() while the open is blocked: {1000 * took:.0f} ms")
    assert took < 1.0, took
    assert not alive, f"threads left running: {alive}"
