"""Bit pipe: CRC + code + modulation round trips, budget arithmetic, seeding."""
import numpy as np
import pytest
import sionna
import tensorflow as tf
from sionna.fec.crc import CRCEncoder

from linksim.phy.bitpipe import CRC_BITS, BitPipe, Received
from linksim.phy.ldpc import make_code
from linksim.phy.modulation import Modulation

LENGTHS = (0, 1, 100, 500)
K = 324                      # information bits per codeword of the fixture's (648, 324) code


@pytest.fixture(scope="module")
def pipe():
    return BitPipe(make_code("ldpc-80211n-648-r12"), Modulation("qpsk"))


@pytest.fixture(scope="module")
def payloads():
    rng = np.random.default_rng(7)
    # the last one ends in zero bytes: the pipe assumes nothing about a payload's bytes
    return [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in LENGTHS[:-1]] + \
        [rng.integers(0, 256, LENGTHS[-1] - 3, dtype=np.uint8).tobytes() + b"\x00\x00\x00"]


def payload_of(r, p):
    """The received frame holds the payload, then only zero padding."""
    assert len(r.frame) == (r.codewords * K - CRC_BITS) // 8
    assert r.frame[len(p):] == bytes(len(r.frame) - len(p))
    return r.frame[:len(p)]


def test_round_trip_error_free_at_high_snr(pipe, payloads):
    sionna.config.seed = 1
    out = pipe.transmit(payloads, 8.0)
    assert len(out) == len(payloads)
    for p, r in zip(payloads, out):
        assert isinstance(r, Received)
        assert r.crc_ok and payload_of(r, p) == p
        assert r.codewords == pipe.codewords_for(len(p)) == r.codewords_ok
        assert r.symbols == pipe.symbols_for(len(p)) == r.codewords * 324


def test_crc_failure_detected_on_bad_channel(pipe, payloads):
    sionna.config.seed = 2
    out = pipe.transmit(payloads, -4.0)
    for p, r in zip(payloads, out):
        assert not r.crc_ok
        assert len(r.frame) == (r.codewords * pipe.code.k - CRC_BITS) // 8
        assert r.codewords_ok < r.codewords
    assert any(r.frame[:len(p)] != p for p, r in zip(payloads[1:], out[1:]))


def test_empty_list(pipe):
    assert pipe.transmit([], 5.0) == []
    symbols, layout = pipe.modulate([])
    assert symbols.shape == (0,) and pipe.demodulate(symbols, layout, 5.0) == []


def test_same_seed_same_result_other_seed_other_noise(pipe, payloads):
    runs = []
    for seed in (3, 3, 4):
        sionna.config.seed = seed
        runs.append(pipe.transmit(payloads, 1.0))  # mid-waterfall: results depend on the noise
    assert runs[0] == runs[1]
    symbols, _ = pipe.modulate(payloads)
    noisy = []
    for seed in (3, 3, 4):
        sionna.config.seed = seed
        noisy.append(pipe.channel(symbols, 1.0).numpy())
    np.testing.assert_array_equal(noisy[0], noisy[1])
    assert not np.allclose(noisy[0], noisy[2])


def test_modulate_layout_and_symbol_count(pipe, payloads):
    symbols, layout = pipe.modulate(payloads)
    assert symbols.dtype == np.complex64
    assert symbols.shape == (sum(pipe.symbols_for(len(p)) for p in payloads),)
    assert layout.codewords == tuple(pipe.codewords_for(n) for n in LENGTHS)
    assert np.mean(np.abs(symbols) ** 2) == pytest.approx(1.0, abs=1e-5)
    # noiseless receive decodes everything
    out = pipe.demodulate(symbols, layout, 30.0)
    assert [payload_of(r, p) for r, p in zip(out, payloads)] == payloads and all(r.crc_ok for r in out)
    assert payloads[-1].endswith(b"\x00") and out[-1].frame[:len(payloads[-1])] == payloads[-1]


@pytest.mark.parametrize("code,mod", [("ldpc-80211n-648-r12", "qpsk"), ("ldpc-80211n-1944-r56", "qam64"),
                                      ("none", "qam16"), ("ldpc-5g-1296-r34", "bpsk")])
def test_budget_arithmetic_is_consistent(code, mod):
    p = BitPipe(make_code(code), Modulation(mod))
    k, spc = p.code.k, p.symbols_per_codeword
    assert spc * Modulation(mod).bits_per_symbol == p.code.n
    assert p.codewords_for(0) == 1
    assert p.codewords_for((k - CRC_BITS) // 8) == 1
    assert p.codewords_for((k - CRC_BITS) // 8 + 1) == 2
    for n_symbols in list(range(0, 4 * spc, max(1, spc // 7))) + [spc - 1, spc, 3 * spc]:
        best = p.max_payload_bytes(n_symbols)
        if n_symbols < spc:
            assert best == -1
            continue
        assert best >= 0
        assert p.symbols_for(best) <= n_symbols < p.symbols_for(best + 1)


def test_crc_matches_sionna_crc_without_left_padding(pipe):
    rng = np.random.default_rng(9)
    rows = [rng.integers(0, 2, n).astype(np.uint8) for n in (8, 800, 4000)]
    ours = pipe._crc(rows)
    for r, c in zip(rows, ours):
        direct = CRCEncoder("CRC24A")(tf.constant(r[None].astype(np.float32))).numpy()[0, -CRC_BITS:]
        np.testing.assert_array_equal(c, direct)


def test_one_flipped_bit_fails_the_crc():
    """Uncoded BPSK, noiseless: flip one symbol (one bit) anywhere -> that payload's CRC fails."""
    pipe = BitPipe(make_code("none"), Modulation("bpsk"))
    payloads = [b"\x01" * 150, b"\x7f" * 20]
    symbols, layout = pipe.modulate(payloads)
    assert [r.frame[:len(p)] for r, p in zip(pipe.demodulate(symbols, layout, 40.0), payloads)] == payloads
    for position in (0, 8 * 150 - 1, 8 * 150 + 5, pipe.symbols_for(150) - 1):
        flipped = symbols.copy()
        flipped[position] *= -1
        out = pipe.demodulate(flipped, layout, 40.0)
        assert not out[0].crc_ok and out[1].crc_ok and out[1].frame[:20] == payloads[1]
