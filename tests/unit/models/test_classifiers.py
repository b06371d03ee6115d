"""Every zoo architecture: [N, 32, 32, 3] in [0, 255] -> [N, 10] logits, with the GAP + dense head CAMs need."""
import numpy as np
import pytest

from linksim.importance.cam import cam_head
from linksim.models.classifier import ARCHITECTURES, densenet_bc


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_architecture_shapes_and_cam_head(arch):
    model = ARCHITECTURES[arch]()
    x = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype(np.float32)
    assert model(x, training=False).shape == (2, 10)
    features, weights = cam_head(model)
    maps, logits = features(x, training=False)
    assert maps.shape[0] == 2 and maps.shape[-1] == weights.shape[0] and weights.shape[1] == 10
    np.testing.assert_allclose(logits, model(x, training=False), rtol=1e-5, atol=1e-5)


def test_densenet_depth_is_checked_and_layers_add_growth_channels():
    with pytest.raises(ValueError, match="6n\\+4"):
        densenet_bc(depth=41)
    features, _ = cam_head(densenet_bc(depth=10, growth=4))
    # stem 8, block 1 adds 4 -> 12, transition 6, block 2 -> 10, transition 5, block 3 -> 9 channels at 8x8
    maps, _ = features(np.zeros((1, 32, 32, 3), np.float32), training=False)
    assert tuple(maps.shape[1:]) == (8, 8, 9)


@pytest.mark.parametrize("arch", ["resnet20", "vgg8"])
def test_a_judge_runs_at_any_image_size(arch):
    """Convolutional up to the global pooling: a 32x32-trained judge also runs on a larger photo."""
    logits = ARCHITECTURES[arch]()(np.zeros((1, 64, 96, 3), np.float32), training=False)
    assert logits.shape == (1, 10)
