"""Task and fidelity metrics, and the 95% intervals DESIGN.md defines.

Images are uint8 ``[N, H, W, 3]``; per-image metrics return ``[N]`` arrays.
"""
from __future__ import annotations

import atexit
import functools
import math

import numpy as np
from scipy import stats

Z95 = float(stats.norm.ppf(0.975))
PSNR_CAP_DB = 100.0


def psnr(reference: np.ndarray, received: np.ndarray) -> np.ndarray:
    """Per-image PSNR in dB (8-bit, peak 255), capped at 100 dB when lossless. ``[N]``."""
    diff = reference.astype(np.float64) - received.astype(np.float64)
    mse = np.mean(diff.reshape(len(diff), -1) ** 2, axis=1)
    with np.errstate(divide="ignore"):
        out = 10.0 * np.log10(255.0 ** 2 / mse)
    return np.minimum(out, PSNR_CAP_DB)


def ssim(reference: np.ndarray, received: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Per-image SSIM (Wang et al. 2004: 11-tap Gaussian window sigma 1.5, population covariance). ``[N]``.

    TensorFlow's batched ``tf.image.ssim`` (valid windows only, mean over
    channels) equals scikit-image's ``structural_similarity(...,
    gaussian_weights=True, sigma=1.5, use_sample_covariance=False)``, which
    crops the same border, to 1e-6, and is about 3x faster on 32x32
    images (``benchmarks/ssim_speed.py``): per-image SSIM was the slowest
    metric of a JSCC sweep.
    """
    out = [_tf_ssim(reference[s:s + batch_size], received[s:s + batch_size])
           for s in range(0, len(reference), batch_size)]
    return np.concatenate(out).astype(np.float64) if out else np.zeros(0)


def _tf_ssim(reference, received):
    import tensorflow as tf
    return _ssim_graph()(tf.constant(reference, tf.float32), tf.constant(received, tf.float32)).numpy()


@functools.lru_cache(maxsize=None)
def _ssim_graph():
    import tensorflow as tf
    return tf.function(lambda a, b: tf.image.ssim(a, b, max_val=255.0, filter_size=11, filter_sigma=1.5,
                                                 k1=0.01, k2=0.03), reduce_retracing=True)


atexit.register(_ssim_graph.cache_clear)       # free the graph while TensorFlow is still loaded


def f1_macro(labels: np.ndarray, predictions: np.ndarray, n_classes: int) -> float:
    """Macro-averaged F1 over ``n_classes`` (a class never predicted nor present scores 0)."""
    f1 = np.zeros(n_classes)
    for c in range(n_classes):
        tp = np.sum((predictions == c) & (labels == c))
        fp = np.sum((predictions == c) & (labels != c))
        fn = np.sum((predictions != c) & (labels == c))
        f1[c] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return float(f1.mean())


def f1_macro_interval(labels: np.ndarray, predictions: np.ndarray, n_classes: int, resamples: int = 1000,
                      seed: int = 0) -> tuple:
    """Percentile-bootstrap 95% interval (low, high) over images of the run-mean macro-F1.

    ``predictions [R, N]``: each resample draws N images with replacement and takes every run's predictions
    of each drawn image (the image is the unit, DESIGN.md); the statistic is the mean over runs of each run's
    :func:`f1_macro` on the resample. Seeded: the same inputs give the same interval.
    """
    predictions = np.atleast_2d(predictions)
    n = predictions.shape[1]
    rows = np.random.default_rng(seed).integers(0, n, (resamples, n))
    offsets = (np.arange(resamples) * n_classes * n_classes)[:, None]
    truth = labels[rows] * n_classes
    scores = np.zeros(resamples)
    for run in predictions:
        counts = np.bincount((offsets + truth + run[rows]).ravel(), minlength=resamples * n_classes ** 2)
        confusion = counts.reshape(resamples, n_classes, n_classes)        # [B, true, predicted]
        tp = np.diagonal(confusion, axis1=1, axis2=2)
        denominator = confusion.sum(axis=1) + confusion.sum(axis=2)        # 2tp + fp + fn
        scores += np.where(tp > 0, 2 * tp / np.maximum(denominator, 1), 0.0).mean(axis=1)
    low, high = np.percentile(scores / len(predictions), [2.5, 97.5])
    return float(low), float(high)


def wilson_interval(p: float, n: int) -> tuple:
    """95% Wilson score interval (low, high) for a proportion ``p`` over ``n`` trials."""
    if n <= 0:
        return (float("nan"), float("nan"))
    denom = 1 + Z95 ** 2 / n
    centre = (p + Z95 ** 2 / (2 * n)) / denom
    half = Z95 / denom * math.sqrt(max(p * (1 - p), 0.0) / n + Z95 ** 2 / (4 * n * n))
    return (centre - half, centre + half)


def normal_halfwidth(values) -> float:
    """Half-width of a normal 95% interval of the mean of ``values`` (nan if fewer than 2)."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 2:
        return float("nan")
    return float(Z95 * values.std(ddof=1) / math.sqrt(len(values)))


def clopper_pearson(k: int, n: int) -> tuple:
    """Exact 95% interval (low, high) for ``k`` events in ``n`` trials."""
    if n <= 0:
        return (float("nan"), float("nan"))
    low = 0.0 if k == 0 else float(stats.beta.ppf(0.025, k, n - k + 1))
    high = 1.0 if k == n else float(stats.beta.ppf(0.975, k + 1, n - k))
    return (low, high)


def paired_difference(a, b) -> tuple:
    """Mean of per-image differences ``a - b`` (run-averaged) and its normal 95% half-width."""
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    return float(d.mean()), normal_halfwidth(d)
