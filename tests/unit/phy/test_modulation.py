"""Modulation: names, unit power, LLR sign convention."""
import numpy as np
import pytest
import sionna

from linksim.channels import AWGNChannel, snr_db_to_no
from linksim.errors import ConfigError
from linksim.phy.modulation import Modulation


@pytest.mark.parametrize("name,bps", [("bpsk", 1), ("qpsk", 2), ("qam16", 4), ("qam64", 6)])
def test_bits_per_symbol_and_unit_power(name, bps):
    m = Modulation(name)
    assert m.bits_per_symbol == bps
    points = m.constellation.points.numpy()
    assert len(points) == 2 ** bps
    assert np.mean(np.abs(points) ** 2) == pytest.approx(1.0, abs=1e-5)


def test_bpsk_is_real_antipodal():
    np.testing.assert_allclose(np.sort(Modulation("bpsk").constellation.points.numpy().real), [-1, 1])


def test_unknown_name_lists_allowed():
    with pytest.raises(ConfigError, match="bpsk, qpsk, qam16, qam64"):
        Modulation("qam256")


@pytest.mark.parametrize("name", ["bpsk", "qpsk", "qam16", "qam64"])
def test_llr_positive_means_bit_one(name):
    """Sionna 0.19 demapper: llr = log p(b=1)/p(b=0)."""
    m = Modulation(name)
    bits = np.random.default_rng(0).integers(0, 2, (4, 6 * 100)).astype(np.float32)
    sionna.config.seed = 1
    y = AWGNChannel()(m.map(bits), 30.0)
    llr = m.demap(y, snr_db_to_no(30.0)).numpy()
    assert llr.shape == bits.shape
    np.testing.assert_array_equal((llr > 0).astype(np.float32), bits)
