import numpy as np
import pytest

from linksim.codecs.source import bpg
from linksim.errors import BitstreamError


def _psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b) ** 2)
    return 100.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


@pytest.fixture(scope="module")
def images():
    from linksim.data import load_embedded_sample
    return load_embedded_sample().images[::100]          # one image of each class


@pytest.mark.parametrize("chroma", ["420", "444"])
@pytest.mark.parametrize("shape", [(32, 32), (17, 29), (1, 1), (40, 64)])
def test_round_trip_shape_and_dtype(images, chroma, shape):
    image = np.resize(images[3], shape + (3,)).astype(np.uint8)
    decoded = bpg.decode(bpg.encode(image, 25, chroma))
    assert decoded.dtype == np.uint8 and decoded.shape == shape + (3,)
    if shape == (32, 32):
        assert _psnr(image, decoded) > 30


@pytest.mark.parametrize("chroma, format_byte", [("420", 0x20), ("444", 0x60)])
def test_layout_is_slice_plus_22_bytes(images, chroma, format_byte):
    data = bpg.encode(images[0], 29, chroma)
    # File header by hand: magic, format, flags, ue7 width 32, height 32, length 0 (= to the end).
    assert data[:9] == b"\x42\x50\x47\xfb" + bytes([format_byte, 0, 32, 32, 0])
    parts = bpg.parse(data)
    assert (parts.width, parts.height, parts.chroma) == (32, 32, chroma)
    assert (len(parts.file_header), len(parts.compact_header), len(parts.pps)) == (9, 4, 6)
    assert parts.compact_header[0] == 3                   # ue7 length of the 3 field bytes
    assert (parts.pps[0] >> 1) & 0x3F == 34                # PPS NAL
    assert (parts.slice[0] >> 1) & 0x3F in (19, 20)        # IDR slice NAL
    assert data[13 + 6:13 + 6 + 3] == b"\x00\x00\x01"
    assert data.endswith(parts.slice) and len(data) == len(parts.slice) + 22


def test_parameter_sets_depend_only_on_size_and_chroma(images):
    """The decoder rebuilds VPS/SPS from a dummy encode: they must not depend on QP or content."""
    for chroma in ("420", "444"):
        template = bpg._template(32, 32, chroma)
        pps = set()
        for qp, image in [(0, images[1]), (22, images[2]), (51, images[5])]:
            nals = bpg._x265_encode(bpg._to_planes(image, chroma), chroma, qp)
            assert (nals[0], nals[1]) == (template.vps, template.sps)
            pps.add(nals[2])
        assert len(pps) == 1


def test_bytes_decrease_with_qp(images):
    for chroma in ("420", "444"):
        sizes = [np.mean([len(bpg.encode(im, qp, chroma)) for im in images])
                 for qp in (10, 20, 29, 37, 45, 51)]
        assert np.all(np.diff(sizes) < 0), sizes


def test_psnr_sensible(images):
    for chroma in ("420", "444"):
        high = np.mean([_psnr(im, bpg.decode(bpg.encode(im, 20, chroma))) for im in images])
        low = np.mean([_psnr(im, bpg.decode(bpg.encode(im, 45, chroma))) for im in images])
        assert 40 < high < 50 and 20 < low < 27, (chroma, high, low)
    assert _psnr(images[0], bpg.decode(bpg.encode(images[0], 20, "444"))) > \
        _psnr(images[0], bpg.decode(bpg.encode(images[0], 20, "420")))


def test_encode_is_deterministic(images):
    for chroma in ("420", "444"):
        assert bpg.encode(images[4], 33, chroma) == bpg.encode(images[4].copy(), 33, chroma)


def _check(data):
    """Corrupt data must give BitstreamError or an image of the header's size."""
    try:
        image = bpg.decode(data)
    except BitstreamError:
        return "error"
    parts = bpg.parse(data)
    assert image.dtype == np.uint8 and image.shape == (parts.height, parts.width, 3)
    return "image"


def test_corrupt_data_gives_bitstream_error_or_image(images, rng):
    streams = [bpg.encode(images[7], 24, "420"), bpg.encode(images[8], 40, "444")]
    outcomes = []
    for data in streams:
        for n in range(0, len(data), 3):                                  # truncations
            outcomes.append(_check(data[:n]))
        for bit in rng.choice(len(data) * 8, 150, replace=False):         # single bit flips
            flipped = bytearray(data)
            flipped[bit // 8] ^= 0x80 >> (bit % 8)
            outcomes.append(_check(bytes(flipped)))
        for _ in range(60):                                               # bursts of flips
            flipped = np.frombuffer(data, np.uint8).copy()
            for bit in rng.integers(0, len(data) * 8, rng.integers(2, 20)):
                flipped[bit // 8] ^= np.uint8(0x80 >> (bit % 8))
            outcomes.append(_check(flipped.tobytes()))
    for _ in range(100):                                                  # random bytes
        noise = rng.integers(0, 256, rng.integers(0, 400), dtype=np.uint8)
        outcomes.append(_check(noise.tobytes()))
        outcomes.append(_check(streams[0][:22] + rng.integers(0, 256, 200, np.uint8).tobytes()))
    assert _check(b"") == "error"
    assert len(outcomes) > 700 and {"error", "image"} == set(outcomes)


def _header(width_ue7, height_ue7, length=b"\x00"):
    return b"\x42\x50\x47\xfb\x20\x00" + width_ue7 + height_ue7 + length


def test_header_checks(images):
    data = bpg.encode(images[9], 30)
    rest = data[9:]
    with pytest.raises(BitstreamError, match="size"):
        bpg.decode(_header(b"\xa7\x08", b"\x20") + rest)                 # width 5000
    with pytest.raises(BitstreamError, match="size"):
        bpg.decode(_header(b"\x00", b"\x20") + rest)                     # width 0
    with pytest.raises(BitstreamError, match="non-canonical"):
        bpg.decode(_header(b"\x80\x20", b"\x20") + rest)
    with pytest.raises(BitstreamError, match="length"):
        bpg.decode(_header(b"\x20", b"\x20", b"\x05") + rest)
    # An explicit picture_data_length equal to the bytes present is accepted.
    explicit = _header(b"\x20", b"\x20", bpg._put_ue7(len(rest))) + rest
    np.testing.assert_array_equal(bpg.decode(explicit), bpg.decode(data))
    with pytest.raises(BitstreamError, match="magic"):
        bpg.decode(b"\x00" + data[1:])
    with pytest.raises(BitstreamError, match="pixel format"):
        bpg.decode(data[:4] + b"\x30" + data[5:])                        # alpha flag


@pytest.mark.parametrize("image, qp, chroma", [
    (np.zeros((32, 32, 3), np.float32), 29, "420"),
    (np.zeros((32, 32), np.uint8), 29, "420"),
    (np.zeros((32, 32, 4), np.uint8), 29, "420"),
    (np.zeros((0, 32, 3), np.uint8), 29, "420"),
    (np.zeros((32, 32, 3), np.uint8), 52, "420"),
    (np.zeros((32, 32, 3), np.uint8), -1, "420"),
    (np.zeros((32, 32, 3), np.uint8), 29.0, "420"),
    (np.zeros((32, 32, 3), np.uint8), True, "420"),
    (np.zeros((32, 32, 3), np.uint8), 29, "422"),
    (np.zeros((32, 32, 3), np.uint8), 29, 420),
])
def test_bad_arguments(image, qp, chroma):
    with pytest.raises(ValueError):
        bpg.encode(image, qp, chroma)


def test_decode_rejects_non_bytes():
    with pytest.raises(ValueError):
        bpg.decode(5)
