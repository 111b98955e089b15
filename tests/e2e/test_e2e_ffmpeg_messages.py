"""ffplay's common options (-version, -formats, ...), the banner, FFmpeg's own log at
-loglevel, the stream dump and the window title from the input's metadata: the real
command, its real stdout and stderr."""

import random
import re
import subprocess
import sys

import av
import pytest

from tests.e2e.tmux_term import HALF_BLOCK, ROWS, _poll
from tests.observe import FFMPEG_LOG_RE, list_windows, parse_status_lines

LIB_LINE = re.compile(r"^  libavformat +\d+\.\s*\d+\.\s*\d+ / +\d+\.\s*\d+\.\s*\d+$", re.M)


def _pyffplay(player, *args, timeout=60):
    """The command with stdout captured (the harness's runs discard stdout)."""
    return subprocess.run(
        [sys.executable, "-m", "pyffplay", *map(str, args)],
        capture_output=True,
        text=True,
        env=player.env(),
        cwd=str(player.workdir),
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def damaged_h264(tmp_path_factory, media):
    """An MPEG-TS H.264 clip with garbage in many packets' payloads: the decoder conceals."""
    clip = media.clip(
        "dmg-src.ts", duration=3.0, width=320, height=240, audio=False, keyint=30, container="mpegts"
    )
    data = bytearray(clip.read_bytes())
    rnd = random.Random(7)
    packets = len(data) // 188
    for k in range(packets // 3, packets, 7):
        off = k * 188 + 20  # past the TS and PES headers of most packets
        data[off : off + 40] = bytes(rnd.getrandbits(8) for _ in range(40))
    path = tmp_path_factory.mktemp("dmg") / "damaged.ts"
    path.write_bytes(bytes(data))
    return path


@pytest.fixture(scope="module")
def titled_clip(tmp_path_factory, media):
    """A short clip remuxed with a title in its metadata."""
    src = media.clip("title-src.mp4", duration=6.0, width=320, height=240, keyint=30)
    dst = tmp_path_factory.mktemp("titled") / "titled.mkv"
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        out.metadata["title"] = "A Title é"
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams}
        for pkt in inp.demux():
            if pkt.dts is None:
                continue
            pkt.stream = streams[pkt.stream.index]
            out.mux(pkt)
    return dst


def test_version_prints_pyffplay_and_ffmpeg_versions_and_exits_0(player):
    r = _pyffplay(player, "-version")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.startswith("pyffplay version "), out[:300]
    assert f"PyAV {av.__version__}" in out and "FFmpeg " in out, out[:300]
    assert re.search(r"^libavcodec +\d+\.", out, re.M), out
    assert "configuration: " in out
    assert r.stderr == "", r.stderr  # ffplay shows no banner with -version


def test_formats_on_stdout_banner_on_stderr(player):
    r = _pyffplay(player, "-formats")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:4] == ["File formats:", " D. = Demuxing supported", " .E = Muxing supported", " --"]
    assert " D  mov,mp4,m4a,3gp,3g2,mj2 QuickTime / MOV" in lines
    assert any(re.match(r"^  E mp4 +MP4 \(MPEG-4 Part 14\)$", ln) for ln in lines), lines[:40]
    assert any(re.match(r"^ DE mpegts +MPEG-TS", ln) for ln in lines)
    assert r.stderr.startswith("pyffplay version "), r.stderr[:300]
    assert LIB_LINE.search(r.stderr), r.stderr


def test_hide_banner_anywhere_on_the_line(player):
    r = _pyffplay(player, "-protocols", "-hide_banner")
    assert r.returncode == 0
    assert r.stderr == "", r.stderr
    lines = r.stdout.splitlines()
    assert lines[:2] == ["Supported file protocols:", "Input:"]
    inputs = lines[2 : lines.index("Output:")]
    assert {"  file", "  http", "  pipe", "  udp", "  tcp"} <= set(inputs), inputs


@pytest.mark.parametrize(
    "opt, expect",
    [
        ("-demuxers", r"^ D  matroska,webm +Matroska / WebM$"),
        ("-codecs", r"^ DEV\.LS h264 +H\.264"),
        ("-decoders", r"^ VFS\.\.D h264 +H\.264"),
        ("-filters", r"^ \.\.C scale +V->V +Scale the input video"),
        ("-pix_fmts", r"^IO\.\.\. yuv420p +3 +12 +8-8-8$"),
        ("-sample_fmts", r"^fltp +32 *$"),
        ("-layouts", r"^5\.1 +FL\+FR\+FC\+LFE\+BL\+BR$"),
        ("-buildconf", r"^    --enable-shared$"),
        ("-L", r"GNU Lesser General Public"),
    ],
)
def test_info_options(player, opt, expect):
    r = _pyffplay(player, "-hide_banner", opt)
    assert r.returncode == 0, r.stderr
    assert re.search(expect, r.stdout, re.M), r.stdout[:2000]


def test_damaged_h264_shows_ffmpeg_messages_at_the_default_level(player, damaged_h264):
    run = player.run("-autoexit", "-vo", "null", damaged_h264, trace=False, timeout=60)
    err = run.stderr()
    assert run.proc.returncode == 0, err[-2000:]
    assert "Traceback" not in err
    log = [ln for ln in re.split(r"[\r\n]+", err) if FFMPEG_LOG_RE.match(ln)]
    assert any(
        re.match(r"^\[h264 @ 0x[0-9a-f]+\] concealing \d+ DC, \d+ AC, \d+ MV errors", ln) for ln in log
    ), log[:20]
    # each log line whole: the status line never cuts into one
    for ln in log:
        assert not parse_status_lines(ln), ln
        assert ln.count("[h264 @") == 1, ln
    # the stream dump came before playing
    assert re.search(r"^Input #0, mpegts, from '.*damaged\.ts':$", err, re.M), err[:3000]
    assert re.search(r"^  Stream #0:0\[0x100\]: Video: h264 .*320x240", err, re.M), err[:3000]


def test_loglevel_quiet_says_nothing(player, damaged_h264):
    run = player.run("-autoexit", "-vo", "null", "-loglevel", "quiet", damaged_h264, trace=False, timeout=60)
    assert run.proc.returncode == 0
    assert run.stderr().strip() == "", run.stderr()[:2000]


def test_level_flag_prefixes_each_line_and_warning_level_hides_info(player, damaged_h264):
    run = player.run(
        "-autoexit", "-vo", "null", "-loglevel", "level+info", damaged_h264, trace=False, timeout=60
    )
    err = run.stderr()
    assert run.proc.returncode == 0, err[-2000:]
    assert re.search(r"^\[info\] pyffplay version ", err, re.M), err[:500]
    assert re.search(r"^\[info\] Input #0, mpegts", err, re.M), err[:3000]
    assert re.search(r"^\[h264 @ 0x[0-9a-f]+\] \[info\] concealing ", err, re.M), err[:3000]
    assert re.search(r"^\[h264 @ 0x[0-9a-f]+\] \[error\] error while decoding MB ", err, re.M), err[:3000]

    run = player.run("-autoexit", "-vo", "null", "-loglevel", "error", damaged_h264, trace=False, timeout=60)
    err = run.stderr()
    assert "error while decoding MB" in err
    assert "concealing" not in err  # an info message
    assert "Input #0" not in err and "pyffplay version" not in err and not parse_status_lines(err)


def test_stream_dump_of_an_mp4_and_nostats_skips_it(player, titled_clip, media):
    clip = media.clip("title-src.mp4", duration=6.0, width=320, height=240, keyint=30)
    run = player.run("-autoexit", "-t", "0.5", "-vo", "null", "-an", clip, trace=False, timeout=60)
    err = run.stderr()
    assert run.proc.returncode == 0, err[-2000:]
    assert f"Input #0, mov,mp4,m4a,3gp,3g2,mj2, from '{clip}':" in err
    assert re.search(r"^  Duration: 00:00:06\.0\d, start: 0\.000000, bitrate: \d+ kb/s$", err, re.M), err
    assert re.search(
        r"^  Stream #0:0\[0x1\]\(und\): Video: h264 \(.*\) \(avc1 / 0x31637661\), "
        r"yuv420p\(progressive\), 320x240",
        err,
        re.M,
    ), err
    assert re.search(r"^  Stream #0:1\[0x2\]\(und\): Audio: aac \(LC\) .*48000 Hz, stereo", err, re.M), err
    # the dump precedes the first status line
    assert err.index("Input #0") < err.index(parse_status_lines(err)[0].raw)

    run = player.run(
        "-autoexit", "-t", "0.5", "-vo", "null", "-an", "-nostats", clip, trace=False, timeout=60
    )
    assert "Input #0" not in run.stderr()


def test_window_title_from_the_metadata_title(player, x11, titled_clip):
    run = player.start("-an", titled_clip, trace=False)
    title = f"A Title é - {titled_clip}"
    wid = x11.find_window(title, timeout=30, proc=run.proc)
    assert x11.is_viewable(wid)
    x11.key(wid, "q")
    assert run.wait(15) == 0, run.stderr()[-2000:]
    assert "Metadata:\n    title           : A Title é" in run.stderr()


def test_window_title_is_the_name_without_metadata(player, x11, media):
    clip = media.clip("title-src.mp4", duration=6.0, width=320, height=240, keyint=30)
    run = player.start("-an", clip, trace=False)
    wid = x11.find_window(str(clip), timeout=30, proc=run.proc)
    assert not any(name.endswith(f" - {clip}") for _, name in list_windows())
    x11.key(wid, "q")
    assert run.wait(15) == 0


def test_terminal_output_keeps_ffmpeg_lines_off_the_picture(term, damaged_h264):
    before = term.stty()
    run = term.start_player("-vo", "terminal", "-autoexit", damaged_h264)
    run.wait_playing(0.3)
    checked = []

    def look():
        text = term.text().split("\n")
        if not term.alternate_on():  # the player has left the picture (lines come after it)
            return term.prompts()[run.prompt_index :] or None
        checked.append(len(text))
        for r, line in enumerate(text[: ROWS - 1]):  # every row but the status row
            assert "[h264 @" not in line and "Input #0" not in line, f"row {r}: {line!r}"
        return term.prompts()[run.prompt_index :] or None

    _poll(look, 30, "the player to end")
    assert checked, "the picture was never captured"
    assert run.wait_exit() == 0
    term.assert_main_screen("after the exit")
    after = term.tmux("capture-pane", "-p", "-t", "t", "-S", "-2000")
    assert HALF_BLOCK not in after.split("Input #0")[-1]
    assert re.search(r"^\[h264 @ 0x[0-9a-f]+\] concealing ", after, re.M), after[-3000:]
    assert term.stty() == before


@pytest.fixture(scope="module")
def damaged_aac(tmp_path_factory, media):
    """MPEG-TS whose AAC packets carry garbage: the AAC decoder (one thread) logs the same
    error several times in a row."""
    clip = media.clip("dmg-aac-src.ts", duration=3.0, width=160, height=120, keyint=30, container="mpegts")
    data = bytearray(clip.read_bytes())
    rnd = random.Random(3)
    for k in range(len(data) // 188 // 4, len(data) // 188):
        pid = ((data[k * 188 + 1] & 0x1F) << 8) | data[k * 188 + 2]
        if pid == 0x101 and rnd.random() < 0.5:  # the audio stream's PID in PyAV's muxing
            off = k * 188 + 30
            data[off : off + 60] = bytes(rnd.getrandbits(8) for _ in range(60))
    path = tmp_path_factory.mktemp("dmg-aac") / "damaged-aac.ts"
    path.write_bytes(bytes(data))
    return path


def _consecutive_repeats(err: str) -> int:
    lines = [ln for ln in err.splitlines() if FFMPEG_LOG_RE.match(ln)]
    return sum(1 for a, b in zip(lines, lines[1:]) if a == b)


def test_repeated_lines_collapse_unless_repeat_flag(player, damaged_aac):
    run = player.run(
        "-autoexit", "-nostats", "-vo", "null", "-ao", "null", damaged_aac, trace=False, timeout=60
    )
    err = run.stderr()
    assert run.proc.returncode == 0, err[-2000:]
    assert "[aac @ 0x" in err, err[-2000:]
    assert re.search(r"^    Last message repeated \d+ times$", err, re.M), err[-3000:]
    assert _consecutive_repeats(err) == 0

    run = player.run(
        "-autoexit",
        "-nostats",
        "-vo",
        "null",
        "-ao",
        "null",
        "-loglevel",
        "repeat+info",
        damaged_aac,
        trace=False,
        timeout=60,
    )
    err = run.stderr()
    assert "Last message repeated" not in err
    assert _consecutive_repeats(err) >= 1, err[-3000:]


LIBRARY_SCRIPT = """
import sys, pyffplay
with pyffplay.Player(sys.argv[1], vo="null", ao="null", autoexit=True) as p:
    p.play()
    print(p.wait(60))
"""


def test_the_library_prints_nothing(player, damaged_h264):
    """FFmpeg's log is the command line's to turn on: a Player says nothing on stderr."""
    r = subprocess.run(
        [sys.executable, "-c", LIBRARY_SCRIPT, str(damaged_h264)],
        capture_output=True,
        text=True,
        env=player.env(),
        timeout=90,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "eof", r.stdout
    assert r.stderr == "", r.stderr[-2000:]
