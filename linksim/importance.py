"""Semantic importance maps: how much each pixel matters to a downstream task.

Every map is a callable ``images uint8 [N, H, W, 3] -> weights float32 [N, H, W, 3]``
behind one interface, so any map can weight any trainable codec's loss (SP-JSCC)
or drive any Qmap (HEVRC, DMV-JND) later. Maps are built from scenario nodes
through :data:`IMPORTANCE_MAPS`.

The SP-JSCC map (Sun et al., eq. 7-9) is built from gradients of the classifier
w.r.t. the pixels. Read literally -- the class-mean of the softmax gradients --
it is degenerate: softmax outputs sum to 1, so that mean gradient is zero; and
with logits, cross-entropy ignores a common shift of all logits, so the mean
logit gradient points in a direction training never constrained. Hence the
default averages the *absolute* per-class logit gradients,
``w = mean_c |dz_c / dx|``; the true-class logit saliency ``|dz_y / dx|`` is
an option. Eq. 9's L2 normalisation is kept, rescaled by ``sqrt(H * W * 3)``
so that uniform weights are all ones and a weighted MSE with them is plain MSE.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np

from .config import bounded
from .registry import Registry

IMPORTANCE_MAPS = Registry("importance map", "linksim.importance")


class ImportanceMap(abc.ABC):
    """Per-pixel, per-channel importance of images.

    Input ``images`` uint8 (or float in [0, 255]) ``[N, H, W, 3]``, optional
    ``labels`` int ``[N]``; output float32 ``[N, H, W, 3]``, non-negative, with
    mean square 1 per image (uniform importance = all ones).
    """

    @abc.abstractmethod
    def __call__(self, images: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """Weights ``[N, H, W, 3]`` for ``images`` ``[N, H, W, 3]``."""


def l2_normalise(weights: np.ndarray) -> np.ndarray:
    """Eq. 9's per-image L2 normalisation, scaled so that uniform weights become ones.

    ``[N, ...] -> [N, ...]``: each image's weights divided by their L2 norm and
    multiplied by ``sqrt(size)``; an all-zero map becomes uniform.
    """
    flat = weights.reshape(len(weights), -1).astype(np.float64)
    norm = np.linalg.norm(flat, axis=1, keepdims=True)
    uniform = np.ones_like(flat)
    out = np.where(norm > 0, flat / np.where(norm > 0, norm, 1.0) * np.sqrt(flat.shape[1]), uniform)
    return out.reshape(weights.shape).astype(np.float32)


@dataclass(frozen=True)
class SPGradientConfig:
    """``sp_gradient``: the SP-JSCC map from a zoo classifier's logit gradients.

    Attributes:
        classifier: zoo name of the (frozen) classifier.
        mode: "mean_abs_logit" (``mean_c |dz_c/dx|``, default) or
            "true_class_logit" (``|dz_y/dx|``, needs labels).
        batch_size: images per gradient batch.
    """
    classifier: str = "resnet32"
    mode: str = bounded("mean_abs_logit", choices=("mean_abs_logit", "true_class_logit"))
    batch_size: int = bounded(100, lo=1, hi=10000)


@IMPORTANCE_MAPS.register("sp_gradient", SPGradientConfig)
class SPGradientMap(ImportanceMap):
    """SP-based weights (eq. 7-9) from the gradients of a classifier's logits w.r.t. the pixels.

    Args:
        config: :class:`SPGradientConfig`.
        model: optional Keras model ``float [B, H, W, 3] in [0, 255] -> logits [B, K]``
            used instead of loading ``config.classifier`` from the zoo.
    """

    def __init__(self, config: SPGradientConfig, model=None):
        import tensorflow as tf
        from . import zoo
        self.config = config
        self.model = model if model is not None else zoo.load_classifier(config.classifier)

        @tf.function(reduce_retracing=True)
        def mean_abs(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                logits = self.model(x, training=False)
            jac = tape.batch_jacobian(logits, x)                  # [B, K, H, W, 3]
            return tf.reduce_mean(tf.abs(jac), axis=1)

        @tf.function(reduce_retracing=True)
        def true_class(x, y):
            with tf.GradientTape() as tape:
                tape.watch(x)
                logits = self.model(x, training=False)
                picked = tf.gather(logits, y, axis=1, batch_dims=1)
            return tf.abs(tape.gradient(picked, x))

        self._mean_abs, self._true_class = mean_abs, true_class

    def __call__(self, images, labels=None):
        import tensorflow as tf
        if self.config.mode == "true_class_logit" and labels is None:
            raise ValueError("the true_class_logit map needs the images' labels")
        out = []
        for s in range(0, len(images), self.config.batch_size):
            x = tf.constant(np.asarray(images[s:s + self.config.batch_size], np.float32))
            if self.config.mode == "mean_abs_logit":
                out.append(self._mean_abs(x).numpy())
            else:
                y = tf.constant(np.asarray(labels[s:s + self.config.batch_size], np.int32))
                out.append(self._true_class(x, y).numpy())
        return l2_normalise(np.concatenate(out)) if out else np.zeros((0,) + images.shape[1:], np.float32)
