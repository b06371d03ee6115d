"""`linksim run` end to end on a few embedded images: outputs, contract fields, determinism."""
import csv
import json
from pathlib import Path

import pytest

from linksim.cli import main

SCENARIO = Path(__file__).parents[2] / "scenarios" / "cifar_5db.yaml"
FIELDS = ["codec", "snr_db", "cpp_target", "cpp", "source_bits", "accuracy", "accuracy_ci95", "rca", "rca_ci95",
          "f1_macro",
          "f1_ci95", "psnr_db", "psnr_ci95", "ssim", "ssim_ci95", "outage_rate", "n_images", "runs"]


@pytest.fixture(scope="module")
def run_twice(tmp_path_factory):
    outs = []
    for name in ("a", "b"):
        out = tmp_path_factory.mktemp(name)
        assert main(["run", str(SCENARIO), "--images", "20", "--runs", "2", "--out", str(out)]) == 0
        outs.append(out)
    return outs


def test_outputs_and_fields(run_twice):
    out = run_twice[0]
    doc = json.loads((out / "results.json").read_text())
    assert set(doc) >= {"scenario", "provenance", "points", "reference"}
    assert set(doc["reference"]) == {"clean_accuracy", "clean_f1_macro", "judges"}
    prov = doc["provenance"]
    assert prov["seed"] == 0 and prov["weights_sha256"]["resnet32"] and prov["packages"]["sionna"] == "0.19.2"
    assert [p["codec"] for p in doc["points"]] == ["identity", "ar_jscc", "sp_jscc", "bpg_ldpc", "bpg_adaptive",
                                                       "bpg_capacity"]
    for p in doc["points"]:
        assert all(k in p for k in FIELDS) and p["n_images"] == 20 and p["runs"] == 2
    by = {p["codec"]: p for p in doc["points"]}
    assert by["identity"]["accuracy"] == doc["reference"]["clean_accuracy"]
    assert by["identity"]["psnr_db"] == 100.0 and by["identity"]["outage_rate"] == 0.0
    assert by["identity"]["rca"] == 1.0 and all(j["rca"] == 1.0 for j in by["identity"]["judges"].values())
    assert by["bpg_ldpc"]["rca"] < 1.0
    assert by["bpg_ldpc"]["outage_rate"] == 1.0          # one 16-QAM (1944,1458) codeword needs 486 symbols
    assert by["bpg_capacity"]["outage_rate"] <= 0.1     # 62 bytes carry QP ~47-51 for most images
    rows = list(csv.DictReader(open(out / "results.csv")))
    assert len(rows) == 6 and rows[3]["codec"] == "bpg_ldpc"
    assert (out / "images_bpg_capacity.png").stat().st_size > 1000
    assert (out / "images_5dB_cpp0.25.png").is_file() and (out / "report.html").stat().st_size > 10000


def test_same_seed_same_numbers(run_twice):
    a, b = (json.loads((o / "results.json").read_text())["points"] for o in run_twice)
    strip = lambda pts: [{k: v for k, v in p.items() if k != "seconds"} for p in pts]
    assert strip(a) == strip(b)
