"""The fuzz corpus generator: deterministic damage, payload damage stays inside packets."""

from __future__ import annotations

import io

import av
import pytest

from tests import fuzz_corpus as fc


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("fuzz-unit")
    return {
        name: fc.BASE_CLIPS[name][1](d / fc.BASE_CLIPS[name][0]).read_bytes() for name in ("mp4", "ts", "mkv")
    }


@pytest.mark.parametrize("kind", fc.PAYLOAD_DAMAGE + fc.CONTAINER_DAMAGE)
def test_damage_is_deterministic_per_seed(clips, kind):
    data = clips["mp4"]
    ranges = fc.payload_ranges(data)
    once = fc.damage(data, kind, 5, ranges)
    assert once == fc.damage(data, kind, 5, ranges)
    assert once != data
    assert fc.damage(data, kind, 6, ranges) != once


@pytest.mark.parametrize("clip", ["mp4", "ts", "mkv"])
def test_payload_damage_changes_only_packet_payload(clips, clip):
    data = clips[clip]
    ranges = fc.payload_ranges(data)
    assert ranges and sum(b - a for a, b in ranges) > len(data) // 20
    inside = bytearray(len(data))
    for a, b in ranges:
        inside[a:b] = b"\x01" * (b - a)
    for kind in fc.PAYLOAD_DAMAGE:
        damaged = fc.damage(data, kind, 3, ranges)
        assert len(damaged) == len(data)
        changed = [i for i in range(len(data)) if damaged[i] != data[i]]
        assert changed and all(inside[i] for i in changed), kind


def test_ts_payload_ranges_skip_headers_and_pes_starts(clips):
    data = clips["ts"]
    for a, b in fc.payload_ranges(data):
        at = a - 4
        assert at % fc.TS_PACKET == 0 and b == at + fc.TS_PACKET
        assert data[at] == 0x47 and not data[at + 1] & 0x40  # no PES header in it


def test_mp4_payload_ranges_are_the_packets_bytes(clips):
    data = clips["mp4"]
    ranges = fc.payload_ranges(data, skip=0)
    with av.open(io.BytesIO(data)) as c:
        bodies = {bytes(p) for p in c.demux() if p.size}
    assert len(ranges) == len(bodies)
    assert all(data[a:b] in bodies for a, b in ranges)


def test_cut_and_repeat_change_the_length(clips):
    data = clips["mkv"]
    assert len(fc.damage(data, "cut", 1)) < len(data)
    assert len(fc.damage(data, "repeat", 1)) > len(data)


def test_ts_new_program_appears_after_open(tmp_path):
    """The second program comes after FFmpeg's probe: PyAV cannot surface its streams
    (IndexError at the end of demux) and the player plays the first program to its end."""
    path = fc.make_ts_appearing(tmp_path / "p.ts", "new_program", tmp_path)
    with av.open(str(path), options=fc.PLAYER_OPEN_OPTIONS) as c:
        assert {s.id for s in c.streams if s.type != "data"} == {0x100, 0x101}
    assert fc.last_pts(path) == pytest.approx(fc.DURATION / 2, abs=0.1)
    pids = fc.make_ts_appearing(tmp_path / "q.ts", "new_pids", tmp_path)
    assert fc.last_pts(pids) == pytest.approx(fc.DURATION, abs=0.1)  # merge_pmt_versions


def test_variant_names_match_the_corpus_order():
    names = fc.variant_names()
    random = len(fc.BASE_CLIPS) * (len(fc.PAYLOAD_DAMAGE) + len(fc.CONTAINER_DAMAGE))
    assert len(names) == len(set(names)) == random + len(fc.TARGETED) + len(fc.TS_APPEARING)
