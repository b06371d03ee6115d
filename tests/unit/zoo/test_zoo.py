"""Every shipped weight file is documented, matches its sha256, and a corrupt copy is refused."""
import shutil

import pytest

from linksim import zoo
from linksim.errors import WeightsError

REQUIRED = {"file", "arch", "sha256", "description", "command", "training", "wall_seconds", "machine", "metrics",
            "summary"}


@pytest.mark.parametrize("name", sorted(zoo.registry()))
def test_entry_is_documented_and_verified(name):
    entry = zoo.entry(name)
    assert REQUIRED <= set(entry), REQUIRED - set(entry)
    assert zoo.sha256_file(zoo.verified_path(name)) == entry["sha256"]


@pytest.mark.parametrize("name", sorted(zoo.registry()))
def test_corrupt_copy_is_refused(name, tmp_path, monkeypatch):
    path = zoo.verified_path(name)
    shutil.copy(path, tmp_path / path.name)
    with open(tmp_path / path.name, "r+b") as f:
        f.seek(-1, 2)
        last = f.read(1)
        f.seek(-1, 2)
        f.write(bytes([last[0] ^ 1]))
    monkeypatch.setenv("LINKSIM_WEIGHTS", str(tmp_path))
    with pytest.raises(WeightsError, match="corrupt"):
        zoo.load(name)


def test_unknown_name_lists_the_zoo():
    with pytest.raises(WeightsError, match="resnet20"):
        zoo.entry("nope")


def test_a_training_run_output_loads_with_its_own_geometry_and_sha256(tmp_path):
    import json
    from linksim.models.jscc import AdaptiveRateJSCC
    model = AdaptiveRateJSCC(groups=4, fixed_groups=1, width=8)
    model.build_variables()
    path = tmp_path / "ar_jscc.weights.npz"
    zoo.write_weights(path, model.save_npz)
    (tmp_path / "config.json").write_text(json.dumps({"groups": 4, "fixed_groups": 1, "width": 8, "epochs": 1}))
    loaded = zoo.load(str(path))
    assert (loaded.groups, loaded.fixed_groups, loaded.width) == (4, 1, 8)
    for a, b in zip(model.weights, loaded.weights):
        assert (a.numpy() == b.numpy()).all()
    assert zoo.entry(str(path))["sha256"] == zoo.sha256_file(path)
    (tmp_path / "config.json").unlink()
    with pytest.raises(WeightsError, match="config.json"):
        zoo.entry(str(path))


def test_a_run_output_must_match_the_sha256_its_training_recorded(tmp_path):
    import json
    from linksim.models.jscc import AdaptiveRateJSCC
    model = AdaptiveRateJSCC(groups=4, fixed_groups=1, width=8)
    model.build_variables()
    path = tmp_path / "ar_jscc.weights.npz"
    digest = zoo.write_weights(path, model.save_npz)
    assert zoo.recorded_sha256_path(path).read_text() == f"{digest}  ar_jscc.weights.npz\n"
    (tmp_path / "config.json").write_text(json.dumps({"groups": 4, "fixed_groups": 1, "width": 8}))
    other = AdaptiveRateJSCC(groups=4, fixed_groups=1, width=8)
    other.build_variables()
    other.save_npz(path)                                  # a valid file, but not the one training wrote
    with pytest.raises(WeightsError, match="damaged: sha256"):
        zoo.entry(str(path))
    zoo.recorded_sha256_path(path).unlink()
    with pytest.raises(WeightsError, match="no recorded sha256"):
        zoo.entry(str(path))


def test_a_judge_must_be_a_classifier():
    with pytest.raises(WeightsError, match="'ar_jscc' is not a classifier.*resnet32"):
        zoo.load_classifier("ar_jscc")
