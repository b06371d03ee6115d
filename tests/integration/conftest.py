import pytest

TINY_DIGITAL = """
name: {name}
snr_db: {snr_db}
cpp: [{cpp}]
runs: 2
images: 10
ssim: false
codecs:
  - type: bpg_capacity
  - type: bpg_ldpc
"""


@pytest.fixture(scope="module")
def tiny_digital_scenario(tmp_path_factory):
    """Write a 10-image, 2-run scenario of bpg_capacity and bpg_ldpc; returns its path."""
    def write(name, snr_db, cpp):
        path = tmp_path_factory.mktemp(name) / "scenario.yaml"
        path.write_text(TINY_DIGITAL.format(name=name, snr_db=list(snr_db), cpp=cpp))
        return path
    return write
