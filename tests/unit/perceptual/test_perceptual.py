"""Feature distance and Frechet distance against their definitions."""
import numpy as np
import pytest

from linksim.perceptual import (FeatureSpace, feature_distance, frechet_distance, frechet_from_moments,
                                frechet_interval)


@pytest.fixture(scope="module")
def vgg8_space():
    from linksim import zoo
    return FeatureSpace(zoo.load_classifier("vgg8", base=True))


def test_frechet_of_diagonal_gaussians_is_the_closed_form(rng):
    mu_a, mu_b = rng.normal(size=4), rng.normal(size=4)
    var_a, var_b = rng.uniform(0.5, 2, 4), rng.uniform(0.5, 2, 4)
    expected = np.sum((mu_a - mu_b) ** 2) + np.sum((np.sqrt(var_a) - np.sqrt(var_b)) ** 2)
    assert frechet_from_moments(mu_a, np.diag(var_a), mu_b, np.diag(var_b)) == pytest.approx(expected, rel=1e-9)


def test_frechet_equals_scipys_matrix_square_root_also_for_singular_covariances(rng):
    import scipy.linalg
    for n in (5, 200):                                  # 5 images in 16 dimensions: singular covariances
        a, b = rng.normal(size=(n, 16)), rng.normal(0.3, 1.5, size=(n, 16))
        ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
        root = scipy.linalg.sqrtm(ca @ cb, disp=False)[0].real
        expected = np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(ca + cb - 2 * root)
        assert frechet_from_moments(a.mean(0), ca, b.mean(0), cb) == pytest.approx(expected, rel=1e-6, abs=1e-8)


def test_frechet_of_samples_approaches_the_moments_and_its_interval_covers_it(rng):
    a = rng.normal(0.0, 1.0, (4000, 3))
    b = rng.normal(0.5, 1.0, (4000, 3))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    value = frechet_distance(a, b)
    assert value == pytest.approx(3 * 0.25, abs=0.06)
    plug_in, corrected, low, high = frechet_interval(a, b, resamples=100)
    assert plug_in == value
    assert low < corrected < high and low < value < high and high - low < 0.2


def test_basic_bootstrap_corrects_the_small_sample_bias(rng):
    a, b = rng.normal(0.0, 1.0, (200, 50)), rng.normal(0.0, 1.0, (200, 50))     # the same distribution
    value = frechet_distance(a, b)
    _, corrected, low, high = frechet_interval(a, b, resamples=50)
    assert value > 0.3                              # the plug-in value is biased up with 50 features
    assert corrected < value / 4 and high < value   # first-order: here 7.35 -> 1.37 (the truth is 0)


def test_feature_distance_is_zero_for_the_same_images_and_grows_with_noise(vgg8_space, sample):
    images = sample.images[::100]
    assert np.all(feature_distance(vgg8_space, images, images) == 0)
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 1, images.shape)
    means = [feature_distance(vgg8_space, images, np.clip(images + s * noise, 0, 255).astype(np.uint8)).mean()
             for s in (2, 8, 32)]
    assert 0 < means[0] < means[1] < means[2]


def test_the_space_taps_the_end_of_each_vgg_stage_then_the_pooled_vector(vgg8_space, sample):
    shapes = [f.shape[1:] for f in vgg8_space(sample.images[:2])]
    assert shapes == [(32, 32, 32), (16, 16, 64), (8, 8, 128), (4, 4, 256), (256,)]
