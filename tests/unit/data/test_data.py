import pickle

import numpy as np
import pytest
from PIL import Image

from linksim import CIFAR10_CLASSES
from linksim.data import fallback_image, load_cifar_batches, load_split
from linksim.errors import DataError


def test_embedded_sample(sample):
    assert sample.images.shape == (1000, 32, 32, 3) and sample.images.dtype == np.uint8
    assert np.all(np.bincount(sample.labels) == 100)
    assert np.all(np.diff(sample.labels) >= 0)


def test_take_per_class_is_file_order(sample):
    sub = sample.take_per_class(20)
    assert len(sub) == 20 and np.all(np.bincount(sub.labels) == 2)
    first_cat = np.flatnonzero(sample.labels == 3)[:2]
    np.testing.assert_array_equal(sub.images[sub.labels == 3], sample.images[first_cat])
    with pytest.raises(DataError, match="has only 100"):
        sample.take_per_class(2000)
    with pytest.raises(DataError, match="multiple of 10"):
        sample.take_per_class(15)


def _write_folder(root, split, n=3, fmt="png"):
    rng = np.random.default_rng(0)
    images = {}
    for cls in CIFAR10_CLASSES:
        (root / split / cls).mkdir(parents=True)
        for i in range(n):
            img = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
            Image.fromarray(img).save(root / split / cls / f"{i:04d}.{fmt}")
            images[cls, i] = img
    return images


def test_image_folder_test_only_root(tmp_path):
    images = _write_folder(tmp_path, "test")
    ds = load_split(tmp_path, "test")
    assert len(ds) == 30
    np.testing.assert_array_equal(ds.images[3 * 2 + 1], images["bird", 1])   # lossless PNG
    again = load_split(tmp_path, "test")       # served from the decoded-array cache
    np.testing.assert_array_equal(again.images, ds.images)
    with pytest.raises(DataError, match="no 'train/' folder"):
        load_split(tmp_path, "train")


def test_env_variable(tmp_path, monkeypatch):
    _write_folder(tmp_path, "test", n=1)
    monkeypatch.setenv("LINKSIM_DATA", str(tmp_path))
    assert len(load_split(None, "test")) == 10
    monkeypatch.delenv("LINKSIM_DATA")
    assert len(load_split(None, "test")) == 1000      # embedded sample


@pytest.mark.parametrize("breakage,pattern", [
    ("missing", "does not exist"),
    ("empty", "lacks class folder"),
    ("empty_class", "holds no .png/.jpg"),
    ("unreadable", "unreadable image file"),
])
def test_bad_folders(tmp_path, breakage, pattern):
    root = tmp_path / "data"
    if breakage != "missing":
        (root / "test").mkdir(parents=True)
    if breakage in ("empty_class", "unreadable"):
        _write_folder(tmp_path / "tmp", "test", n=1)
        (tmp_path / "tmp" / "test").rename(root / "test2")
        (root / "test").rmdir()
        (root / "test2").rename(root / "test")
        if breakage == "empty_class":
            (root / "test" / "cat" / "0000.png").unlink()
        else:
            (root / "test" / "dog" / "0000.png").write_bytes(b"not an image at all")
    with pytest.raises(DataError, match=pattern):
        load_split(root, "test")


def _write_batch(path, data, labels):
    with open(path, "wb") as f:
        pickle.dump({b"data": data, b"labels": labels, b"batch_label": b"x"}, f)


def test_official_batches(tmp_path):
    rng = np.random.default_rng(1)
    data = rng.integers(0, 256, (4, 3072), dtype=np.uint8)
    _write_batch(tmp_path / "test_batch", data, [3, 1, 4, 1])
    ds = load_split(tmp_path, "test")
    assert ds.images.shape == (4, 32, 32, 3)
    np.testing.assert_array_equal(ds.images[2, :, :, 1], data[2, 1024:2048].reshape(32, 32))
    np.testing.assert_array_equal(ds.labels, [3, 1, 4, 1])


class _Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_restricted_unpickler_refuses_objects(tmp_path):
    with open(tmp_path / "test_batch", "wb") as f:
        pickle.dump({b"data": _Evil(), b"labels": []}, f)
    with pytest.raises(DataError, match="refusing to unpickle builtins.print"):
        load_cifar_batches(tmp_path, "test")


def test_fallback_image_is_cifar_mean():
    img = fallback_image()
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8
    np.testing.assert_array_equal(img[0, 0], [125, 123, 114])
