"""linksim: an end-to-end wireless link simulator for images (TensorFlow + Sionna)."""
import os as _os

# TensorFlow's C++ logging must not reach the user; set before TF is imported.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.1.0"

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")
