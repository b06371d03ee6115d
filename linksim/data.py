"""CIFAR-10 loading: official python batches, image-folder trees, the embedded sample.

Every loader returns a :class:`Dataset` of uint8 images ``[N, 32, 32, 3]`` and
int64 labels ``[N]`` in CIFAR-10's label order, files in sorted (file) order
within each class.
"""
from __future__ import annotations

import hashlib
import io
import os
import pickle
import warnings
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from . import CIFAR10_CLASSES
from .errors import DataError, LinksimWarning
from .folders import move_aside

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
SAMPLE_NAME = "cifar10_test_sample.zip"
#: CIFAR-10's per-channel training mean (RGB, 0..255), the outage fallback image.
CIFAR10_MEAN_RGB = (125.3, 123.0, 113.9)


@dataclass(frozen=True)
class Dataset:
    """Images and labels of one split.

    Attributes:
        images: uint8 ``[N, H, W, 3]``.
        labels: int64 ``[N]``, indices into ``classes``.
        classes: class names in label order.
        source: human-readable description of where the data came from.
    """
    images: np.ndarray
    labels: np.ndarray
    classes: tuple
    source: str

    def __len__(self):
        return len(self.labels)

    def take_per_class(self, n_images: int) -> "Dataset":
        """The first ``n_images / n_classes`` images of each class, in file order.

        Raises:
            DataError: if ``n_images`` is not a positive multiple of the class
                count or a class has fewer images than asked.
        """
        n_classes = len(self.classes)
        if n_images <= 0 or n_images % n_classes:
            raise DataError(f"--images must be a positive multiple of {n_classes} "
                            f"(N/{n_classes} images per class), got {n_images}")
        per_class = n_images // n_classes
        picks = []
        for c in range(n_classes):
            idx = np.flatnonzero(self.labels == c)
            if len(idx) < per_class:
                raise DataError(f"asked for {n_images} images ({per_class} per class) but class "
                                f"'{self.classes[c]}' has only {len(idx)} in {self.source}")
            picks.append(idx[:per_class])
        order = np.sort(np.concatenate(picks))
        return Dataset(self.images[order], self.labels[order], self.classes, self.source)


def fallback_image(shape=(32, 32, 3)) -> np.ndarray:
    """The flat image an outage delivers: CIFAR-10's per-channel mean, uint8."""
    return np.broadcast_to(np.round(CIFAR10_MEAN_RGB).astype(np.uint8), shape).copy()


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickler for CIFAR-10 batches: builtin containers and numpy arrays only."""
    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy", "ndarray"),
                ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
                ("_codecs", "encode")}

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name}")


def _read_batch(path: Path):
    try:
        with open(path, "rb") as f:
            return _RestrictedUnpickler(f, encoding="bytes").load()
    except Exception as e:       # damaged pickle bytes raise nearly any type (OverflowError, MemoryError, ...)
        raise DataError(f"cannot read CIFAR-10 batch {path}: {e or type(e).__name__}") from None


def _batch_arrays(batch, path: Path):
    """Images ``[N, 32, 32, 3]`` and labels ``[N]`` of an unpickled batch, checked against the official layout."""
    if not isinstance(batch, dict):
        raise DataError(f"{path} is not a CIFAR-10 batch: it holds a {type(batch).__name__}, not a dict")
    for key in (b"data", b"labels"):
        if key not in batch:
            raise DataError(f"{path} is not a CIFAR-10 batch: it has no {key!r} entry")
    data = batch[b"data"]
    if not (isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 2 and data.shape[1] == 3072):
        found = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise DataError(f"{path}: b'data' is {found}, expected a uint8 array of 3072-byte rows (32x32 RGB)")
    if not len(data):
        raise DataError(f"{path}: the batch holds no images")
    try:
        labels = np.asarray(batch[b"labels"])
    except ValueError:           # a ragged list
        labels = None
    if labels is None or labels.ndim != 1:
        raise DataError(f"{path}: b'labels' is not a list of integers")
    if len(labels) != len(data):
        raise DataError(f"{path}: {len(labels)} labels for {len(data)} images")
    if not np.issubdtype(labels.dtype, np.integer):
        raise DataError(f"{path}: b'labels' is not a list of integers (found {labels.dtype})")
    bad = np.flatnonzero((labels < 0) | (labels >= len(CIFAR10_CLASSES)))
    if bad.size:
        raise DataError(f"{path}: label {labels[bad[0]]} of image {bad[0]} is outside 0..{len(CIFAR10_CLASSES) - 1}")
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels.astype(np.int64)


def load_cifar_batches(root, split: str) -> Dataset:
    """Read the official ``cifar-10-batches-py`` folder (restricted unpickler, every batch checked)."""
    root = Path(root)
    names = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    images, labels = [], []
    for name in names:
        if not (root / name).is_file():
            raise DataError(f"{root} has no '{name}': not a cifar-10-batches-py folder")
        batch_images, batch_labels = _batch_arrays(_read_batch(root / name), root / name)
        images.append(batch_images)
        labels.append(batch_labels)
    return Dataset(np.concatenate(images), np.concatenate(labels), CIFAR10_CLASSES,
                   f"cifar-10-batches-py:{root}:{split}")


def _decode_image(data: bytes, where: str) -> np.ndarray:
    """A 32x32 RGB image from its file's bytes; the size is checked from the header, before decoding."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.size != (32, 32):
                raise DataError(f"image {where} is {im.size[0]}x{im.size[1]} pixels, expected 32x32 (CIFAR-10)")
            return np.asarray(im.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as e:
        raise DataError(f"unreadable image file {where}: {e}") from None


def _read_image_file(path: Path) -> np.ndarray:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DataError(f"cannot read image file {path}: {e.strerror}") from None
    return _decode_image(data, str(path))


def _folder_files(split_dir: Path) -> list:
    missing = [c for c in CIFAR10_CLASSES if not (split_dir / c).is_dir()]
    if missing:
        raise DataError(f"{split_dir} lacks class folder(s) {missing}; expected "
                        f"{split_dir}/<class>/*.png|jpg for the 10 CIFAR-10 classes")
    files = []
    for label, cls in enumerate(CIFAR10_CLASSES):
        names = sorted(p for p in (split_dir / cls).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not names:
            raise DataError(f"class folder {split_dir / cls} holds no .png/.jpg images")
        files += [(p, label) for p in names]
    return files


def load_image_folder(root, split: str, cache_dir=None) -> Dataset:
    """Read ``ROOT/<split>/<class>/*.{png,jpg}``; decoded arrays are cached in ``cache_dir``."""
    split_dir = Path(root) / split
    if not split_dir.is_dir():
        raise DataError(f"{root} has no '{split}/' folder (expected ROOT/{split}/<class>/*.jpg)")
    files = _folder_files(split_dir)
    files_digest = hashlib.sha256("\n".join(f"{p}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
                                            for p, _ in files).encode()).hexdigest()
    labels = np.array([lab for _, lab in files], dtype=np.int64)
    source = f"image-folder:{root}:{split}"
    cache = Path(cache_dir) / f"imagefolder-v2-{split}-{files_digest[:16]}.npz" if cache_dir else None
    if cache is not None and cache.is_file():
        images = _cached_images(cache, files_digest, labels)
        if images is not None:
            return Dataset(images, labels, CIFAR10_CLASSES, source)
    images = np.stack([_read_image_file(p) for p, _ in files])
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npz")
        np.savez(tmp, images=images, labels=labels, files=files_digest, checksum=_arrays_digest(images, labels))
        os.replace(tmp, cache)
    return Dataset(images, labels, CIFAR10_CLASSES, source)


def _arrays_digest(images: np.ndarray, labels: np.ndarray) -> str:
    h = hashlib.sha256(repr((images.shape, str(images.dtype))).encode())
    h.update(np.ascontiguousarray(images).tobytes())
    h.update(np.asarray(labels, np.int64).tobytes())
    return h.hexdigest()


def _cached_images(cache: Path, files_digest: str, labels: np.ndarray):
    """The cached images if the cache is whole and was made from exactly these files; else None (moved aside)."""
    try:
        with np.load(cache, allow_pickle=False) as z:
            images, stored_labels = z["images"], z["labels"]
            made_from, checksum = str(z["files"]), str(z["checksum"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
        why = f"unreadable ({type(e).__name__})"
    else:
        if made_from != files_digest:
            why = "made from other files"
        elif images.shape != (len(labels), 32, 32, 3) or images.dtype != np.uint8:
            why = f"holds images of shape {images.shape}"
        elif not np.array_equal(stored_labels, labels):
            why = "holds other labels than its folders"
        elif checksum != _arrays_digest(images, stored_labels):
            why = "fails its checksum"
        else:
            return images
    aside = move_aside(cache)
    warnings.warn(f"image cache {cache} is damaged ({why}); moved to {aside.name}, decoding the images again",
                  LinksimWarning, stacklevel=3)
    return None


def load_embedded_sample() -> Dataset:
    """The shipped sample: the first 100 test images of each class (files 0000-0099).

    The zip holds the original JPEG files of ../shared/data's test split, so the
    decoded pixels are exactly those of the image-folder tree.
    """
    ref = resources.files("linksim.resources").joinpath(SAMPLE_NAME)
    images, labels = [], []
    with zipfile.ZipFile(io.BytesIO(ref.read_bytes())) as z:
        for name in sorted(z.namelist()):
            cls = name.split("/")[-2]
            images.append(_decode_image(z.read(name), f"{SAMPLE_NAME}:{name}"))
            labels.append(CIFAR10_CLASSES.index(cls))
    order = np.argsort(np.array(labels), kind="stable")
    return Dataset(np.stack(images)[order], np.array(labels, dtype=np.int64)[order],
                   CIFAR10_CLASSES, "embedded sample (first 100 test images per class)")


def default_cache_dir() -> Path:
    return Path(os.environ.get("LINKSIM_CACHE", Path.home() / ".cache" / "linksim"))


def load_split(path, split: str = "test", cache_dir=None) -> Dataset:
    """Load a split from ``path`` (or ``$LINKSIM_DATA``), else the embedded sample.

    ``path`` may be a ``cifar-10-batches-py`` folder, or an image-folder root
    that holds ``<split>/`` (a root with only ``test/`` is fine for evaluation).
    """
    path = path or os.environ.get("LINKSIM_DATA") or None
    if path is None:
        if split != "test":
            raise DataError("training needs a data path (--data or LINKSIM_DATA); "
                            "the embedded sample holds test images only")
        return load_embedded_sample()
    root = Path(path).expanduser()
    if not root.exists():
        raise DataError(f"data path {root} does not exist (set --data, the scenario's "
                        "data: key, or LINKSIM_DATA to a CIFAR-10 folder)")
    if (root / "test_batch").is_file() or (root / "data_batch_1").is_file():
        return load_cifar_batches(root, split)
    if not (root / split).is_dir() and (root / "cifar10-jpeg" / split).is_dir():
        root = root / "cifar10-jpeg"
    return load_image_folder(root, split, cache_dir=cache_dir or default_cache_dir())
