import math

import numpy as np
import pytest
from scipy import stats

from linksim import metrics


def test_psnr_closed_form_and_cap():
    a = np.zeros((2, 4, 4, 3), np.uint8)
    b = a.copy()
    b[0] += 10                                  # MSE 100 -> 10 log10(255^2 / 100)
    out = metrics.psnr(a, b)
    assert out[0] == pytest.approx(10 * math.log10(255 ** 2 / 100))
    assert out[1] == 100.0


def test_ssim_identity_and_order(rng):
    a = rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    noisy = np.clip(a + rng.normal(0, 20, a.shape), 0, 255).astype(np.uint8)
    noisier = np.clip(a + rng.normal(0, 60, a.shape), 0, 255).astype(np.uint8)
    assert np.allclose(metrics.ssim(a, a), 1.0)
    assert np.all(metrics.ssim(a, noisy) > metrics.ssim(a, noisier))


@pytest.mark.parametrize("shape", [(32, 32), (40, 24)])
def test_ssim_equals_scikit_image_across_batches(rng, shape):
    from skimage.metrics import structural_similarity
    a = rng.integers(0, 256, (5,) + shape + (3,), dtype=np.uint8)
    b = np.clip(a + rng.normal(0, 25, a.shape), 0, 255).astype(np.uint8)
    expected = [structural_similarity(x, y, channel_axis=-1, data_range=255, gaussian_weights=True, sigma=1.5,
                                      use_sample_covariance=False) for x, y in zip(a, b)]
    np.testing.assert_allclose(metrics.ssim(a, b, batch_size=2), expected, atol=1e-5)


def test_f1_macro_matches_definition():
    labels = np.array([0, 0, 1, 1, 2, 2])
    preds = np.array([0, 1, 1, 1, 0, 2])
    # class 0: tp1 fp1 fn1 -> 0.5; class 1: tp2 fp1 fn0 -> 0.8; class 2: tp1 fp0 fn1 -> 2/3
    assert metrics.f1_macro(labels, preds, 3) == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)


def test_wilson_interval_reference():
    low, high = metrics.wilson_interval(0.9, 100)
    # closed form of the Wilson score interval
    z = stats.norm.ppf(0.975)
    centre = (0.9 + z * z / 200) / (1 + z * z / 100)
    half = z / (1 + z * z / 100) * math.sqrt(0.9 * 0.1 / 100 + z * z / 40000)
    assert (low, high) == pytest.approx((centre - half, centre + half))
    assert metrics.wilson_interval(1.0, 50)[1] == pytest.approx(1.0)
    assert metrics.wilson_interval(1.0, 50)[0] < 1.0


def test_f1_interval_matches_a_resampling_loop(rng):
    labels = rng.integers(0, 10, 300)
    predictions = np.where(rng.random((3, 300)) < 0.7, labels, rng.integers(0, 10, (3, 300)))
    draws = np.random.default_rng(5).integers(0, 300, (200, 300))
    reference = [np.mean([metrics.f1_macro(labels[d], run[d], 10) for run in predictions]) for d in draws]
    assert metrics.f1_macro_interval(labels, predictions, 10, resamples=200, seed=5) == \
        pytest.approx(tuple(np.percentile(reference, [2.5, 97.5])), abs=1e-12)


def test_normal_halfwidth():
    v = [1.0, 2.0, 3.0, 4.0]
    assert metrics.normal_halfwidth(v) == pytest.approx(1.959964 * np.std(v, ddof=1) / 2, rel=1e-6)


def test_clopper_pearson_reference():
    low, high = metrics.clopper_pearson(5, 100)
    assert low == pytest.approx(0.016431, abs=1e-5) and high == pytest.approx(0.112835, abs=1e-5)
    assert metrics.clopper_pearson(0, 10)[0] == 0.0


def test_paired_difference():
    mean, half = metrics.paired_difference([1, 1, 0, 1], [0, 1, 0, 0])
    assert mean == 0.5 and half == pytest.approx(1.959964 * np.std([1, 0, 0, 1], ddof=1) / 2, rel=1e-6)
