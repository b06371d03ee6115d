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
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    return frechet_from_moments(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))


def frechet_interval(features_a: np.ndarray, features_b: np.ndarray, resamples: int = 200, seed: int = 0) -> tuple:
    """95% paired bootstrap interval ``(low, high)``: images resampled with replacement, the same in both sets."""
    rng = np.random.default_rng(seed)
    n = len(features_a)
    values = [frechet_distance(features_a[idx], features_b[idx])
              for idx in (rng.integers(0, n, n) for _ in range(resamples))]
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)
