"""``cam``: class activation maps (Zhou et al. 2016) of a classifier with a global-average-pooling head.

For a network whose last convolutional features ``A [h, w, K]`` are
globally averaged and fed to one dense layer (dropout between them is
allowed), the logit of class ``c`` is ``mean_(i,j) M_c(i, j) + b_c`` with
``M_c = sum_k W[k, c] A_k``: ``M_c`` is the class activation map. It is taken
for the class the network predicts on ``x``, on the base network (no flip
averaging, as DMV-JND uses it), resized bilinearly to the image and scaled
per image to [0, 1] (a constant map becomes zero).

Units: ``[N, H, W]`` in [0, 1].
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import bounded
from ..errors import ConfigError
from .base import IMPORTANCE_MAPS, UNIT_INTERVAL, ImportanceMap, minmax
from .gradcam import feature_model


@dataclass(frozen=True)
class CamConfig:
    """``cam``: the class activation map of a zoo classifier for its predicted class.

    Attributes:
        classifier: zoo name of the classifier (its base network).
        batch_size: images per forward batch.
    """
    classifier: str = "resnet32"
    batch_size: int = bounded(250, lo=1, hi=10000)


def cam_head(model):
    """``-> (model x -> (A [B, h, w, K], logits [B, C]), class weights W [K, C])`` of a GAP + dense head.

    Raises:
        ConfigError: ``model`` does not end in global average pooling, optional
            dropout, and one dense layer.
    """
    import tensorflow as tf
    layers = model.layers
    dense = layers[-1]
    rest = [layer for layer in layers[:-1][::-1]]
    while rest and isinstance(rest[0], tf.keras.layers.Dropout):
        rest.pop(0)
    if not (isinstance(dense, tf.keras.layers.Dense) and rest and
            isinstance(rest[0], tf.keras.layers.GlobalAveragePooling2D)):
        raise ConfigError(f"classifier '{model.name}' has no class-activation-map head (global average "
                          "pooling, then one dense layer); CAM needs one")
    return feature_model(model), dense.kernel


@IMPORTANCE_MAPS.register("cam", CamConfig)
class CamMap(ImportanceMap):
    """Class activation maps for the predicted class.

    Args:
        config: :class:`CamConfig`.
        model: optional Keras network ``float [B, H, W, 3] in [0, 255] -> logits``
            with a GAP + dense head, used instead of the zoo's.
    """

    units = UNIT_INTERVAL

    def __init__(self, config: CamConfig, model=None):
        import tensorflow as tf
        from .. import zoo
        self.config = config
        model = zoo.load_classifier(config.classifier, base=True) if model is None else model
        features, weights = cam_head(model)

        @tf.function(reduce_retracing=True)
        def cams(x):
            maps, logits = features(x, training=False)
            cls = tf.argmax(logits, axis=1, output_type=tf.int32)
            class_weights = tf.gather(tf.transpose(weights), cls)                 # [B, K]
            cam = tf.einsum("bhwk,bk->bhw", maps, class_weights)[..., None]
            return tf.image.resize(cam, tf.shape(x)[1:3], method="bilinear")[..., 0], cls

        self._cams = cams

    def maps_and_classes(self, images) -> tuple:
        """``(raw CAMs [N, H, W] before scaling, predicted classes [N])``."""
        import tensorflow as tf
        images = np.asarray(images)
        parts = [self._cams(tf.constant(images[s:s + self.config.batch_size], tf.float32))
                 for s in range(0, len(images), self.config.batch_size)]
        if not parts:
            return np.zeros(images.shape[:3], np.float32), np.zeros(0, np.int32)
        return np.concatenate([m.numpy() for m, _ in parts]), np.concatenate([c.numpy() for _, c in parts])

    def __call__(self, images, labels=None):
        return minmax(self.maps_and_classes(images)[0])
