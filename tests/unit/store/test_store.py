"""PointStore: a stored point comes back equal; anything else is refused with a warning, never used."""
import numpy as np
import pytest

from linksim.errors import LinksimWarning
from linksim.sim import PointRuns
from linksim.store import PointStore


def runs(r=2, j=2, n=5, seed=0):
    rng = np.random.default_rng(seed)
    return PointRuns(predictions=rng.integers(0, 10, (r, j, n)), psnr=rng.normal(20, 2, (r, n)),
                     ssim=rng.random((r, n)), outage=rng.random((r, n)) < 0.3,
                     channel_uses=np.full((r, n), 256), source_bits=rng.integers(0, 900, (r, n)),
                     example_images=rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8),
                     example_predictions=rng.integers(0, 10, 3))


def test_round_trip_is_exact(tmp_path):
    store = PointStore(tmp_path, 2, 2, 5)
    store.put("k", runs(), 1.5)
    got, seconds = store.get("k")
    for name in ("predictions", "psnr", "ssim", "outage", "channel_uses", "source_bits", "example_images",
                 "example_predictions"):
        np.testing.assert_array_equal(getattr(got, name), getattr(runs(), name))
    assert seconds == 1.5 and len(store) == 1 and store.get("missing") is None


def test_a_point_of_other_dimensions_is_refused(tmp_path):
    PointStore(tmp_path, 2, 2, 5).put("k", runs(), 1.0)
    for dims in ((3, 2, 5), (2, 1, 5), (2, 2, 20)):
        with pytest.warns(LinksimWarning, match="wrong shape"):
            assert PointStore(tmp_path, *dims).get("k") is None


def test_a_point_under_another_key_or_edited_is_refused(tmp_path):
    store = PointStore(tmp_path, 2, 2, 5)
    store.put("a", runs(seed=1), 1.0)
    (tmp_path / "points" / "a.npz").rename(tmp_path / "points" / "b.npz")
    with pytest.warns(LinksimWarning, match="holds another point"):
        assert store.get("b") is None
    store.put("c", runs(), 1.0)
    with np.load(tmp_path / "points" / "c.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays["psnr"] = arrays["psnr"] + 0.01
    np.savez(tmp_path / "points" / "c.npz", **arrays)
    with pytest.warns(LinksimWarning, match="fails its checksum"):
        assert store.get("c") is None


def test_perceptual_arrays_round_trip_and_are_verified(tmp_path):
    rng = np.random.default_rng(3)
    point = runs()
    point.perceptual = {"fsimc": rng.random((2, 5)), "feature_distance_vgg8": rng.random((2, 5))}
    point.frechet = {"frechet_vgg8": np.array([1.0, 0.9, 0.8, 1.3])}
    names = (("fsimc", "feature_distance_vgg8"), ("frechet_vgg8",))
    store = PointStore(tmp_path, 2, 2, 5, *names)
    store.put("k", point, 1.0)
    got, _ = store.get("k")
    for name, values in point.perceptual.items():
        np.testing.assert_array_equal(got.perceptual[name], values)
    np.testing.assert_array_equal(got.frechet["frechet_vgg8"], point.frechet["frechet_vgg8"])
    PointStore(tmp_path, 2, 2, 5).put("plain", runs(), 1.0)
    with pytest.warns(LinksimWarning, match="lacks or has the wrong shape for perceptual__fsimc"):
        assert store.get("plain") is None                # a point without the metrics the scenario asks for
    with np.load(tmp_path / "points" / "k.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays["perceptual__fsimc"] = arrays["perceptual__fsimc"] * 0.5
    np.savez(tmp_path / "points" / "k.npz", **arrays)
    with pytest.warns(LinksimWarning, match="fails its checksum"):
        assert store.get("k") is None
