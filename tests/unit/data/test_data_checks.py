"""Data files are checked as they are read: one DataError naming the file and what is wrong."""
import pickle

import numpy as np
import pytest
from PIL import Image

from linksim import CIFAR10_CLASSES
from linksim.data import load_cifar_batches, load_split
from linksim.errors import DataError

IMAGES = np.random.default_rng(3).integers(0, 256, (4, 3072), dtype=np.uint8)


def write_pickle(path, obj):
    with open(path, "wb") as f:
        pickle.dump(obj, f)


def batch_error(tmp_path, batch) -> str:
    write_pickle(tmp_path / "test_batch", batch)
    with pytest.raises(DataError) as e:
        load_cifar_batches(tmp_path, "test")
    return str(e.value)


@pytest.mark.parametrize("batch,problem", [
    ([IMAGES, [3, 1, 4, 1]], "is not a CIFAR-10 batch: it holds a list, not a dict"),
    ({b"data": IMAGES}, "is not a CIFAR-10 batch: it has no b'labels' entry"),
    ({"data": IMAGES, "labels": [3, 1, 4, 1]}, "is not a CIFAR-10 batch: it has no b'data' entry"),
    ({b"data": IMAGES.astype(np.int64), b"labels": [3, 1, 4, 1]},
     ": b'data' is int64 (4, 3072), expected a uint8 array of 3072-byte rows (32x32 RGB)"),
    ({b"data": IMAGES[:, :3000], b"labels": [3, 1, 4, 1]},
     ": b'data' is uint8 (4, 3000), expected a uint8 array of 3072-byte rows (32x32 RGB)"),
    ({b"data": IMAGES.tolist(), b"labels": [3, 1, 4, 1]},
     ": b'data' is list, expected a uint8 array of 3072-byte rows (32x32 RGB)"),
    ({b"data": IMAGES[:0], b"labels": []}, ": the batch holds no images"),
    ({b"data": IMAGES, b"labels": [3, 1, 4]}, ": 3 labels for 4 images"),
    ({b"data": IMAGES[:3], b"labels": [3, 1, 4, 1]}, ": 4 labels for 3 images"),
    ({b"data": IMAGES, b"labels": [3, 10, 4, 1]}, ": label 10 of image 1 is outside 0..9"),
    ({b"data": IMAGES, b"labels": [3, 1, 4, -1]}, ": label -1 of image 3 is outside 0..9"),
    ({b"data": IMAGES, b"labels": [3.0, 1.0, 4.0, 1.0]}, ": b'labels' is not a list of integers (found float64)"),
    ({b"data": IMAGES, b"labels": [True, False, True, True]}, ": b'labels' is not a list of integers (found bool)"),
    ({b"data": IMAGES, b"labels": [[3], [1, 4], [1], [5]]}, ": b'labels' is not a list of integers"),
    ({b"data": IMAGES, b"labels": 3}, ": b'labels' is not a list of integers"),
])
def test_bad_batches_are_named(tmp_path, batch, problem):
    sep = "" if problem.startswith(":") else " "
    assert batch_error(tmp_path, batch) == f"{tmp_path / 'test_batch'}{sep}{problem}"


def test_a_bad_training_batch_is_named(tmp_path):
    for i in range(1, 6):
        write_pickle(tmp_path / f"data_batch_{i}", {b"data": IMAGES, b"labels": [3, 1, 4, 12 if i == 3 else 1]})
    with pytest.raises(DataError) as e:
        load_cifar_batches(tmp_path, "train")
    assert str(e.value) == f"{tmp_path / 'data_batch_3'}: label 12 of image 3 is outside 0..9"


def test_damaged_batch_bytes_give_a_data_error(tmp_path):
    good = pickle.dumps({b"data": IMAGES, b"labels": [3, 1, 4, 1]})
    rng = np.random.default_rng(5)
    path = tmp_path / "test_batch"
    for trial in range(300):
        damaged = bytearray(good[:rng.integers(1, len(good))] if trial % 2 else good)
        for _ in range(trial % 4):
            damaged[rng.integers(0, len(damaged))] = rng.integers(0, 256)
        path.write_bytes(bytes(damaged))
        try:
            ds = load_cifar_batches(tmp_path, "test")
        except DataError as e:
            assert str(e).startswith(f"cannot read CIFAR-10 batch {path}: ") or str(e).startswith(str(path))
        else:                      # a flipped pixel byte still makes a valid batch
            assert ds.images.shape == (4, 32, 32, 3) and set(ds.labels) <= set(range(10))


def write_folder(root, size_of=lambda cls, i: (32, 32)):
    for cls in CIFAR10_CLASSES:
        (root / "test" / cls).mkdir(parents=True)
        for i in range(2):
            w, h = size_of(cls, i)
            Image.fromarray(np.full((h, w, 3), 7, np.uint8)).save(root / "test" / cls / f"{i:04d}.png")


def test_an_image_of_another_size_is_named(tmp_path):
    write_folder(tmp_path, lambda cls, i: (33, 32) if (cls, i) == ("cat", 1) else (32, 32))
    with pytest.raises(DataError) as e:
        load_split(tmp_path, "test")
    assert str(e.value) == f"image {tmp_path / 'test' / 'cat' / '0001.png'} is 33x32 pixels, expected 32x32 (CIFAR-10)"


def test_the_size_is_checked_before_decoding(tmp_path):
    write_folder(tmp_path)
    big = tmp_path / "test" / "dog" / "0000.png"
    Image.fromarray(np.zeros((480, 640, 3), np.uint8)).save(big)
    big.write_bytes(big.read_bytes()[:64])          # the header only: decoding it would fail
    with pytest.raises(DataError) as e:
        load_split(tmp_path, "test")
    assert str(e.value) == f"image {big} is 640x480 pixels, expected 32x32 (CIFAR-10)"


def test_a_good_folder_still_loads(tmp_path):
    write_folder(tmp_path)
    ds = load_split(tmp_path, "test")
    assert ds.images.shape == (20, 32, 32, 3) and np.all(ds.images == 7)
    np.testing.assert_array_equal(ds.labels, np.repeat(np.arange(10), 2))
