"""FSIM / FSIMc (linksim.fsim) against FeatureSIM.m's definition and piq."""
import numpy as np
import pytest
from scipy import fft as sfft
from scipy.ndimage import gaussian_filter
from scipy.signal import convolve2d

from linksim import fsim as F


def reference_pairs(images):
    """The 12 (reference, distorted) pairs of the piq comparison: images 0-3 of the
    embedded CIFAR sample with Gaussian noise (sigma 10), Gaussian blur (sigma 1)
    and a JPEG-like 8x8 block-DCT quantisation (step 40), in that order."""
    x = images[:4]
    noise = np.clip(x + np.random.default_rng(0).normal(0, 10, x.shape), 0, 255).round().astype(np.uint8)
    blur = np.clip(gaussian_filter(x.astype(float), sigma=(0, 1, 1, 0)), 0, 255).round().astype(np.uint8)
    n, h, w, c = x.shape
    blocks = x.astype(float).reshape(n, h // 8, 8, w // 8, 8, c) - 128
    d = sfft.dctn(blocks, axes=(2, 4), norm="ortho")
    q = sfft.idctn(np.round(d / 40) * 40, axes=(2, 4), norm="ortho") + 128
    dct = np.clip(q.reshape(x.shape), 0, 255).round().astype(np.uint8)
    return np.concatenate([x, x, x]), np.concatenate([noise, blur, dct])


# Reference values for reference_pairs(embedded sample), computed once (2026-12-02) in a
# throwaway venv with piq 0.8.0 on torch 2.13.0+cpu, inputs as float64 [N, 3, H, W]:
#   piq.fsim(x, y, data_range=255, chromatic=True|False, reduction='none')
# (script /tmp/run_piq.py; piq's submodules loaded without piq/__init__, whose
# torchvision import fails with that torch build).
# PIQ_*: stock piq.  piq 0.8.0 deviates from FeatureSIM.m in six places (measured effect
# on these 12 FSIMc values when each alone is switched back to piq's choice):
#   median of |EO_1|^2: torch.median takes the lower middle value, MATLAB averages  4.9e-5
#   frequency grid: x runs along rows (MATLAB: along columns); equivalent up to the
#     even-size Nyquist row/column, which the 0.45 low-pass leaves at ~4%           3.0e-5
#   chroma: |S_I S_Q|^0.03 instead of real((S_I S_Q)^0.03) where S_I S_Q < 0        2.9e-5
#   YIQ: I = .5959/-.2746/-.3213, Q = .2115/-.5227/.3112 (MATLAB .596/-.274/-.322,
#     .211/-.523/.312)                                                               8.1e-6
#   epsilon in MeanE = sumE / (|sum| + eps): machine eps instead of 1e-4             4.6e-7
#   PC = (Energy + eps) / (An + eps) instead of Energy / An                          0 here
# and it downsamples with avg_pool2d (non-overlapping F x F blocks from pixel 0,
# Python's round-half-even F) rather than conv2 'same' + 1:F:end; F = 1 here.
# MATLAB_*: piq's own code with exactly those six points patched to FeatureSIM.m
# (/tmp/piq_fsim_matlab.py): an independent implementation of the MATLAB definition.
PIQ_FSIMC = [0.945163934321382, 0.942482583116652, 0.909731581275704, 0.961058659921490,
             0.895280334001065, 0.922647885021053, 0.907154007570881, 0.907185495567324,
             0.945297991800790, 0.950946385149928, 0.948891538187546, 0.957236039635063]
PIQ_FSIM = [0.955288296538159, 0.950572143200781, 0.918021680092670, 0.969594027577559,
            0.895398950193151, 0.922785010348060, 0.907167729603287, 0.907244129199281,
            0.947186116152065, 0.953060129146652, 0.949433771946731, 0.958916540148236]
MATLAB_FSIMC = [0.945151046723399, 0.942517906085734, 0.909752000787205, 0.961052402965472,
                0.895294441164064, 0.922630514497425, 0.907133343230152, 0.907203341877931,
                0.945298150003894, 0.950938343895836, 0.948875381181892, 0.957238000745623]
MATLAB_FSIM = [0.955289499624848, 0.950617003443871, 0.918049093730553, 0.969595288759600,
               0.895413292664726, 0.922767871705109, 0.907147117022204, 0.907262032493579,
               0.947187798959326, 0.953054064656065, 0.949418060642182, 0.958919850846641]


@pytest.fixture(scope="module")
def pairs():
    from linksim.data import load_embedded_sample
    return reference_pairs(load_embedded_sample().images)


def test_matches_matlab_definition(pairs):
    ref, dis = pairs
    # Same float64 definition, different FFT libraries and summation orders: agreement
    # was 2.2e-16; 1e-12 leaves room for BLAS/FFT rounding and is far below any
    # definitional difference (the smallest above moves values by 4.6e-7).
    np.testing.assert_allclose(F.fsimc(ref, dis), MATLAB_FSIMC, rtol=0, atol=1e-12)
    np.testing.assert_allclose(F.fsim(ref, dis), MATLAB_FSIM, rtol=0, atol=1e-12)


def test_close_to_stock_piq(pairs):
    ref, dis = pairs
    ours = F.fsimc(ref, dis)
    # piq's six deviations (listed above) moved these values by at most 4.9e-5 each and
    # 3.6e-5 together (4.5e-5 for FSIM); 2e-4 bounds them with margin, while a real error
    # (e.g. a wrong threshold or a missing orientation) moves FSIM by 1e-3 or more.
    np.testing.assert_allclose(ours, PIQ_FSIMC, rtol=0, atol=2e-4)
    np.testing.assert_allclose(F.fsim(ref, dis), PIQ_FSIM, rtol=0, atol=2e-4)
    # ...and the 1e-12 test above does tell the two definitions apart.
    assert np.abs(ours - PIQ_FSIMC).max() > 1e-6


def test_identical_images_give_one(rng, pairs):
    a = rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    ref = pairs[0][:4]
    for x in (a, ref):
        np.testing.assert_allclose(F.fsimc(x, x), 1.0, rtol=0, atol=1e-12)
        np.testing.assert_allclose(F.fsim(x, x), 1.0, rtol=0, atol=1e-12)
    flat = np.full((1, 32, 32, 3), 100, np.uint8)             # sum(PCm) = 0 -> plain mean
    assert F.fsimc(flat, flat)[0] == pytest.approx(1.0, abs=1e-12)


def test_decreases_with_noise(pairs):
    x = pairs[0][:4]
    noise = np.random.default_rng(5).normal(0, 1, x.shape)
    scores = [F.fsimc(x, np.clip(x + s * noise, 0, 255).round().astype(np.uint8))
              for s in (2, 8, 20, 50, 100)]
    assert np.all(np.diff(np.stack(scores), axis=0) < 0)
    assert np.all(scores[0] < 1) and np.all(scores[-1] > 0)


def test_shape_dtype_and_range(rng):
    a = rng.integers(0, 256, (5, 32, 32, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (5, 32, 32, 3), dtype=np.uint8)
    for fn in (F.fsimc, F.fsim):
        out = fn(a, b)
        assert out.shape == (5,) and out.dtype == np.float64
        assert np.all((out >= 0) & (out <= 1))
        assert fn(a[:0], b[:0]).shape == (0,)
    assert F.fsim(a[..., 0], b[..., 0]).shape == (5,)          # grey [N, H, W]
    with pytest.raises(ValueError):
        F.fsimc(a, b[:4])
    with pytest.raises(ValueError):
        F.fsimc(a[..., 0], b[..., 0])                          # FSIMc needs RGB
    with pytest.raises(TypeError):
        F.fsimc(a / 255.0, b / 255.0)


def test_batching_does_not_change_values(monkeypatch, pairs):
    ref, dis = pairs
    whole = F.fsimc(ref, dis)
    monkeypatch.setattr(F, "CHUNK", 5)
    np.testing.assert_array_equal(F.fsimc(ref, dis), whole)
    single = np.array([F.fsimc(ref[i:i + 1], dis[i:i + 1])[0] for i in range(len(ref))])
    np.testing.assert_allclose(single, whole, rtol=0, atol=1e-14)


def test_scharr_is_conv2_same_zero_padded(rng):
    y = rng.uniform(0, 255, (2, 9, 7))
    dx = np.array([[3, 0, -3], [10, 0, -10], [3, 0, -3]]) / 16
    want = np.stack([np.hypot(convolve2d(im, dx, "same"), convolve2d(im, dx.T, "same")) for im in y])
    np.testing.assert_allclose(F._scharr_magnitude(y), want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("f", [2, 3, 4])
def test_downsample_is_conv2_same_then_stride(rng, f):
    x = rng.uniform(0, 255, (2, 11, 9))
    # MATLAB's conv2(.., 'same') is full[k//2 : k//2 + n] for a k-tap kernel (the conv
    # 'same' example of MATLAB's documentation, checked below); scipy's 'same' starts
    # at (k-1)//2 instead, so it differs for even k.
    u, v = [-1, 2, 3, -2, 0, 1, 2], [2, 4, -1, 1]
    assert list(np.convolve(u, v)[len(v) // 2:][:len(u)]) == [15, 5, -9, 7, 6, 7, -1]
    box = np.ones((f, f)) / f ** 2
    h, w = x.shape[1:]
    want = np.stack([convolve2d(im, box, "full")[f // 2:f // 2 + h, f // 2:f // 2 + w][::f, ::f]
                     for im in x])
    np.testing.assert_allclose(F._downsample(x, f), want, rtol=0, atol=1e-12)


def test_downsample_factor_uses_matlab_rounding():
    assert F.downsample_factor(32, 32) == 1
    assert F.downsample_factor(383, 500) == 1
    assert F.downsample_factor(384, 500) == 2                  # round(1.5) = 2
    assert F.downsample_factor(640, 700) == 3                  # MATLAB round(2.5) = 3, Python's 2


def test_phase_congruency_in_unit_interval_and_shift_covariant(rng):
    y = rng.uniform(0, 255, (1, 32, 32))
    pc = F.phase_congruency(y)
    assert pc.shape == y.shape and pc.min() >= 0 and pc.max() <= 1
    # FFT filtering is circular: a circular shift of the image shifts the map.
    np.testing.assert_allclose(F.phase_congruency(np.roll(y, (3, 5), (1, 2))),
                               np.roll(pc, (3, 5), (1, 2)), rtol=0, atol=1e-12)
