import numpy as np
import pytest
from PIL import Image

from linksim import CIFAR10_CLASSES


class Interrupted(Exception):
    pass


def _interrupt_after_first_epoch(message):
    if message.startswith("epoch 1/"):
        raise Interrupted


@pytest.fixture
def straight_and_resumed(tmp_path):
    """Run ``train(cfg, data, dir, log=...)`` straight, and interrupted after epoch 1 then resumed.

    Returns the two run folders; checks that the second call really resumed at epoch 1.
    """
    def run(train, cfg, data):
        train(cfg, data, tmp_path / "straight", log=lambda m: None)
        with pytest.raises(Interrupted):
            train(cfg, data, tmp_path / "resumed", log=_interrupt_after_first_epoch)
        lines = []
        result = train(cfg, data, tmp_path / "resumed", log=lines.append)
        assert any("resumed from" in line and "at epoch 1" in line for line in lines)
        return tmp_path / "straight", tmp_path / "resumed", result
    return run


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    """An image-folder tree of 20 noisy training images, 2 per class."""
    root = tmp_path_factory.mktemp("cifar")
    rng = np.random.default_rng(0)
    for label, cls in enumerate(CIFAR10_CLASSES):
        (root / "train" / cls).mkdir(parents=True)
        for i in range(2):
            img = np.clip(rng.normal(25 * label, 40, (32, 32, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(img).save(root / "train" / cls / f"{i:04d}.png")
    return root
