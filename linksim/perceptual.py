"""Perceptual distances on a zoo classifier's features: per-image feature distance and a set-level Frechet distance.

Neither is LPIPS or FID, and neither is named so:

* :func:`feature_distance` follows LPIPS's recipe (Zhang et al. 2018) --
  features unit-normalised along channels, squared differences averaged over
  positions, summed over layers -- with a CIFAR classifier of the zoo and *no*
  learned per-channel weights (LPIPS's weights would need a download);
* :func:`frechet_distance` is FID's formula (Heusel et al. 2017),
  ``|mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))``, on that classifier's
  pooled features instead of Inception's; :func:`frechet_interval` adds a
  paired bootstrap interval over images. With N images and D feature
  dimensions the estimate is biased upwards for small N (the covariances are
  estimated): compare values at the same N only.

The default network is ``vgg8``, not the ``resnet32`` whose features HEVRC's
feature-matching loss trains on (that would measure the training loss).
"""
from __future__ import annotations

import numpy as np
import scipy.linalg
from threadpoolctl import threadpool_limits

from .config import PERCEPTUAL_METRICS, uses_features


class FeatureSpace:
    """The features a classifier pools: ``images [N, H, W, 3]`` uint8/float in [0, 255] -> list of arrays.

    The tapped layers are the inputs of every pooling layer of the network
    (for ``vgg8`` the end of each convolutional stage; for a ResNet its last
    stage); the last entry is the globally pooled feature vector ``[N, K]``.

    Args:
        classifier: a Keras classifier (a zoo network without flip averaging).
        batch_size: images per forward pass.
    """

    def __init__(self, classifier, batch_size: int = 500):
        import tensorflow as tf
        pools = [layer for layer in classifier.layers
                 if isinstance(layer, (tf.keras.layers.MaxPooling2D, tf.keras.layers.GlobalAveragePooling2D))]
        if not pools or not isinstance(pools[-1], tf.keras.layers.GlobalAveragePooling2D):
            raise ValueError(f"{classifier.name}: a feature space needs a final global average pooling layer")
        model = tf.keras.Model(classifier.inputs, [p.input for p in pools] + [pools[-1].output])
        self._forward = tf.function(lambda x: model(tf.cast(x, tf.float32), training=False))
        self.batch_size = batch_size

    def __call__(self, images: np.ndarray) -> list:
        parts = [self._forward(images[s:s + self.batch_size]) for s in range(0, len(images), self.batch_size)]
        return [np.concatenate([p[k].numpy() for p in parts]) for k in range(len(parts[0]))]


def _unit(features: np.ndarray) -> np.ndarray:
    return features / (np.sqrt(np.sum(features ** 2, axis=-1, keepdims=True)) + 1e-10)


def distance_between(reference_features: list, received_features: list) -> np.ndarray:
    """Per-image distance ``[N]`` of two :class:`FeatureSpace` outputs: over the tapped layers, the
    position-mean squared distance of channel-unit features (the pooled vector is not used)."""
    return sum(np.mean(np.sum((_unit(a) - _unit(b)) ** 2, axis=-1), axis=(1, 2))
               for a, b in zip(reference_features[:-1], received_features[:-1]))


def feature_distance(space: FeatureSpace, references: np.ndarray, received: np.ndarray) -> np.ndarray:
    """Per-image feature distance ``[N]`` of ``received`` to ``references`` (see :func:`distance_between`)."""
    return distance_between(space(references), space(received))


def _psd_root(cov: np.ndarray) -> np.ndarray:
    w, v = scipy.linalg.eigh(cov)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_from_moments(mu_a, cov_a, mu_b, cov_b) -> float:
    """``|mu_a - mu_b|^2 + Tr(cov_a + cov_b - 2 (cov_a cov_b)^(1/2))``.

    ``Tr (cov_a cov_b)^(1/2)`` is the sum of the square roots of the eigenvalues
    of the symmetric ``cov_a^(1/2) cov_b cov_a^(1/2)`` (the same eigenvalues):
    symmetric eigendecompositions only, so no complex rounding noise, also for
    the singular covariances of fewer images than dimensions (equal to
    ``scipy.linalg.sqrtm`` of the product to 1e-9 in a test).
    """
    root_a = _psd_root(cov_a)
    inner = scipy.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_root = np.sum(np.sqrt(np.clip(inner, 0, None)))
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_root)


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Frechet distance of two feature sets ``[N, K]`` (Gaussians fitted by their means and covariances)."""
    # One BLAS thread: OpenBLAS's threads spin against TensorFlow's and other processes'. On 5,000 x 256
    # features beside a training this took 1.1 s with two threads, 0.02 s with one.
    with threadpool_limits(1, user_api="blas"):
        return _frechet(features_a, features_b)


def _frechet(features_a, features_b) -> float:
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    return frechet_from_moments(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))


def frechet_bootstrap(features_a: np.ndarray, features_b, resamples: int = 200, seed: int = 0) -> np.ndarray:
    """:func:`run_mean_frechet` of ``resamples`` paired bootstrap resamples of the images.

    Images are resampled with replacement, the same indices in ``features_a``
    and in every set of ``features_b`` (one ``[N, K]`` set, or one per run).
    """
    runs = _as_runs(features_b)
    rng = np.random.default_rng(seed)
    n = len(features_a)
    with threadpool_limits(1, user_api="blas"):
        return np.array([np.mean([_frechet(features_a[idx], run[idx]) for run in runs])
                         for idx in (rng.integers(0, n, n) for _ in range(resamples))])


def frechet_interval(features_a: np.ndarray, features_b, resamples: int = 200, seed: int = 0) -> tuple:
    """``(plug-in distance, bias-corrected distance, 95% low, 95% high)``: the basic bootstrap over images.

    The plug-in distance is biased upwards (its covariances are estimated from
    N images), and a resample, which repeats images, is biased more: with
    1,000 images and 256 features the percentile interval of the resamples
    lay wholly above the plug-in value. The basic bootstrap corrects that
    shift: interval ``[2 d - q97.5, 2 d - q2.5]`` and corrected distance
    ``2 d - mean`` of the resamples, ``d`` the plug-in value (both at least 0).
    The correction is first order: for two sets of 200 draws of one 50-dimensional
    Gaussian (true distance 0) it took 7.35 to 1.37 (a test). Compare codecs at
    the same image count.
    """
    value = run_mean_frechet(features_a, features_b)
    values = frechet_bootstrap(features_a, features_b, resamples, seed)
    low, high = np.percentile(values, [2.5, 97.5])
    clip = lambda v: float(max(v, 0.0))
    return value, clip(2 * value - values.mean()), clip(2 * value - high), clip(2 * value - low)


def _as_runs(features) -> list:
    return [features] if isinstance(features, np.ndarray) and features.ndim == 2 else list(features)


def run_mean_frechet(reference: np.ndarray, received) -> float:
    """The mean over runs of :func:`frechet_distance` of ``reference [N, K]`` and each run's ``[N, K]``.

    Each run's estimate uses N images, as a single set would, so values are
    comparable with those of ``linksim rd`` at the same N.
    """
    return float(np.mean([frechet_distance(reference, run) for run in _as_runs(received)]))


def metric_names(metrics, feature_classifier: str) -> tuple:
    """``(per-image metric names, Frechet names)`` that ``metrics`` report, e.g.
    ``(("fsimc", "feature_distance_vgg8"), ("frechet_vgg8",))``."""
    per_image = tuple(name for metric, name in (("fsimc", "fsimc"),
                                                ("feature_distance", f"feature_distance_{feature_classifier}"))
                      if metric in metrics)
    return per_image, ((f"frechet_{feature_classifier}",) if "frechet" in metrics else ())


class PerceptualScores:
    """A scenario's ``perceptual`` metrics of received images against the originals (their features once).

    Args:
        metrics: names from :data:`linksim.config.PERCEPTUAL_METRICS`.
        feature_classifier: zoo classifier of the feature metrics (its base network).
        resamples: bootstrap resamples of the Frechet interval.
        originals: uint8 ``[N, H, W, 3]``.

    :meth:`per_image` gives ``{fsimc: [N], feature_distance_<net>: [N]}`` and the
    pooled features ``[N, K]`` (None without ``frechet``); :meth:`frechet`
    turns the pooled features of one or more runs into
    ``{frechet_<net>: {value, bias_corrected, ci95_low, ci95_high}}``: the
    plug-in value (FID's convention, comparable at the same image count) and
    the basic-bootstrap correction and interval of :func:`frechet_interval`.
    """

    def __init__(self, metrics, feature_classifier: str, resamples: int, originals: np.ndarray):
        from . import zoo
        unknown = set(metrics) - set(PERCEPTUAL_METRICS)
        if unknown:
            raise ValueError(f"unknown perceptual metrics {sorted(unknown)}; known: {', '.join(PERCEPTUAL_METRICS)}")
        self.metrics, self.suffix, self.resamples = tuple(metrics), feature_classifier, resamples
        self.originals = originals
        self.space = None
        if uses_features(self.metrics):
            self.space = FeatureSpace(zoo.load_classifier(feature_classifier, base=True))
            self.reference = self.space(originals)

    @classmethod
    def of(cls, scenario, originals: np.ndarray):
        """The scorer a (link or rd) scenario asks for, or None when it asks for none."""
        if not scenario.perceptual:
            return None
        return cls(scenario.perceptual, scenario.feature_classifier, scenario.frechet_resamples, originals)

    def per_image(self, received: np.ndarray, index=None) -> tuple:
        """``({name: [N]}, pooled features [N, K] or None)`` of uint8 ``received`` against the originals
        (``originals[index]`` when ``index`` is given)."""
        from .fsim import fsimc
        originals = self.originals if index is None else self.originals[index]
        out = {"fsimc": fsimc(originals, received)} if "fsimc" in self.metrics else {}
        if self.space is None:
            return out, None
        features = self.space(received)
        if "feature_distance" in self.metrics:
            reference = self.reference if index is None else [f[index] for f in self.reference]
            out[f"feature_distance_{self.suffix}"] = distance_between(reference, features)
        return out, (features[-1] if "frechet" in self.metrics else None)

    def frechet(self, pooled) -> dict:
        """``{frechet_<net>: {value, bias_corrected, ci95_low, ci95_high}}`` of one ``[N, K]`` set or one per run."""
        if "frechet" not in self.metrics:
            return {}
        value, corrected, low, high = frechet_interval(self.reference[-1], pooled, self.resamples)
        return {f"frechet_{self.suffix}": {"value": value, "bias_corrected": corrected, "ci95_low": low,
                                          "ci95_high": high}}
