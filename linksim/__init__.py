"""linksim: an end-to-end wireless link simulator for images (TensorFlow + Sionna)."""
import logging as _logging
import os as _os

# TensorFlow's C++ logging must not reach the user; set before TF is imported.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Its Python logger too: e.g. each bit pipe traces its own tf.function once,
# which TF reports as "retracing" though nothing is traced twice.
_logging.getLogger("tensorflow").setLevel(_logging.ERROR)

__version__ = "0.1.0"

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")
