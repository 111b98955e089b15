"""Terminal key input: the escape-sequence decoder, and the /dev/tty reader on a real pty."""

from __future__ import annotations

import os
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from pyffplay import term_keys
from pyffplay.commands import trace_form
from pyffplay.keys import sdl_key_table
from pyffplay.term_keys import KeyDecoder as _KeyDecoder
from pyffplay.term_keys import TtyKeyReader

ESC = b"\x1b"
QUIT = ("quit",)


def _t(commands):
    """Commands -> the tuples of their trace form, which these tables are written in."""
    return [c if isinstance(c, tuple) else tuple(trace_form(c)) for c in commands]


class KeyDecoder(_KeyDecoder):
    def feed(self, data, now):
        return _t(super().feed(data, now))

    def tick(self, now):
        return _t(super().tick(now))


def decode(data: bytes, seek_interval: float = 10.0) -> list[tuple]:
    return KeyDecoder(seek_interval).feed(data, 0.0)


# --- KeyDecoder --------------------------------------------------------------------------

CHAR_KEYS = [
    (b"q", ("quit",)),
    (b"p", ("pause",)),
    (b" ", ("pause",)),
    (b"m", ("mute",)),
    (b"9", ("volume", -1)),
    (b"/", ("volume", -1)),
    (b"0", ("volume", 1)),
    (b"*", ("volume", 1)),
    (b"s", ("step",)),
    (b"f", ("fullscreen",)),
    (b"a", ("cycle", "audio")),
    (b"v", ("cycle", "video")),
    (b"t", ("cycle", "subtitle")),
    (b"c", ("cycle", "program")),
    (b"w", ("show_mode",)),
]


@pytest.mark.parametrize("key, command", CHAR_KEYS)
def test_character_keys(key, command):
    assert decode(key) == [command]


@pytest.mark.parametrize("key, command", [(k.upper(), c) for k, c in CHAR_KEYS if k.isalpha()])
def test_shifted_letters_act_like_sdl_keysyms(key, command):
    # SDL gives ffplay the unshifted keysym, so Shift+q quits in the window too.
    assert decode(key) == [command]


ARROWS = [
    (b"A", ("seek", 60.0)),
    (b"B", ("seek", -60.0)),
    (b"C", ("seek", 10.0)),
    (b"D", ("seek", -10.0)),
]


@pytest.mark.parametrize("final, command", ARROWS)
@pytest.mark.parametrize("intro", [b"[", b"O"], ids=["CSI", "SS3"])
def test_arrows(intro, final, command):
    assert decode(ESC + intro + final) == [command]


@pytest.mark.parametrize(
    "sequence, command",
    [
        (b"\x1b[5~", ("seek_page", 1)),
        (b"\x1b[6~", ("seek_page", -1)),
        (b"\x1b[5;2~", ("seek_page", 1)),
        (b"\x1b[6;5~", ("seek_page", -1)),
    ],
)
def test_page_keys(sequence, command):
    assert decode(sequence) == [command]


@pytest.mark.parametrize("modifier", [b"2", b"3", b"5", b"8"])
@pytest.mark.parametrize("final, command", ARROWS)
def test_modified_arrows_act_as_plain_arrows(modifier, final, command):
    assert decode(b"\x1b[1;" + modifier + final) == [command]


def test_application_keypad_star_and_slash():
    assert decode(b"\x1bOj\x1bOo") == [("volume", 1), ("volume", -1)]


def test_every_sdl_command_is_reachable_from_the_terminal():
    terminal = {c for _, c in CHAR_KEYS} | {c for _, c in ARROWS}
    terminal |= {("seek_page", 1), ("seek_page", -1)}
    assert set(_t(sdl_key_table(10.0).values())) == terminal


def test_several_keys_in_one_feed_come_out_in_order():
    assert decode(b"p\x1b[Cm\x1bOB9q") == [
        ("pause",),
        ("seek", 10.0),
        ("mute",),
        ("seek", -60.0),
        ("volume", -1),
        QUIT,
    ]


@pytest.mark.parametrize("split", range(1, 6))
def test_sequence_split_across_feeds(split):
    data = b"\x1b[1;2D"
    decoder = KeyDecoder()
    assert decoder.feed(data[:split], 0.0) == []
    assert decoder.pending_timeout(0.0) is not None
    assert decoder.feed(data[split:], 0.01) == [("seek", -10.0)]
    assert decoder.pending_timeout(0.01) is None


def test_byte_by_byte_stream():
    decoder = KeyDecoder()
    out = []
    for i, byte in enumerate(b"\x1b[5~s\x1bOA\x1b[6~"):
        out += decoder.feed(bytes([byte]), i * 0.001)
    assert out == [("seek_page", 1), ("step",), ("seek", 60.0), ("seek_page", -1)]


def test_lone_escape_quits_only_after_the_timeout():
    decoder = KeyDecoder()
    assert decoder.feed(ESC, 5.0) == []
    assert decoder.tick(5.01) == []
    assert decoder.pending_timeout(5.01) == pytest.approx(KeyDecoder.ESC_TIMEOUT - 0.01)
    assert decoder.tick(5.2) == [QUIT]
    assert decoder.pending_timeout(5.2) is None
    assert decoder.tick(5.5) == []  # only once


def test_escape_timeout_is_between_50_and_100_ms():
    assert 0.05 <= KeyDecoder.ESC_TIMEOUT <= 0.1


def test_lone_escape_flushed_by_the_next_feed_after_the_timeout():
    decoder = KeyDecoder()
    decoder.feed(ESC, 0.0)
    assert decoder.feed(b"p", 1.0) == [QUIT, ("pause",)]


def test_escape_quickly_followed_by_csi_is_an_arrow():
    assert decode(b"\x1b[D") == [("seek", -10.0)]
    decoder = KeyDecoder()
    assert decoder.feed(ESC, 0.0) == []
    assert decoder.feed(b"[D", 0.01) == [("seek", -10.0)]
    assert decoder.tick(1.0) == []


def test_timeout_counts_from_the_last_byte():
    # A slow link may deliver a sequence in pieces; each piece restarts the wait.
    decoder = KeyDecoder()
    decoder.feed(ESC, 0.0)
    decoder.feed(b"[1", 0.04)
    assert decoder.tick(0.08) == []
    assert decoder.feed(b"C", 0.085) == [("seek", 10.0)]


def test_timed_out_partial_sequence_is_not_escape():
    decoder = KeyDecoder()
    decoder.feed(b"\x1b[1;", 0.0)
    assert decoder.tick(1.0) == []
    assert decoder.pending_timeout(1.0) is None


def test_alt_key_acts_as_the_key():
    assert decode(b"\x1bp") == [("pause",)]
    assert decode(b"\x1bq\x1bm") == [QUIT, ("mute",)]


def test_double_escape_is_one_escape():
    decoder = KeyDecoder()
    assert decoder.feed(ESC + ESC, 0.0) == []
    assert decoder.tick(1.0) == [QUIT]


@pytest.mark.parametrize(
    "sequence",
    [
        b"\x1b[200~",
        b"\x1b[201~",
        b"\x1b[?1;2c",
        b"\x1b[2~",
        b"\x1b[3~",
        b"\x1b[15~",
        b"\x1b[H",
        b"\x1b[Z",
        b"\x1b[>0;95;0c",
        b"\x1b[12;40R",
        b"\x1b[I",
        b"\x1bOP",
        b"\x1b[?1A",
    ],
)
def test_unknown_sequences_are_ignored_without_eating_following_keys(sequence):
    assert decode(sequence + b"p" + sequence + b"m") == [("pause",), ("mute",)]


def test_unknown_sequence_split_across_feeds():
    decoder = KeyDecoder()
    assert decoder.feed(b"\x1b[20", 0.0) == []
    assert decoder.feed(b"0~q", 0.01) == [QUIT]


def test_broken_sequence_resumes_at_the_interrupting_byte():
    assert decode(b"\x1b[1;\x1b[Cm") == [("seek", 10.0), ("mute",)]


def test_runaway_sequence_is_dropped():
    decoder = KeyDecoder()
    assert decoder.feed(b"\x1b[" + b"1;" * 100, 0.0) == []
    assert decoder.pending_timeout(0.0) is None
    assert decoder.feed(b"p", 0.0) == [("pause",)]


def test_unbound_bytes_are_ignored():
    assert decode(b"xyzQ\r\n\t\x03\x7f\xc3\xa9\x00") == [QUIT]  # only Q is bound


def test_seek_interval_is_honoured():
    assert decode(b"\x1b[C\x1b[D\x1bOC\x1b[A", seek_interval=5.5) == [
        ("seek", 5.5),
        ("seek", -5.5),
        ("seek", 5.5),
        ("seek", 60.0),
    ]


def test_nothing_pending_initially():
    decoder = KeyDecoder()
    assert decoder.pending_timeout(0.0) is None
    assert decoder.tick(100.0) == []
    assert decoder.feed(b"", 0.0) == []


# --- TtyKeyReader on a pseudo-terminal ---------------------------------------------------


@pytest.fixture
def pty():
    master, slave = os.openpty()
    yield master, slave, os.ttyname(slave)
    os.close(master)
    os.close(slave)


class Collector:
    def __init__(self) -> None:
        self.commands: list[tuple] = []
        self.lock = threading.Lock()

    def __call__(self, command) -> None:
        with self.lock:
            self.commands.append(tuple(trace_form(command)))

    def wait_for(self, count: int, timeout: float = 3.0) -> list[tuple]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.commands) >= count:
                    return list(self.commands)
            time.sleep(0.005)
        return list(self.commands)


@pytest.fixture
def reader_on(pty):
    readers = []

    def make(**kwargs) -> tuple[TtyKeyReader, Collector]:
        got = Collector()
        reader = TtyKeyReader(got, tty_path=pty[2], **kwargs)
        readers.append(reader)
        return reader, got

    yield make
    for reader in readers:
        reader.stop()


def test_reader_emits_commands_from_the_terminal(pty, reader_on):
    master, slave, _ = pty
    reader, got = reader_on()
    assert reader.start()
    assert reader.fd is not None and os.isatty(reader.fd)
    assert any(t.name == "tty_keys" for t in threading.enumerate())
    os.write(master, b"p\x1b[C")
    os.write(master, b"\x1b[6~m")
    assert got.wait_for(4) == [("pause",), ("seek", 10.0), ("seek_page", -1), ("mute",)]


def test_reader_lone_escape_arrives_through_the_thread_tick(pty, reader_on):
    master, _, _ = pty
    reader, got = reader_on()
    assert reader.start()
    os.write(master, ESC)
    assert got.wait_for(1) == [QUIT]


def test_reader_honours_seek_interval(pty, reader_on):
    master, _, _ = pty
    reader, got = reader_on(seek_interval=3.0)
    assert reader.start()
    os.write(master, b"\x1bOD")
    assert got.wait_for(1) == [("seek", -3.0)]


def test_cbreak_while_running_and_exact_restore_after_stop(pty, reader_on):
    master, slave, _ = pty
    before = termios.tcgetattr(slave)
    reader, got = reader_on()
    assert reader.start()
    running = termios.tcgetattr(slave)
    assert not running[3] & (termios.ICANON | termios.ECHO)
    assert running[3] & termios.ISIG  # Ctrl-C and Ctrl-Z still raise signals
    assert running[6][termios.VMIN] == 1 and running[6][termios.VTIME] == 0
    assert running[:3] == before[:3] and running[4:6] == before[4:6]
    reader.stop()
    assert termios.tcgetattr(slave) == before
    assert reader.fd is None
    reader.stop()  # idempotent
    assert termios.tcgetattr(slave) == before


def test_restore_is_exact_with_unusual_saved_settings(pty, reader_on):
    _, slave, _ = pty
    attrs = termios.tcgetattr(slave)
    attrs[3] &= ~termios.ECHOE
    attrs[1] &= ~termios.OPOST
    attrs[6][termios.VINTR] = b"\x07"
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    before = termios.tcgetattr(slave)
    reader, _ = reader_on()
    assert reader.start()
    reader.stop()
    assert termios.tcgetattr(slave) == before


def test_stop_is_prompt_while_the_thread_is_blocked(pty, reader_on, monkeypatch):
    monkeypatch.setattr(term_keys, "IDLE_POLL", 60.0)  # only the self-pipe can wake it
    reader, got = reader_on()
    assert reader.start()
    time.sleep(0.05)  # let the thread reach its wait
    thread = next(t for t in threading.enumerate() if t.name == "tty_keys")
    started = time.monotonic()
    reader.stop()
    assert time.monotonic() - started < 0.5
    assert not thread.is_alive()


def test_suspend_restores_and_stops_reading_resume_reenters(pty, reader_on):
    master, slave, _ = pty
    before = termios.tcgetattr(slave)
    reader, got = reader_on()
    assert reader.start()
    reader.suspend()
    assert termios.tcgetattr(slave) == before
    os.write(master, b"s\n")  # a full line: readable even in canonical mode
    assert got.wait_for(1, timeout=0.3) == []
    reader.resume()
    assert not termios.tcgetattr(slave)[3] & termios.ICANON
    assert got.wait_for(1) == [("step",)]
    reader.stop()
    assert termios.tcgetattr(slave) == before


def test_stop_after_suspend_keeps_the_saved_settings(pty, reader_on):
    _, slave, _ = pty
    before = termios.tcgetattr(slave)
    reader, _ = reader_on()
    assert reader.start()
    reader.suspend()
    reader.stop()
    assert termios.tcgetattr(slave) == before


def test_start_is_false_without_a_terminal(tmp_path: Path):
    regular = tmp_path / "not-a-tty"
    regular.write_bytes(b"")
    for path in (str(regular), "/nonexistent/tty", os.devnull):
        reader = TtyKeyReader(lambda c: None, tty_path=path)
        assert reader.start() is False
        assert reader.fd is None
        reader.stop()  # harmless


def test_restart_after_stop(pty, reader_on):
    master, _, _ = pty
    reader, got = reader_on()
    assert reader.start()
    reader.stop()
    assert reader.start()
    os.write(master, b"f")
    assert got.wait_for(1) == [("fullscreen",)]


# A background job must neither change the terminal's modes nor read from it (it would
# get SIGTTOU/SIGTTIN and stop). This needs a real controlling terminal, so a child
# process becomes a session leader on the pty, forks, and the grandchild puts itself in
# a background process group.
BACKGROUND_JOB = r"""
import os, signal, sys, termios, time
from pyffplay.term_keys import TtyKeyReader

path = sys.argv[1]
tty = os.open(path, os.O_RDWR)  # a session leader without a terminal acquires it
pid = os.fork()
if pid:
    _, status = os.waitpid(pid, os.WUNTRACED)
    if os.WIFSTOPPED(status):
        print("STOPPED by signal", os.WSTOPSIG(status), flush=True)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    sys.exit(0)

os.setpgid(0, 0)
got = []
before = termios.tcgetattr(tty)
reader = TtyKeyReader(got.append, tty_path=path)
print("started", reader.start(), flush=True)
sys.stdin.readline()  # the test has typed a line while we are in the background
print("background", got, termios.tcgetattr(tty) == before, flush=True)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTTOU})
os.tcsetpgrp(tty, os.getpgrp())  # fg
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTTOU})
reader.resume()
print("foreground", not termios.tcgetattr(tty)[3] & termios.ICANON, flush=True)
deadline = time.monotonic() + 3
while ("step",) not in got and time.monotonic() < deadline:
    time.sleep(0.01)
print("read", got, flush=True)
reader.stop()
print("restored", termios.tcgetattr(tty) == before, flush=True)
"""


def test_background_job_leaves_the_terminal_alone(pty):
    master, _, path = pty
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    child = subprocess.Popen(
        [sys.executable, "-c", BACKGROUND_JOB, path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=env,
    )
    try:
        assert child.stdout.readline().split() == ["started", "True"]
        os.write(master, b"s\n")
        time.sleep(0.3)  # give a misbehaving reader the chance to read it
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "background [] True"
        assert child.stdout.readline().strip() == "foreground True"
        # The line typed while in the background is typeahead for the foreground job.
        assert child.stdout.readline().strip() == "read [Step()]"
        assert child.stdout.readline().strip() == "restored True"
        assert child.wait(timeout=5) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_stop_from_inside_emit(pty):
    # The player may stop input from the command handler that runs on this very thread.
    master, slave, path = pty
    before = termios.tcgetattr(slave)
    done = threading.Event()

    def emit(command: tuple) -> None:
        reader.stop()
        done.set()

    reader = TtyKeyReader(emit, tty_path=path)
    assert reader.start()
    os.write(master, b"q")
    assert done.wait(3.0)
    assert reader.fd is None
    assert termios.tcgetattr(slave) == before
    deadline = time.monotonic() + 3.0
    while any(t.name == "tty_keys" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert not any(t.name == "tty_keys" for t in threading.enumerate())
