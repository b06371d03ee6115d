"""LDPC codes: 802.11n parity-check matrices, systematic encoding, decoding, names."""
import json
from importlib import resources

import numpy as np
import pytest
import sionna
import tensorflow as tf
from sionna.fec.utils import load_parity_check_examples

from linksim.channels import AWGNChannel, snr_db_to_no
from linksim.errors import ConfigError
from linksim.phy.ldpc import LDPC5G, LDPC80211n, Uncoded, ieee80211n_pcm, make_code
from linksim.phy.modulation import Modulation

N80211 = (648, 1296, 1944)
RATES = {"12": (1, 2), "23": (2, 3), "34": (3, 4), "56": (5, 6)}
BASE_ROWS = {"12": 12, "23": 8, "34": 6, "56": 4}


def _base():
    text = resources.files("linksim.resources").joinpath("ldpc_80211n_base.json").read_text()
    return json.loads(text)


@pytest.mark.parametrize("rate", list(RATES))
@pytest.mark.parametrize("n", N80211)
def test_80211n_base_matrix_structure(n, rate):
    base = np.array(_base()["base_matrices"][f"{n}-r{rate}"])
    z = n // 24
    rows = BASE_ROWS[rate]
    assert base.shape == (rows, 24)
    assert base.min() >= -1 and base.max() < z
    kb = 24 - rows
    # parity part: a weight-3 column (shifts 1, 0, 1) then the dual diagonal of unshifted identities
    col = base[:, kb]
    assert col[0] == 1 and col[-1] == 1 and np.count_nonzero(col >= 0) == 3 and 0 in col[1:-1]
    for j in range(1, rows):
        assert base[j - 1, kb + j] == 0 and base[j, kb + j] == 0
        assert np.count_nonzero(base[:, kb + j] >= 0) == 2


@pytest.mark.parametrize("rate", list(RATES))
@pytest.mark.parametrize("n", N80211)
def test_80211n_pcm_shape_and_codewords(n, rate):
    num, den = RATES[rate]
    k = n * num // den
    pcm = ieee80211n_pcm(n, rate)
    assert pcm.shape == (n - k, n)
    assert set(np.unique(pcm)) == {0, 1}
    code = make_code(f"ldpc-80211n-{n}-r{rate}")
    assert (code.n, code.k) == (n, k)
    u = np.random.default_rng(n + k).integers(0, 2, (40, k)).astype(np.float32)
    c = code.encode(u).numpy()
    assert c.shape == (40, n)
    assert not ((pcm.astype(np.int64) @ c.T.astype(np.int64)) % 2).any(), "H c != 0"
    np.testing.assert_array_equal(c[:, :k], u)  # systematic on the first k positions


def test_sionna_648_example_equals_expanded_base_matrix():
    pcm, k, n, _ = load_parity_check_examples(4)
    assert (n, k) == (648, 324)
    np.testing.assert_array_equal(ieee80211n_pcm(648, "12"), pcm.astype(np.uint8))


@pytest.mark.parametrize("name", ["ldpc-80211n-648-r12", "ldpc-80211n-1944-r56", "ldpc-5g-1944-r34",
                                  "none"])
def test_noiseless_decode_recovers_info_bits(name):
    code = make_code(name)
    u = np.random.default_rng(3).integers(0, 2, (2, 3, code.k)).astype(np.float32)
    c = code.encode(u).numpy()
    assert c.shape == (2, 3, code.n)
    bits, ok = code.decode(10.0 * (2.0 * c - 1.0))
    np.testing.assert_array_equal(bits.numpy(), u)
    assert ok.shape == (2, 3) and ok.numpy().all()


@pytest.mark.parametrize("name", ["ldpc-80211n-1296-r23", "ldpc-5g-648-r12"])
def test_llr_convention_through_demapper(name):
    """Demapper LLRs (log p1/p0) feed the decoder as they are; negated they fail."""
    code, mod = make_code(name), Modulation("qpsk")
    u = np.random.default_rng(4).integers(0, 2, (4, code.k)).astype(np.float32)
    sionna.config.seed = 2
    y = AWGNChannel()(mod.map(code.encode(u)), 6.0)
    llr = mod.demap(y, snr_db_to_no(6.0))
    bits, ok = code.decode(llr)
    np.testing.assert_array_equal(bits.numpy(), u)
    assert ok.numpy().all()
    bad, _ = code.decode(-llr)
    assert not np.array_equal(bad.numpy(), u)


@pytest.mark.parametrize("name", ["ldpc-80211n-648-r34", "ldpc-5g-1296-r23"])
def test_syndrome_flags_failed_decoding(name):
    code = make_code(name)
    noise = np.random.default_rng(5).normal(0.0, 1.0, (8, code.n)).astype(np.float32)
    _, ok = code.decode(noise)  # LLRs carrying no information: BP cannot converge
    assert not ok.numpy().any()


def test_uncoded_block():
    code = make_code("none")
    assert isinstance(code, Uncoded) and code.n == code.k == 960
    bits, ok = code.decode(np.array([[-1.0, 2.0, 0.5, -0.1] * 240], np.float32))
    np.testing.assert_array_equal(bits.numpy()[0, :4], [0, 1, 1, 0])
    assert ok.numpy().all()


def test_make_code_families_and_cache():
    assert isinstance(make_code("ldpc-80211n-1296-r34"), LDPC80211n)
    c5 = make_code("ldpc-5g-1200-r23")
    assert isinstance(c5, LDPC5G) and (c5.n, c5.k) == (1200, 800)
    assert make_code("ldpc-80211n-648-r12") is make_code("ldpc-80211n-648-r12")
    assert make_code("ldpc-80211n-648-r12", iterations=5) is not make_code("ldpc-80211n-648-r12")


@pytest.mark.parametrize("name", ["ldpc", "ldpc-80211n-1000-r12", "ldpc-80211n-648-r45", "ldpc-5g-100-r23",
                                  "LDPC-80211n-648-r12", "ldpc-5g-648"])
def test_bad_code_names(name):
    with pytest.raises(ConfigError, match=r"ldpc-80211n-\{648,1296,1944\}-r\{12,23,34,56\}"):
        make_code(name)


def test_bad_iterations():
    with pytest.raises(ConfigError, match="iterations"):
        make_code("ldpc-80211n-648-r12", iterations=0)


def _noisy_codewords(code, snr_db, batch, rng):
    """LLR-domain logits of BPSK codewords of random bits through AWGN (Sionna's sign convention)."""
    bits = tf.constant(rng.integers(0, 2, (batch, code.k)).astype(np.float32))
    c = code.encode(bits).numpy()
    sigma = np.sqrt(10 ** (-snr_db / 10) / 2)
    y = (1 - 2 * c) + rng.normal(0, sigma, c.shape)
    return bits.numpy(), tf.constant((-2 * y / sigma ** 2).astype(np.float32))


def test_rounds_without_a_stop_equal_uninterrupted_decoding(rng):
    from sionna.fec.ldpc import LDPCBPDecoder
    code = LDPC80211n(648, "12", iterations=12, check_every=4)
    assert (code.round_iterations, code.rounds) == (4, 3)
    _, llr = _noisy_codewords(code, 1.0, 16, rng)
    llr = tf.concat([llr, tf.constant(rng.normal(0, 1, (1, 648)).astype(np.float32))], 0)  # never converges
    bits, ok = code.decode(llr)
    reference = LDPCBPDecoder(code.pcm, num_iter=12, hard_out=True)(llr)[:, :code.k]
    assert not ok.numpy()[-1]
    np.testing.assert_array_equal(bits.numpy(), reference.numpy())


def test_early_termination_decodes_clean_codewords_under_xla(rng):
    code = LDPC80211n(1944, "34", iterations=20, check_every=4)
    sent, llr = _noisy_codewords(code, 8.0, 32, rng)
    bits, ok = tf.function(code.decode, jit_compile=True)(llr)
    assert ok.numpy().all()
    np.testing.assert_array_equal(bits.numpy(), sent)
