"""Every lab's scenario runs at tiny size, and each lab page names its scenario's command."""
import json
from pathlib import Path

import pytest

from linksim.cli import main

ROOT = Path(__file__).resolve().parents[2]
LABS = ROOT / "scenarios" / "labs"
PAGES = {"ber_waterfalls": "ber", "cliff": "cliff", "bandwidth": "bandwidth", "semantics": "semantics"}
pytestmark = pytest.mark.skipif(not LABS.is_dir(), reason="needs the source tree")


def test_every_lab_scenario_has_a_page_that_runs_it():
    assert sorted(p.stem for p in LABS.glob("*.yaml")) == sorted(PAGES)
    for scenario, page in PAGES.items():
        text = (ROOT / "docs" / "labs" / f"{page}.md").read_text()
        assert f"scenarios/labs/{scenario}.yaml" in text and "Answers (for the teacher)" in text


def test_ber_lab_at_tiny_size(tmp_path):
    out = tmp_path / "ber"
    assert main(["ber", str(LABS / "ber_waterfalls.yaml"), "--out", str(out), "--max-bits", "1000",
                 "--iterations", "2", "--target-block-errors", "1"]) == 0
    docs = [json.loads(p.read_text()) for p in sorted(out.glob("*/ber.json"))]
    assert len(docs) == 8 and all(d["max_bits"] == 1000 and d["iterations"] == 2 for d in docs)
    assert (out / "ber.png").is_file() and (out / "ber.pdf").is_file()


@pytest.mark.parametrize("lab, cpp", [("cliff", 0.5), ("bandwidth", 0.25), ("semantics", 0.25)])
def test_run_lab_at_tiny_size(lab, cpp, tmp_path):
    scenario = str(LABS / f"{lab}.yaml")
    assert main(["validate", scenario]) == 0
    out = tmp_path / lab
    assert main(["run", scenario, "--images", "10", "--runs", "1", "--set", "snr_db=[10]", "--set", f"cpp=[{cpp}]",
                 "--set", "ssim=false", "--out", str(out), "--quiet"]) == 0
    doc = json.loads((out / "results.json").read_text())
    assert len(doc["points"]) == len(doc["scenario"]["codecs"])
    assert (out / "report.html").is_file()
