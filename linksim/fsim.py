"""FSIM and FSIMc (Zhang, Zhang, Mou, Zhang, IEEE TIP 20(8), 2011), in numpy/scipy.

A line-by-line port of the authors' MATLAB ``FeatureSIM.m`` (with its
``phasecong2`` and ``lowpassfilter``), vectorised over a batch of images:

* RGB -> YIQ with FeatureSIM.m's coefficients (``Y = .299 R + .587 G + .114 B``,
  ``I = .596 R - .274 G - .322 B``, ``Q = .211 R - .523 G + .312 B``) on the
  0..255 scale.
* Downsampling by ``F = max(1, round(min(H, W) / 256))``: an ``F x F`` box
  filter (``conv2(.., fspecial('average', F), 'same')``, zero padding) and
  every ``F``-th pixel from the first.  **For 32x32 CIFAR images F = 1**, so
  no downsampling happens.
* Phase congruency of Y after Kovesi (``phasecong2``): 4 scales, 4
  orientations, minimum wavelength 6, scale factor 2, sigmaOnf 0.55,
  dThetaOnSigma 1.2, k = 2.0, epsilon 1e-4; log-Gabor filters built in the
  frequency domain (times the Butterworth low-pass of radius 0.45, order
  15), the noise threshold estimated per orientation from the median of the
  smallest scale's squared amplitude, divided by 1.7 as the MATLAB code does.
  Filtering is by FFT, i.e. circular.  **The coarsest log-Gabor wavelength,
  6 * 2^3 = 48 px, exceeds a 32 px image** (its centre frequency 1/48 lies
  below the lowest non-zero frequency 1/32 of the FFT grid), so at CIFAR
  size that scale sees little more than the image's lowest harmonics; this
  is FeatureSIM.m's definition, kept unchanged.
* Gradient magnitude of Y with the Scharr kernels ``[3 0 -3; 10 0 -10; 3 0
  -3] / 16`` and its transpose, ``conv2(.., 'same')`` with zero padding.
* ``S_PC = (2 PC1 PC2 + T1) / (PC1^2 + PC2^2 + T1)``, T1 = 0.85; ``S_G``
  likewise with T2 = 160; chroma ``S_I``, ``S_Q`` with T3 = T4 = 200;
  ``FSIM = sum(S_G S_PC PCm) / sum(PCm)`` and ``FSIMc = sum(S_G S_PC
  real((S_I S_Q)^lambda) PCm) / sum(PCm)``, lambda = 0.03, ``PCm = max(PC1,
  PC2)``.  ``real(x^lambda)`` of a negative ``S_I S_Q`` is MATLAB's
  principal value ``|x|^lambda cos(pi lambda)``.

Deviation for degenerate input only: where a pixel's summed amplitude is 0
(a flat image has no response off DC) MATLAB's ``PC = 0 / 0`` is NaN; here
it is 0, and an image pair whose ``sum(PCm)`` is 0 gets the unweighted mean
of its similarity map instead of 0 / 0 (so two identical flat images give
1).  All arithmetic is float64.

Checked against piq 0.8.0's ``fsim`` with its six departures from
FeatureSIM.m patched back (agreement 2e-16 at 32x32, 1e-14 at 512x512 with
F = 2); stock piq differs by up to ~5e-5 (lower median, machine-eps
epsilons, ``|S_I S_Q|^lambda``, 4-digit YIQ, transposed frequency grid;
it also downsamples with avg_pool2d): ``tests/unit/fsim/test_fsim.py``
lists them.
"""
from __future__ import annotations

import functools
import math

import numpy as np
from scipy import fft as sfft

# FeatureSIM.m constants.
T1, T2, T3, T4 = 0.85, 160.0, 200.0, 200.0
LAMBDA = 0.03
# phasecong2 parameters as set in FeatureSIM.m.
NSCALE, NORIENT = 4, 4
MIN_WAVELENGTH, MULT = 6.0, 2.0
SIGMA_ON_F, D_THETA_ON_SIGMA = 0.55, 1.2
K_NOISE, EPSILON = 2.0, 1e-4

_YIQ = np.array([[0.299, 0.587, 0.114],
                 [0.596, -0.274, -0.322],
                 [0.211, -0.523, 0.312]])

#: Images per FFT chunk (bounds memory: ~16 complex [2n, H, W] arrays live).
CHUNK = 256


def fsimc(reference: np.ndarray, received: np.ndarray) -> np.ndarray:
    """Per-image FSIMc of uint8 RGB images ``[N, H, W, 3]``. ``[N]`` float64 in [0, 1]."""
    ref, rec = _check(reference, received, colour=True)
    return _batched(ref, rec, colour=True)


def fsim(reference: np.ndarray, received: np.ndarray) -> np.ndarray:
    """Per-image grey-level FSIM. ``[N]`` float64 in [0, 1].

    uint8 RGB ``[N, H, W, 3]`` is scored on its Y (luma) channel, as
    FeatureSIM.m's first output; uint8 grey ``[N, H, W]`` is used as is.
    """
    ref, rec = _check(reference, received, colour=False)
    return _batched(ref, rec, colour=False)


def phase_congruency(y: np.ndarray) -> np.ndarray:
    """Kovesi phase congruency (FeatureSIM.m's ``phasecong2``) of ``[N, H, W]`` float images."""
    y = np.asarray(y, dtype=np.float64)
    return _phasecong2(y)


def downsample_factor(rows: int, cols: int) -> int:
    """FeatureSIM.m's ``F = max(1, round(min(rows, cols) / 256))``, MATLAB rounding (half away from 0)."""
    return max(1, int(math.floor(min(rows, cols) / 256 + 0.5)))


# ---------------------------------------------------------------------------

def _check(reference, received, colour):
    ref = np.asarray(reference)
    rec = np.asarray(received)
    if ref.shape != rec.shape:
        raise ValueError(f"shape mismatch: {ref.shape} vs {rec.shape}")
    if ref.dtype != np.uint8 or rec.dtype != np.uint8:
        raise TypeError(f"expected uint8 images, got {ref.dtype} and {rec.dtype}")
    rgb = ref.ndim == 4 and ref.shape[-1] == 3
    if not (rgb or (not colour and ref.ndim == 3)):
        want = "[N, H, W, 3]" if colour else "[N, H, W, 3] or [N, H, W]"
        raise ValueError(f"expected {want} images, got shape {ref.shape}")
    if min(ref.shape[1:3]) < 1:
        raise ValueError(f"empty images: shape {ref.shape}")
    return ref, rec


def _batched(ref, rec, colour):
    out = [_fsim_chunk(ref[s:s + CHUNK], rec[s:s + CHUNK], colour)
           for s in range(0, len(ref), CHUNK)]
    return np.concatenate(out) if out else np.zeros(0)


def _fsim_chunk(ref, rec, colour):
    n = len(ref)
    both = np.concatenate([ref, rec]).astype(np.float64)          # [2n, H, W(, 3)]
    rows, cols = both.shape[1:3]
    f = downsample_factor(rows, cols)
    if both.ndim == 4:
        yiq = np.moveaxis(both @ _YIQ.T, -1, 0)   # [3, 2n, H, W]
        y = yiq[0]
    else:
        yiq, y = None, both
    y = _downsample(y, f)
    pc = _phasecong2(y)
    g = _scharr_magnitude(y)
    pc1, pc2, g1, g2 = pc[:n], pc[n:], g[:n], g[n:]
    s_pc = (2 * pc1 * pc2 + T1) / (pc1 ** 2 + pc2 ** 2 + T1)
    s_g = (2 * g1 * g2 + T2) / (g1 ** 2 + g2 ** 2 + T2)
    sim = s_g * s_pc
    if colour:
        i = _downsample(yiq[1], f)
        q = _downsample(yiq[2], f)
        s_i = (2 * i[:n] * i[n:] + T3) / (i[:n] ** 2 + i[n:] ** 2 + T3)
        s_q = (2 * q[:n] * q[n:] + T4) / (q[:n] ** 2 + q[n:] ** 2 + T4)
        iq = s_i * s_q
        # MATLAB real(x .^ lambda): principal branch for negative x.
        iq_pow = np.where(iq >= 0, np.abs(iq) ** LAMBDA,
                          np.abs(iq) ** LAMBDA * math.cos(math.pi * LAMBDA))
        sim = sim * iq_pow
    pcm = np.maximum(pc1, pc2)
    num = np.sum(sim * pcm, axis=(1, 2))
    den = np.sum(pcm, axis=(1, 2))
    flat = den == 0
    out = np.where(flat, np.mean(sim, axis=(1, 2)), num / np.where(flat, 1.0, den))
    return out


def _downsample(x, f):
    """``conv2(x, ones(f)/f^2, 'same')`` (zero padding) then ``x(1:f:end, 1:f:end)``; [B, H, W]."""
    if f == 1:
        return x
    rows, cols = x.shape[1:]
    # 'same' output i is the full-convolution index i + floor(f/2): it sums the
    # inputs i + floor(f/2) - f + 1 .. i + floor(f/2), zero outside.
    lo = f - 1 - f // 2
    hi = f // 2
    p = np.pad(x, ((0, 0), (lo, hi), (lo, hi)))
    c = np.cumsum(np.pad(p, ((0, 0), (1, 0), (1, 0))), axis=1).cumsum(axis=2)
    box = c[:, f:, f:] - c[:, :-f, f:] - c[:, f:, :-f] + c[:, :-f, :-f]   # [B, H, W]
    return (box / (f * f))[:, ::f, ::f]


def _scharr_magnitude(y):
    """``sqrt(conv2(y, dx, 'same')^2 + conv2(y, dy, 'same')^2)``, FeatureSIM.m's Scharr kernels."""
    p = np.pad(y, ((0, 0), (1, 1), (1, 1)))
    # conv2 'same' with a 3x3 kernel K: out[i, j] = sum_ab K[a, b] p[i + 2 - a, j + 2 - b].
    dx = np.array([[3, 0, -3], [10, 0, -10], [3, 0, -3]]) / 16
    dy = dx.T
    rows, cols = y.shape[1:]
    ix = np.zeros_like(y)
    iy = np.zeros_like(y)
    for a in range(3):
        for b in range(3):
            win = p[:, 2 - a:2 - a + rows, 2 - b:2 - b + cols]
            if dx[a, b]:
                ix += dx[a, b] * win
            if dy[a, b]:
                iy += dy[a, b] * win
    return np.sqrt(ix ** 2 + iy ** 2)


def _grid(rows, cols):
    """phasecong2 / lowpassfilter's frequency grid, normalised to +-0.5 (before ifftshift)."""
    def rng(n):
        if n % 2:
            return np.arange(-(n - 1) / 2, (n - 1) / 2 + 1) / (n - 1) if n > 1 else np.zeros(1)
        return np.arange(-n / 2, n / 2) / n
    x, y = np.meshgrid(rng(cols), rng(rows))
    return x, y


@functools.lru_cache(maxsize=8)
def _filters(rows, cols):
    """Log-Gabor filters [norient, nscale, H, W] and per-orientation noise constants."""
    x, y = _grid(rows, cols)
    radius = np.sqrt(x ** 2 + y ** 2)
    theta = np.arctan2(-y, x)
    lp = np.fft.ifftshift(1.0 / (1.0 + (radius / 0.45) ** (2 * 15)))
    radius = np.fft.ifftshift(radius)
    theta = np.fft.ifftshift(theta)
    radius[0, 0] = 1.0
    sintheta, costheta = np.sin(theta), np.cos(theta)

    log_gabor = []
    for s in range(NSCALE):
        fo = 1.0 / (MIN_WAVELENGTH * MULT ** s)
        lg = np.exp(-(np.log(radius / fo)) ** 2 / (2 * math.log(SIGMA_ON_F) ** 2)) * lp
        lg[0, 0] = 0.0
        log_gabor.append(lg)

    theta_sigma = math.pi / NORIENT / D_THETA_ON_SIGMA
    filt = np.empty((NORIENT, NSCALE, rows, cols))
    em_n = np.empty(NORIENT)
    sum_an2 = np.empty(NORIENT)
    sum_aiaj = np.empty(NORIENT)
    for o in range(NORIENT):
        angl = o * math.pi / NORIENT
        ds = sintheta * math.cos(angl) - costheta * math.sin(angl)
        dc = costheta * math.cos(angl) + sintheta * math.sin(angl)
        dtheta = np.abs(np.arctan2(ds, dc))
        spread = np.exp(-dtheta ** 2 / (2 * theta_sigma ** 2))
        for s in range(NSCALE):
            filt[o, s] = log_gabor[s] * spread
        em_n[o] = np.sum(filt[o, 0] ** 2)
        ifft_filt = np.real(sfft.ifft2(filt[o])) * math.sqrt(rows * cols)    # [nscale, H, W]
        sum_an2[o] = np.sum(ifft_filt ** 2)
        sum_aiaj[o] = sum(np.sum(ifft_filt[si] * ifft_filt[sj])
                          for si in range(NSCALE - 1) for sj in range(si + 1, NSCALE))
    for a in (filt, em_n, sum_an2, sum_aiaj):
        a.setflags(write=False)
    return filt, em_n, sum_an2, sum_aiaj


def _phasecong2(im):
    """Phase congruency of [B, H, W] float64 images, as FeatureSIM.m's ``phasecong2``."""
    b, rows, cols = im.shape
    filt, em_n, sum_an2, sum_aiaj = _filters(rows, cols)
    imagefft = sfft.fft2(im)
    energy_all = np.zeros((b, rows, cols))
    an_all = np.zeros((b, rows, cols))
    for o in range(NORIENT):
        eo = sfft.ifft2(imagefft[:, None] * filt[o][None])          # [B, nscale, H, W]
        e, od = eo.real, eo.imag
        an = np.abs(eo)
        sum_e = e.sum(axis=1)
        sum_o = od.sum(axis=1)
        x_energy = np.sqrt(sum_e ** 2 + sum_o ** 2) + EPSILON
        mean_e = (sum_e / x_energy)[:, None]
        mean_o = (sum_o / x_energy)[:, None]
        energy = np.sum(e * mean_e + od * mean_o - np.abs(e * mean_o - od * mean_e), axis=1)

        median_e2n = np.median((an[:, 0] ** 2).reshape(b, -1), axis=1)    # [B]
        mean_e2n = -median_e2n / math.log(0.5)
        noise_power = mean_e2n / em_n[o]
        est_noise_energy2 = 2 * noise_power * sum_an2[o] + 4 * noise_power * sum_aiaj[o]
        tau = np.sqrt(est_noise_energy2 / 2)
        est_noise_energy = tau * math.sqrt(math.pi / 2)
        est_noise_energy_sigma = np.sqrt((2 - math.pi / 2) * tau ** 2)
        t = (est_noise_energy + K_NOISE * est_noise_energy_sigma) / 1.7
        energy_all += np.maximum(energy - t[:, None, None], 0.0)
        an_all += an.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pc = energy_all / an_all
    return np.where(an_all > 0, pc, 0.0)
