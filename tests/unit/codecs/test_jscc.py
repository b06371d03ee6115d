"""The deep JSCC codecs: exact symbol counts per CPP, per-image unit power, packing, outage."""
import numpy as np
import pytest
import tensorflow as tf

from linksim.codecs.jscc import ARJSCCConfig, DeepJSCC
from linksim.data import fallback_image
from linksim.models.jscc import AdaptiveRateJSCC


@pytest.fixture(scope="module")
def tiny_model():
    tf.keras.utils.set_random_seed(3)
    model = AdaptiveRateJSCC(width=8)
    model.build_variables()
    return model


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).integers(0, 256, (6, 32, 32, 3)).astype(np.uint8)


@pytest.mark.parametrize("cpp, groups", [(0.125, 2), (0.25, 4), (0.3, 4), (0.5, 8), (2.0, 8)])
def test_fixed_mode_sends_exactly_the_budgets_groups_at_unit_power(tiny_model, images, cpp, groups):
    codec = DeepJSCC(ARJSCCConfig(batch_size=4), model=tiny_model)
    tx = codec.transmit(images, 5.0, cpp)
    assert tx.symbols.shape == (len(images) * groups, 64) and tx.symbols.dtype == np.complex64
    np.testing.assert_array_equal(tx.channel_uses, 64 * groups)
    per_image = np.abs(tx.symbols.reshape(len(images), groups * 64)) ** 2
    np.testing.assert_allclose(per_image.mean(axis=1), 1.0, rtol=1e-5)
    assert not tx.outage.any()


def test_received_symbols_are_unpacked_to_their_groups(tiny_model, images):
    codec = DeepJSCC(ARJSCCConfig(), model=tiny_model)
    tx = codec.transmit(images, 10.0, 0.25)
    rx = codec.receive(tx.symbols, tx, 10.0)
    snr = tf.fill([len(images)], 10.0)
    symbols, mask = tiny_model.encode(tf.constant(images, tf.float32), snr, active=2)
    direct = tiny_model.decode(symbols, mask, snr).numpy()
    np.testing.assert_allclose(rx.images, direct, atol=1e-3)


def test_one_fade_per_image_is_decoded_as_awgn_at_the_effective_snr(tiny_model, images):
    """Zero forcing under a gain of magnitude 2 per image is AWGN with noise n / h at SNR + 6.02 dB."""
    from linksim.channels import Fades
    codec = DeepJSCC(ARJSCCConfig(batch_size=4), model=tiny_model)
    tx = codec.transmit(images, 5.0, 0.25)
    gain = (2.0 * np.exp(1j * np.linspace(0, 3, len(images)))).astype(np.complex64)[:, None]
    fades = Fades(true=gain, known=gain, coherence="per_image")
    noise = (np.random.default_rng(1).normal(size=tx.symbols.shape) * (1 + 1j) * 0.3).astype(np.complex64)
    h = gain[tx.layout.image, 0].reshape(tx.symbols.shape)
    faded = codec.receive(h * tx.symbols + noise, tx, 5.0, fades)
    awgn = codec.receive(tx.symbols + noise / h, tx, 5.0 + 10 * np.log10(4.0))
    np.testing.assert_allclose(faded.images, awgn.images, atol=1e-3)


def test_fades_within_an_image_give_the_decoder_mmse_symbols_at_the_average_snr():
    from linksim.channels import analog_equalise, snr_db_to_no
    rng = np.random.default_rng(2)
    y = (rng.normal(size=(3, 2, 4)) + 1j * rng.normal(size=(3, 2, 4))).astype(np.complex64)
    h = (rng.normal(size=(3, 2, 4)) + 1j * rng.normal(size=(3, 2, 4))).astype(np.complex64)
    symbols, snr = analog_equalise(y, h, 7.0, one_fade_per_image=False)
    no = float(snr_db_to_no(7.0))
    np.testing.assert_allclose(symbols.numpy(), np.conj(h) * y / (np.abs(h) ** 2 + no), rtol=1e-5)
    np.testing.assert_array_equal(snr.numpy(), [7.0, 7.0, 7.0])


def test_budget_below_the_always_sent_groups_is_an_outage(tiny_model, images):
    codec = DeepJSCC(ARJSCCConfig(), model=tiny_model)
    tx = codec.transmit(images, 5.0, 0.1)
    assert tx.symbols.size == 0 and tx.outage.all() and not tx.channel_uses.any()
    rx = codec.receive(tx.symbols, tx, 5.0)
    assert rx.outage.all() and np.array_equal(rx.images[0], fallback_image(images.shape[1:]))


@pytest.fixture(scope="module")
def tiny_allocator():
    from linksim.models.jscc import GroupAllocator
    tf.keras.utils.set_random_seed(4)
    allocator = GroupAllocator(width=8)
    allocator.build_variables()
    return allocator


@pytest.mark.parametrize("mode", ["adaptive", "policy"])
def test_adaptive_modes_never_exceed_the_budget(tiny_model, tiny_allocator, images, mode):
    codec = DeepJSCC(ARJSCCConfig(mode=mode, price_db_per_bit=0.0), model=tiny_model, allocator=tiny_allocator)
    free = codec.transmit(images, 5.0, 0.5).channel_uses
    capped = codec.transmit(images, 5.0, 0.1875).channel_uses
    assert free.min() >= 128 and free.max() <= 512
    np.testing.assert_array_equal(capped, np.minimum(free, 192))


def test_adaptive_mode_sends_the_allocators_count_of_the_policys_top_groups(tiny_model, tiny_allocator, images):
    from linksim.models.jscc import choose_group_count, group_log_energy
    codec = DeepJSCC(ARJSCCConfig(mode="adaptive", price_db_per_bit=3.0), model=tiny_model, allocator=tiny_allocator)
    tx = codec.transmit(images, 10.0, 0.5)
    x, snr = tf.constant(images, tf.float32), tf.fill([len(images)], 10.0)
    raw, features = tiny_model.encoder(x, snr)
    count = choose_group_count(tiny_allocator(features, group_log_energy(raw), snr), snr, 3.0, 2)
    _, expected = tiny_model.encode(x, snr, active=count)
    np.testing.assert_array_equal(tx.state[0], expected.numpy() > 0.5)
    np.testing.assert_array_equal(tx.channel_uses, 64 * (2 + count.numpy()))


def test_adaptive_mode_without_a_shipped_allocator_names_the_fix(tiny_model, monkeypatch):
    from linksim import zoo
    from linksim.errors import WeightsError
    monkeypatch.setattr(zoo, "registry", lambda: {"bare": {"file": "x.npz"}})
    with pytest.raises(WeightsError, match="train allocator"):
        DeepJSCC(ARJSCCConfig(weights="bare", mode="adaptive"), model=tiny_model)
