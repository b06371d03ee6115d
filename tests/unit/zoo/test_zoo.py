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
