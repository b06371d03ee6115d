"""The group-allocator trainer: measured counts are cached and reused, the fit resumes, the report is sound."""
import numpy as np
import pytest
from PIL import Image

from linksim import CIFAR10_CLASSES
from linksim.data import load_embedded_sample
from linksim.train.allocator import AllocatorTrainConfig, allocation_report, train_allocator


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    """30 real CIFAR-10 images (the embedded sample's first 3 per class) as a train split."""
    root = tmp_path_factory.mktemp("cifar")
    sample = load_embedded_sample()
    for label, cls in enumerate(CIFAR10_CLASSES):
        (root / "train" / cls).mkdir(parents=True)
        for i, img in enumerate(sample.images[sample.labels == label][:3]):
            Image.fromarray(img).save(root / "train" / cls / f"{i:04d}.png")
    return root


def test_resume_matches_uninterrupted(tiny_folder, straight_and_resumed):
    from linksim.models.jscc import GroupAllocator
    cfg = AllocatorTrainConfig(images=30, epochs=2, batch_size=8)
    straight, resumed, summary = straight_and_resumed(train_allocator, cfg, tiny_folder)
    weights = []
    for run in (straight, resumed):
        allocator = GroupAllocator()
        allocator.load_npz(run / "allocator.weights.npz")
        weights.append([v.numpy() for v in allocator.weights])
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert summary["held_out_images"] == 3 and summary["held_out_rmse_db"] > 0


def test_measured_psnr_rises_with_the_groups_sent(tiny_folder, tmp_path):
    train_allocator(AllocatorTrainConfig(images=30, epochs=1), tiny_folder, tmp_path, log=lambda m: None)
    (chunk,) = tmp_path.glob("counts-*.npz")
    with np.load(chunk) as z:
        psnr, snr = z["psnr"], z["snr_db"]
    assert psnr.shape == (30, 7) and snr.min() >= 0 and snr.max() <= 20
    assert psnr[:, -1].mean() > psnr[:, 0].mean() + 1.0      # the shipped network: 8 groups beat 2 clearly


def test_allocation_report_against_the_fixed_count_line():
    # two images; image 0 gains 4 dB from its third group, image 1 gains nothing
    psnr = np.array([[20.0, 20.0, 24.0], [30.0, 30.0, 30.0]])
    snr = np.array([10.0, 10.0])
    (row,) = allocation_report(psnr, np.array([2, 0]), snr, n_fixed=2)
    # mean CPP (4/16 + 2/16) / 2 = 3/16 = the fixed line's middle point: (20 + 30) / 2 = 25
    assert row["cpp_mean"] == pytest.approx(3 / 16) and row["fixed_psnr_at_cpp"] == pytest.approx(25.0)
    assert row["psnr_db"] == pytest.approx(27.0) and row["gain_db"] == pytest.approx(2.0)
