import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# `linksim run` fixes TensorFlow's thread counts (default 2) before TensorFlow
# starts; in-process CLI tests share one runtime, so fix them once here.
from linksim.sim import configure_threads  # noqa: E402

configure_threads(2)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Every test gets its own encoding/data cache folder."""
    monkeypatch.setenv("LINKSIM_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="session")
def sample():
    from linksim.data import load_embedded_sample
    return load_embedded_sample()


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
