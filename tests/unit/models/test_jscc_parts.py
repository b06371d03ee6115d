import numpy as np
import pytest
import tensorflow as tf

from linksim.models.jscc import (JSCCDecoder, JSCCEncoder, PolicyNetwork, cpp_of, group_mask,
                                 normalise_power)


def test_shapes_and_cpp_range(rng):
    images = tf.constant(rng.integers(0, 256, (2, 32, 32, 3)).astype(np.float32))
    snr = tf.constant([0.0, 20.0])
    symbols, features = JSCCEncoder(groups=8, width=16)(images, snr)
    assert symbols.shape == (2, 8, 64) and symbols.dtype == tf.complex64
    logits = PolicyNetwork(6)(features, snr)
    assert logits.shape == (2, 6, 2)
    out = JSCCDecoder(width=16)(symbols, snr)
    assert out.shape == (2, 32, 32, 3) and float(tf.reduce_min(out)) >= 0 and float(tf.reduce_max(out)) <= 255
    cpps = [float(cpp_of(group_mask(logits, 2, active=k))[0]) for k in range(7)]
    assert cpps == [k / 16 for k in range(2, 9)]          # 1/8 .. 1/2 in steps of 1/16


def test_fixed_cpp_mask_takes_the_highest_scores():
    logits = tf.constant([[[0.0, 3.0], [0.0, -1.0], [0.0, 2.0]], [[0.0, -5.0], [0.0, 0.5], [0.0, 0.1]]])
    mask = group_mask(logits, 1, active=tf.constant([2, 1])).numpy()
    np.testing.assert_array_equal(mask, [[1, 1, 0, 1], [1, 0, 1, 0]])
    np.testing.assert_array_equal(group_mask(logits, 1).numpy(), [[1, 1, 0, 1], [1, 0, 1, 1]])


def test_gumbel_mask_is_hard_forward_and_differentiable():
    logits = tf.Variable(tf.zeros([4, 6, 2]))
    with tf.GradientTape() as tape:
        mask = group_mask(logits, 2, hard=False, seed=tf.constant([1, 2]))
        loss = tf.reduce_sum(mask * tf.range(8, dtype=tf.float32))
    assert set(np.unique(mask.numpy())) <= {0.0, 1.0}
    assert float(tf.reduce_sum(tf.abs(tape.gradient(loss, logits)))) > 0


def test_power_normalised_over_the_symbols_sent(rng):
    z = rng.normal(size=(2, 4, 64)) + 1j * rng.normal(size=(2, 4, 64))
    mask = np.array([[1, 1, 0, 1], [1, 0, 0, 0]], np.float32)
    x = normalise_power(tf.constant(z, tf.complex64), tf.constant(mask)).numpy()
    for b in range(2):
        sent = x[b][mask[b] == 1]
        np.testing.assert_allclose(np.mean(np.abs(sent) ** 2), 1.0, rtol=1e-5)
        assert np.all(x[b][mask[b] == 0] == 0)
    ref = z[1, 0] * np.sqrt(64 / np.sum(np.abs(z[1, 0]) ** 2))
    np.testing.assert_allclose(x[1, 0], ref, rtol=1e-5)


def test_npz_round_trip_restores_every_variable(tmp_path):
    from linksim.models.jscc import AdaptiveRateJSCC
    a, b = AdaptiveRateJSCC(width=8), AdaptiveRateJSCC(width=8)
    a.build_variables()
    a.save_npz(tmp_path / "w.npz")
    b.load_npz(tmp_path / "w.npz")
    assert all(np.array_equal(x.numpy(), y.numpy()) for x, y in zip(a.weights, b.weights))
    with pytest.raises(ValueError, match="does not hold"):
        AdaptiveRateJSCC(width=16).load_npz(tmp_path / "w.npz")


def test_adaptive_mask_limit_keeps_the_highest_scoring_chosen_groups():
    logits = tf.constant([[[0.0, 3.0], [0.0, -1.0], [0.0, 2.0], [0.0, 1.0]]])
    np.testing.assert_array_equal(group_mask(logits, 1, limit=2).numpy(), [[1, 1, 0, 1, 0]])
    np.testing.assert_array_equal(group_mask(logits, 1, limit=5).numpy(), group_mask(logits, 1).numpy())


def test_policy_mask_is_hard_and_deterministic_at_test_time(rng):
    from linksim.models.jscc import AdaptiveRateJSCC
    tf.keras.utils.set_random_seed(0)
    model = AdaptiveRateJSCC(width=8)
    images = tf.constant(rng.integers(0, 256, (5, 32, 32, 3)).astype(np.float32))
    snr = tf.constant([0.0, 5.0, 10.0, 15.0, 20.0])
    (s1, m1), (s2, m2) = model.encode(images, snr), model.encode(images, snr)
    assert set(np.unique(m1.numpy())) <= {0.0, 1.0} and np.array_equal(m1.numpy(), m2.numpy())
    np.testing.assert_array_equal(s1.numpy(), s2.numpy())


def test_group_count_maximises_predicted_psnr_minus_the_capacity_price():
    from linksim.models.jscc import choose_group_count
    # gains 2.0, 1.0, 0.5 dB for the 1st, 2nd, 3rd selective group
    predicted = tf.constant([[20.0, 22.0, 23.0, 23.5]] * 3)
    snr = tf.constant([0.0] * 3)                           # log2(1 + SNR) = 1 bit per channel use
    # a group costs price / 16 dB: price 24 -> 1.5 dB (one group), 12 -> 0.75 dB (two), 0 -> all
    counts = [int(choose_group_count(predicted, snr, price, 2)[0]) for price in (24.0, 12.0, 0.0)]
    assert counts == [1, 2, 3]
    assert int(choose_group_count(predicted, snr, 0.0, 2, limit=2)[0]) == 2
    # the same predictions on a better channel: each group costs more capacity, so no more groups
    better = choose_group_count(predicted, tf.constant([0.0, 10.0, 20.0]), 12.0, 2).numpy()
    assert list(better) == sorted(better, reverse=True)


def test_count_predictor_never_falls_with_more_groups(rng):
    from linksim.models.jscc import GroupAllocator
    tf.keras.utils.set_random_seed(1)
    allocator = GroupAllocator(width=16)
    predicted = allocator(tf.constant(rng.normal(size=(4, 16)), tf.float32),
                          tf.constant(rng.normal(size=(4, 8)), tf.float32), tf.constant([0.0, 5.0, 10.0, 20.0]))
    assert predicted.shape == (4, 7) and np.all(np.diff(predicted.numpy(), axis=1) >= 0)


def test_allocator_npz_round_trip(tmp_path):
    from linksim.models.jscc import GroupAllocator
    a = GroupAllocator(width=16)
    a.build_variables()
    a.save_npz(tmp_path / "a.npz")
    b = GroupAllocator(width=16)
    b.load_npz(tmp_path / "a.npz")
    assert all(np.array_equal(x.numpy(), y.numpy()) for x, y in zip(a.weights, b.weights))
