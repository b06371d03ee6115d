"""`linksim run` under Rayleigh block fading on a few embedded images: every codec kind, pilots charged."""
import json

import pytest
import yaml

from linksim.cli import main

CODECS = [{"type": "identity"}, {"type": "ar_jscc"}, {"type": "bpg_adaptive"}, {"type": "bpg_capacity"}]


def _run(tmp_path, channel, name, cpp=0.5, runs=2):
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"name": name, "channel": channel, "snr_db": [10], "cpp": [cpp], "runs": runs,
                                    "ssim": False, "codecs": CODECS}))
    out = tmp_path / name
    assert main(["run", str(path), "--images", "20", "--out", str(out), "--quiet"]) == 0
    return {p["codec"]: p for p in json.loads((out / "results.json").read_text())["points"]}


@pytest.fixture(scope="module")
def awgn_and_fading(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fading")
    return (_run(tmp, {"type": "awgn"}, "awgn"),
            _run(tmp, {"type": "rayleigh_block", "coherence": "per_image"}, "rayleigh"))


def test_fading_costs_every_codec_and_hits_the_capacity_bound_each_run(awgn_and_fading):
    awgn, fading = awgn_and_fading
    for codec in ("ar_jscc", "bpg_adaptive", "bpg_capacity"):
        assert fading[codec]["psnr_db"] < awgn[codec]["psnr_db"], codec
    assert awgn["bpg_capacity"]["outage_rate"] == 0.0
    # planned for the fade distribution, the capacity stream backs off: deep fades still lose images, but
    # far fewer than the 1 - exp(-1) = 0.63 a stream sized for the average SNR would lose
    assert 0.0 < fading["bpg_capacity"]["outage_rate"] < 0.5
    assert fading["ar_jscc"]["outage_rate"] == 0.0          # analog: degraded, never lost
    assert fading["identity"]["accuracy"] == awgn["identity"]["accuracy"]      # no channel, no fade


def test_pilots_are_charged_to_the_budget(tmp_path):
    estimated = _run(tmp_path, {"type": "rayleigh_block", "csi": "estimated", "pilots": 64}, "pilots", cpp=0.25,
                     runs=1)
    # 256 symbols: 64 pilots leave 192, three 64-symbol JSCC groups; the image is charged all 256
    assert estimated["ar_jscc"]["cpp"] == pytest.approx(0.25)
    perfect = _run(tmp_path, {"type": "rayleigh_block"}, "perfect", cpp=0.25, runs=1)
    assert perfect["ar_jscc"]["cpp"] == pytest.approx(0.25)
    assert estimated["ar_jscc"]["psnr_db"] < perfect["ar_jscc"]["psnr_db"]


def test_pilots_need_per_image_coherence_in_a_scenario(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"channel": {"type": "rayleigh_block", "coherence": "per_codeword",
                                                "csi": "estimated", "pilots": 4},
                                    "codecs": [{"type": "ar_jscc"}]}))
    assert main(["validate", str(path)]) == 2
