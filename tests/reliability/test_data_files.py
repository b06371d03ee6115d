"""Issue 11, class 5: a damaged data file ends a run in one line naming the file and what is wrong, exit 2."""
import pickle

import numpy as np
import pytest
from PIL import Image

from linksim import CIFAR10_CLASSES
from linksim.cli import main

SCENARIO = "runs: 1\nssim: false\nsnr_db: [5]\ncpp: [0.25]\ncodecs: [{type: identity}]\n"
IMAGES = np.random.default_rng(8).integers(0, 256, (20, 3072), dtype=np.uint8)
LABELS = list(range(10)) * 2


def run_on(tmp_path, capsys, data):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SCENARIO)
    code = main(["run", str(scenario), "--data", str(data), "--out", str(tmp_path / "out"), "--images", "10"])
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("linksim: error: "), err[:300]
    return code, lines[0][len("linksim: error: "):]


@pytest.mark.parametrize("batch,problem", [
    ({b"data": IMAGES, b"labels": LABELS[:-1] + [10]}, ": label 10 of image 19 is outside 0..9"),
    ({b"data": IMAGES, b"labels": LABELS[:-2]}, ": 18 labels for 20 images"),
    ([IMAGES, LABELS], " is not a CIFAR-10 batch: it holds a list, not a dict"),
])
def test_a_bad_cifar_batch_is_named(tmp_path, capsys, batch, problem):
    data = tmp_path / "cifar-10-batches-py"
    data.mkdir()
    with open(data / "test_batch", "wb") as f:
        pickle.dump(batch, f)
    code, message = run_on(tmp_path, capsys, data)
    assert code == 2 and message == f"{data / 'test_batch'}{problem}"


def test_an_image_of_another_size_is_named(tmp_path, capsys):
    data = tmp_path / "folders"
    for cls in CIFAR10_CLASSES:
        (data / "test" / cls).mkdir(parents=True)
        for i in range(2):
            Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(data / "test" / cls / f"{i}.png")
    odd = data / "test" / "ship" / "1.png"
    Image.fromarray(np.zeros((32, 40, 3), np.uint8)).save(odd)
    code, message = run_on(tmp_path, capsys, data)
    assert code == 2 and message == f"image {odd} is 40x32 pixels, expected 32x32 (CIFAR-10)"
