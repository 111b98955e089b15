"""FFmpeg stream specifiers, on described streams."""

import pytest

from pyffplay.stream_spec import SpecifierError, StreamInfo, matching_streams

STREAMS = [
    StreamInfo(0, "video", id=0x100, programs=(1,)),
    StreamInfo(1, "audio", id=0x101, metadata={"language": "eng"}, programs=(1,)),
    StreamInfo(2, "audio", id=0x102, metadata={"language": "fra"}, programs=(1,)),
    StreamInfo(3, "subtitle", id=0x103, metadata={"language": "eng"}, programs=(1,)),
    StreamInfo(4, "video", id=0x200, programs=(2,)),
    StreamInfo(5, "audio", id=0x201, programs=(2,), usable=False),
    StreamInfo(6, "video", attached_pic=True),
]


def idx(spec):
    return [s.index for s in matching_streams(spec, STREAMS)]


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("2", [2]),
        ("9", []),
        ("a", [1, 2, 5]),
        ("a:1", [2]),
        ("a:5", []),
        ("v", [0, 4, 6]),
        ("V", [0, 4]),
        ("s:0", [3]),
        ("p:2", [4, 5]),
        ("p:2:a", [5]),
        ("p:1:a:1", [2]),
        ("p:3", []),
        ("#0x101", [1]),
        ("#257", [1]),
        ("i:0x200", [4]),
        ("m:language", [1, 2, 3]),
        ("m:language:fra", [2]),
        ("a:m:language:eng", [1]),
        ("a:u", [1, 2]),
        ("u", [0, 1, 2, 3, 4, 6]),
    ],
)
def test_specifiers(spec, expected):
    assert idx(spec) == expected


@pytest.mark.parametrize("spec", ["x", "a:b", "p:x", "#zz", "m:"])
def test_invalid_specifiers_raise(spec):
    with pytest.raises(SpecifierError, match="Invalid stream specifier"):
        matching_streams(spec, STREAMS)
